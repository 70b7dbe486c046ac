#include "http/router.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "http_test_util.h"

// The Router, driven through real Sessions on a loopback listener.
namespace pushy::http {
namespace {

using test_util::RawClient;
using test_util::TestServer;
using Field = beast_http::field;

std::string Get(std::string_view target, std::string_view extra_headers = "") {
  return "GET " + std::string(target) + " HTTP/1.1\r\nHost: t\r\n" + std::string(extra_headers) +
         "\r\n";
}

std::string Post(std::string_view target, std::string_view body) {
  return "POST " + std::string(target) + " HTTP/1.1\r\nHost: t\r\nContent-Type: application/json" +
         "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + std::string(body);
}

// Sends `request` on a fresh connection and returns the one response.
Response RoundTrip(TestServer& server, const std::string& request) {
  RawClient client(server);
  client.Send(request);
  auto responses = client.Await(1);
  EXPECT_EQ(responses.size(), 1u) << client.data();
  return responses.empty() ? Response{} : responses.front();
}

void ExpectJsonError(const Response& res, unsigned status) {
  EXPECT_EQ(res.result_int(), status);
  EXPECT_EQ(res[Field::content_type], "application/json");
  EXPECT_TRUE(res.body().starts_with("{\"error\":\"")) << res.body();
  EXPECT_TRUE(res.body().ends_with("\"}")) << res.body();
}

TEST(RouterTest, UnknownPathsAre404) {
  TestServer server;
  for (const char* target : {"/nope", "/", "/publish/a/b", "/channels/a/stream/x", "/healthz/",
                             "/HEALTHZ", "/channels//stream", "/publish/"}) {
    SCOPED_TRACE(target);
    ExpectJsonError(RoundTrip(server, Get(target)), 404);
  }
  EXPECT_TRUE(server.seen.empty());
}

TEST(RouterTest, KnownPathWrongMethodIs405WithAllow) {
  TestServer server;
  Response res = RoundTrip(server, Get("/publish/a"));
  ExpectJsonError(res, 405);
  EXPECT_EQ(res[Field::allow], "POST, OPTIONS");
  res = RoundTrip(server, Post("/healthz", "{}"));
  ExpectJsonError(res, 405);
  EXPECT_EQ(res[Field::allow], "GET, HEAD, OPTIONS");
  res = RoundTrip(server, "DELETE /publish HTTP/1.1\r\nHost: t\r\n\r\n");
  ExpectJsonError(res, 405);
  EXPECT_EQ(res[Field::allow], "POST, OPTIONS");
  EXPECT_TRUE(server.seen.empty());
}

TEST(RouterTest, OptionsIsAPreflight) {
  TestServer server;
  const Response res =
      RoundTrip(server,
                "OPTIONS /publish/a HTTP/1.1\r\nHost: t\r\nOrigin: https://app.example\r\n"
                "Access-Control-Request-Method: POST\r\n\r\n");
  EXPECT_EQ(res.result_int(), 204u);
  EXPECT_EQ(res[Field::access_control_allow_methods], "POST, OPTIONS");
  EXPECT_EQ(res[Field::access_control_allow_origin], "*");
  EXPECT_FALSE(res[Field::access_control_allow_headers].empty());
  EXPECT_TRUE(res.body().empty());
  EXPECT_TRUE(server.seen.empty());
}

TEST(RouterTest, OptionsOnAnUnknownPathIs404) {
  TestServer server;
  ExpectJsonError(RoundTrip(server, "OPTIONS /nope HTTP/1.1\r\nHost: t\r\n\r\n"), 404);
}

TEST(RouterTest, RoutesAndCapturesPercentDecoded) {
  TestServer server;
  EXPECT_EQ(RoundTrip(server, Post("/publish/a%2Eb", "{}")).result_int(), 200u);
  EXPECT_EQ(RoundTrip(server, Post("/publish/news.sports", "{\"data\":1}")).result_int(), 200u);
  EXPECT_EQ(RoundTrip(server, Get("/channels/news.%2A%2a/stream")).result_int(), 200u);
  EXPECT_EQ(RoundTrip(server, Get("/channels/a%2Fb/stream")).result_int(), 200u);
  EXPECT_EQ(RoundTrip(server, Post("/publish?x=1", "[]")).result_int(), 200u);
  EXPECT_EQ(RoundTrip(server, Get("/healthz?verbose")).result_int(), 200u);
  ASSERT_EQ(server.seen.size(), 6u);
  EXPECT_EQ(server.seen[0].route, "publish_one");
  EXPECT_EQ(server.seen[0].param, "a.b");
  EXPECT_EQ(server.seen[0].body, "{}");
  EXPECT_EQ(server.seen[1].param, "news.sports");
  EXPECT_EQ(server.seen[1].body, "{\"data\":1}");
  EXPECT_EQ(server.seen[2].route, "stream");
  EXPECT_EQ(server.seen[2].param, "news.**");
  EXPECT_EQ(server.seen[3].param, "a/b");  // an encoded slash stays inside the segment
  EXPECT_EQ(server.seen[4].route, "publish_batch");
  EXPECT_EQ(server.seen[4].param, "");
  EXPECT_EQ(server.seen[5].route, "healthz");
}

TEST(RouterTest, BadTargetsAre400) {
  TestServer server;
  for (const char* target :
       {"/publish/%zz", "/publish/a%2", "/channels/%G0/stream", "*", "healthz"}) {
    SCOPED_TRACE(target);
    ExpectJsonError(RoundTrip(server, Post(target, "{}")), 400);
  }
  EXPECT_TRUE(server.seen.empty());
}

TEST(RouterTest, CorsListEchoesAllowedOriginOnEveryAnswer) {
  TestServer server({}, {"https://app.example"});
  const std::string allowed = "Origin: https://app.example\r\n";
  Response res = RoundTrip(server, Get("/healthz", allowed));
  EXPECT_EQ(res[Field::access_control_allow_origin], "https://app.example");
  EXPECT_EQ(res[Field::vary], "Origin");
  res = RoundTrip(server, Get("/nope", allowed));  // errors carry CORS too, so JS can read them
  EXPECT_EQ(res.result_int(), 404u);
  EXPECT_EQ(res[Field::access_control_allow_origin], "https://app.example");
  res = RoundTrip(server, Get("/healthz", "Origin: https://evil.example\r\n"));
  EXPECT_EQ(res.result_int(), 200u);
  EXPECT_EQ(res.count(Field::access_control_allow_origin), 0u);
  res = RoundTrip(server, Get("/healthz"));
  EXPECT_EQ(res.count(Field::access_control_allow_origin), 0u);
}

TEST(RouterTest, HandlerMayTakeTheSocket) {
  TestServer server;
  {
    RawClient client(server);
    client.Send(Get("/take"));
    EXPECT_TRUE(client.AwaitEof());
    EXPECT_EQ(client.data(), "taken");  // no HTTP response from the session
  }
  EXPECT_TRUE(test_util::RunUntil(server.ioc, [&] { return server.session_count() == 0; }));
  EXPECT_TRUE(server.statuses().empty());
}

}  // namespace
}  // namespace pushy::http
