#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <future>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "broker/broker.h"

namespace pushy::broker::testing {

using namespace std::chrono_literals;

// Polls `condition` until it holds or `timeout` passes; true when it held.
inline bool WaitFor(const std::function<bool()>& condition,
                    std::chrono::milliseconds timeout = 5000ms) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(2ms);
  }
  return true;
}

// Records what a broker hands its sink, from whichever thread it calls.
class RecordingSink final : public EventSink {
 public:
  void OnEvent(const EventPtr& event) override {
    std::lock_guard lock(mutex_);
    events_.push_back(event);
    changed_.notify_all();
  }
  void OnHistoryLost(EventId head) override {
    std::lock_guard lock(mutex_);
    lost_.push_back(head);
    changed_.notify_all();
  }

  std::vector<EventPtr> events() const {
    std::lock_guard lock(mutex_);
    return events_;
  }
  std::vector<EventId> lost() const {
    std::lock_guard lock(mutex_);
    return lost_;
  }
  // Waits until `predicate(events)` holds; false on timeout.
  bool WaitEvents(const std::function<bool(const std::vector<EventPtr>&)>& predicate,
                  std::chrono::milliseconds timeout = 5000ms) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return predicate(events_); });
  }
  bool WaitCount(std::size_t n, std::chrono::milliseconds timeout = 5000ms) {
    return WaitEvents([n](const auto& events) { return events.size() >= n; }, timeout);
  }
  bool WaitLost(std::size_t n, std::chrono::milliseconds timeout = 5000ms) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return lost_.size() >= n; });
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<EventPtr> events_;
  std::vector<EventId> lost_;
};

inline PublishRequest Request(std::string channel, std::string data = "{}",
                              std::string name = "message") {
  return PublishRequest{std::move(channel), std::move(name), std::move(data)};
}

// Publish and wait for the answer (5 s at most: a broker that never answers fails the test).
inline Result<std::vector<EventId>> PublishSync(Broker& broker,
                                                std::vector<PublishRequest> requests) {
  auto promise = std::make_shared<std::promise<Result<std::vector<EventId>>>>();
  auto future = promise->get_future();
  broker.Publish(std::move(requests), [promise](Result<std::vector<EventId>> ids) {
    promise->set_value(std::move(ids));
  });
  if (future.wait_for(5s) != std::future_status::ready) {
    return make_error_code(Errc::kShuttingDown);  // stands for "no answer"
  }
  return future.get();
}

inline EventId PublishOne(Broker& broker, const std::string& channel,
                          const std::string& data = "{}") {
  auto ids = PublishSync(broker, {Request(channel, data)});
  if (!ids || ids->size() != 1) return EventId{};
  return ids->front();
}

// The broker's answer to Replay, whenever it comes.
inline std::future<Result<ReplayResult>> ReplayAsync(Broker& broker,
                                                     std::optional<std::string> after,
                                                     std::vector<std::string> entries) {
  auto promise = std::make_shared<std::promise<Result<ReplayResult>>>();
  auto future = promise->get_future();
  broker.Replay(std::move(after), std::move(entries),
                [promise](Result<ReplayResult> result) { promise->set_value(std::move(result)); });
  return future;
}

inline Result<ReplayResult> ReplaySync(Broker& broker, std::optional<std::string> after,
                                       std::vector<std::string> entries,
                                       std::chrono::milliseconds timeout = 10s) {
  auto future = ReplayAsync(broker, std::move(after), std::move(entries));
  if (future.wait_for(timeout) != std::future_status::ready) {
    return make_error_code(Errc::kShuttingDown);
  }
  return future.get();
}

inline std::vector<std::uint64_t> Seqs(const std::vector<EventPtr>& events) {
  std::vector<std::uint64_t> seqs;
  for (const EventPtr& e : events) seqs.push_back(e->id.seq);
  return seqs;
}

}  // namespace pushy::broker::testing
