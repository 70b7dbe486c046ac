// Tokens Pushy mints and tokens minted elsewhere that it must accept.
#include "auth/jwt.h"

#include <gtest/gtest.h>

#include <string>

#include "token_test_util.h"

namespace pushy::auth {
namespace {

using testing::kKey;
using testing::kNow;
using testing::SignPayload;
using testing::SignRaw;

// Both golden tokens were computed once with Python's standard library, independently of this
// code, and pasted here:
//
//   import base64, hashlib, hmac, json
//   def b64(b): return base64.urlsafe_b64encode(b).rstrip(b"=").decode()
//   def sign(header, payload, key):
//       signing_input = b64(header.encode()) + "." + b64(payload.encode())
//       mac = hmac.new(key, signing_input.encode(), hashlib.sha512).digest()
//       return signing_input + "." + b64(mac)
//   key = b"pushy-golden-key-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFGHIJ"
//   compact = dict(separators=(",", ":"))
//   header = json.dumps({"alg": "HS512", "typ": "JWT"}, **compact)
//   payload = json.dumps({"sub": "user-42", "channels": ["news.*", "chat.room-1", "alerts.**"],
//                         "meta": {"name": "Ada \"L\"", "roles": ["admin", "ops"], "n": 7,
//                                  "ok": True, "nested": {"x": None}},
//                         "iat": 1700000000, "exp": 1700003600}, **compact)
//   print(sign(header, payload, key))                         # kGoldenToken
//   header2 = json.dumps({"typ": "JWT", "alg": "HS512"}, indent=2)
//   payload2 = json.dumps({"iss": "elsewhere", "exp": 1700003600, "channels": ["a.b", "c.**"],
//                          "nbf": 1700000000, "meta": {"z": 1, "a": [True, "x"]}, "sub": "svc",
//                          "iat": 1699999990})
//   print(sign(header2, payload2, key))                       # kForeignGoldenToken
constexpr std::string_view kGoldenToken =
    "eyJhbGciOiJIUzUxMiIsInR5cCI6IkpXVCJ9."
    "eyJzdWIiOiJ1c2VyLTQyIiwiY2hhbm5lbHMiOlsibmV3cy4qIiwiY2hhdC5yb29tLTEiLCJhbGVydHMuKioiXSwibWV0"
    "YSI6eyJuYW1lIjoiQWRhIFwiTFwiIiwicm9sZXMiOlsiYWRtaW4iLCJvcHMiXSwibiI6Nywib2siOnRydWUsIm5lc3Rl"
    "ZCI6eyJ4IjpudWxsfX0sImlhdCI6MTcwMDAwMDAwMCwiZXhwIjoxNzAwMDAzNjAwfQ."
    "nVLF46DNCaWvswY-lFjob76UeD2vyP7gpJmrkxferzMT1cFy81r_DTB_xhiGb6nfUjrxjE9Qnr3LPBPDGEJsXw";
constexpr std::string_view kForeignGoldenToken =
    "ewogICJ0eXAiOiAiSldUIiwKICAiYWxnIjogIkhTNTEyIgp9."
    "eyJpc3MiOiAiZWxzZXdoZXJlIiwgImV4cCI6IDE3MDAwMDM2MDAsICJjaGFubmVscyI6IFsiYS5iIiwgImMuKioiXSwg"
    "Im5iZiI6IDE3MDAwMDAwMDAsICJtZXRhIjogeyJ6IjogMSwgImEiOiBbdHJ1ZSwgIngiXX0sICJzdWIiOiAic3ZjIiwg"
    "ImlhdCI6IDE2OTk5OTk5OTB9."
    "mhEv1NhWQ6-KnBVe0sLJatJ_j5NhXCx1A-LmaYqJYQ2L8y6qNcvm4L50Jze2-UaX2X_nI9nxYSEaDlwhrK2yyQ";

Claims GoldenClaims() {
  Claims claims;
  claims.sub = "user-42";
  claims.channels = {"news.*", "chat.room-1", "alerts.**"};
  // Deliberately not compact: MintToken re-serializes it.
  claims.meta_json = R"({ "name": "Ada \"L\"", "roles": ["admin", "ops"], "n": 7, "ok": true, )"
                     R"("nested": {"x": null} })";
  claims.iat = 1'700'000'000;
  claims.exp = 1'700'003'600;
  return claims;
}

TEST(MintTokenTest, MatchesIndependentlyComputedGoldenToken) {
  EXPECT_EQ(MintToken(GoldenClaims(), kKey), kGoldenToken);
}

TEST(VerifyTokenTest, AcceptsGoldenToken) {
  const Result<Claims> claims = VerifyToken(kGoldenToken, kKey, kNow);
  ASSERT_TRUE(claims.has_value()) << claims.error().message();
  EXPECT_EQ(claims->sub, "user-42");
  EXPECT_EQ(claims->channels, (std::vector<std::string>{"news.*", "chat.room-1", "alerts.**"}));
  EXPECT_EQ(claims->meta_json,
            R"({"name":"Ada \"L\"","roles":["admin","ops"],"n":7,"ok":true,"nested":{"x":null}})");
  EXPECT_EQ(claims->iat, 1'700'000'000);
  EXPECT_EQ(claims->exp, 1'700'003'600);
  EXPECT_EQ(claims->nbf, std::nullopt);
}

TEST(VerifyTokenTest, AcceptsTokenFormattedByAnotherLibrary) {
  const Result<Claims> claims = VerifyToken(kForeignGoldenToken, kKey, kNow);
  ASSERT_TRUE(claims.has_value()) << claims.error().message();
  EXPECT_EQ(claims->sub, "svc");
  EXPECT_EQ(claims->channels, (std::vector<std::string>{"a.b", "c.**"}));
  EXPECT_EQ(claims->meta_json, R"({"z":1,"a":[true,"x"]})");  // compact, order kept
  EXPECT_EQ(claims->iat, 1'699'999'990);
  EXPECT_EQ(claims->exp, 1'700'003'600);
  EXPECT_EQ(claims->nbf, 1'700'000'000);
}

TEST(MintTokenTest, RoundTripsOptionalClaims) {
  Claims in;
  in.sub = "u";
  in.channels = {"a", "b.*", "\xc3\xa9t\xc3\xa9", "with \"quote\" and \\"};
  in.nbf = kNow - 5;
  const std::string token = MintToken(in, kKey);
  const Result<Claims> out = VerifyToken(token, kKey, kNow);
  ASSERT_TRUE(out.has_value()) << out.error().message();
  EXPECT_EQ(out->sub, in.sub);
  EXPECT_EQ(out->channels, in.channels);
  EXPECT_EQ(out->meta_json, std::nullopt);
  EXPECT_EQ(out->iat, std::nullopt);
  EXPECT_EQ(out->exp, std::nullopt);  // exp is optional on verification
  EXPECT_EQ(out->nbf, in.nbf);
}

TEST(MintTokenTest, EmitsFixedHeaderAndKeyOrder) {
  Claims in = GoldenClaims();
  in.meta_json = R"({"k":"v"})";
  in.nbf = 1;
  const std::string token = MintToken(in, kKey);
  const std::size_t dot = token.find('.');
  EXPECT_EQ(Base64UrlDecode(token.substr(0, dot)), R"({"alg":"HS512","typ":"JWT"})");
  const std::size_t dot2 = token.find('.', dot + 1);
  EXPECT_EQ(Base64UrlDecode(token.substr(dot + 1, dot2 - dot - 1)),
            R"({"sub":"user-42","channels":["news.*","chat.room-1","alerts.**"],)"
            R"("meta":{"k":"v"},"iat":1700000000,"exp":1700003600,"nbf":1})");
}

TEST(MintTokenTest, DiesOnEmptySubjectInDebugBuilds) {
  Claims in;
  in.channels = {"a"};
  EXPECT_DEBUG_DEATH(MintToken(in, kKey), "subject");
}

TEST(VerifyTokenTest, AcceptsEmptyChannelsAsGrantingNothing) {
  const Result<Claims> claims = VerifyToken(SignPayload(R"({"sub":"x","channels":[]})"), kKey, 0);
  ASSERT_TRUE(claims.has_value()) << claims.error().message();
  EXPECT_TRUE(claims->channels.empty());
}

TEST(VerifyTokenTest, AcceptsHeaderVariantsOtherLibrariesWrite) {
  const std::string payload = R"({"channels":["a"]})";
  for (const char* header :
       {R"({"alg":"HS512"})", R"({"alg":"HS512","typ":"jwt"})",
        R"({"typ":"Jwt","alg":"HS512","kid":"k1"})", "\t{ \"alg\" : \"HS512\" }\n"}) {
    EXPECT_TRUE(VerifyToken(SignRaw(header, payload), kKey, kNow).has_value()) << header;
  }
}

TEST(VerifyTokenTest, AcceptsIntegralNumbersInAnySpelling) {
  struct Case {
    const char* exp;
    std::int64_t value;
  } const cases[] = {{"1700000001", 1'700'000'001},
                     {"1700000001.0", 1'700'000'001},
                     {"1.700000001e9", 1'700'000'001},
                     {"17000000010E-1", 1'700'000'001},
                     {"9223372036854775807", INT64_MAX}};
  for (const Case& c : cases) {
    const std::string payload = std::string(R"({"channels":[],"exp":)") + c.exp + "}";
    const Result<Claims> claims = VerifyToken(SignPayload(payload), kKey, kNow);
    ASSERT_TRUE(claims.has_value()) << c.exp;
    EXPECT_EQ(claims->exp, c.value) << c.exp;
  }
}

TEST(VerifyTokenTest, IgnoresUnknownClaimsAndMissingSubject) {
  const Result<Claims> claims = VerifyToken(
      SignPayload(R"({"iss":"x","aud":["y"],"jti":1,"channels":["a"],"extra":{"deep":[1]}})"), kKey,
      kNow);
  ASSERT_TRUE(claims.has_value());
  EXPECT_EQ(claims->sub, "");
  EXPECT_EQ(claims->channels, std::vector<std::string>{"a"});
}

TEST(VerifyTokenTest, KeepsTheLastOfDuplicateClaims) {
  // RFC 7519 §4 allows either rejecting duplicates or taking the lexically last one.
  const Result<Claims> claims =
      VerifyToken(SignPayload(R"({"channels":["first"],"channels":["last"]})"), kKey, kNow);
  ASSERT_TRUE(claims.has_value());
  EXPECT_EQ(claims->channels, std::vector<std::string>{"last"});
}

TEST(VerifyTokenTest, WorksWithAnEmptyKey) {
  Claims in;
  in.sub = "s";
  const std::string token = MintToken(in, "");
  EXPECT_EQ(token, SignRaw(testing::kHs512Header, R"({"sub":"s","channels":[]})", ""));
  EXPECT_TRUE(VerifyToken(token, "", kNow).has_value());
  EXPECT_FALSE(VerifyToken(token, kKey, kNow).has_value());
}

}  // namespace
}  // namespace pushy::auth
