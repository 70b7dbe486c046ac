#include "server/json_text.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <optional>
#include <string>

namespace pushy::server {
namespace {

struct MemberCase {
  std::string name;
  std::string object_text;
  std::optional<std::string> expected;  // CompactMemberText(object_text, "data")
};

class CompactMemberTextTest : public ::testing::TestWithParam<MemberCase> {};

TEST_P(CompactMemberTextTest, ReturnsTheMemberAsWrittenWithoutWhitespace) {
  const MemberCase& c = GetParam();
  // Every input is valid JSON: the function's precondition.
  boost::system::error_code ec;
  const auto parsed = boost::json::parse(c.object_text, ec);
  ASSERT_FALSE(ec) << c.object_text;
  const std::optional<std::string> got = CompactMemberText(c.object_text, "data");
  EXPECT_EQ(got, c.expected);
  if (got) {
    // The text is the same JSON value Boost.JSON kept for "data".
    const auto reparsed = boost::json::parse(*got, ec);
    ASSERT_FALSE(ec) << *got;
    EXPECT_EQ(reparsed, parsed.as_object().at("data"));
    EXPECT_EQ(got->find('\n'), std::string::npos);
  } else {
    EXPECT_FALSE(parsed.as_object().contains("data"));
  }
}

INSTANTIATE_TEST_SUITE_P(
    Table, CompactMemberTextTest,
    ::testing::Values(
        // Numbers keep their written form: Boost.JSON would print 1.50 as 1.5E0.
        MemberCase{"decimal", R"({"data": 1.50})", "1.50"},
        MemberCase{"exponent", R"({"data":1e3})", "1e3"},
        MemberCase{"negative_zero", R"({"data" : -0})", "-0"},
        MemberCase{"big_integer", R"({"data": 12345678901234567890123})",
                   "12345678901234567890123"},
        MemberCase{"number_last_no_space", R"({"a":1,"data":-1.5E-7})", "-1.5E-7"},
        MemberCase{"null", R"({"data": null})", "null"},
        MemberCase{"true", R"({"data":true })", "true"},
        MemberCase{"false", "{\"data\":\tfalse\n}", "false"},
        MemberCase{"string_with_spaces", R"({"data": "  two  spaces  "})", R"("  two  spaces  ")"},
        MemberCase{"string_escapes", R"({"data": "q\"uote \\ back\\\"slash \u00e9 \n"})",
                   R"("q\"uote \\ back\\\"slash \u00e9 \n")"},
        MemberCase{"string_with_structural_chars", R"({"data": "{ [ , : ] }"})",
                   R"("{ [ , : ] }")"},
        MemberCase{"array", "{\"data\": [ 1 ,\n 2.0 , \"a b\" , [ ] ]}", R"([1,2.0,"a b",[]])"},
        MemberCase{"object",
                   "{\n  \"data\" : {\n    \"k\" : [ { \"x\" : \"y z\" } ],\n"
                   "    \"e\" : { }\n  }\n}",
                   R"({"k":[{"x":"y z"}],"e":{}})"},
        MemberCase{"string_with_brace_inside_nested",
                   R"({"data": {"a": "}", "b": ["]", "\"}"]}, "x": 1})",
                   R"({"a":"}","b":["]","\"}"]})"},
        MemberCase{"nested_data_key_is_not_top_level", R"({"x": {"data": 1}, "data": 2})", "2"},
        MemberCase{"only_nested_data_key", R"({"x": {"data": 1}, "y": [{"data": 2}]})",
                   std::nullopt},
        MemberCase{"duplicate_key_last_wins", R"({"data": 1, "data": {"b": 2}})", R"({"b":2})"},
        MemberCase{"escaped_key", R"({"d\u0061ta": [1, 2]})", "[1,2]"},
        MemberCase{"escaped_key_then_plain", R"({"d\u0061ta": 1, "data": 2})", "2"},
        MemberCase{"plain_key_then_escaped", R"({"data": 1, "d\u0061ta": 2})", "2"},
        MemberCase{"similar_keys", R"({"dat": 1, "datum": 2, "data ": 3, "Data": 4})",
                   std::nullopt},
        MemberCase{"key_with_escaped_quote", R"({"a\"data": 1, "data": "v"})", R"("v")"},
        MemberCase{"missing", R"({"event": "x"})", std::nullopt},
        MemberCase{"empty_object", "{ }", std::nullopt},
        MemberCase{"leading_whitespace", " \r\n\t{\"data\":0}", "0"}),
    [](const auto& test_info) { return test_info.param.name; });

TEST(CompactMemberTextMiscTest, NonObjectHasNoMembers) {
  EXPECT_EQ(CompactMemberText("[1]", "data"), std::nullopt);
  EXPECT_EQ(CompactMemberText(R"("data")", "data"), std::nullopt);
  EXPECT_EQ(CompactMemberText("", "data"), std::nullopt);
}

TEST(CompactMemberTextMiscTest, FindsAnyKey) {
  const std::string text = R"({"event": "e", "channels": [ "a" , "b" ], "data": 1})";
  EXPECT_EQ(CompactMemberText(text, "event"), R"("e")");
  EXPECT_EQ(CompactMemberText(text, "channels"), R"(["a","b"])");
  EXPECT_EQ(CompactMemberText(text, ""), std::nullopt);
}

TEST(CompactMemberTextMiscTest, DuplicateKeysAgreeWithBoostJson) {
  // The contract point is "the value Boost.JSON keeps", whatever its rule.
  const std::string text = R"({"data": "first", "data": "second"})";
  const auto parsed = boost::json::parse(text);
  EXPECT_EQ(CompactMemberText(text, "data"), boost::json::serialize(parsed.at("data")));
}

struct CompactCase {
  std::string name;
  std::string input;
  std::string expected;
};

class CompactJsonTest : public ::testing::TestWithParam<CompactCase> {};

TEST_P(CompactJsonTest, RemovesOnlyWhitespaceOutsideStrings) {
  EXPECT_EQ(CompactJson(GetParam().input), GetParam().expected);
}

INSTANTIATE_TEST_SUITE_P(
    Table, CompactJsonTest,
    ::testing::Values(
        CompactCase{"already_compact", R"({"a":[1,2]})", R"({"a":[1,2]})"},
        CompactCase{"all_whitespace_kinds", "{ \"a\" :\t[ 1 ,\r\n 2 ] }", R"({"a":[1,2]})"},
        CompactCase{"string_keeps_spaces", R"([ "a  b" , " " ])", R"(["a  b"," "])"},
        CompactCase{"escaped_quote_then_space", R"([ "a\" b" , "c\\" , "d" ])",
                    R"(["a\" b","c\\","d"])"},
        CompactCase{"unicode_escape", R"( "\u0020 \ud83d\ude00" )", R"("\u0020 \ud83d\ude00")"},
        CompactCase{"utf8_bytes", "[ \"h\xc3\xa9llo w\xc3\xb6rld\" ]",
                    "[\"h\xc3\xa9llo w\xc3\xb6rld\"]"},
        CompactCase{"numbers_untouched", "[ 1.50 , 1e3 , -0 , 1E+2 ]", "[1.50,1e3,-0,1E+2]"},
        CompactCase{"scalar", "  true  ", "true"}),
    [](const auto& test_info) { return test_info.param.name; });

}  // namespace
}  // namespace pushy::server
