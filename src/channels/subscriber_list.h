#pragma once

#include <algorithm>
#include <cstddef>
#include <memory>
#include <unordered_map>
#include <vector>

namespace pushy::channels {

// The subscribers of one entry inside a SubscriptionIndex: a set of pointers kept in one
// contiguous vector, so fan-out walks plain memory. Erase swaps the last element into the hole,
// so order is not kept. Lookups are linear while the list is short (most entries have a handful
// of subscribers, and a scan of 16 pointers beats hashing); past that a pointer -> position map
// is built so Insert and Erase stay O(1) for 10,000 subscribers on one channel. Cost: 8 bytes
// per subscriber, plus one hash node (~32 bytes) each while the list is long.
// Not thread-safe: owned by the index, and so by one event loop.
template <typename T>
class SubscriberList {
 public:
  // False, and no change, when `s` is already in the list.
  bool Insert(T* s) {
    if (Find(s) != kAbsent) return false;
    if (positions_) positions_->emplace(s, items_.size());
    items_.push_back(s);
    if (!positions_ && items_.size() > kIndexAbove) BuildPositions();
    return true;
  }

  // False, and no change, when `s` is not in the list.
  bool Erase(T* s) {
    const std::size_t pos = Find(s);
    if (pos == kAbsent) return false;
    T* const moved = items_.back();
    items_[pos] = moved;
    items_.pop_back();
    if (positions_) {
      positions_->erase(s);
      if (moved != s) (*positions_)[moved] = pos;
      // Hysteresis between the two thresholds keeps an add/remove cycle from rebuilding it.
      if (items_.size() < kDropBelow) positions_.reset();
    }
    // Give memory back after a crowd leaves; amortised O(1) since it needs 3/4 to go first.
    if (items_.capacity() > kMinShrinkCapacity && items_.size() * 4 < items_.capacity()) {
      items_.shrink_to_fit();
    }
    return true;
  }

  template <typename F>
  void ForEach(F& f) const {
    for (T* s : items_) f(s);
  }

  bool empty() const { return items_.empty(); }
  std::size_t size() const { return items_.size(); }

 private:
  static constexpr std::size_t kAbsent = static_cast<std::size_t>(-1);
  static constexpr std::size_t kIndexAbove = 16;
  static constexpr std::size_t kDropBelow = 8;
  static constexpr std::size_t kMinShrinkCapacity = 64;

  std::size_t Find(T* s) const {
    if (positions_) {
      const auto it = positions_->find(s);
      return it == positions_->end() ? kAbsent : it->second;
    }
    const auto it = std::find(items_.begin(), items_.end(), s);
    return it == items_.end() ? kAbsent : static_cast<std::size_t>(it - items_.begin());
  }

  void BuildPositions() {
    positions_ = std::make_unique<std::unordered_map<T*, std::size_t>>();
    positions_->reserve(items_.size() * 2);
    for (std::size_t i = 0; i < items_.size(); ++i) positions_->emplace(items_[i], i);
  }

  std::vector<T*> items_;
  std::unique_ptr<std::unordered_map<T*, std::size_t>> positions_;  // null while short
};

}  // namespace pushy::channels
