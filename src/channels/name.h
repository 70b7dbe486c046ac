#pragma once

#include <cstddef>
#include <string_view>

namespace pushy::channels {

// Channel naming rules (api.md "Channels"). A name is 1-255 bytes of dot-separated segments, a
// segment one or more of `A-Z a-z 0-9 _ - : @ =`. A pattern is a name in which some segments
// are `*` (exactly one segment) and/or whose last segment is `**` (one or more segments).
// Every function here is pure and may be called from any thread.

inline constexpr std::size_t kMaxNameBytes = 255;

enum class EntryKind {
  kInvalid,  // breaks a rule: empty segment, bad byte, `new*`, `**` not last, too long, ...
  kName,     // a concrete channel: no wildcard
  kPattern,  // at least one `*` or `**` segment
};

// Classifies a subscription entry or grant entry (untrusted input).
EntryKind Classify(std::string_view entry);

// True only for concrete channel names; patterns and invalid strings are false.
bool IsValidName(std::string_view s);

// Whether `entry` (a name or pattern, assumed valid) matches the concrete `channel`. A name
// matches only itself. Never crashes on invalid input; the answer is then unspecified.
bool Matches(std::string_view entry, std::string_view channel);

}  // namespace pushy::channels
