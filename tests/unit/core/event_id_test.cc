#include "core/event_id.h"

#include <gtest/gtest.h>

namespace pushy {
namespace {

TEST(EventIdTest, RoundTripsThroughText) {
  const EventId id{0xabcdef012345, 42};
  EXPECT_EQ(FormatEventId(id), "abcdef012345-42");
  EXPECT_EQ(ParseEventId("abcdef012345-42"), id);
}

TEST(EventIdTest, RejectsEverythingElse) {
  for (const char* bad : {"", "42", "abcdef01234-42", "abcdef0123456-1", "ABCDEF012345-1",
                          "abcdef012345-", "abcdef012345-01", "abcdef012345-1x",
                          "abcdef012345_1", "abcdef012345--1",
                          "abcdef012345-99999999999999999999999"}) {
    EXPECT_FALSE(ParseEventId(bad).has_value()) << bad;
  }
}

TEST(EventIdTest, OrdersByEpochThenSeq) {
  EXPECT_LT((EventId{1, 9}), (EventId{1, 10}));
  EXPECT_EQ(ParseEventId(FormatEventId({7, 0})), (EventId{7, 0}));
}

TEST(EventIdTest, NewEpochFitsInFortyEightBitsAndIsNotZero) {
  for (int i = 0; i < 100; ++i) {
    const auto e = NewEpoch();
    EXPECT_NE(e, 0u);
    EXPECT_EQ(e & ~kEpochMask, 0u);
  }
}

}  // namespace
}  // namespace pushy
