#include "history/history.h"

#include <algorithm>
#include <cassert>
#include <limits>
#include <utility>

#include "channels/name.h"

namespace pushy::history {

History::History(Options options, const Clock& clock) : options_(options), clock_(clock) {
  assert(options_.ttl_ms >= 0);
}

void History::Append(EventPtr event) {
  assert(event != nullptr);
  assert(event->id.seq > last_seq_ && "seqs must increase across all channels");
  ExpireOld();
  last_seq_ = event->id.seq;
  if (options_.max_events_per_channel == 0) {
    // History off: the event is dropped at once, as if its channel's record were then freed.
    forgotten_through_ = last_seq_;
    return;
  }
  // The ring holds one more than the bound: the new event goes in before the oldest goes out,
  // so a channel never passes through "empty" (and freed) while appending.
  // A new record starts at forgotten_through_: an earlier record of the same channel may have
  // dropped events up to there, and nothing remembers whether it did.
  auto [it, created] = channels_.try_emplace(event->channel, options_.max_events_per_channel + 1,
                                             forgotten_through_);
  Channel& channel = *it;
  if (created) expiry_.emplace(KeyOf(*event), &channel);
  channel.second.events.PushBack(std::move(event));
  ++event_count_;
  if (channel.second.events.size() > options_.max_events_per_channel) DropOldest(channel);
}

// Keeps the expiry index and the gap bookkeeping in step with the drop, and frees the channel's
// record once it holds nothing.
void History::DropOldest(Channel& channel) {
  ChannelLog& log = channel.second;
  auto node = expiry_.extract(KeyOf(*log.events.front()));
  assert(!node.empty());
  const EventPtr dropped = log.events.PopFront();
  log.dropped_through = dropped->id.seq;
  --event_count_;
  if (!log.events.empty()) {
    node.key() = KeyOf(*log.events.front());
    expiry_.insert(std::move(node));
    return;
  }
  forgotten_through_ = std::max(forgotten_through_, log.dropped_through);
  channels_.erase(channels_.find(dropped->channel));
}

void History::ExpireOld() {
  const std::int64_t now = clock_.NowMs();
  constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
  const std::int64_t cutoff = now < kMin + options_.ttl_ms ? kMin : now - options_.ttl_ms;
  // A channel is trimmed from its oldest event only (so its log stays a suffix and
  // dropped_through exact); should the wall clock have stepped back, a newer-stamped oldest
  // event shields older-stamped ones behind it until it expires itself. That keeps events a
  // little longer than the TTL but never loses track of what was dropped.
  while (!expiry_.empty() && expiry_.begin()->first.ts_ms < cutoff) {
    DropOldest(*expiry_.begin()->second);
  }
}

History::Replay History::After(std::uint64_t after_seq, std::span<const std::string> entries) {
  ExpireOld();
  Replay replay;
  if (after_seq > last_seq_) {
    // An id from this epoch's future: nothing here can vouch for what it has seen.
    replay.gap = true;
    return replay;
  }
  std::vector<const ChannelLog*> logs;
  for (const std::string& entry : entries) {
    const channels::EntryKind kind = channels::Classify(entry);
    if (kind == channels::EntryKind::kName) {
      replay.gap |= AddName(entry, after_seq, logs);
    } else if (kind == channels::EntryKind::kPattern) {
      replay.gap |= AddPattern(entry, after_seq, logs);
    } else {
      assert(false && "History::After takes validated entries");
    }
  }
  replay.events = Collect(logs, after_seq);
  return replay;
}

// Adds the channel's log to `logs` when it has events after `after_seq`; returns whether the
// channel may have dropped one of them.
bool History::AddName(std::string_view name, std::uint64_t after_seq,
                      std::vector<const ChannelLog*>& logs) const {
  const auto it = channels_.find(name);
  if (it == channels_.end()) return after_seq < forgotten_through_;
  const ChannelLog& log = it->second;
  if (log.events.back()->id.seq > after_seq) logs.push_back(&log);
  return log.dropped_through > after_seq;
}

bool History::AddPattern(std::string_view pattern, std::uint64_t after_seq,
                         std::vector<const ChannelLog*>& logs) const {
  // A freed channel may have matched the pattern.
  bool gap = after_seq < forgotten_through_;
  for (const auto& [name, log] : channels_) {
    if (!channels::Matches(pattern, name)) continue;
    if (log.events.back()->id.seq > after_seq) logs.push_back(&log);
    gap |= log.dropped_through > after_seq;
  }
  return gap;
}

// Each event lives in exactly one channel, so deduplicating the channels deduplicates the
// events; sorting by seq then merges them into the one total order.
std::vector<EventPtr> History::Collect(std::vector<const ChannelLog*>& logs,
                                       std::uint64_t after_seq) {
  std::sort(logs.begin(), logs.end());
  logs.erase(std::unique(logs.begin(), logs.end()), logs.end());
  std::vector<EventPtr> events;
  for (const ChannelLog* log : logs) {
    // Binary search for the first event after `after_seq`.
    std::size_t lo = 0;
    std::size_t hi = log->events.size();
    while (lo < hi) {
      const std::size_t mid = lo + (hi - lo) / 2;
      if (log->events[mid]->id.seq > after_seq) {
        hi = mid;
      } else {
        lo = mid + 1;
      }
    }
    for (std::size_t i = lo; i < log->events.size(); ++i) events.push_back(log->events[i]);
  }
  if (logs.size() > 1) {
    std::sort(events.begin(), events.end(),
              [](const EventPtr& a, const EventPtr& b) { return a->id.seq < b->id.seq; });
  }
  return events;
}

}  // namespace pushy::history
