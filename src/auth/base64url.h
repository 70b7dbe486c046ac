#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace pushy::auth {

// Base64url as JWTs use it: RFC 4648 §5 alphabet, no padding. Pure; any thread may call.
std::string Base64UrlEncode(std::string_view bytes);

// Strict inverse of Base64UrlEncode: every text it accepts is the one encoding of its bytes,
// so a changed character can never decode to the same bytes. Rejects '=', '+', '/', any byte
// outside [A-Za-z0-9_-], a length of 4n+1, and non-zero unused bits in the last character.
std::optional<std::string> Base64UrlDecode(std::string_view text);

}  // namespace pushy::auth
