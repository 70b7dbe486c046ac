#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pushy {

// The position of an event in one history. `epoch` names the history (a node's memory log
// lives until restart; a Redis log until Redis loses its data) and `seq` orders events
// totally within it. Text form: "<epoch as 12 lowercase hex digits>-<seq in decimal>".
// An id from another epoch is never compared by `seq`: it means "history unknown".
struct EventId {
  std::uint64_t epoch = 0;
  std::uint64_t seq = 0;

  friend auto operator<=>(const EventId&, const EventId&) = default;
};

inline constexpr std::uint64_t kEpochMask = (std::uint64_t{1} << 48) - 1;

std::string FormatEventId(EventId id);

// Accepts exactly the form FormatEventId produces; anything else is nullopt.
std::optional<EventId> ParseEventId(std::string_view text);

// A fresh random epoch (48 bits, never zero).
std::uint64_t NewEpoch();

}  // namespace pushy
