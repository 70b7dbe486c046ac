#pragma once

#include <span>
#include <string>
#include <string_view>

namespace pushy::channels {

// Authorisation by grant list (the token's `channels` claim: names and patterns). Grants come
// from tokens and entries from requests, so both are untrusted: an invalid grant covers and
// matches nothing, an invalid entry is covered by nothing. Pure; any thread.

// True when every channel `entry` can match is also matched by `grant` (exact set inclusion,
// e.g. `a.**` covers `a.*` but `a.*` does not cover `a.**`). For a concrete `entry` this is
// Matches(grant, entry). The 255-byte limit is ignored when comparing sets, which can only
// make the answer stricter, never looser.
bool Covers(std::string_view grant, std::string_view entry);

// Subscribing to `entry` (name or pattern) needs ONE grant covering all of it; a union of
// grants that only together cover it is not enough.
bool MaySubscribe(std::span<const std::string> grants, std::string_view entry);

// Publishing needs a concrete channel matched by one grant. Patterns are never publishable.
bool MayPublish(std::span<const std::string> grants, std::string_view channel);

}  // namespace pushy::channels
