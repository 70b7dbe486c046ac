#include "history/event_ring.h"

#include <algorithm>
#include <cassert>
#include <utility>

namespace pushy::history {

namespace {
constexpr std::size_t kInitialSlots = 4;
}  // namespace

EventRing::EventRing(std::size_t limit) : limit_(limit) { assert(limit >= 1); }

void EventRing::PushBack(EventPtr event) {
  assert(count_ < limit_);
  if (count_ == slots_.size()) Grow();
  slots_[(head_ + count_) % slots_.size()] = std::move(event);
  ++count_;
}

EventPtr EventRing::PopFront() {
  assert(count_ > 0);
  EventPtr event = std::move(slots_[head_]);
  head_ = (head_ + 1) % slots_.size();
  --count_;
  return event;
}

// Unwraps the ring into a larger buffer so that the oldest event lands at slot 0.
void EventRing::Grow() {
  const std::size_t capacity = std::min(limit_, std::max(kInitialSlots, slots_.size() * 2));
  std::vector<EventPtr> grown;
  grown.reserve(capacity);
  for (std::size_t i = 0; i < count_; ++i) {
    grown.push_back(std::move(slots_[(head_ + i) % slots_.size()]));
  }
  grown.resize(capacity);
  slots_.swap(grown);
  head_ = 0;
}

}  // namespace pushy::history
