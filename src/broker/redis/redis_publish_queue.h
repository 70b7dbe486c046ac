#pragma once

#include <boost/system/error_code.hpp>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <utility>
#include <vector>

#include "broker/broker.h"

namespace pushy::broker::redis {

// How publishes are gathered into publish script calls, and how many may wait.
struct PublishLimits {
  std::size_t batch_events = 512;       // events in one script call
  std::size_t batch_bytes = 1 << 20;    // channel + name + data bytes in one script call
  std::size_t queued_events = 65'536;   // waiting for a call; beyond: refused at once
  std::size_t queued_bytes = 64 << 20;  // likewise, in bytes
  int calls_in_flight = 1;              // script calls sent and not yet answered
};

// The events of one publish script call and the callers they came from, in order.
// A value type; one thread at a time.
class PublishBatch {
 public:
  // (channel, name, data) per event: the script's arguments after its four fixed ones.
  std::vector<std::string>& arguments() { return arguments_; }
  std::size_t events() const { return arguments_.size() / 3; }
  std::size_t callers() const { return callers_.size(); }

  // Every caller gets its own ids: the batch's events have the seqs first, first + 1, ... in
  // order. Each caller is answered once; the batch is empty afterwards.
  void Succeed(std::uint64_t epoch, std::uint64_t first);
  void Fail(boost::system::error_code error);

 private:
  friend class PublishQueue;
  struct Caller {
    std::size_t events;
    Broker::PublishCallback done;
  };
  std::vector<std::string> arguments_;
  std::vector<Caller> callers_;
  std::size_t bytes_ = 0;
};

// Publishes waiting for a publish script call, bounded in events and bytes. Take() cuts the
// next call from the front, whole callers only, so each caller's events stay consecutive and
// in its order. Not thread-safe: the broker thread owns it.
class PublishQueue {
 public:
  explicit PublishQueue(PublishLimits limits) : limits_(limits) {}

  // Whether one caller's events fit within the queue's bounds (if not, refuse the caller).
  bool Fits(const std::vector<PublishRequest>& requests) const;
  // Queues one caller's events (at least one); they must fit.
  void Push(std::vector<PublishRequest> requests, Broker::PublishCallback done);
  bool empty() const { return waiting_.empty(); }
  std::size_t events() const { return events_; }
  std::size_t bytes() const { return bytes_; }

  // The next script call: callers off the front while the batch stays within its bounds, and
  // always at least one. Call only when not empty().
  PublishBatch Take();
  // Every waiting caller, whatever the bounds (to fail them).
  PublishBatch TakeAll();

 private:
  struct Waiting {
    std::vector<PublishRequest> requests;
    Broker::PublishCallback done;
    std::size_t bytes;
  };

  const PublishLimits limits_;
  PublishBatch Take(std::size_t max_events, std::size_t max_bytes);

  std::deque<Waiting> waiting_;
  std::size_t events_ = 0;
  std::size_t bytes_ = 0;
};

}  // namespace pushy::broker::redis
