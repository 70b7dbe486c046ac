// How the Redis broker publishes: concurrent publishes share script calls, each caller still
// gets exactly its own ids and only once Redis applied them, a run of events on one channel is
// one pub/sub message, and every queue is bounded.
#include <gtest/gtest.h>

#include <algorithm>
#include <charconv>
#include <future>
#include <map>

#include "broker_fixture.h"

namespace pushy::broker::testing {
namespace {

using redis::RedisBroker;
using redis::RedisBrokerOptions;
using PublishFuture = std::future<Result<std::vector<EventId>>>;

class RedisPublishTest : public RedisNodesTest {
 protected:
  // Calls of `command` since the last CONFIG RESETSTAT (INFO commandstats).
  std::uint64_t Calls(const std::string& command) {
    const auto info = RunCommand(server_.port(), {"INFO", "commandstats"});
    if (!info) return 0;
    const std::string key = "cmdstat_" + command + ":calls=";
    const std::size_t at = info->str.find(key);
    if (at == std::string::npos) return 0;
    std::uint64_t calls = 0;
    const char* begin = info->str.data() + at + key.size();
    std::from_chars(begin, info->str.data() + info->str.size(), calls);
    return calls;
  }

  void Pause() { ASSERT_TRUE(RunCommand(server_.port(), {"CLIENT", "PAUSE", "5000", "WRITE"})); }
  void Unpause() { ASSERT_TRUE(RunCommand(server_.port(), {"CLIENT", "UNPAUSE"})); }
};

PublishFuture PublishAsync(Broker& broker, std::vector<PublishRequest> requests) {
  auto promise = std::make_shared<std::promise<Result<std::vector<EventId>>>>();
  PublishFuture future = promise->get_future();
  broker.Publish(std::move(requests), [promise](Result<std::vector<EventId>> ids) {
    promise->set_value(std::move(ids));
  });
  return future;
}

bool Answered(PublishFuture& future, std::chrono::milliseconds wait = 0ms) {
  return future.wait_for(wait) == std::future_status::ready;
}

TEST_F(RedisPublishTest, PublishesWaitingForACallShareTheNextOne) {
  Node& a = StartNode();
  Node& b = StartNode();
  Subscribe(*b.broker, {"q.*"});
  ASSERT_TRUE(RunCommand(server_.port(), {"CONFIG", "RESETSTAT"}));
  Pause();  // script calls (they write) wait in Redis, reads go on
  std::vector<PublishFuture> futures;
  futures.push_back(PublishAsync(*a.broker, {Request("q.a", "0")}));
  std::this_thread::sleep_for(50ms);  // usually in flight by now; the test holds either way
  for (int i = 1; i < 6; ++i) {
    std::vector<PublishRequest> requests{Request("q.a", std::to_string(i))};
    if (i % 2 == 0) requests.push_back(Request("q.b", std::to_string(i)));
    futures.push_back(PublishAsync(*a.broker, std::move(requests)));
  }
  std::this_thread::sleep_for(100ms);
  for (PublishFuture& f : futures) EXPECT_FALSE(Answered(f)) << "acknowledged before Redis ran it";
  Unpause();
  std::vector<std::uint64_t> seqs;
  std::map<std::uint64_t, std::string> data;  // seq -> what its caller published
  for (std::size_t caller = 0; caller < futures.size(); ++caller) {
    ASSERT_TRUE(Answered(futures[caller], 5s));
    const auto ids = futures[caller].get();
    ASSERT_TRUE(ids.has_value()) << ids.error().message();
    ASSERT_EQ(ids->size(), caller > 0 && caller % 2 == 0 ? 2u : 1u);
    for (std::size_t i = 1; i < ids->size(); ++i) {
      EXPECT_EQ((*ids)[i].seq, (*ids)[i - 1].seq + 1) << "a caller's events are consecutive";
    }
    for (std::size_t i = 0; i < ids->size(); ++i) {
      seqs.push_back((*ids)[i].seq);
      data[(*ids)[i].seq] = (i == 0 ? "q.a " : "q.b ") + std::to_string(caller);
    }
  }
  EXPECT_EQ(seqs.size(), 8u);
  EXPECT_EQ(data.size(), seqs.size()) << "ids are unique";
  EXPECT_LE(Calls("evalsha"), 2u) << "6 publishes while a call was in flight";
  // Every event arrives once, in id order, carrying what its caller published.
  ASSERT_TRUE(b.sink.WaitCount(8));
  const std::vector<EventPtr> events = b.sink.events();
  ASSERT_EQ(events.size(), 8u);
  std::vector<std::uint64_t> sorted = seqs;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(Seqs(events), sorted);
  for (const EventPtr& e : events) EXPECT_EQ(e->channel + " " + e->data, data[e->id.seq]);
}

// One PUBLISH per run of consecutive events on one channel; a subscriber of several channels
// still gets them in id order.
TEST_F(RedisPublishTest, ARunOnOneChannelIsOneMessage) {
  Node& a = StartNode();
  Node& b = StartNode();
  Subscribe(*b.broker, {"r.a", "r.b"});
  ASSERT_TRUE(RunCommand(server_.port(), {"CONFIG", "RESETSTAT"}));
  const auto ids =
      PublishSync(*a.broker, {Request("r.a", "1"), Request("r.a", "2 3"), Request("r.b", "4"),
                              Request("r.a", "5"), Request("r.a", "6"), Request("r.a", "7")});
  ASSERT_TRUE(ids.has_value());
  EXPECT_EQ(Calls("publish"), 3u);
  ASSERT_TRUE(b.sink.WaitCount(6));
  const std::vector<EventPtr> events = b.sink.events();
  ASSERT_EQ(events.size(), 6u);
  const std::vector<std::string> channels{"r.a", "r.a", "r.b", "r.a", "r.a", "r.a"};
  const std::vector<std::string> data{"1", "2 3", "4", "5", "6", "7"};
  for (std::size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i]->id, (*ids)[i]) << i;
    EXPECT_EQ(events[i]->channel, channels[i]) << i;
    EXPECT_EQ(events[i]->data, data[i]) << i;
    EXPECT_EQ(events[i]->ts_ms, events[0]->ts_ms) << "one script call, one time";
  }
}

TEST_F(RedisPublishTest, PublishesBeyondTheQueueBoundAreRefusedAtOnce) {
  Node& a = StartNode([](RedisBrokerOptions& o) {
    o.publish.batch_events = 1;
    o.publish.queued_events = 2;
  });
  Pause();
  std::vector<PublishFuture> futures;
  for (int i = 0; i < 6; ++i) futures.push_back(PublishAsync(*a.broker, {Request("b.a")}));
  // At most one call in flight of one event, and two waiting: the rest are refused now.
  std::size_t refused = 0;
  for (PublishFuture& f : futures) {
    if (!Answered(f, 200ms)) continue;
    const auto r = f.get();
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error(), make_error_code(Errc::kBrokerUnavailable));
    ++refused;
  }
  EXPECT_GE(refused, 3u);
  Unpause();
  std::size_t accepted = 0;
  for (PublishFuture& f : futures) {
    if (!f.valid()) continue;  // refused above
    ASSERT_TRUE(Answered(f, 5s));
    EXPECT_TRUE(f.get().has_value());
    ++accepted;
  }
  EXPECT_EQ(refused + accepted, 6u);
  EXPECT_TRUE(PublishSync(*a.broker, {Request("b.a")}).has_value()) << "room again";
}

// Without Redis' answer nobody knows whether the script ran: every caller of the lost call, and
// every one waiting behind it, hears Unavailable; the node reconnects and publishes again.
TEST_F(RedisPublishTest, ALostConnectionFailsEveryWaitingCaller) {
  Node& a = StartNode();
  Pause();
  std::vector<PublishFuture> futures;
  for (int i = 0; i < 5; ++i) futures.push_back(PublishAsync(*a.broker, {Request("l.a")}));
  std::this_thread::sleep_for(100ms);
  ASSERT_TRUE(RunCommand(server_.port(), {"CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"}));
  for (PublishFuture& f : futures) {
    ASSERT_TRUE(Answered(f, 5s));
    const auto r = f.get();
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error(), make_error_code(Errc::kBrokerUnavailable));
  }
  Unpause();
  ASSERT_TRUE(WaitFor([&] { return a.broker->Healthy(); }));
  const auto again = PublishSync(*a.broker, {Request("l.a")});
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->front().seq, 1u) << "the killed calls never ran";
}

}  // namespace
}  // namespace pushy::broker::testing
