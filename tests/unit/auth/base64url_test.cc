#include "auth/base64url.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace pushy::auth {
namespace {

using namespace std::string_literals;
using namespace std::string_view_literals;

constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

struct Vector {
  std::string_view bytes;
  std::string_view text;
};

// RFC 4648 §10 vectors without padding, plus bytes that land on '-', '_' and NUL.
constexpr Vector kVectors[] = {
    {"", ""},
    {"f", "Zg"},
    {"fo", "Zm8"},
    {"foo", "Zm9v"},
    {"foob", "Zm9vYg"},
    {"fooba", "Zm9vYmE"},
    {"foobar", "Zm9vYmFy"},
    {"\xfb\xef\xbe", "----"},
    {"\xff\xff\xff", "____"},
    {"\xfb\xff", "-_8"},
    {"\0\0\0"sv, "AAAA"},
    {"\0"sv, "AA"},
    {R"({"alg":"HS512","typ":"JWT"})", "eyJhbGciOiJIUzUxMiIsInR5cCI6IkpXVCJ9"},
};

TEST(Base64UrlTest, EncodesKnownVectors) {
  for (const Vector& v : kVectors) EXPECT_EQ(Base64UrlEncode(v.bytes), v.text) << v.text;
}

TEST(Base64UrlTest, DecodesKnownVectors) {
  for (const Vector& v : kVectors) EXPECT_EQ(Base64UrlDecode(v.text), v.bytes) << v.text;
}

TEST(Base64UrlTest, RoundTripsEveryByteAtEveryLength) {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  for (std::size_t length = 0; length <= all.size(); ++length) {
    const std::string bytes = all.substr(all.size() - length);
    const std::string text = Base64UrlEncode(bytes);
    EXPECT_EQ(text.size(), (length * 4 + 2) / 3);
    EXPECT_EQ(text.find_first_not_of(kAlphabet), std::string::npos);
    EXPECT_EQ(Base64UrlDecode(text), bytes) << length;
  }
}

TEST(Base64UrlTest, RejectsAnythingButTheCanonicalUnpaddedForm) {
  const std::string bad[] = {
      "Zg==",      // padding
      "Zg=",       // partial padding
      "Zm9v=",     // padding after a full group
      "Zm+v",      // standard alphabet
      "Zm/v",      // standard alphabet
      "Zm9 v",     // space
      " Zm9v",     // leading space
      "Zm9v\n",    // newline
      "Zm9v\r\n",  // CRLF
      "Zm\0v"s,    // NUL
      "Zm\x80v",   // non-ASCII
      "Zm\xffv",   // non-ASCII
      "Zm9.v",     // dot
      "Z",         // 4n+1 characters
      "Zm9vY",     // 4n+1 characters
      "A",         // 4n+1 characters, even though the stray bits are zero
      "Zm9vA",     // 4n+1 characters, even though the stray bits are zero
      "Zh",        // unused bits set: "Zg" is the only encoding of "f"
      "Zm9",       // unused bits set: "Zm8" is the only encoding of "fo"
      "-_9",       // unused bits set
  };
  for (const std::string& text : bad) EXPECT_FALSE(Base64UrlDecode(text).has_value()) << text;
}

TEST(Base64UrlTest, AcceptsExactlyTheAlphabet) {
  for (int c = 0; c < 256; ++c) {
    const std::string text = "AAA" + std::string(1, static_cast<char>(c));
    const bool in_alphabet = kAlphabet.find(static_cast<char>(c)) != std::string_view::npos;
    EXPECT_EQ(Base64UrlDecode(text).has_value(), in_alphabet) << c;
  }
}

TEST(Base64UrlTest, LastCharacterMustLeaveUnusedBitsZero) {
  for (std::size_t i = 0; i < kAlphabet.size(); ++i) {
    const char c = kAlphabet[i];
    // Two characters carry one byte and 4 spare bits; three carry two bytes and 2 spare bits.
    EXPECT_EQ(Base64UrlDecode(std::string("A") + c).has_value(), i % 16 == 0) << c;
    EXPECT_EQ(Base64UrlDecode(std::string("AA") + c).has_value(), i % 4 == 0) << c;
    EXPECT_TRUE(Base64UrlDecode(std::string("AAA") + c).has_value()) << c;
  }
}

}  // namespace
}  // namespace pushy::auth
