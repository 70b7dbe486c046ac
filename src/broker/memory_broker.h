#pragma once

#include <mutex>

#include "broker/broker.h"
#include "core/clock.h"
#include "history/history.h"

namespace pushy::broker {

// The embedded single-node broker. One mutex orders publishes: under it an event gets the next
// seq, enters history and is handed to the sink, so sink calls arrive in id order and a replay
// (also under the mutex) sees a consistent head. The lock is on the publish path only; fan-out
// to streams happens afterwards on each event loop without it.
class MemoryBroker final : public Broker {
 public:
  MemoryBroker(history::Options history_options, const Clock& clock);

  void Start(EventSink& sink) override;
  void Stop() override;
  void Publish(std::vector<PublishRequest> requests, PublishCallback done) override;
  void Replay(std::optional<std::string> after, std::vector<std::string> entries,
              ReplayCallback done) override;
  void AddInterest(std::string_view) override {}
  void RemoveInterest(std::string_view) override {}
  bool Healthy() const override { return true; }
  void Tick() override;
  Stats GetStats() const override;

  std::uint64_t epoch() const { return epoch_; }

 private:
  ReplayResult ReplayLocked(const std::optional<std::string>& after,
                            const std::vector<std::string>& entries);

  const Clock& clock_;
  const std::uint64_t epoch_;
  mutable std::mutex mutex_;
  history::History history_;    // guarded by mutex_
  std::uint64_t next_seq_ = 1;  // guarded by mutex_
  EventSink* sink_ = nullptr;   // guarded by mutex_
};

}  // namespace pushy::broker
