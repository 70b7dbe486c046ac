#pragma once

#include <chrono>
#include <cstdint>

namespace pushy {

// Wall-clock time, injectable so that token expiry and history TTL can be tested without sleeps.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::int64_t NowMs() const = 0;
  std::int64_t NowSeconds() const { return NowMs() / 1000; }
};

class SystemClock final : public Clock {
 public:
  std::int64_t NowMs() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  static const SystemClock& Instance() {
    static const SystemClock clock;
    return clock;
  }
};

// A clock the test moves by hand.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(std::int64_t now_ms = 1'700'000'000'000) : now_ms_(now_ms) {}
  std::int64_t NowMs() const override { return now_ms_; }
  void Set(std::int64_t now_ms) { now_ms_ = now_ms; }
  void Advance(std::int64_t ms) { now_ms_ += ms; }

 private:
  std::int64_t now_ms_;
};

}  // namespace pushy
