#include "http/responses.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <string>
#include <vector>

#include "core/error.h"

namespace pushy::http {
namespace {

namespace field = boost::beast::http;

struct StatusCase {
  Errc errc;
  unsigned status;
};

// Every enumerator, in declaration order; the test below checks nothing is missing.
const std::vector<StatusCase> kStatusTable = {
    {Errc::kOk, 200},
    {Errc::kMalformedJson, 400},
    {Errc::kInvalidBody, 400},
    {Errc::kMissingData, 400},
    {Errc::kInvalidChannel, 400},
    {Errc::kNoChannels, 400},
    {Errc::kTooManyChannels, 400},
    {Errc::kHttpVersion, 505},
    {Errc::kPatternNotPublishable, 400},
    {Errc::kInvalidEventName, 400},
    {Errc::kTtlTooLarge, 400},
    {Errc::kTokenTooLarge, 400},
    {Errc::kUnsupportedMediaType, 415},
    {Errc::kPayloadTooLarge, 413},
    {Errc::kUriTooLong, 414},
    {Errc::kHeadersTooLarge, 431},
    {Errc::kRequestTimeout, 408},
    {Errc::kBadFraming, 400},
    {Errc::kInvalidTarget, 400},
    {Errc::kNotFound, 404},
    {Errc::kMethodNotAllowed, 405},
    {Errc::kMissingCredentials, 401},
    {Errc::kBadCredentials, 401},
    {Errc::kMissingToken, 401},
    {Errc::kUnsupportedAuthScheme, 401},
    {Errc::kTokenMalformed, 401},
    {Errc::kTokenAlgorithm, 401},
    {Errc::kTokenSignature, 401},
    {Errc::kTokenExpired, 401},
    {Errc::kTokenNotYetValid, 401},
    {Errc::kTokenClaims, 401},
    {Errc::kNotGranted, 403},
    {Errc::kTooManyConnections, 503},
    {Errc::kBrokerUnavailable, 503},
    {Errc::kSubscriptionRefused, 503},
    {Errc::kShuttingDown, 503},
};

TEST(StatusForTest, TableCoversEveryErrcInOrder) {
  ASSERT_EQ(kStatusTable.size(), static_cast<std::size_t>(Errc::kShuttingDown) + 1);
  for (std::size_t i = 0; i < kStatusTable.size(); ++i) {
    EXPECT_EQ(static_cast<std::size_t>(kStatusTable[i].errc), i);
  }
}

TEST(StatusForTest, EveryErrcMapsToItsStatus) {
  for (const StatusCase& c : kStatusTable) {
    const auto ec = make_error_code(c.errc);
    EXPECT_EQ(static_cast<unsigned>(StatusFor(ec)), c.status) << ec.message();
  }
}

TEST(StatusForTest, ForeignAndUnknownCodesAre500) {
  EXPECT_EQ(StatusFor(make_error_code(boost::system::errc::io_error)),
            Status::internal_server_error);
  EXPECT_EQ(StatusFor(boost::system::error_code(9999, PushyCategory())),
            Status::internal_server_error);
}

TEST(ErrorResponseTest, BodyIsExactlyTheErrorObjectForEveryError) {
  for (const StatusCase& c : kStatusTable) {
    if (c.status < 400) continue;
    const auto ec = make_error_code(c.errc);
    const Response res = ErrorResponse(ec);
    SCOPED_TRACE(ec.message());
    EXPECT_EQ(res.result_int(), c.status);
    EXPECT_EQ(res[field::field::content_type], "application/json");
    EXPECT_EQ(res.body(), "{\"error\":\"" + JsonEscape(ec.message()) + "\"}");
    EXPECT_EQ(res[field::field::content_length], std::to_string(res.body().size()));
    const auto parsed = boost::json::parse(res.body());
    ASSERT_EQ(parsed.as_object().size(), 1u);
    EXPECT_EQ(parsed.at("error").as_string(), ec.message());
    EXPECT_EQ(res.count(field::field::retry_after), c.status == 503 ? 1u : 0u);
    EXPECT_EQ(res.count(field::field::www_authenticate), c.status == 401 ? 1u : 0u);
  }
}

TEST(ErrorResponseTest, KnownBodiesAndHeaders) {
  const Response not_found = ErrorResponse(Errc::kNotFound);
  EXPECT_EQ(not_found.body(), R"({"error":"not found"})");
  const Response missing = ErrorResponse(Errc::kMissingData);
  EXPECT_EQ(missing.body(), R"({"error":"\"data\" is required"})");
  const Response busy = ErrorResponse(Errc::kBrokerUnavailable);
  EXPECT_EQ(busy[field::field::retry_after], "5");
  const Response unauthorized = ErrorResponse(Errc::kTokenExpired);
  EXPECT_EQ(unauthorized[field::field::www_authenticate], "Bearer");
}

TEST(ErrorResponseTest, ForeignErrorsNeverLeakTheirMessage) {
  const Response res = ErrorResponse(make_error_code(boost::system::errc::permission_denied));
  EXPECT_EQ(res.result_int(), 500u);
  EXPECT_EQ(res.body(), R"({"error":"internal error"})");
}

TEST(ErrorResponseTest, KeepsTheRequestVersion) {
  EXPECT_EQ(ErrorResponse(Errc::kNotFound, 10).version(), 10u);
  EXPECT_EQ(ErrorResponse(Status::bad_request, "x", 10).version(), 10u);
}

TEST(ErrorResponseTest, ExplicitStatusAndMessage) {
  const Response res = ErrorResponse(Status::conflict, "a \"b\"");
  EXPECT_EQ(res.result_int(), 409u);
  EXPECT_EQ(res[field::field::content_type], "application/json");
  EXPECT_EQ(res.body(), R"({"error":"a \"b\""})");
}

TEST(JsonResponseTest, SetsTypeAndLength) {
  const Response res = JsonResponse(Status::ok, R"({"id":"x"})");
  EXPECT_EQ(res.result_int(), 200u);
  EXPECT_EQ(res[field::field::content_type], "application/json");
  EXPECT_EQ(res[field::field::content_length], "10");
  EXPECT_EQ(res.body(), R"({"id":"x"})");
}

TEST(JsonEscapeTest, EscapesWhatJsonRequires) {
  EXPECT_EQ(JsonEscape(""), "");
  EXPECT_EQ(JsonEscape("plain text"), "plain text");
  EXPECT_EQ(JsonEscape("q\"uote"), "q\\\"uote");
  EXPECT_EQ(JsonEscape("back\\slash"), "back\\\\slash");
  EXPECT_EQ(JsonEscape("a\nb\tc\rd"), "a\\nb\\tc\\rd");
  EXPECT_EQ(JsonEscape(std::string("nul\0x", 5)), "nul\\u0000x");
  EXPECT_EQ(JsonEscape("\x01\x1f"), "\\u0001\\u001f");
  EXPECT_EQ(JsonEscape("caf\xc3\xa9"), "caf\xc3\xa9");  // UTF-8 passes through
  // Whatever it produces is the inside of a valid JSON string holding the original.
  const std::string tricky = "</script>\"\\\b\f\x7f";
  const auto parsed = boost::json::parse("\"" + JsonEscape(tricky) + "\"");
  EXPECT_EQ(parsed.as_string(), tricky);
}

}  // namespace
}  // namespace pushy::http
