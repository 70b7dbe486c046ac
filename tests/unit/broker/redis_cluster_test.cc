// Several RedisBrokers on one Redis behave like one broker; faults lose nothing still in
// history, and what they cannot recover they report.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "broker_fixture.h"

namespace pushy::broker::testing {
namespace {

using Status = ReplayResult::Status;
using redis::RedisBroker;
using redis::RedisBrokerOptions;

// Records Healthy() transitions, which pass too quickly to be polled.
struct HealthLog {
  std::mutex mutex;
  std::vector<bool> changes;
  void Record(bool healthy) {
    std::lock_guard lock(mutex);
    changes.push_back(healthy);
  }
  std::vector<bool> Get() {
    std::lock_guard lock(mutex);
    return changes;
  }
};

class RedisClusterTest : public RedisNodesTest {
 protected:
  static RedisBroker& AsRedis(Node& node) { return static_cast<RedisBroker&>(*node.broker); }

  // The brokers report to health_: stop them before it goes.
  void TearDown() override { nodes_.clear(); }

  HealthLog health_;
};

std::vector<std::string> Channels(const std::vector<EventPtr>& events) {
  std::vector<std::string> out;
  for (const EventPtr& e : events) out.push_back(e->channel);
  return out;
}

TEST_F(RedisClusterTest, NodesReceiveOnlyTheirInterestsOnceEach) {
  Node& a = StartNode();
  Node& b = StartNode();
  Subscribe(*b.broker, {"n.x", "n.*", "n.**"});  // n.* and n.** share one Redis glob
  EXPECT_EQ(b.broker->GetStats().subscriptions, 2u);
  auto ids = PublishSync(*a.broker, {Request("n.x"), Request("m.z"), Request("n.y"),
                                     Request("n.y.z"), Request("n.x")});
  ASSERT_TRUE(ids.has_value());
  ASSERT_TRUE(b.sink.WaitCount(4));
  EXPECT_EQ(Channels(b.sink.events()), (std::vector<std::string>{"n.x", "n.y", "n.y.z", "n.x"}));
  EXPECT_EQ(b.sink.events()[0]->id, (*ids)[0]);
  EXPECT_TRUE(a.sink.events().empty()) << "a node without interest receives nothing";

  // Dropping interest unsubscribes: n.y stops arriving while n.x still does. Events arrive in
  // order, so n.x arriving first proves n.y was not sent.
  b.broker->RemoveInterest("n.*");
  b.broker->RemoveInterest("n.**");
  ASSERT_TRUE(WaitFor([&] { return b.broker->GetStats().subscriptions == 1; }));
  PublishSync(*a.broker, {Request("n.y"), Request("n.x")});
  ASSERT_TRUE(b.sink.WaitCount(5));
  EXPECT_EQ(b.sink.events().back()->channel, "n.x");
  EXPECT_EQ(b.sink.events().size(), 5u);
}

TEST_F(RedisClusterTest, ResumeOnAnotherNodeGivesTheSameEvents) {
  Node& a = StartNode();
  Node& b = StartNode();
  const EventId from = PublishOne(*a.broker, "o.a");
  PublishSync(*a.broker, {Request("o.a"), Request("o.b"), Request("o.a")});
  auto on_a = ReplaySync(*a.broker, FormatEventId(from), {"o.*"});
  auto on_b = ReplaySync(*b.broker, FormatEventId(from), {"o.*"});
  ASSERT_TRUE(on_a.has_value() && on_b.has_value());
  EXPECT_EQ(on_b->status, Status::kReplayed);
  EXPECT_EQ(on_a->head, on_b->head);
  EXPECT_EQ(Seqs(on_a->events), Seqs(on_b->events));
  EXPECT_EQ(on_b->events.size(), 3u);
}

// The seam across nodes: a stream that subscribes on b while a publishes gets, from replay and
// live together, every event after the replay's starting point. The replay must wait until
// Redis confirmed b's new subscription, or live events right after the head would be missed.
TEST_F(RedisClusterTest, NewInterestAndReplayMeetPublishesFromAnotherNode) {
  Node& a = StartNode();
  Node& b = StartNode();
  constexpr int kChannels = 30;
  std::jthread publisher([&](const std::stop_token& stop) {
    while (!stop.stop_requested()) {
      std::vector<PublishRequest> batch;
      for (int c = 0; c < kChannels; ++c) batch.push_back(Request("g.c" + std::to_string(c)));
      PublishSync(*a.broker, std::move(batch));
    }
  });
  std::vector<std::pair<std::string, ReplayResult>> streams;
  for (int c = 0; c < kChannels; ++c) {
    const std::string channel = "g.c" + std::to_string(c);
    // Many subscriptions ahead of this one keep Redis busy reading them for a while.
    for (int i = 0; i < 300; ++i) b.broker->AddInterest("pad." + std::to_string(c * 300 + i));
    b.broker->AddInterest(channel);
    auto r = ReplaySync(*b.broker, std::nullopt, {channel});
    ASSERT_TRUE(r.has_value());
    streams.emplace_back(channel, std::move(*r));
  }
  // One more full batch after the last replay, then the publisher stops.
  const EventId last = PublishOne(*a.broker, "g.c0");
  publisher.request_stop();
  publisher.join();
  ASSERT_TRUE(b.sink.WaitEvents([&](const std::vector<EventPtr>& events) {
    return !events.empty() && events.back()->id.seq >= last.seq;
  }));
  const std::vector<EventPtr> events = b.sink.events();
  for (const auto& [channel, replay] : streams) {
    // Every event on `channel` after the head, as published: consecutive batches, so the
    // channel's events above the head are exactly those the sink has; check none is missing
    // by reading history from the head.
    auto history = ReplaySync(*a.broker, FormatEventId(replay.head), {channel});
    ASSERT_TRUE(history.has_value());
    ASSERT_EQ(history->status, Status::kReplayed);
    std::vector<std::uint64_t> live;
    for (const EventPtr& e : events) {
      if (e->channel == channel && e->id.seq > replay.head.seq) live.push_back(e->id.seq);
    }
    std::vector<std::uint64_t> expected;
    for (const EventPtr& e : history->events) {
      if (e->id.seq <= events.back()->id.seq) expected.push_back(e->id.seq);
    }
    EXPECT_EQ(live, expected) << channel << " from head " << replay.head.seq;
  }
}

TEST_F(RedisClusterTest, KilledSubscriptionCatchesUpWithoutLoss) {
  Node& a = StartNode();
  Node& b = StartNode([this](RedisBrokerOptions& o) {
    o.on_health_change = [this](bool h) { health_.Record(h); };
  });
  Subscribe(*b.broker, {"k.*"});
  constexpr int kBatches = 150;
  std::atomic<int> sent{0};
  std::atomic<bool> failed{false};
  std::jthread publisher([&] {
    for (int i = 0; i < kBatches; ++i) {
      if (!PublishSync(*a.broker, {Request("k.a"), Request("k.b")})) failed = true;
      ++sent;
    }
  });
  ASSERT_TRUE(WaitFor([&] { return sent >= 20; }));
  auto killed = RunCommand(server_.port(), {"CLIENT", "KILL", "TYPE", "pubsub"});
  ASSERT_TRUE(killed.has_value());
  EXPECT_GE(killed->integer, 1);
  // Published while b has no subscription: only the catch-up can bring these.
  PublishSync(*a.broker, {Request("k.c"), Request("k.c")});
  publisher.join();
  ASSERT_FALSE(failed) << "a's own connections were not touched";
  const std::size_t total = kBatches * 2 + 2;
  ASSERT_TRUE(b.sink.WaitCount(total, 10s)) << b.sink.events().size();
  const std::vector<EventPtr> events = b.sink.events();
  ASSERT_EQ(events.size(), total);
  for (std::size_t i = 1; i < events.size(); ++i) {
    ASSERT_LT(events[i - 1]->id.seq, events[i]->id.seq) << i;
  }
  const Broker::Stats stats = b.broker->GetStats();
  EXPECT_EQ(stats.reconnects, 1u);
  EXPECT_GE(stats.catchup_events, 2u);
  EXPECT_EQ(stats.history_lost, 0u);
  EXPECT_TRUE(b.sink.lost().empty());
  EXPECT_EQ(health_.Get(), (std::vector<bool>{true, false, true}));
}

// A node whose channels were quiet for longer than the TTL must not lose its streams' history
// on a blip: it catches up from a recent point the pings confirmed, not from its last event.
// Waiting for that confirmation (rather than trusting the pings to have run within the TTL)
// keeps the test independent of scheduling.
TEST_F(RedisClusterTest, QuietInterestSurvivesABlipAfterTheTtl) {
  Node& a = StartNode([](RedisBrokerOptions& o) { o.history.ttl_ms = 1000; });
  Node& b = StartNode([](RedisBrokerOptions& o) {
    o.history.ttl_ms = 1000;
    o.ping_interval = 50ms;
  });
  Subscribe(*b.broker, {"quiet.*"});
  const auto busy = PublishSync(*a.broker, {Request("busy.x"), Request("busy.x")});
  ASSERT_TRUE(busy.has_value());
  const std::uint64_t head = busy->back().seq;
  // b has no interest in busy.x: only its pings can move its confirmed point past them.
  ASSERT_TRUE(WaitFor([&] { return AsRedis(b).delivered_through() >= head; }))
      << "the pings never confirmed the head";
  // Until those events count as expired, a resume from before them would be a gap.
  const std::string from_start = FormatEventId({AsRedis(b).epoch(), 0});
  ASSERT_TRUE(WaitFor(
      [&] {
        auto r = ReplaySync(*b.broker, from_start, {"quiet.*"});
        return r && r->status == Status::kGap;
      },
      4s));
  ASSERT_TRUE(RunCommand(server_.port(), {"CLIENT", "KILL", "TYPE", "pubsub"}));
  ASSERT_TRUE(WaitFor([&] { return b.broker->GetStats().reconnects == 1; }));
  EXPECT_TRUE(b.sink.lost().empty()) << "streams were reset for nothing";
  EXPECT_EQ(b.broker->GetStats().history_lost, 0u);
  EXPECT_GE(AsRedis(b).delivered_through(), head);
}

// A Redis that stops answering without closing anything (a network partition, a stuck
// server) is noticed by the PINGs.
TEST_F(RedisClusterTest, ASilentRedisIsDetectedAndRejoined) {
  Node& b = StartNode([this](RedisBrokerOptions& o) {
    o.ping_interval = 50ms;
    o.ping_timeout = 250ms;
    o.connection.connect_timeout = 400ms;
    o.on_health_change = [this](bool h) { health_.Record(h); };
  });
  Subscribe(*b.broker, {"p.a"});
  ASSERT_TRUE(RunCommand(server_.port(), {"CLIENT", "PAUSE", "1000", "ALL"}));
  ASSERT_TRUE(WaitFor([&] { return health_.Get().size() >= 2; }, 3s)) << "never noticed";
  ASSERT_TRUE(WaitFor([&] { return b.broker->Healthy(); }, 5s)) << "never came back";
  EXPECT_EQ(health_.Get(), (std::vector<bool>{true, false, true}));
  EXPECT_GE(b.broker->GetStats().reconnects, 1u);
  // Interest survived the reconnection.
  const EventId id = PublishOne(*b.broker, "p.a");
  ASSERT_TRUE(b.sink.WaitCount(1));
  EXPECT_EQ(b.sink.events().back()->id, id);
  EXPECT_GT(b.broker->GetStats().round_trip_ms, 0.0);
}

TEST_F(RedisClusterTest, RedisRestartIsANewEpochAndBrokersRecover) {
  Node& a = StartNode();
  Node& b = StartNode([](RedisBrokerOptions& o) { o.replay_wait = 300ms; });
  Subscribe(*b.broker, {"x.*"});
  const EventId before = PublishOne(*a.broker, "x.a");
  ASSERT_TRUE(b.sink.WaitCount(1));

  server_.Stop();
  ASSERT_TRUE(WaitFor([&] { return !a.broker->Healthy() && !b.broker->Healthy(); }));
  // Publishes fail at once while Redis is away.
  const auto t0 = std::chrono::steady_clock::now();
  auto refused = PublishSync(*a.broker, {Request("x.a")});
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 50ms);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error(), make_error_code(Errc::kBrokerUnavailable));
  // A replay waits for Redis a bounded time, then gives up.
  auto timed_out = ReplaySync(*b.broker, std::nullopt, {"x.*"});
  ASSERT_FALSE(timed_out.has_value());
  EXPECT_EQ(timed_out.error(), make_error_code(Errc::kBrokerUnavailable));

  ASSERT_TRUE(server_.Start()) << server_.error();
  ASSERT_TRUE(WaitFor([&] { return a.broker->Healthy() && b.broker->Healthy(); }, 8s));
  // Redis came back empty: b tells its streams that history is lost, in the new epoch.
  ASSERT_TRUE(b.sink.WaitLost(1));
  const EventId reset = b.sink.lost().front();
  EXPECT_NE(reset.epoch, before.epoch);
  EXPECT_EQ(b.broker->GetStats().history_lost, 1u);
  EXPECT_GE(b.broker->GetStats().reconnects, 1u);

  const EventId after = PublishOne(*a.broker, "x.b");
  EXPECT_EQ(after.epoch, reset.epoch);
  ASSERT_TRUE(b.sink.WaitCount(2));
  EXPECT_EQ(b.sink.events().back()->id, after);
  // An id of the lost history is now unknown.
  auto old = ReplaySync(*b.broker, FormatEventId(before), {"x.*"});
  ASSERT_TRUE(old.has_value());
  EXPECT_EQ(old->status, Status::kUnknownEpoch);
}

TEST_F(RedisClusterTest, ReplayDuringAnOutageWaitsForTheReconnection) {
  Node& b = StartNode();
  server_.Stop();
  ASSERT_TRUE(WaitFor([&] { return !b.broker->Healthy(); }));
  auto future = ReplayAsync(*b.broker, std::nullopt, {"w.a"});
  EXPECT_EQ(future.wait_for(100ms), std::future_status::timeout) << "answered during the outage";
  ASSERT_TRUE(server_.Start());
  ASSERT_EQ(future.wait_for(5s), std::future_status::ready);
  auto result = future.get();
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->status, Status::kLive);
  EXPECT_EQ(result->head.epoch, AsRedis(b).epoch());
}

TEST_F(RedisClusterTest, FlushedRedisIsDetectedFromTheMessages) {
  Node& a = StartNode();
  Node& b = StartNode();
  Subscribe(*b.broker, {"f.a"});
  const EventId old = PublishOne(*a.broker, "f.a");
  ASSERT_TRUE(b.sink.WaitCount(1));
  ASSERT_TRUE(RunCommand(server_.port(), {"FLUSHALL"}).has_value());
  // The next publish creates a new epoch; its seqs restart and must not be taken as repeats.
  const EventId fresh = PublishOne(*a.broker, "f.a");
  EXPECT_NE(fresh.epoch, old.epoch);
  ASSERT_TRUE(b.sink.WaitCount(2));
  EXPECT_EQ(b.sink.events().back()->id, fresh);
  ASSERT_EQ(b.sink.lost().size(), 1u);
  EXPECT_EQ(b.sink.lost().front(), (EventId{fresh.epoch, fresh.seq - 1}));
}

TEST_F(RedisClusterTest, StopFailsWhatIsPending) {
  Node& b = StartNode();
  server_.Stop();
  ASSERT_TRUE(WaitFor([&] { return !b.broker->Healthy(); }));
  auto future = ReplayAsync(*b.broker, std::nullopt, {"w.a"});
  b.broker->Stop();
  ASSERT_EQ(future.wait_for(1s), std::future_status::ready);
  EXPECT_FALSE(future.get().has_value());
  auto after_stop = PublishSync(*b.broker, {Request("w.a")});
  EXPECT_FALSE(after_stop.has_value());
}

TEST_F(RedisClusterTest, ConnectsAsAnAclUserToAnotherDatabase) {
  ASSERT_TRUE(RunCommand(server_.port(),
                         {"ACL", "SETUSER", "pushy", "on", ">p@ss w0rd", "~*", "&*", "+@all"}));
  Node& node = StartNode([](RedisBrokerOptions& o) {
    const auto url = config::ParseRedisUrl("redis://pushy:p%40ss%20w0rd@127.0.0.1/3");
    ASSERT_TRUE(url.value.has_value()) << url.problem;
    const std::uint16_t port = o.connection.port;
    o.connection = redis::ConnectionOptionsFrom(*url.value);
    o.connection.port = port;
  });
  ASSERT_TRUE(node.broker->Healthy());
  Subscribe(*node.broker, {"acl.a"});
  const EventId id = PublishOne(*node.broker, "acl.a");
  ASSERT_TRUE(node.sink.WaitCount(1));
  EXPECT_EQ(node.sink.events()[0]->id, id);
  auto in_db3 = RunCommand(server_.port(), {"EXISTS", prefix_ + "seq"}, 3);
  auto in_db0 = RunCommand(server_.port(), {"EXISTS", prefix_ + "seq"}, 0);
  ASSERT_TRUE(in_db3 && in_db0);
  EXPECT_EQ(in_db3->integer, 1);
  EXPECT_EQ(in_db0->integer, 0);
}

// An ACL that does not let the node read a channel: the stream's replay fails (so it gets an
// error answer instead of staying silent), other channels work, and once the ACL allows it and
// the interest comes back, the channel works too.
TEST_F(RedisClusterTest, ASubscriptionRedisRefusesFailsTheReplay) {
  const std::string allowed = "&" + prefix_ + "c:ok";
  ASSERT_TRUE(RunCommand(server_.port(), {"ACL", "SETUSER", "pushy", "on", ">pw", "~*",
                                          "resetchannels", allowed, "+@all"}));
  Node& node = StartNode([](RedisBrokerOptions& o) {
    o.connection.user = "pushy";
    o.connection.password = "pw";
  });
  node.broker->AddInterest("no");
  auto refused = ReplaySync(*node.broker, std::nullopt, {"no"});
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error(), make_error_code(Errc::kSubscriptionRefused));
  // A second stream on the same channel is refused as well, without asking Redis again.
  node.broker->AddInterest("no");
  EXPECT_FALSE(ReplaySync(*node.broker, std::nullopt, {"no"}).has_value());
  Subscribe(*node.broker, {"ok"});
  const EventId id = PublishOne(*node.broker, "ok");
  ASSERT_TRUE(node.sink.WaitCount(1));
  EXPECT_EQ(node.sink.events()[0]->id, id);

  node.broker->RemoveInterest("no");
  node.broker->RemoveInterest("no");
  ASSERT_TRUE(RunCommand(server_.port(), {"ACL", "SETUSER", "pushy", "allchannels"}));
  node.broker->AddInterest("no");
  EXPECT_TRUE(ReplaySync(*node.broker, std::nullopt, {"no"}).has_value());
}

TEST_F(RedisClusterTest, AWrongPasswordNeverBecomesHealthy) {
  ASSERT_TRUE(RunCommand(server_.port(), {"CONFIG", "SET", "requirepass", "right"}));
  BrokerOptions o;
  RedisBrokerOptions options = RedisOptions(server_.port(), o);
  options.connection.password = "wrong";
  RecordingSink sink;
  RedisBroker broker(options);
  broker.Start(sink);
  EXPECT_FALSE(WaitFor([&] { return broker.Healthy(); }, 300ms));
  auto refused = PublishSync(broker, {Request("pw.a")});
  EXPECT_EQ(refused.error(), make_error_code(Errc::kBrokerUnavailable));
  broker.Stop();
}

}  // namespace
}  // namespace pushy::broker::testing
