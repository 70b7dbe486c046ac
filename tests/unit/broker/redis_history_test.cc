// The Redis history trims a channel's stream in steps and reads it through its newest
// HISTORY_SIZE entries; whatever the batches, every resume must get the answer the memory
// history gives for the same publishes (the same events, or the same gap).
#include <gtest/gtest.h>

#include <random>

#include "broker_fixture.h"

namespace pushy::broker::testing {
namespace {

using Status = ReplayResult::Status;

const char* Name(Status status) {
  switch (status) {
    case Status::kLive:
      return "live";
    case Status::kReplayed:
      return "replayed";
    case Status::kGap:
      return "gap";
    case Status::kUnknownEpoch:
      return "unknown epoch";
  }
  return "?";
}

// "status: seq seq ..." of a resume after `seq` on `broker`'s own epoch.
std::string Resume(Broker& broker, std::uint64_t epoch, std::uint64_t seq,
                   const std::vector<std::string>& entries) {
  const auto r = ReplaySync(broker, FormatEventId(EventId{epoch, seq}), entries);
  if (!r) return "error: " + r.error().message();
  std::string out = Name(r->status);
  out += ":";
  for (const EventPtr& e : r->events) out += " " + std::to_string(e->id.seq) + e->channel;
  return out;
}

// Publishes the same batches to both brokers until each channel went through its bound a few
// times, then compares every resume point.
void CompareAfter(std::size_t history_size, std::uint32_t seed) {
  SCOPED_TRACE("history " + std::to_string(history_size) + ", seed " + std::to_string(seed));
  BrokerOptions options;
  options.history_size = history_size;
  auto memory = StartNode<MemoryTraits>(options);
  auto redis = StartNode<RedisTraits>(options);
  const std::vector<std::string> channels{"h.a", "h.a", "h.a", "h.b", "h.c"};  // h.a busiest
  std::mt19937 rng(seed);
  std::uniform_int_distribution<std::size_t> size(1, 2 * history_size + 3);
  std::uniform_int_distribution<std::size_t> pick(0, channels.size() - 1);
  std::uint64_t head = 0;
  std::uint64_t memory_epoch = 0;
  std::uint64_t redis_epoch = 0;
  for (int b = 0; head < 4 * history_size + 20; ++b) {
    // Mostly single events, as from many publishers; now and then a big batch.
    const std::size_t n = b % 4 == 3 ? size(rng) : 1;
    std::vector<PublishRequest> requests;
    for (std::size_t i = 0; i < n; ++i) requests.push_back(Request(channels[pick(rng)]));
    const auto on_memory = PublishSync(*memory->broker, requests);
    const auto on_redis = PublishSync(*redis->broker, requests);
    ASSERT_TRUE(on_memory.has_value() && on_redis.has_value());
    ASSERT_EQ(on_redis->front().seq, on_memory->front().seq) << "both count from 1";
    head = on_redis->back().seq;
    memory_epoch = on_memory->front().epoch;
    redis_epoch = on_redis->front().epoch;
  }
  const std::vector<std::vector<std::string>> entry_sets{
      {"h.a"}, {"h.b"}, {"h.c"}, {"h.*"}, {"h.b", "h.c"}};
  for (const auto& entries : entry_sets) {
    for (std::uint64_t seq = 0; seq <= head; ++seq) {
      ASSERT_EQ(Resume(*redis->broker, redis_epoch, seq, entries),
                Resume(*memory->broker, memory_epoch, seq, entries))
          << "after " << seq << " on " << entries.front() << " (" << entries.size() << ")";
    }
  }
}

class RedisHistoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string missing = RedisTraits::Missing();
    if (!missing.empty()) GTEST_FAIL() << missing;
  }
};

TEST_F(RedisHistoryTest, ResumesAgreeWithTheMemoryHistory) {
  // 1 and 3 trim exactly on every publish; 20 and 50 let the stream grow 2 and 5 past the size
  // between trims. (With HISTORY_SIZE 0 the two differ on purpose: the memory history forgets
  // which channels had events, Redis keeps each channel's last seq.)
  CompareAfter(1, 1);
  CompareAfter(3, 2);
  CompareAfter(20, 3);
  CompareAfter(50, 4);
}

// The stream never holds more than HISTORY_SIZE plus a tenth (at most 100) entries.
TEST_F(RedisHistoryTest, StreamsStayWithinTheirBound) {
  BrokerOptions options;
  options.history_size = 50;
  options.prefix = UniquePrefix();
  auto node = StartNode<RedisTraits>(options);
  std::size_t longest = 0;
  for (int i = 0; i < 120; ++i) {
    std::vector<PublishRequest> batch(i % 10 == 9 ? 12 : 1, Request("s.a"));
    ASSERT_TRUE(PublishSync(*node->broker, std::move(batch)).has_value());
    const auto len = RunCommand(SharedRedisServer().port(), {"XLEN", options.prefix + "h:s.a"});
    ASSERT_TRUE(len.has_value());
    longest = std::max<std::size_t>(longest, static_cast<std::size_t>(len->integer));
  }
  EXPECT_LE(longest, 55u);
  EXPECT_GT(longest, 50u) << "trimmed in steps, not on every append";
}

}  // namespace
}  // namespace pushy::broker::testing
