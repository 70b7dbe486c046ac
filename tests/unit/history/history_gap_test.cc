#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "history/history.h"
#include "history_test_util.h"

namespace pushy::history {
namespace {

using test_util::Publisher;
using test_util::Seqs;
using Seqv = std::vector<std::uint64_t>;

struct Row {
  std::uint64_t after;
  std::vector<std::string> entries;
  bool gap;
  Seqv seqs;
};

void ExpectRows(Publisher& p, const std::vector<Row>& rows) {
  for (const Row& row : rows) {
    std::string where = "after " + std::to_string(row.after) + " on";
    for (const auto& entry : row.entries) where += " " + entry;
    const auto replay = p.After(row.after, row.entries);
    EXPECT_EQ(replay.gap, row.gap) << where;
    EXPECT_EQ(Seqs(replay), row.seqs) << where;
  }
}

// Gaps from the size bound only: every channel keeps a record, so answers are exact.
TEST(HistoryGapTest, SizeBoundIsExactPerChannel) {
  Publisher p({.max_events_per_channel = 2});
  for (const char* channel : {"a.x", "a.y", "b", "a.x", "a.x", "a.y", "b.c"}) p.Publish(channel);
  // a.x keeps 4,5 (dropped 1); a.y keeps 2,6; b keeps 3; b.c keeps 7.
  ExpectRows(p, {
                    {0, {"a.x"}, true, {4, 5}},
                    {1, {"a.x"}, false, {4, 5}},
                    {4, {"a.x"}, false, {5}},
                    {0, {"a.y"}, false, {2, 6}},  // untouched by a.x's trim
                    {0, {"b", "b.c"}, false, {3, 7}},
                    {0, {"a.*"}, true, {2, 4, 5, 6}},
                    {1, {"a.*"}, false, {2, 4, 5, 6}},
                    {0, {"a.*", "a.x"}, true, {2, 4, 5, 6}},
                    {1, {"a.*", "a.x", "a.**"}, false, {2, 4, 5, 6}},
                    {2, {"*.x", "b.c"}, false, {4, 5, 7}},
                    {0, {"b.**"}, false, {7}},
                    {0, {"*"}, false, {3}},
                    {0, {"zz"}, false, {}},  // never seen, nothing forgotten
                    {0, {}, false, {}},
                    {0, {"**"}, true, {2, 3, 4, 5, 6, 7}},
                    {7, {"a.*", "b"}, false, {}},  // up to date
                    {7, {"**"}, false, {}},
                    {8, {"a.*", "b"}, true, {}},  // from the future
                    {8, {}, true, {}},
                });
}

TEST(HistoryGapTest, TtlDropIsAGapForThatChannelOnly) {
  Publisher p({.ttl_ms = 1000});
  p.Publish("a");  // 1 @0
  p.clock().Set(500);
  p.Publish("a");  // 2 @500
  p.Publish("b");  // 3 @500
  p.clock().Set(1001);
  ExpectRows(p, {
                    {0, {"a"}, true, {2}},
                    {1, {"a"}, false, {2}},
                    {0, {"b"}, false, {3}},
                    {0, {"*"}, true, {2, 3}},
                    {1, {"*"}, false, {2, 3}},
                });
}

// Once a channel's record is freed, only forgotten_through remembers that something was lost.
TEST(HistoryGapTest, FreedChannelsMakeUnknownNamesAndPatternsConservative) {
  Publisher p({.ttl_ms = 1000});
  p.Publish("a.x");  // 1 @0
  p.Publish("b");    // 2 @0
  p.clock().Set(500);
  p.Publish("a.y");  // 3 @500
  p.clock().Set(1001);
  p.history().ExpireOld();  // frees a.x and b: forgotten through 2
  ASSERT_EQ(p.history().channel_count(), 1u);
  p.Publish("c");  // 4, a record created after the forgetting
  ExpectRows(p, {
                    {0, {"a.x"}, true, {}},
                    {1, {"a.x"}, true, {}},
                    {2, {"a.x"}, false, {}},
                    {0, {"zz"}, true, {}},  // unknown: may have been freed
                    {2, {"zz"}, false, {}},
                    {0, {"a.y"}, false, {3}},  // its record predates the forgetting: exact
                    {1, {"a.*"}, true, {3}},
                    {2, {"a.*"}, false, {3}},
                    {0, {"c"}, true, {4}},  // c may have had an earlier, freed record
                    {2, {"c"}, false, {4}},
                    {3, {"**"}, false, {4}},
                });
}

TEST(HistoryGapTest, RecreatedChannelRemembersItsForgottenPast) {
  Publisher p({.ttl_ms = 10});
  p.Publish("a");  // 1
  p.Publish("a");  // 2
  p.clock().Advance(11);
  p.Publish("a");  // 3: the old record was freed just before
  ASSERT_EQ(p.history().event_count(), 1u);
  ExpectRows(p, {
                    {0, {"a"}, true, {3}},
                    {1, {"a"}, true, {3}},
                    {2, {"a"}, false, {3}},
                });
}

TEST(HistoryGapTest, HistoryOffIsAGapOnlyWhenSomethingWasMissed) {
  Publisher p({.max_events_per_channel = 0});
  p.Publish("a");  // 1
  p.Publish("b");  // 2
  EXPECT_EQ(p.history().event_count(), 0u);
  EXPECT_EQ(p.history().channel_count(), 0u);
  EXPECT_EQ(p.history().last_seq(), 2u);
  ExpectRows(p, {
                    {2, {"a", "b.*"}, false, {}},
                    {1, {"b"}, true, {}},
                    {1, {"a"}, true, {}},  // conservative: a missed nothing, but who knows
                    {0, {"**"}, true, {}},
                    {3, {"a"}, true, {}},
                });
}

TEST(HistoryGapTest, ResumeFromZeroWithNothingDroppedIsComplete) {
  Publisher p({.max_events_per_channel = 5});
  p.Publish("a");
  p.Publish("b");
  const auto replay = p.After(0, std::vector<std::string>{"a", "b"});
  EXPECT_FALSE(replay.gap);
  EXPECT_EQ(Seqs(replay), (Seqv{1, 2}));
}

}  // namespace
}  // namespace pushy::history
