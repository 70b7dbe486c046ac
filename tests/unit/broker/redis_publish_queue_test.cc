// How the Redis broker gathers publishes into script calls: whole callers in arrival order,
// within the batch bounds; every caller answered once with its own ids; bounded waiting.
#include "broker/redis/redis_publish_queue.h"

#include <gtest/gtest.h>

#include <optional>

namespace pushy::broker::redis {
namespace {

// One caller: `events` requests of `data_bytes` each (channel "c", name "n": 2 more bytes).
std::vector<PublishRequest> Requests(std::size_t events, std::size_t data_bytes = 1) {
  std::vector<PublishRequest> requests;
  for (std::size_t i = 0; i < events; ++i) {
    requests.push_back(PublishRequest{"c", "n", std::string(data_bytes, 'x')});
  }
  return requests;
}

struct Answers {
  std::vector<std::optional<Result<std::vector<EventId>>>> got;
  Broker::PublishCallback Callback() {
    const std::size_t index = got.size();
    got.emplace_back();
    return [this, index](Result<std::vector<EventId>> r) {
      ASSERT_FALSE(got[index].has_value()) << "answered twice: caller " << index;
      got[index] = std::move(r);
    };
  }
};

TEST(RedisPublishQueueTest, CutsBatchesOfWholeCallersWithinTheBounds) {
  const struct {
    const char* what;
    std::vector<std::size_t> callers;  // events per caller, 1 data byte each (3 bytes per event)
    std::size_t batch_events;
    std::size_t batch_bytes;
    std::vector<std::size_t> batches;  // callers per Take()
  } cases[] = {
      {"all fit", {1, 1, 1, 1}, 512, 1 << 20, {4}},
      {"event bound", {1, 1, 1, 1, 1}, 2, 1 << 20, {2, 2, 1}},
      {"a caller is never split", {2, 2, 1}, 3, 1 << 20, {1, 2}},
      {"an oversized caller goes alone", {1, 5, 1}, 3, 1 << 20, {1, 1, 1}},
      {"byte bound", {1, 1, 1}, 512, 6, {2, 1}},
      {"exactly at the bounds", {2, 1, 1}, 3, 9, {2, 1}},
  };
  for (const auto& c : cases) {
    PublishQueue queue({c.batch_events, c.batch_bytes, 1000, 1 << 20, 1});
    Answers answers;
    for (std::size_t events : c.callers) {
      ASSERT_TRUE(queue.Fits(Requests(events))) << c.what;
      queue.Push(Requests(events), answers.Callback());
    }
    std::vector<std::size_t> batches;
    while (!queue.empty()) {
      PublishBatch batch = queue.Take();
      EXPECT_EQ(batch.arguments().size(), 3 * batch.events()) << c.what;
      batches.push_back(batch.callers());
      batch.Fail(make_error_code(Errc::kBrokerUnavailable));
    }
    EXPECT_EQ(batches, c.batches) << c.what;
    EXPECT_EQ(queue.events(), 0u) << c.what;
    EXPECT_EQ(queue.bytes(), 0u) << c.what;
  }
}

TEST(RedisPublishQueueTest, EachCallerGetsItsOwnConsecutiveIds) {
  PublishQueue queue(PublishLimits{});
  Answers answers;
  queue.Push({{"a", "n", "1"}, {"b", "n", "2"}}, answers.Callback());
  queue.Push({{"c", "n", "3"}}, answers.Callback());
  queue.Push({{"a", "n", "4"}, {"a", "m", "5"}, {"d", "n", "6"}}, answers.Callback());
  PublishBatch batch = queue.Take();
  EXPECT_EQ(batch.arguments(),
            (std::vector<std::string>{"a", "n", "1", "b", "n", "2", "c", "n", "3", "a", "n", "4",
                                      "a", "m", "5", "d", "n", "6"}));
  ASSERT_EQ(batch.events(), 6u);
  batch.Succeed(7, 40);
  ASSERT_EQ(answers.got.size(), 3u);
  const std::vector<std::vector<std::uint64_t>> expected{{40, 41}, {42}, {43, 44, 45}};
  for (std::size_t i = 0; i < 3; ++i) {
    ASSERT_TRUE(answers.got[i].has_value()) << i;
    ASSERT_TRUE(answers.got[i]->has_value()) << i;
    std::vector<std::uint64_t> seqs;
    for (const EventId& id : answers.got[i]->value()) {
      EXPECT_EQ(id.epoch, 7u);
      seqs.push_back(id.seq);
    }
    EXPECT_EQ(seqs, expected[i]) << i;
  }
  batch.Succeed(7, 99);  // answers nobody a second time
}

TEST(RedisPublishQueueTest, AFailedBatchFailsEveryCallerOfIt) {
  PublishQueue queue({2, 1 << 20, 1000, 1 << 20, 1});
  Answers answers;
  for (int i = 0; i < 3; ++i) queue.Push(Requests(1), answers.Callback());
  queue.Take().Fail(make_error_code(Errc::kBrokerUnavailable));
  for (std::size_t i = 0; i < 2; ++i) {
    ASSERT_TRUE(answers.got[i].has_value());
    EXPECT_EQ(answers.got[i]->error(), make_error_code(Errc::kBrokerUnavailable));
  }
  EXPECT_FALSE(answers.got[2].has_value()) << "the next batch's caller waits";
  queue.TakeAll().Fail(make_error_code(Errc::kShuttingDown));
  ASSERT_TRUE(answers.got[2].has_value());
  EXPECT_EQ(answers.got[2]->error(), make_error_code(Errc::kShuttingDown));
  EXPECT_TRUE(queue.empty());
}

TEST(RedisPublishQueueTest, WaitingIsBoundedInEventsAndBytes) {
  PublishQueue queue({512, 1 << 20, 4, 30, 1});
  Answers answers;
  EXPECT_FALSE(queue.Fits(Requests(5))) << "more events than the queue holds";
  EXPECT_FALSE(queue.Fits(Requests(1, 29))) << "31 bytes";
  ASSERT_TRUE(queue.Fits(Requests(3)));
  queue.Push(Requests(3), answers.Callback());
  EXPECT_EQ(queue.events(), 3u);
  EXPECT_EQ(queue.bytes(), 9u);
  EXPECT_FALSE(queue.Fits(Requests(2)));
  EXPECT_TRUE(queue.Fits(Requests(1)));
  EXPECT_FALSE(queue.Fits(Requests(1, 20))) << "9 + 22 bytes";
  queue.Take().Fail(make_error_code(Errc::kBrokerUnavailable));
  EXPECT_TRUE(queue.Fits(Requests(4))) << "taking frees the room";
}

}  // namespace
}  // namespace pushy::broker::redis
