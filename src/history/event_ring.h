#pragma once

#include <cstddef>
#include <vector>

#include "core/event.h"

namespace pushy::history {

// The retained events of one channel, oldest first: a ring buffer that grows by doubling up to
// a fixed limit. Preferred over std::deque because a deque allocates a ~512-byte block per
// channel up front, and a node may hold many channels with only an event or two each.
// A plain value owned by History; not thread-safe.
class EventRing {
 public:
  // `limit` is the most events the ring will ever hold at once (at least 1).
  explicit EventRing(std::size_t limit);

  std::size_t size() const { return count_; }
  bool empty() const { return count_ == 0; }
  const EventPtr& front() const { return slots_[head_]; }
  const EventPtr& back() const { return (*this)[count_ - 1]; }
  // The i-th oldest retained event; `i` < size().
  const EventPtr& operator[](std::size_t i) const { return slots_[(head_ + i) % slots_.size()]; }

  // Requires size() < limit.
  void PushBack(EventPtr event);
  // Requires !empty(); hands the oldest event back to the caller.
  EventPtr PopFront();

 private:
  void Grow();

  std::vector<EventPtr> slots_;
  std::size_t limit_;
  std::size_t head_ = 0;
  std::size_t count_ = 0;
};

}  // namespace pushy::history
