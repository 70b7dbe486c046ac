// libFuzzer target for auth::VerifyToken. Random bytes almost never carry a valid HMAC, so the
// first input byte picks how far in the fuzzer starts:
//   0: the input is the whole token (splitting, base64url, header JSON, signature check);
//   1: the input is "<header>.<payload>" in base64url, signed here with the fuzz key;
//   2: the input is the payload JSON text, wrapped in a valid HS512 header and signed here.
// Any accepted token must survive MintToken -> VerifyToken with the same claims.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "auth/base64url.h"
#include "auth/hs512.h"
#include "auth/jwt.h"

namespace {

constexpr std::string_view kKey = "fuzz-key-0123456789";
constexpr std::int64_t kNow = 1'700'000'000;

std::string Sign(std::string signing_input) {
  const auto mac = pushy::auth::Hs512(kKey, signing_input);
  if (!mac) std::abort();
  signing_input += '.';
  signing_input +=
      pushy::auth::Base64UrlEncode({reinterpret_cast<const char*>(mac->data()), mac->size()});
  return signing_input;
}

std::string TokenFor(std::uint8_t mode, std::string_view rest) {
  switch (mode % 3) {
    case 0:
      return std::string(rest);
    case 1:
      return Sign(std::string(rest));
    default:
      return Sign(pushy::auth::Base64UrlEncode(R"({"alg":"HS512","typ":"JWT"})") + '.' +
                  pushy::auth::Base64UrlEncode(rest));
  }
}

void CheckRoundTrip(const pushy::auth::Claims& claims) {
  if (claims.sub.empty()) return;  // MintToken requires a subject
  const std::string token = pushy::auth::MintToken(claims, kKey);
  // Our spelling (fixed header, Boost's number format) can be longer than the input's.
  if (token.size() > pushy::auth::kMaxTokenBytes) return;
  const auto again = pushy::auth::VerifyToken(token, kKey, kNow);
  if (!again || again->sub != claims.sub || again->channels != claims.channels ||
      again->meta_json != claims.meta_json || again->iat != claims.iat ||
      again->exp != claims.exp || again->nbf != claims.nbf) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::string token = TokenFor(data[0], rest);
  const auto claims = pushy::auth::VerifyToken(token, kKey, kNow);
  if (claims) CheckRoundTrip(*claims);
  return 0;
}
