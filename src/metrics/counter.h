#pragma once

#include <atomic>
#include <cstdint>

namespace pushy::metrics {

// A counter written by exactly one thread and read by any. The writer uses a plain load+store
// (no locked instruction on the hot path); readers see a recent value, which is all a scrape needs.
class LocalCounter {
 public:
  void Add(std::uint64_t n = 1) {
    value_.store(value_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  void Sub(std::uint64_t n = 1) {
    value_.store(value_.load(std::memory_order_relaxed) - n, std::memory_order_relaxed);
  }
  std::uint64_t Get() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

}  // namespace pushy::metrics
