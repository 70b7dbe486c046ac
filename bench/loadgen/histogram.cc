#include "histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace pushy::bench {

int Histogram::BucketOf(std::uint64_t v) {
  if (v < static_cast<std::uint64_t>(kLinear)) return static_cast<int>(v);
  const int exp = std::bit_width(v) - 1;  // >= 7
  if (exp >= kMaxExp) return kBuckets - 1;
  const auto sub = static_cast<int>((v >> (exp - kSubBits)) & ((1u << kSubBits) - 1));
  return kLinear + (exp - 7) * (1 << kSubBits) + sub;
}

std::int64_t Histogram::UpperEdge(int bucket) {
  if (bucket < kLinear) return bucket;
  const int rel = bucket - kLinear;
  const int exp = 7 + rel / (1 << kSubBits);
  const std::int64_t sub = rel % (1 << kSubBits);
  const std::int64_t step = std::int64_t{1} << (exp - kSubBits);
  return (std::int64_t{1} << exp) + (sub + 1) * step - 1;
}

void Histogram::Record(std::int64_t value_us) {
  const std::int64_t v = std::max<std::int64_t>(value_us, 0);
  ++counts_[static_cast<std::size_t>(BucketOf(static_cast<std::uint64_t>(v)))];
  ++count_;
  max_ = std::max(max_, v);
}

void Histogram::Merge(const Histogram& other) {
  for (std::size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  max_ = std::max(max_, other.max_);
}

std::int64_t Histogram::Quantile(double q) const {
  if (count_ == 0) return 0;
  const auto rank = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(count_)));
  const std::uint64_t target = std::clamp<std::uint64_t>(rank, 1, count_);
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < counts_.size(); ++i) {
    seen += counts_[i];
    if (seen >= target) return std::min(UpperEdge(static_cast<int>(i)), max_);
  }
  return max_;
}

}  // namespace pushy::bench
