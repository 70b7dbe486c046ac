// The promises of broker.h, checked on every Broker: the embedded MemoryBroker and the Redis
// cluster broker (against a redis-server of the test's own).
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <set>
#include <thread>

#include "broker_fixture.h"

namespace pushy::broker::testing {
namespace {

using Status = ReplayResult::Status;

template <typename Traits>
class BrokerContractTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string missing = Traits::Missing();
    if (!missing.empty()) GTEST_FAIL() << missing;
  }

  Node& Start(const BrokerOptions& options = {}) {
    nodes_.push_back(StartNode<Traits>(options));
    return *nodes_.back();
  }

  std::vector<std::unique_ptr<Node>> nodes_;
};

using Brokers = ::testing::Types<MemoryTraits, RedisTraits>;
class BrokerNames {
 public:
  template <typename T>
  static std::string GetName(int) {
    return std::is_same_v<T, MemoryTraits> ? "Memory" : "Redis";
  }
};
TYPED_TEST_SUITE(BrokerContractTest, Brokers, BrokerNames);

TYPED_TEST(BrokerContractTest, PublishAssignsIncreasingIdsOfOneEpoch) {
  Broker& broker = *this->Start().broker;
  std::vector<EventId> all;
  for (int batch = 0; batch < 3; ++batch) {
    auto ids = PublishSync(broker, {Request("p.a"), Request("p.b"), Request("p.a")});
    ASSERT_TRUE(ids.has_value()) << ids.error().message();
    ASSERT_EQ(ids->size(), 3u);
    all.insert(all.end(), ids->begin(), ids->end());
  }
  EXPECT_NE(all.front().epoch, 0u);
  for (std::size_t i = 1; i < all.size(); ++i) {
    EXPECT_EQ(all[i].epoch, all.front().epoch);
    EXPECT_GT(all[i].seq, all[i - 1].seq);
  }
}

TYPED_TEST(BrokerContractTest, SinkGetsEveryEventOnceInIdOrder) {
  Node& node = this->Start();
  // Overlapping interest: one event matches both entries, and must still arrive once.
  Subscribe(*node.broker, {"s.a", "s.*", "s.**"});
  std::vector<EventId> published;
  std::jthread other([&] {
    for (int i = 0; i < 20; ++i) PublishSync(*node.broker, {Request("s.b"), Request("s.c.d")});
  });
  for (int i = 0; i < 20; ++i) {
    auto ids = PublishSync(*node.broker, {Request("s.a", "{\"i\":" + std::to_string(i) + "}")});
    ASSERT_TRUE(ids.has_value());
    published.push_back(ids->front());
  }
  other.join();
  ASSERT_TRUE(node.sink.WaitCount(60));
  const std::vector<EventPtr> events = node.sink.events();
  ASSERT_EQ(events.size(), 60u);
  for (std::size_t i = 1; i < events.size(); ++i) {
    EXPECT_LT(events[i - 1]->id.seq, events[i]->id.seq) << "out of order or repeated at " << i;
  }
  std::set<std::uint64_t> seen;
  for (const EventPtr& e : events) seen.insert(e->id.seq);
  for (const EventId& id : published) EXPECT_TRUE(seen.count(id.seq)) << id.seq;
  // Events keep what was published.
  const auto first_a = std::find_if(events.begin(), events.end(),
                                    [](const EventPtr& e) { return e->channel == "s.a"; });
  ASSERT_NE(first_a, events.end());
  EXPECT_EQ((*first_a)->data, "{\"i\":0}");
  EXPECT_EQ((*first_a)->name, "message");
  EXPECT_GT((*first_a)->ts_ms, 1'600'000'000'000);
}

TYPED_TEST(BrokerContractTest, ReplayWithoutIdIsLiveAtTheHead) {
  Broker& broker = *this->Start().broker;
  PublishOne(broker, "l.a");
  const EventId last = PublishOne(broker, "l.b");
  auto result = ReplaySync(broker, std::nullopt, {"l.a"});
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->status, Status::kLive);
  EXPECT_TRUE(result->events.empty());
  EXPECT_EQ(result->head, last);
}

struct ReplayCase {
  std::vector<std::string> entries;
  std::vector<std::string> channels;  // of the expected events, in order
};

TYPED_TEST(BrokerContractTest, ReplayReturnsExactlyTheMissedEvents) {
  Broker& broker = *this->Start().broker;
  const EventId before = PublishOne(broker, "r.a");  // the resume point
  auto ids = PublishSync(broker, {Request("r.a"), Request("r.b"), Request("r.c.d"), Request("q.x"),
                                  Request("r.a"), Request("rr.a")});
  ASSERT_TRUE(ids.has_value());
  const std::vector<ReplayCase> cases = {
      {{"r.a"}, {"r.a", "r.a"}},
      {{"r.*"}, {"r.a", "r.b", "r.a"}},  // not r.c.d: `*` is one segment
      {{"r.**"}, {"r.a", "r.b", "r.c.d", "r.a"}},
      {{"r.a", "r.*", "r.**"}, {"r.a", "r.b", "r.c.d", "r.a"}},  // overlap: each once
      {{"*.x", "r.b"}, {"r.b", "q.x"}},
      {{"*.*.d"}, {"r.c.d"}},
      {{"nothing.here"}, {}},
  };
  for (const ReplayCase& c : cases) {
    auto result = ReplaySync(broker, FormatEventId(before), c.entries);
    ASSERT_TRUE(result.has_value());
    EXPECT_EQ(result->status, Status::kReplayed) << c.entries.front();
    EXPECT_EQ(result->head, ids->back());
    std::vector<std::string> channels;
    for (const EventPtr& e : result->events) channels.push_back(e->channel);
    EXPECT_EQ(channels, c.channels) << c.entries.front();
    for (std::size_t i = 1; i < result->events.size(); ++i) {
      EXPECT_LT(result->events[i - 1]->id.seq, result->events[i]->id.seq);
    }
  }
  // From the head itself: nothing missed.
  auto at_head = ReplaySync(broker, FormatEventId(ids->back()), {"r.**"});
  ASSERT_TRUE(at_head.has_value());
  EXPECT_EQ(at_head->status, Status::kReplayed);
  EXPECT_TRUE(at_head->events.empty());
}

TYPED_TEST(BrokerContractTest, ReplayedEventsAreThePublishedOnes) {
  Broker& broker = *this->Start().broker;
  const EventId before = PublishOne(broker, "d.a");
  auto ids = PublishSync(broker, {Request("d.a", R"({"text":"two words","n":[1, 2]})", "greet")});
  ASSERT_TRUE(ids.has_value());
  auto result = ReplaySync(broker, FormatEventId(before), {"d.a"});
  ASSERT_TRUE(result.has_value());
  ASSERT_EQ(result->events.size(), 1u);
  const Event& e = *result->events.front();
  EXPECT_EQ(e.id, ids->front());
  EXPECT_EQ(e.channel, "d.a");
  EXPECT_EQ(e.name, "greet");
  EXPECT_EQ(e.data, R"({"text":"two words","n":[1, 2]})");
}

TYPED_TEST(BrokerContractTest, TrimmedHistoryIsAGap) {
  BrokerOptions options;
  options.history_size = 3;
  Broker& broker = *this->Start(options).broker;
  auto ids = PublishSync(broker, {Request("t.a"), Request("t.a"), Request("t.a"), Request("t.a"),
                                  Request("t.a"), Request("t.b")});
  ASSERT_TRUE(ids.has_value());
  const auto& id = *ids;
  // t.a kept its last 3 (ids 2..4): resuming after id 0 missed id 1, which is gone.
  for (const std::vector<std::string>& entries :
       std::vector<std::vector<std::string>>{{"t.a"}, {"t.*"}, {"t.b", "t.a"}}) {
    auto gap = ReplaySync(broker, FormatEventId(id[0]), entries);
    ASSERT_TRUE(gap.has_value());
    EXPECT_EQ(gap->status, Status::kGap) << entries.front();
    EXPECT_EQ(gap->head, id[5]);
  }
  auto ok = ReplaySync(broker, FormatEventId(id[1]), {"t.*"});
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ(ok->status, Status::kReplayed);
  EXPECT_EQ(Seqs(ok->events),
            (std::vector<std::uint64_t>{id[2].seq, id[3].seq, id[4].seq, id[5].seq}));
  // Another channel's trimming is not this channel's gap.
  auto other = ReplaySync(broker, FormatEventId(id[0]), {"t.b"});
  ASSERT_TRUE(other.has_value());
  EXPECT_EQ(other->status, Status::kReplayed);
  EXPECT_EQ(Seqs(other->events), std::vector<std::uint64_t>{id[5].seq});
}

TYPED_TEST(BrokerContractTest, ExpiredHistoryIsAGap) {
  constexpr std::int64_t kTtlMs = 1000;
  BrokerOptions options;
  options.ttl_ms = kTtlMs;
  Broker& broker = *this->Start(options).broker;
  const EventId first = PublishOne(broker, "u.a");
  const auto published = std::chrono::steady_clock::now();
  const EventId second = PublishOne(broker, "u.a");
  auto fresh = ReplaySync(broker, FormatEventId(first), {"u.a"});
  ASSERT_TRUE(fresh.has_value());
  EXPECT_EQ(fresh->status, Status::kReplayed);
  EXPECT_EQ(Seqs(fresh->events), std::vector<std::uint64_t>{second.seq});
  Status status = Status::kReplayed;
  ASSERT_TRUE(WaitFor(
      [&] {
        auto r = ReplaySync(broker, FormatEventId(first), {"u.a"});
        status = r ? r->status : Status::kLive;
        return status != Status::kReplayed;
      },
      4000ms));
  EXPECT_EQ(status, Status::kGap);
  EXPECT_GE(std::chrono::steady_clock::now() - published, std::chrono::milliseconds(kTtlMs - 50));
  auto pattern = ReplaySync(broker, FormatEventId(first), {"u.*"});
  ASSERT_TRUE(pattern.has_value());
  EXPECT_EQ(pattern->status, Status::kGap);
}

TYPED_TEST(BrokerContractTest, ForeignOrGarbageIdsAreUnknownHistory) {
  Broker& broker = *this->Start().broker;
  const EventId last = PublishOne(broker, "e.a");
  const EventId other_epoch{last.epoch ^ 1, last.seq};
  for (const std::string& after :
       {std::string(""), std::string("garbage"), std::string("000000000000-"),
        std::string("zzzzzzzzzzzz-1"), FormatEventId(last) + "0x", FormatEventId(other_epoch)}) {
    auto result = ReplaySync(broker, after, {"e.a"});
    ASSERT_TRUE(result.has_value());
    EXPECT_EQ(result->status, Status::kUnknownEpoch) << after;
    EXPECT_EQ(result->head, last) << after;
    EXPECT_TRUE(result->events.empty());
  }
  // An id of this epoch from beyond the head cannot be vouched for.
  auto ahead = ReplaySync(broker, FormatEventId({last.epoch, last.seq + 100}), {"e.a"});
  ASSERT_TRUE(ahead.has_value());
  EXPECT_EQ(ahead->status, Status::kGap);
}

// The seam: a replay's events, plus the live events above its head, are exactly everything
// after the resume point, however publishes and replays interleave.
TYPED_TEST(BrokerContractTest, ReplayAndLiveMeetWithoutGapOrDuplicate) {
  Node& node = this->Start();
  Broker& broker = *node.broker;
  Subscribe(broker, {"z.a"});
  auto start = ReplaySync(broker, std::nullopt, {"z.a"});
  ASSERT_TRUE(start.has_value());
  const std::string resume = FormatEventId(start->head);
  constexpr int kEvents = 300;
  std::atomic<bool> failed{false};
  std::jthread publisher([&] {
    for (int i = 0; i < kEvents; i += 3) {
      if (!PublishSync(broker, {Request("z.a"), Request("z.b"), Request("z.a")})) failed = true;
    }
  });
  std::vector<ReplayResult> replays;
  while (replays.size() < 15) {
    auto r = ReplaySync(broker, resume, {"z.a"});
    ASSERT_TRUE(r.has_value());
    replays.push_back(std::move(*r));
  }
  publisher.join();
  ASSERT_FALSE(failed);
  const std::size_t expected = kEvents * 2 / 3;
  auto on_za = [](const std::vector<EventPtr>& events) {
    return std::count_if(events.begin(), events.end(),
                         [](const EventPtr& e) { return e->channel == "z.a"; });
  };
  ASSERT_TRUE(node.sink.WaitEvents(
      [&](const auto& events) { return static_cast<std::size_t>(on_za(events)) >= expected; }));
  std::vector<std::uint64_t> live;
  for (const EventPtr& e : node.sink.events()) {
    if (e->channel == "z.a") live.push_back(e->id.seq);
  }
  ASSERT_EQ(live.size(), expected);
  for (const ReplayResult& r : replays) {
    ASSERT_EQ(r.status, Status::kReplayed);
    std::vector<std::uint64_t> got = Seqs(r.events);
    for (std::uint64_t s : got) EXPECT_LE(s, r.head.seq);
    for (std::uint64_t s : live) {
      if (s > r.head.seq) got.push_back(s);
    }
    EXPECT_EQ(got, live) << "replay with head " << r.head.seq;
  }
}

}  // namespace
}  // namespace pushy::broker::testing
