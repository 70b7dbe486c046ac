#include "server/publish_body.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/error.h"

namespace pushy::server {
namespace {

using Strings = std::vector<std::string>;

// `depth` arrays nested inside the body object, so the whole body nests `depth + 1` deep.
std::string NestedBody(std::size_t depth) {
  return R"({"data":)" + std::string(depth, '[') + std::string(depth, ']') + "}";
}

TEST(ParsePublishBodyTest, SingleWithDefaults) {
  const auto body = ParsePublishBody(R"({"data": {"score": 1.50, "team": "a b"}})", false);
  ASSERT_TRUE(body) << body.error().message();
  EXPECT_EQ(body->event, "message");
  EXPECT_EQ(body->data, R"({"score":1.50,"team":"a b"})");
  EXPECT_TRUE(body->channels.empty());
}

TEST(ParsePublishBodyTest, SingleWithEventAndScalarData) {
  for (const std::string data : {"null", "true", "false", "\"text\"", "-0", "1e3", "[]", "{}"}) {
    const auto body = ParsePublishBody(R"({"event":"goal:scored", "data": )" + data + "}", false);
    ASSERT_TRUE(body) << data;
    EXPECT_EQ(body->event, "goal:scored");
    EXPECT_EQ(body->data, data);
  }
}

TEST(ParsePublishBodyTest, SingleIgnoresChannelsMember) {
  // A single publish takes the path's channel; a stray "channels" is not checked.
  const auto body = ParsePublishBody(R"({"data": 1, "channels": "not an array"})", false);
  ASSERT_TRUE(body);
  EXPECT_TRUE(body->channels.empty());
}

TEST(ParsePublishBodyTest, Batch) {
  const auto body = ParsePublishBody(
      R"({"channels": ["a.b", "user:42", "x-y_z@q=1"], "event": "e", "data": [1, 2]})", true);
  ASSERT_TRUE(body) << body.error().message();
  EXPECT_EQ(body->channels, (Strings{"a.b", "user:42", "x-y_z@q=1"}));
  EXPECT_EQ(body->event, "e");
  EXPECT_EQ(body->data, "[1,2]");
}

TEST(ParsePublishBodyTest, BatchOfExactlyTheMaximum) {
  std::string list;
  for (std::size_t i = 0; i < kMaxBatchChannels; ++i) {
    list += (i ? ",\"c" : "\"c") + std::to_string(i) + "\"";
  }
  const auto body = ParsePublishBody(R"({"data":1,"channels":[)" + list + "]}", true);
  ASSERT_TRUE(body) << body.error().message();
  EXPECT_EQ(body->channels.size(), kMaxBatchChannels);
}

TEST(ParsePublishBodyTest, NestingUpToTheLimitIsAccepted) {
  const auto body = ParsePublishBody(NestedBody(kMaxJsonDepth - 1), false);
  ASSERT_TRUE(body) << body.error().message();
  EXPECT_EQ(body->data, std::string(kMaxJsonDepth - 1, '[') + std::string(kMaxJsonDepth - 1, ']'));
}

struct ErrorCase {
  std::string name;
  std::string body;
  bool batch;
  Errc expected;
};

class ParsePublishBodyErrorTest : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(ParsePublishBodyErrorTest, Rejects) {
  const ErrorCase& c = GetParam();
  const auto body = ParsePublishBody(c.body, c.batch);
  ASSERT_FALSE(body) << c.body;
  EXPECT_EQ(body.error(), make_error_code(c.expected)) << body.error().message();
}

std::string ManyChannels(std::size_t n) {
  std::string list;
  for (std::size_t i = 0; i < n; ++i) list += (i ? ",\"c" : "\"c") + std::to_string(i) + "\"";
  return R"({"data":1,"channels":[)" + list + "]}";
}

INSTANTIATE_TEST_SUITE_P(
    Table, ParsePublishBodyErrorTest,
    ::testing::Values(
        ErrorCase{"empty", "", false, Errc::kMalformedJson},
        ErrorCase{"not_json", "data=1", false, Errc::kMalformedJson},
        ErrorCase{"truncated", R"({"data": [1, 2)", false, Errc::kMalformedJson},
        ErrorCase{"trailing_garbage", R"({"data": 1} x)", false, Errc::kMalformedJson},
        ErrorCase{"trailing_comma", R"({"data": 1,})", false, Errc::kMalformedJson},
        ErrorCase{"comment", R"({"data": 1 /* c */})", false, Errc::kMalformedJson},
        ErrorCase{"invalid_utf8", "{\"data\": \"\xff\"}", false, Errc::kMalformedJson},
        ErrorCase{"too_deep", NestedBody(kMaxJsonDepth), false, Errc::kMalformedJson},
        ErrorCase{"array_body", R"([{"data": 1}])", false, Errc::kInvalidBody},
        ErrorCase{"string_body", R"("data")", false, Errc::kInvalidBody},
        ErrorCase{"null_body", "null", true, Errc::kInvalidBody},
        ErrorCase{"missing_data", R"({"event": "x"})", false, Errc::kMissingData},
        ErrorCase{"missing_data_batch", R"({"channels": ["a"]})", true, Errc::kMissingData},
        ErrorCase{"nested_data_only", R"({"x": {"data": 1}})", false, Errc::kMissingData},
        ErrorCase{"event_empty", R"({"data": 1, "event": ""})", false, Errc::kInvalidEventName},
        ErrorCase{"event_65", R"({"data": 1, "event": ")" + std::string(65, 'e') + "\"}", false,
                  Errc::kInvalidEventName},
        ErrorCase{"event_space", R"({"data": 1, "event": "a b"})", false, Errc::kInvalidEventName},
        ErrorCase{"event_newline", R"({"data": 1, "event": "a\nb"})", false,
                  Errc::kInvalidEventName},
        ErrorCase{"event_reserved", R"({"data": 1, "event": "pushy.reset"})", false,
                  Errc::kInvalidEventName},
        ErrorCase{"event_not_string", R"({"data": 1, "event": 5})", false, Errc::kInvalidEventName},
        ErrorCase{"event_null", R"({"data": 1, "event": null})", true, Errc::kInvalidEventName},
        ErrorCase{"batch_channels_missing", R"({"data": 1})", true, Errc::kInvalidBody},
        ErrorCase{"batch_channels_empty", R"({"data": 1, "channels": []})", true,
                  Errc::kInvalidBody},
        ErrorCase{"batch_channels_string", R"({"data": 1, "channels": "a"})", true,
                  Errc::kInvalidBody},
        ErrorCase{"batch_channel_not_string", R"({"data": 1, "channels": ["a", 2]})", true,
                  Errc::kInvalidBody},
        ErrorCase{"batch_101", ManyChannels(kMaxBatchChannels + 1), true, Errc::kTooManyChannels},
        ErrorCase{"batch_pattern", R"({"data": 1, "channels": ["a", "news.*"]})", true,
                  Errc::kPatternNotPublishable},
        ErrorCase{"batch_globstar", R"({"data": 1, "channels": ["news.**"]})", true,
                  Errc::kPatternNotPublishable},
        ErrorCase{"batch_invalid_name", R"({"data": 1, "channels": ["a..b"]})", true,
                  Errc::kInvalidChannel},
        ErrorCase{"batch_empty_name", R"({"data": 1, "channels": [""]})", true,
                  Errc::kInvalidChannel},
        ErrorCase{"batch_bad_byte", R"({"data": 1, "channels": ["a/b"]})", true,
                  Errc::kInvalidChannel}),
    [](const auto& test_info) { return test_info.param.name; });

struct NameCase {
  std::string name;
  bool valid;
};

class IsValidEventNameTest : public ::testing::TestWithParam<NameCase> {};

TEST_P(IsValidEventNameTest, FollowsTheRules) {
  EXPECT_EQ(IsValidEventName(GetParam().name), GetParam().valid) << '"' << GetParam().name << '"';
}

INSTANTIATE_TEST_SUITE_P(
    Table, IsValidEventNameTest,
    ::testing::Values(NameCase{"message", true}, NameCase{"a", true}, NameCase{"Az09_.:-", true},
                      NameCase{std::string(64, 'x'), true}, NameCase{"pushy", true},
                      NameCase{"my.pushy.reset", true}, NameCase{"", false},
                      NameCase{std::string(65, 'x'), false}, NameCase{"a b", false},
                      NameCase{"a\tb", false}, NameCase{"a\nb", false}, NameCase{"a\rb", false},
                      NameCase{"a/b", false}, NameCase{"a\"b", false},
                      NameCase{"caf\xc3\xa9", false}, NameCase{std::string("a\0b", 3), false},
                      NameCase{"pushy.reset", false}, NameCase{"pushy.token_expiring", false},
                      NameCase{"pushy.anything", false}));

TEST(CheckPublishChannelTest, NamesPatternsAndInvalid) {
  EXPECT_FALSE(CheckPublishChannel("news"));
  EXPECT_FALSE(CheckPublishChannel("news.sports:live@x=1"));
  EXPECT_FALSE(CheckPublishChannel(std::string(255, 'a')));
  EXPECT_EQ(CheckPublishChannel("news.*"), Errc::kPatternNotPublishable);
  EXPECT_EQ(CheckPublishChannel("news.**"), Errc::kPatternNotPublishable);
  EXPECT_EQ(CheckPublishChannel("*"), Errc::kPatternNotPublishable);
  EXPECT_EQ(CheckPublishChannel(""), Errc::kInvalidChannel);
  EXPECT_EQ(CheckPublishChannel("a..b"), Errc::kInvalidChannel);
  EXPECT_EQ(CheckPublishChannel(".a"), Errc::kInvalidChannel);
  EXPECT_EQ(CheckPublishChannel("news*"), Errc::kInvalidChannel);
  EXPECT_EQ(CheckPublishChannel("**.a"), Errc::kInvalidChannel);
  EXPECT_EQ(CheckPublishChannel(std::string(256, 'a')), Errc::kInvalidChannel);
  EXPECT_EQ(CheckPublishChannel("a b"), Errc::kInvalidChannel);
}

}  // namespace
}  // namespace pushy::server
