#include "history/history.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "history/event_ring.h"
#include "history_test_util.h"

namespace pushy::history {
namespace {

using test_util::MakeEvent;
using test_util::Publisher;
using test_util::Seqs;
using Seqv = std::vector<std::uint64_t>;

TEST(HistoryTest, StartsEmpty) {
  Publisher p({});
  EXPECT_EQ(p.history().last_seq(), 0u);
  EXPECT_EQ(p.history().event_count(), 0u);
  EXPECT_EQ(p.history().channel_count(), 0u);
  const auto replay = p.After(0, {"a", "a.**"});
  EXPECT_FALSE(replay.gap);
  EXPECT_TRUE(replay.events.empty());
}

TEST(HistoryTest, KeepsAtMostTheBoundPerChannel) {
  Publisher p({.max_events_per_channel = 3});
  for (int i = 0; i < 5; ++i) p.Publish("a");  // 1..5
  p.Publish("b");                              // 6
  p.Publish("b");                              // 7
  EXPECT_EQ(p.history().event_count(), 5u);
  EXPECT_EQ(p.history().channel_count(), 2u);
  EXPECT_EQ(p.history().last_seq(), 7u);
  EXPECT_EQ(Seqs(p.After(0, {"a"})), (Seqv{3, 4, 5}));
  EXPECT_EQ(Seqs(p.After(0, {"b"})), (Seqv{6, 7}));
}

TEST(HistoryTest, ReplaysFullEventsNotJustIds) {
  Publisher p({});
  p.Publish("news.sports");
  const auto replay = p.After(0, {"news.*"});
  ASSERT_EQ(replay.events.size(), 1u);
  EXPECT_EQ(replay.events[0]->channel, "news.sports");
  EXPECT_EQ(replay.events[0]->id, (EventId{test_util::kEpoch, 1}));
  EXPECT_EQ(replay.events[0]->data, "1");
}

TEST(HistoryTest, TtlBoundaryIsExclusive) {
  Publisher p({.ttl_ms = 1000});
  p.Publish("a");  // ts 0
  p.clock().Set(1000);
  p.history().ExpireOld();
  EXPECT_EQ(p.history().event_count(), 1u) << "an event exactly ttl old is still kept";
  EXPECT_EQ(Seqs(p.After(0, {"a"})), (Seqv{1}));
  p.clock().Set(1001);
  p.history().ExpireOld();
  EXPECT_EQ(p.history().event_count(), 0u);
  EXPECT_EQ(p.history().channel_count(), 0u);
}

TEST(HistoryTest, AfterExpiresBeforeAnswering) {
  Publisher p({.ttl_ms = 1000});
  p.Publish("a");  // ts 0
  p.clock().Set(400);
  p.Publish("a");  // ts 400
  p.clock().Set(1001);
  const auto replay = p.After(1, {"a"});
  EXPECT_FALSE(replay.gap);
  EXPECT_EQ(Seqs(replay), (Seqv{2}));
  EXPECT_EQ(p.history().event_count(), 1u);
}

TEST(HistoryTest, AppendExpiresToo) {
  Publisher p({.ttl_ms = 10});
  p.Publish("a");
  p.Publish("b");
  p.clock().Advance(11);
  p.Publish("c");
  EXPECT_EQ(p.history().event_count(), 1u);
  EXPECT_EQ(p.history().channel_count(), 1u);
}

TEST(HistoryTest, ExpireOldDropsOnlyWhatIsOld) {
  Publisher p({.ttl_ms = 100});
  p.Publish("a");  // ts 0
  p.Publish("b");  // ts 0
  p.clock().Set(50);
  p.Publish("a");  // ts 50
  p.Publish("c");  // ts 50
  p.clock().Set(101);
  p.history().ExpireOld();
  EXPECT_EQ(p.history().event_count(), 2u);
  EXPECT_EQ(p.history().channel_count(), 2u);  // b was freed
  EXPECT_EQ(Seqs(p.After(2, {"a", "b", "c"})), (Seqv{3, 4}));
}

TEST(HistoryTest, MergesChannelsInSeqOrder) {
  Publisher p({});
  const std::vector<std::string> channels = {"c", "a", "b", "a", "c", "c", "b", "a"};
  for (const auto& channel : channels) p.Publish(channel);
  const auto replay = p.After(0, {"b", "c", "a"});
  EXPECT_FALSE(replay.gap);
  EXPECT_EQ(Seqs(replay), (Seqv{1, 2, 3, 4, 5, 6, 7, 8}));
  for (std::size_t i = 0; i < replay.events.size(); ++i) {
    EXPECT_EQ(replay.events[i]->channel, channels[i]);
  }
  EXPECT_EQ(Seqs(p.After(3, {"c", "b"})), (Seqv{5, 6, 7}));
}

TEST(HistoryTest, OverlappingEntriesDeliverEachEventOnce) {
  Publisher p({});
  p.Publish("a.x");  // 1
  p.Publish("a.y");  // 2
  p.Publish("a.x");  // 3
  p.Publish("b.x");  // 4
  EXPECT_EQ(Seqs(p.After(0, {"a.*", "a.x"})), (Seqv{1, 2, 3}));
  EXPECT_EQ(Seqs(p.After(0, {"a.x", "a.x", "a.**", "*.x"})), (Seqv{1, 2, 3, 4}));
}

TEST(HistoryTest, OrdersByTotalSeqEvenWhenAChannelWasTrimmed) {
  Publisher p({.max_events_per_channel = 2});
  for (int i = 0; i < 20; ++i) p.Publish(i % 3 == 0 ? "x.hot" : "x.cold" + std::to_string(i % 3));
  // Every channel keeps its last two: x.hot 16,19; x.cold1 17,20; x.cold2 15,18.
  const auto replay = p.After(14, {"x.*"});
  EXPECT_FALSE(replay.gap);
  EXPECT_EQ(Seqs(replay), (Seqv{15, 16, 17, 18, 19, 20}));
  EXPECT_TRUE(p.After(13, {"x.*"}).gap) << "x.cold1 dropped 14";
}

TEST(HistoryTest, RingSurvivesWrapAndGrowth) {
  EventRing ring(6);
  std::uint64_t next = 1;
  std::uint64_t oldest = 1;
  for (int round = 0; round < 50; ++round) {
    // Alternate filling and draining so that the ring wraps at every capacity it passes.
    while (ring.size() < static_cast<std::size_t>(round % 6) + 1) {
      ring.PushBack(MakeEvent(next++, "a", 0));
    }
    ASSERT_EQ(ring.front()->id.seq, oldest);
    for (std::size_t i = 0; i < ring.size(); ++i) ASSERT_EQ(ring[i]->id.seq, oldest + i);
    ASSERT_EQ(ring.back()->id.seq, next - 1);
    for (int i = 0; i < round % 4 && !ring.empty(); ++i) {
      ASSERT_EQ(ring.PopFront()->id.seq, oldest++);
    }
  }
}

}  // namespace
}  // namespace pushy::history
