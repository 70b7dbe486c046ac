// Every way a token must be refused, and which error says why.
#include <gtest/gtest.h>

#include <string>

#include "auth/jwt.h"
#include "token_test_util.h"

namespace pushy::auth {
namespace {

using namespace std::string_literals;
using boost::system::error_code;
using testing::Assemble;
using testing::kHs512Header;
using testing::kKey;
using testing::kNow;
using testing::SignPayload;
using testing::SignRaw;

constexpr std::string_view kGoodPayload = R"({"sub":"u","channels":["a.*"],"exp":1700000100})";

error_code ErrorOf(std::string_view token, std::int64_t now = kNow) {
  const Result<Claims> claims = VerifyToken(token, kKey, now);
  return claims.has_value() ? error_code{} : claims.error();
}

std::string GoodToken() { return SignPayload(kGoodPayload); }

TEST(VerifyRejectTest, GoodTokenIsTheBaseline) { EXPECT_EQ(ErrorOf(GoodToken()), error_code{}); }

TEST(VerifyRejectTest, RejectsAnyAlgorithmButHs512) {
  for (const char* header :
       {R"({"alg":"none","typ":"JWT"})", R"({"alg":"None"})", R"({"alg":"NONE"})",
        R"({"alg":"HS256","typ":"JWT"})", R"({"alg":"HS384"})", R"({"alg":"RS256"})",
        R"({"alg":"RS512"})", R"({"alg":"ES512"})", R"({"alg":"hs512"})", R"({"alg":"HS512 "})",
        R"({"alg":""})", R"({"typ":"JWT"})", R"({})", R"({"alg":null})", R"({"alg":512})",
        R"({"alg":["HS512"]})", R"({"alg":{"name":"HS512"}})", R"({"ALG":"HS512"})"}) {
    // Correctly signed with HS512 anyway: the header alone must decide.
    EXPECT_EQ(ErrorOf(SignRaw(header, kGoodPayload)), Errc::kTokenAlgorithm) << header;
  }
  // The classic unsigned token: alg none and an empty signature.
  EXPECT_EQ(ErrorOf(Assemble(R"({"alg":"none"})", kGoodPayload, "")), Errc::kTokenAlgorithm);
}

TEST(VerifyRejectTest, RejectsMalformedHeaders) {
  for (const std::string& header :
       {R"({"alg":"HS512","typ":"JWS"})"s, R"({"alg":"HS512","typ":""})"s,
        R"({"alg":"HS512","typ":null})"s, R"({"alg":"HS512","typ":1})"s,
        R"({"alg":"HS512","crit":["exp"]})"s, R"({"alg":"HS512","b64":false,"crit":["b64"]})"s,
        R"(["alg","HS512"])"s, R"("HS512")"s, "null"s, R"({"alg":"HS512")"s, R"({"alg":"HS512"}x)"s,
        R"({"alg":"HS512",})"s, R"({"alg":"HS512"/**/})"s, "{\"alg\":\"HS512\",\"x\":\"\xff\"}"s,
        "{\"alg\":\"HS512\"}\0"s, std::string(100, '[') + std::string(100, ']')}) {
    EXPECT_EQ(ErrorOf(SignRaw(header, kGoodPayload)), Errc::kTokenMalformed) << header;
  }
}

TEST(VerifyRejectTest, RejectsWrongSegmentCounts) {
  const std::string good = GoodToken();
  const std::string header = good.substr(0, good.find('.'));
  const std::string header_payload = good.substr(0, good.rfind('.'));
  const std::string signature = good.substr(good.rfind('.') + 1);
  const std::string payload = header_payload.substr(header.size() + 1);
  for (const std::string& token :
       {""s, "."s, ".."s, "..."s, header, header + ".", header_payload, good + ".", "." + good,
        good + ".AAAA", header + "." + header_payload + "." + signature, header + ".." + signature,
        "." + payload + "." + signature, ".." + signature}) {
    EXPECT_EQ(ErrorOf(token), Errc::kTokenMalformed) << token;
  }
}

TEST(VerifyRejectTest, RejectsBytesOutsideBase64Url) {
  const std::string good = GoodToken();
  const std::size_t dot1 = good.find('.');
  const std::size_t dot2 = good.rfind('.');
  // A position inside each segment, including the very first and last bytes.
  for (const std::size_t at : {std::size_t{0}, dot1 / 2, dot1 - 1, dot1 + 1, (dot1 + dot2) / 2,
                               dot2 - 1, dot2 + 1, good.size() - 1}) {
    for (const char c : {'+', '/', '=', ' ', '\0', '\x80', '\xff', '\n', '"'}) {
      std::string replaced = good;
      replaced[at] = c;
      EXPECT_EQ(ErrorOf(replaced), Errc::kTokenMalformed) << at << " " << int{c};
      std::string inserted = good;
      inserted.insert(at, 1, c);
      EXPECT_EQ(ErrorOf(inserted), Errc::kTokenMalformed) << at << " " << int{c};
    }
  }
  // Standard padding, as a careless encoder would leave it.
  std::string padded = good;
  padded.insert(dot2, "==");
  EXPECT_EQ(ErrorOf(padded), Errc::kTokenMalformed);
  EXPECT_EQ(ErrorOf(good + "=="), Errc::kTokenMalformed);
  EXPECT_EQ(ErrorOf(" " + good), Errc::kTokenMalformed);
  EXPECT_EQ(ErrorOf(good + "\n"), Errc::kTokenMalformed);
}

TEST(VerifyRejectTest, RejectsEverySingleBitFlip) {
  const std::string good = GoodToken();
  for (std::size_t i = 0; i < good.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string flipped = good;
      flipped[i] = static_cast<char>(flipped[i] ^ (1 << bit));
      EXPECT_NE(ErrorOf(flipped), error_code{}) << "byte " << i << " bit " << bit;
    }
  }
}

TEST(VerifyRejectTest, RejectsEveryTruncationAndExtension) {
  const std::string good = GoodToken();
  for (std::size_t length = 0; length < good.size(); ++length) {
    EXPECT_NE(ErrorOf(good.substr(0, length)), error_code{}) << length;
  }
  for (const char c : {'A', 'g', 'Q', '-', '_'}) EXPECT_NE(ErrorOf(good + c), error_code{}) << c;
}

TEST(VerifyRejectTest, RejectsBadSignatures) {
  const std::string good = GoodToken();
  const std::string signing_input = good.substr(0, good.rfind('.'));
  const std::string mac = testing::Mac(kKey, signing_input);
  for (const std::string& signature :
       {""s, mac.substr(0, 63), mac + "\0"s, mac + mac, std::string(64, '\0'),
        testing::Mac("other key", signing_input), testing::Mac(kKey, signing_input + "x"),
        testing::Mac(kKey.substr(1), signing_input)}) {
    EXPECT_EQ(ErrorOf(signing_input + "." + Base64UrlEncode(signature)), Errc::kTokenSignature)
        << signature.size();
  }
}

TEST(VerifyRejectTest, RejectsTokensSignedWithAnotherKey) {
  Claims claims;
  claims.sub = "u";
  claims.channels = {"a"};
  for (const std::string_view key : {"", "k", "pushy-golden-key", "PUSHY-GOLDEN-KEY-0123456789"}) {
    EXPECT_EQ(ErrorOf(MintToken(claims, key)), Errc::kTokenSignature) << key;
  }
  EXPECT_EQ(VerifyToken(MintToken(claims, kKey), "wrong", kNow).error(), Errc::kTokenSignature);
}

TEST(VerifyRejectTest, ChecksSignatureBeforeReadingThePayload) {
  for (const char* payload : {"not json", R"({"channels":"x"})", R"({"channels":[],"exp":1})"}) {
    EXPECT_EQ(ErrorOf(SignRaw(kHs512Header, payload, "wrong key")), Errc::kTokenSignature)
        << payload;
  }
}

TEST(VerifyRejectTest, RejectsPayloadsThatAreNotJsonObjects) {
  for (const std::string& payload :
       {""s, "[]"s, R"(["channels"])"s, "\"x\""s, "1"s, "null"s, "{"s, R"({"channels":[]} x)"s,
        R"({"channels":[],})"s, "{\"channels\":[\"\xff\"]}"s, "{\"channels\":[\"\xc3\"]}"s,
        R"({'channels':[]})"s, "{\"channels\":[]}\0"s}) {
    EXPECT_EQ(ErrorOf(SignPayload(payload)), Errc::kTokenMalformed) << payload;
  }
}

TEST(VerifyRejectTest, RejectsDeepNestingWithoutCrashing) {
  for (const std::size_t depth : {kMaxTokenJsonDepth, std::size_t{100}, std::size_t{3000}}) {
    const std::string nested = std::string(depth, '[') + std::string(depth, ']');
    // Inside "meta" the payload object adds one level: this is one past the limit.
    const std::string payload = R"({"channels":[],"meta":{"x":)" + nested + "}}";
    EXPECT_EQ(ErrorOf(SignPayload(payload)), Errc::kTokenMalformed) << depth;
    EXPECT_EQ(ErrorOf(SignRaw(nested, kGoodPayload)), Errc::kTokenMalformed) << depth;
  }
  // One level less fits.
  const std::size_t fits = kMaxTokenJsonDepth - 2;
  const std::string nested = std::string(fits, '[') + std::string(fits, ']');
  const Result<Claims> claims =
      VerifyToken(SignPayload(R"({"channels":[],"meta":{"x":)" + nested + "}}"), kKey, kNow);
  ASSERT_TRUE(claims.has_value()) << claims.error().message();
  EXPECT_EQ(claims->meta_json, R"({"x":)" + nested + "}");
}

TEST(VerifyRejectTest, RejectsBadClaims) {
  for (const char* payload : {R"({"sub":"u"})",
                              R"({"channels":null})",
                              R"({"channels":"a.*"})",
                              R"({"channels":{}})",
                              R"({"channels":1})",
                              R"({"channels":true})",
                              R"({"channels":[1]})",
                              R"({"channels":["a",null]})",
                              R"({"channels":[["a"]]})",
                              R"({"channels":[{"a":1}]})",
                              R"({"Channels":["a"]})",
                              R"({"channels":["a"],"sub":5})",
                              R"({"channels":["a"],"sub":null})",
                              R"({"channels":["a"],"sub":["u"]})",
                              R"({"channels":["a"],"meta":"x"})",
                              R"({"channels":["a"],"meta":[1]})",
                              R"({"channels":["a"],"meta":null})",
                              R"({"channels":["a"],"exp":"1700000100"})",
                              R"({"channels":["a"],"exp":1700000100.5})",
                              R"({"channels":["a"],"exp":true})",
                              R"({"channels":["a"],"exp":null})",
                              R"({"channels":["a"],"exp":[1700000100]})",
                              R"({"channels":["a"],"exp":1e300})",
                              R"({"channels":["a"],"exp":9223372036854775808})",
                              R"({"channels":["a"],"exp":18446744073709551615})",
                              R"({"channels":["a"],"exp":99999999999999999999999})",
                              R"({"channels":["a"],"nbf":"0"})",
                              R"({"channels":["a"],"nbf":0.25})",
                              R"({"channels":["a"],"iat":{}})",
                              R"({"channels":["a"],"iat":-1e19})"}) {
    EXPECT_EQ(ErrorOf(SignPayload(payload)), Errc::kTokenClaims) << payload;
  }
}

TEST(VerifyRejectTest, EnforcesExpAndNbfBoundaries) {
  const auto with = [](const std::string& claims) {
    return SignPayload(R"({"channels":["a"],)" + claims + "}");
  };
  const std::string now = std::to_string(kNow);
  const std::string next = std::to_string(kNow + 1);
  EXPECT_EQ(ErrorOf(with(R"("exp":)" + now)), Errc::kTokenExpired);  // exp is exclusive
  EXPECT_EQ(ErrorOf(with(R"("exp":)" + next)), error_code{});
  EXPECT_EQ(ErrorOf(with(R"("exp":0)")), Errc::kTokenExpired);
  EXPECT_EQ(ErrorOf(with(R"("exp":-1)")), Errc::kTokenExpired);
  EXPECT_EQ(ErrorOf(with(R"("nbf":)" + now)), error_code{});  // nbf is inclusive
  EXPECT_EQ(ErrorOf(with(R"("nbf":)" + next)), Errc::kTokenNotYetValid);
  EXPECT_EQ(ErrorOf(with(R"("nbf":)" + now + R"(,"exp":)" + next)), error_code{});
  // The same token moves through its life as the clock does.
  const std::string token = with(R"("nbf":100,"exp":200)");
  EXPECT_EQ(ErrorOf(token, 99), Errc::kTokenNotYetValid);
  EXPECT_EQ(ErrorOf(token, 100), error_code{});
  EXPECT_EQ(ErrorOf(token, 199), error_code{});
  EXPECT_EQ(ErrorOf(token, 200), Errc::kTokenExpired);
  EXPECT_EQ(ErrorOf(with(R"("exp":9223372036854775807)"), INT64_MAX), Errc::kTokenExpired);
}

TEST(VerifyRejectTest, RejectsOversizedTokensBeforeLookingAtThem) {
  // Pad a validly signed token to exactly the limit, then one byte past it. Base64url never has
  // a length of 4n+1, so vary the header length too to reach every total.
  std::string at_limit;
  std::string over_limit;
  const std::size_t start = kMaxTokenBytes * 3 / 4 - 200;
  for (std::size_t pad = start; pad < start + 100; ++pad) {
    for (const char* header :
         {R"({"alg":"HS512"})", R"({"alg":"HS512" })", R"({"alg":"HS512"  })"}) {
      const std::string token =
          SignRaw(header, R"({"channels":[],"x":")" + std::string(pad, 'p') + "\"}");
      if (token.size() == kMaxTokenBytes) at_limit = token;
      if (token.size() == kMaxTokenBytes + 1) over_limit = token;
    }
  }
  ASSERT_EQ(at_limit.size(), kMaxTokenBytes);
  ASSERT_EQ(over_limit.size(), kMaxTokenBytes + 1);
  EXPECT_EQ(ErrorOf(at_limit), error_code{});
  EXPECT_EQ(ErrorOf(over_limit), Errc::kTokenMalformed);
  EXPECT_EQ(ErrorOf(std::string(1 << 20, 'A')), Errc::kTokenMalformed);
}

}  // namespace
}  // namespace pushy::auth
