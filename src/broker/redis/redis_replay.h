#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "broker/broker.h"
#include "broker/redis/redis_reply.h"
#include "history/history.h"

namespace pushy::broker::redis {

// What one run of the replay script read, decoded (see ReplayScript()).
struct HistorySnapshot {
  struct Channel {
    std::string name;
    bool gone = false;  // neither stream nor meta left: judged by `old_bound`
    std::uint64_t dropped_through = 0;
    std::vector<EventPtr> events;  // after the asked seq, ascending
  };
  std::uint64_t epoch = 0;
  std::uint64_t head = 0;
  std::uint64_t old_bound = 1;  // every seq below it may belong to an expired event
  std::vector<Channel> channels;
};

// Decodes the script's reply; nullopt when it does not have the documented shape.
std::optional<HistorySnapshot> ParseSnapshot(const Reply& reply);

// The script's arguments for resuming `entries` from `after` (nullopt: head only).
std::vector<std::string> ReplayArguments(const std::string& prefix, const history::Options& history,
                                         std::uint64_t candidate_epoch,
                                         const std::optional<EventId>& after,
                                         std::span<const std::string> entries);

// Applies History's rules to a snapshot: kLive without `after`; kUnknownEpoch when `after` is
// not an id of the snapshot's epoch; kGap when after > head, when a channel matched by an entry
// dropped something after it, or when a gone channel (or any channel a pattern may have
// matched) may have held events after it that expired; otherwise kReplayed with the events of
// channels matched exactly by an entry, ascending, each once. Pure; any thread.
ReplayResult BuildReplay(const HistorySnapshot& snapshot, const std::optional<std::string>& after,
                         std::span<const std::string> entries);

}  // namespace pushy::broker::redis
