#include "http/cors.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace pushy::http {
namespace {

namespace beast_http = boost::beast::http;
using Field = beast_http::field;

beast_http::fields Applied(const CorsPolicy& policy, std::string_view origin) {
  beast_http::fields headers;
  policy.Apply(origin, headers);
  return headers;
}

TEST(CorsPolicyTest, StarAlwaysAnswersStar) {
  const CorsPolicy policy({"*"});
  for (std::string_view origin : {"https://a.example", "null", ""}) {
    const auto headers = Applied(policy, origin);
    EXPECT_EQ(headers[Field::access_control_allow_origin], "*") << origin;
    EXPECT_EQ(headers.count(Field::access_control_allow_credentials), 0u);
  }
}

TEST(CorsPolicyTest, StarAnywhereInTheListMeansAny) {
  const CorsPolicy policy({"https://a.example", "*"});
  EXPECT_EQ(Applied(policy, "https://other.example")[Field::access_control_allow_origin], "*");
}

TEST(CorsPolicyTest, ListEchoesAnAllowedOriginExactly) {
  const CorsPolicy policy({"https://a.example", "http://localhost:3000"});
  for (std::string_view origin : {"https://a.example", "http://localhost:3000"}) {
    const auto headers = Applied(policy, origin);
    EXPECT_EQ(headers[Field::access_control_allow_origin], origin);
    EXPECT_EQ(headers[Field::vary], "Origin");
  }
}

TEST(CorsPolicyTest, ListGivesNothingToOtherOrigins) {
  const CorsPolicy policy({"https://a.example"});
  // Near misses: case, trailing slash, other port or scheme, a suffix or prefix, no origin.
  for (std::string_view origin :
       {"https://A.example", "https://a.example/", "https://a.example:443", "http://a.example",
        "https://a.example.evil", "https://evil.a.example", "null", ""}) {
    const auto headers = Applied(policy, origin);
    EXPECT_EQ(headers.count(Field::access_control_allow_origin), 0u) << origin;
  }
}

TEST(CorsPolicyTest, ApplyReplacesRatherThanAppends) {
  const CorsPolicy policy({"https://a.example"});
  beast_http::fields headers;
  policy.Apply("https://a.example", headers);
  policy.Apply("https://a.example", headers);
  EXPECT_EQ(headers.count(Field::access_control_allow_origin), 1u);
  EXPECT_EQ(headers.count(Field::vary), 1u);
}

TEST(CorsPolicyTest, PreflightListsMethodsAndHeaders) {
  const CorsPolicy policy({"https://a.example"});
  beast_http::fields headers;
  policy.ApplyPreflight("https://a.example", "POST, OPTIONS", headers);
  EXPECT_EQ(headers[Field::access_control_allow_origin], "https://a.example");
  EXPECT_EQ(headers[Field::access_control_allow_methods], "POST, OPTIONS");
  const std::string allowed(headers[Field::access_control_allow_headers]);
  for (const char* name :
       {"Authorization", "Content-Type", "Last-Event-ID", "X-Client-ID", "X-Client-Secret"}) {
    EXPECT_NE(allowed.find(name), std::string::npos) << name;
  }
  EXPECT_FALSE(headers[Field::access_control_max_age].empty());
}

TEST(CorsPolicyTest, PreflightWithStarAndNoOrigin) {
  const CorsPolicy policy({"*"});
  beast_http::fields headers;
  policy.ApplyPreflight("", "GET, OPTIONS", headers);
  EXPECT_EQ(headers[Field::access_control_allow_origin], "*");
  EXPECT_EQ(headers[Field::access_control_allow_methods], "GET, OPTIONS");
}

TEST(CorsPolicyTest, PreflightFromAForeignOriginAllowsNoOrigin) {
  const CorsPolicy policy({"https://a.example"});
  beast_http::fields headers;
  policy.ApplyPreflight("https://evil.example", "GET, OPTIONS", headers);
  EXPECT_EQ(headers.count(Field::access_control_allow_origin), 0u);
}

}  // namespace
}  // namespace pushy::http
