#pragma once

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <string>
#include <string_view>

#include "auth/base64url.h"

namespace pushy::auth::testing {

inline constexpr std::string_view kKey =
    "pushy-golden-key-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFGHIJ";
inline constexpr std::int64_t kNow = 1'700'000'000;
inline constexpr std::string_view kHs512Header = R"({"alg":"HS512","typ":"JWT"})";

// Builds "<b64 header>.<b64 payload>.<b64 signature>" from raw texts.
inline std::string Assemble(std::string_view header_json, std::string_view payload_json,
                            std::string_view signature) {
  return Base64UrlEncode(header_json) + '.' + Base64UrlEncode(payload_json) + '.' +
         Base64UrlEncode(signature);
}

// HMAC-SHA512 straight from OpenSSL, independent of the code under test.
inline std::string Mac(std::string_view key, std::string_view data) {
  unsigned char mac[64];
  unsigned int size = 0;
  HMAC(EVP_sha512(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &size);
  return {reinterpret_cast<const char*>(mac), size};
}

// A correctly signed token with arbitrary header and payload text, to reach the checks that
// run after the signature.
inline std::string SignRaw(std::string_view header_json, std::string_view payload_json,
                           std::string_view key = kKey) {
  const std::string signing_input =
      Base64UrlEncode(header_json) + '.' + Base64UrlEncode(payload_json);
  return signing_input + '.' + Base64UrlEncode(Mac(key, signing_input));
}

inline std::string SignPayload(std::string_view payload_json) {
  return SignRaw(kHs512Header, payload_json);
}

}  // namespace pushy::auth::testing
