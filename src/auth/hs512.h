#pragma once

#include <array>
#include <optional>
#include <string_view>

namespace pushy::auth {

// Internal to auth: the HMAC-SHA512 that HS512 tokens are signed with. Pure; any thread.
using Hs512Mac = std::array<unsigned char, 64>;

// nullopt only when libcrypto fails (or the key exceeds 2 GiB); callers treat it as "no match".
std::optional<Hs512Mac> Hs512(std::string_view key, std::string_view data);

// True when `mac` is exactly the 64-byte MAC of `data`; compared in constant time.
bool Hs512Matches(std::string_view key, std::string_view data, std::string_view mac);

}  // namespace pushy::auth
