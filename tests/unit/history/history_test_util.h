#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "core/event.h"
#include "history/history.h"

namespace pushy::history::test_util {

inline constexpr std::uint64_t kEpoch = 0xabc;

inline EventPtr MakeEvent(std::uint64_t seq, std::string channel, std::int64_t ts_ms) {
  auto event = std::make_shared<Event>();
  event->id = EventId{kEpoch, seq};
  event->channel = std::move(channel);
  event->name = "message";
  event->data = std::to_string(seq);
  event->ts_ms = ts_ms;
  return event;
}

inline std::vector<std::uint64_t> Seqs(const History::Replay& replay) {
  std::vector<std::uint64_t> seqs;
  for (const EventPtr& event : replay.events) seqs.push_back(event->id.seq);
  return seqs;
}

// Plays the broker: numbers events 1, 2, 3, ... and stamps them with the manual clock.
class Publisher {
 public:
  explicit Publisher(Options options) : history_(options, clock_) {}

  std::uint64_t Publish(const std::string& channel) {
    history_.Append(MakeEvent(++seq_, channel, clock_.NowMs()));
    return seq_;
  }
  History::Replay After(std::uint64_t after_seq, const std::vector<std::string>& entries) {
    return history_.After(after_seq, entries);
  }

  ManualClock& clock() { return clock_; }
  History& history() { return history_; }

 private:
  ManualClock clock_{0};
  History history_;
  std::uint64_t seq_ = 0;
};

}  // namespace pushy::history::test_util
