#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/clock.h"
#include "core/event.h"
#include "history/event_ring.h"

namespace pushy::history {

struct Options {
  // 0 turns history off: every event is dropped as it is appended.
  std::size_t max_events_per_channel = 1000;
  // An event is dropped once it is older than this (now - ts_ms > ttl_ms). Must be >= 0.
  std::int64_t ttl_ms = 3'600'000;
};

// The bounded in-memory event log of one node: answers "every event after seq X on the
// channels this stream covers", or says that some of them may have been dropped (a gap).
// Holds up to `max_events_per_channel` events per channel and none older than `ttl_ms`.
// Seqs are one total order across all channels (assigned by the broker); epochs are the
// caller's business: only pass a seq that belongs to this history's epoch.
// Not thread-safe: the owner (MemoryBroker) serialises every call. `clock` must outlive this.
class History {
 public:
  History(Options options, const Clock& clock);
  History(const History&) = delete;
  History& operator=(const History&) = delete;

  // `event->id.seq` must be greater than every seq appended before. Also expires old events.
  void Append(EventPtr event);

  struct Replay {
    // True when an event after `after_seq` on a covered channel may have been dropped (never
    // false when one was; may be true when unsure), or when `after_seq` is beyond last_seq().
    bool gap = false;
    // Every retained event with seq > after_seq on a channel matched by any entry, ascending by
    // seq, each exactly once even when entries overlap.
    std::vector<EventPtr> events;
  };
  // `entries` are valid channel names or patterns (see channels::Classify). Expires old events
  // first, so nothing past its TTL is replayed.
  Replay After(std::uint64_t after_seq, std::span<const std::string> entries);

  // Drops events past their TTL; the owner may call this periodically to free memory.
  void ExpireOld();

  // The highest seq ever appended (0 when none).
  std::uint64_t last_seq() const { return last_seq_; }
  std::size_t event_count() const { return event_count_; }
  std::size_t channel_count() const { return channels_.size(); }

 private:
  struct ChannelLog {
    explicit ChannelLog(std::size_t ring_limit, std::uint64_t dropped)
        : events(ring_limit), dropped_through(dropped) {}
    EventRing events;  // always a suffix of the channel's events: only the oldest are dropped
    // Highest seq this channel may have dropped; every retained event is above it.
    std::uint64_t dropped_through;
  };
  struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using ChannelMap = std::unordered_map<std::string, ChannelLog, StringHash, std::equal_to<>>;
  using Channel = ChannelMap::value_type;  // stable address while the channel exists
  // Orders channels by their oldest retained event, so that expiry visits only what it drops.
  struct ExpiryKey {
    std::int64_t ts_ms;
    std::uint64_t seq;
    friend auto operator<=>(const ExpiryKey&, const ExpiryKey&) = default;
  };
  static ExpiryKey KeyOf(const Event& event) { return {event.ts_ms, event.id.seq}; }

  void DropOldest(Channel& channel);
  bool AddName(std::string_view name, std::uint64_t after_seq,
               std::vector<const ChannelLog*>& logs) const;
  bool AddPattern(std::string_view pattern, std::uint64_t after_seq,
                  std::vector<const ChannelLog*>& logs) const;
  static std::vector<EventPtr> Collect(std::vector<const ChannelLog*>& logs,
                                       std::uint64_t after_seq);

  const Options options_;
  const Clock& clock_;
  ChannelMap channels_;
  std::map<ExpiryKey, Channel*> expiry_;  // one entry per channel, keyed by its oldest event
  std::uint64_t last_seq_ = 0;
  // Highest dropped_through of any channel whose record was freed: below it we no longer know
  // which channels lost events.
  std::uint64_t forgotten_through_ = 0;
  std::size_t event_count_ = 0;
};

}  // namespace pushy::history
