#pragma once

#include <array>
#include <cstdint>

namespace pushy::bench {

// A latency histogram with bounded relative error: values (microseconds) below 128 get one
// bucket each; above, each power of two is split into 64 buckets (< 1.6% error). Fixed size and
// trivially copyable, so a worker process can send it to the coordinator through a pipe as
// plain bytes. Covers up to 2^40 us (12 days); larger values land in the last bucket. Not
// thread-safe: one owner records, the coordinator merges copies.
class Histogram {
 public:
  void Record(std::int64_t value_us);
  void Merge(const Histogram& other);

  std::uint64_t count() const { return count_; }
  std::int64_t max() const { return max_; }
  // The smallest recorded value v such that a fraction `q` (0..1) of samples are <= v, as the
  // upper edge of its bucket (clamped to the exact max). 0 when empty.
  std::int64_t Quantile(double q) const;

 private:
  static constexpr int kSubBits = 6;  // 64 buckets per power of two
  static constexpr int kLinear = 128;
  static constexpr int kMaxExp = 40;
  static constexpr int kBuckets = kLinear + (kMaxExp - 7) * (1 << kSubBits);

  static int BucketOf(std::uint64_t v);
  static std::int64_t UpperEdge(int bucket);

  std::array<std::uint64_t, kBuckets> counts_{};
  std::uint64_t count_ = 0;
  std::int64_t max_ = 0;
};

}  // namespace pushy::bench
