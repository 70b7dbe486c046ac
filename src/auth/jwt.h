#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace pushy::auth {

// HS512 JSON Web Tokens (RFC 7519) as Pushy issues and accepts them. Every function here is pure
// (the time is passed in), so any thread may call it. Tokens and keys are never logged.

// Longer tokens are rejected before any decoding, so hostile input costs little.
inline constexpr std::size_t kMaxTokenBytes = std::size_t{8} * 1024;
// JSON nesting allowed in a token's header and payload (the "meta" object included).
inline constexpr std::size_t kMaxTokenJsonDepth = 32;

// The claims Pushy reads from a token; other claims (iss, aud, jti, ...) are ignored.
struct Claims {
  std::string sub;                    // required (non-empty) when minting; "" if a token lacks it
  std::vector<std::string> channels;  // grant entries (names/patterns), kept as given
  std::optional<std::string> meta_json;  // compact JSON text of the "meta" object, when present
  std::optional<std::int64_t> iat, exp, nbf;  // seconds since the Unix epoch
};

// Signs `claims` with `key`. The header is exactly {"alg":"HS512","typ":"JWT"}; the payload is
// compact JSON with keys in the order sub, channels, meta, iat, exp, nbf, the optional ones only
// when set. Preconditions (asserted): `sub` is non-empty and `meta_json`, when set, is the text
// of a JSON object (it is re-serialized compactly and embedded as an object, not a string).
// Nothing bounds the result: a token longer than kMaxTokenBytes will not verify, so callers that
// take claims from a request must check the size of what they mint.
std::string MintToken(const Claims& claims, std::string_view key);

// Accepts a token only when it is three base64url segments, its header says alg HS512 (and typ
// JWT, if present), its HMAC-SHA512 matches `key`, and its claims are well formed and current at
// `now_seconds`: exp, when present, is after now; nbf, when present, is not after now. An empty
// "channels" array is valid (it grants nothing). Errors, checked in this order:
//   kTokenMalformed   over kMaxTokenBytes, not three segments, any segment not strict base64url,
//                     header not a JSON object (or nested too deep)
//   kTokenAlgorithm   alg missing, not a string, or anything but "HS512"
//   kTokenMalformed   typ present but not "JWT" (any case), or a "crit" header
//   kTokenSignature   signature not 64 bytes or not matching (checked before the payload is read)
//   kTokenMalformed   payload not a JSON object (or nested too deep)
//   kTokenClaims      channels missing / not an array of strings; sub not a string; meta not an
//                     object; iat/exp/nbf not an integral number that fits in 64 bits
//   kTokenExpired     now_seconds >= exp
//   kTokenNotYetValid nbf > now_seconds
pushy::Result<Claims> VerifyToken(std::string_view token, std::string_view key,
                                  std::int64_t now_seconds);

}  // namespace pushy::auth
