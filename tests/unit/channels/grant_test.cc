#include "channels/grant.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "channels/name.h"

namespace pushy::channels {
namespace {

struct CoverCase {
  std::string_view grant;
  std::string_view entry;
  bool covers;
};

TEST(CoversTest, IsExactSetInclusion) {
  const std::vector<CoverCase> cases = {
      // A single-segment wildcard covers exactly one segment.
      {"a.*", "a.b", true},
      {"a.*", "a.*", true},
      {"a.*", "a.**", false},  // a.** also matches a.b.c
      {"a.*", "a", false},
      {"a.*", "a.b.c", false},
      {"a.*", "b.*", false},
      {"a.*", "*.b", false},
      // `**` covers any tail of one or more segments.
      {"a.**", "a.*", true},
      {"a.**", "a.*.c", true},
      {"a.**", "a.**", true},
      {"a.**", "a.b.**", true},
      {"a.**", "a.b", true},
      {"a.**", "a.b.c.d", true},
      {"a.**", "a", false},
      {"a.**", "*.b", false},
      {"a.**", "**", false},
      // `a.**` is 2+ segments, `a.*.**` 3+: only one direction holds.
      {"a.**", "a.*.**", true},
      {"a.*.**", "a.**", false},  // a.** matches a.b, which a.*.** does not
      {"a.*.**", "a.*.*", true},
      {"a.*.**", "a.b.**", true},
      {"a.*.**", "a.b.c.**", true},
      {"a.*.**", "a.b", false},
      {"a.*.**", "a.*", false},
      {"*.**", "*.*", true},
      {"*.**", "**", false},  // ** matches the single-segment "a"
      {"*.**", "*.*.**", true},
      {"*.*.**", "*.**", false},
      // Wildcards in front.
      {"*.b", "x.b", true},
      {"*.b", "*.b", true},
      {"*.b", "**", false},
      {"*.b", "*.c", false},
      {"*.b", "*.*", false},
      {"*.b", "x.b.c", false},
      {"*.*", "a.*", true},
      {"*.*", "*.b", true},
      {"*.*", "*.**", false},
      {"a.*.c", "a.b.c", true},
      {"a.*.c", "a.*.c", true},
      {"a.*.c", "a.**", false},
      {"a.*.c", "*.b.c", false},
      {"a.b.**", "a.b.*", true},
      {"a.b.**", "a.b.c.**", true},
      {"a.b.**", "a.**", false},
      {"a.b.**", "a.b", false},
      // Bare wildcards.
      {"*", "a", true},
      {"*", "*", true},
      {"*", "**", false},
      {"*", "a.b", false},
      {"**", "a", true},
      {"**", "a.b.c", true},
      {"**", "*", true},
      {"**", "**", true},
      {"**", "*.**", true},
      {"**", "a.*.**", true},
      // Names cover only themselves.
      {"a", "a", true},
      {"a.b", "a.b", true},
      {"a", "b", false},
      {"a", "A", false},
      {"a", "*", false},
      {"a", "a.b", false},
      {"a.b", "a", false},
      {"a.b", "a.*", false},
      {"a.b", "a.**", false},
      // Invalid grants cover nothing, even what their bytes would "match".
      {"", "a", false},
      {"a.", "a", false},
      {"new*", "new*", false},
      {"new*", "newx", false},
      {"a.**.b", "a.x.b", false},
      {"a.**.b", "a.x", false},
      {"**.a", "x.a", false},
      {"a b", "a b", false},
      {"a..b", "a..b", false},
      // Invalid entries are covered by nothing, not even `**`.
      {"**", "", false},
      {"**", "a..b", false},
      {"**", "new*", false},
      {"**", "a.**.b", false},
      {"**", "caf\xc3\xa9", false},
      {"*", "a/b", false},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(Covers(c.grant, c.entry), c.covers) << c.grant << " covers " << c.entry;
  }
}

TEST(CoversTest, RejectsOverlongInput) {
  const std::string long_name(256, 'x');
  EXPECT_FALSE(Covers("**", long_name));
  EXPECT_FALSE(Covers(long_name, long_name));
  EXPECT_TRUE(Covers("**", std::string(255, 'x')));
}

// Every channel of 1..max_segments segments over {a, b, c}.
std::vector<std::string> Universe(int max_segments) {
  std::vector<std::string> out = {"a", "b", "c"};
  std::size_t level_start = 0;
  for (int depth = 2; depth <= max_segments; ++depth) {
    const std::size_t level_end = out.size();
    for (std::size_t i = level_start; i < level_end; ++i) {
      for (const char* seg : {"a", "b", "c"}) out.push_back(out[i] + "." + seg);
    }
    level_start = level_end;
  }
  return out;
}

std::string RandomEntry(std::mt19937& rng) {
  auto pick = [&rng](int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng); };
  std::string out;
  const int segments = 1 + pick(4);
  for (int i = 0; i < segments; ++i) {
    if (i > 0) out += '.';
    const int r = pick(5);
    if (r == 4 && i + 1 == segments) {
      out += "**";
    } else {
      out += r == 0 ? "a" : r == 1 ? "b" : "*";
    }
  }
  return out;
}

// Entries use literals {a, b}; the universe adds c, which stands for "any other segment", and
// one more segment than any entry has, which stands for "any longer channel". Over that finite
// universe, inclusion of matched sets is decidable by enumeration and equals true inclusion.
TEST(CoversTest, AgreesWithEnumerationOfMatchedSets) {
  const std::vector<std::string> universe = Universe(5);
  std::mt19937 rng(11);
  int covered = 0;
  for (int i = 0; i < 2000; ++i) {
    const std::string grant = RandomEntry(rng);
    const std::string entry = RandomEntry(rng);
    bool included = true;
    for (const auto& channel : universe) {
      if (Matches(entry, channel) && !Matches(grant, channel)) {
        included = false;
        break;
      }
    }
    EXPECT_EQ(Covers(grant, entry), included) << grant << " covers " << entry;
    covered += included ? 1 : 0;
  }
  EXPECT_GT(covered, 100);  // the generator must exercise both answers
}

TEST(MaySubscribeTest, NeedsOneGrantCoveringTheWholeEntry) {
  const std::vector<std::string> news = {"news.*"};
  EXPECT_TRUE(MaySubscribe(news, "news.sports"));
  EXPECT_TRUE(MaySubscribe(news, "news.*"));
  EXPECT_FALSE(MaySubscribe(news, "news"));
  EXPECT_FALSE(MaySubscribe(news, "news.**"));
  EXPECT_FALSE(MaySubscribe(news, "news.sports.live"));

  // Together these cover a.** (2 segments, and 3+), but neither does alone.
  const std::vector<std::string> split = {"a.*", "a.*.**"};
  EXPECT_FALSE(MaySubscribe(split, "a.**"));
  EXPECT_TRUE(MaySubscribe(split, "a.b.**"));
  EXPECT_TRUE(MaySubscribe(split, "a.b"));

  const std::vector<std::string> two_names = {"a.x", "a.y"};
  EXPECT_FALSE(MaySubscribe(two_names, "a.*"));
  EXPECT_TRUE(MaySubscribe(two_names, "a.y"));
}

TEST(MaySubscribeTest, IgnoresInvalidGrantsAndRejectsInvalidEntries) {
  const std::vector<std::string> grants = {"", "bad grant", "a.**.b", std::string(300, 'x'),
                                           "b.**"};
  EXPECT_FALSE(MaySubscribe(grants, "a.x.b"));
  EXPECT_FALSE(MaySubscribe(grants, "bad grant"));
  EXPECT_TRUE(MaySubscribe(grants, "b.c"));
  const std::vector<std::string> everything = {"**"};
  EXPECT_FALSE(MaySubscribe(everything, ""));
  EXPECT_FALSE(MaySubscribe(everything, "a..b"));
  EXPECT_FALSE(MaySubscribe({}, "a"));
}

TEST(MayPublishTest, NeedsAConcreteChannelMatchedByOneGrant) {
  const std::vector<std::string> grants = {"news.*", "chat.room1"};
  EXPECT_TRUE(MayPublish(grants, "news.sports"));
  EXPECT_TRUE(MayPublish(grants, "chat.room1"));
  EXPECT_FALSE(MayPublish(grants, "news"));
  EXPECT_FALSE(MayPublish(grants, "news.sports.live"));
  EXPECT_FALSE(MayPublish(grants, "chat.room2"));
  EXPECT_FALSE(MayPublish(grants, "news.*"));  // patterns are never publishable
  EXPECT_FALSE(MayPublish(grants, "news.sp orts"));
  EXPECT_FALSE(MayPublish(grants, ""));
  const std::vector<std::string> everything = {"**"};
  EXPECT_TRUE(MayPublish(everything, "x.y.z"));
  EXPECT_FALSE(MayPublish(everything, "*"));
  EXPECT_FALSE(MayPublish(everything, "**"));
  EXPECT_FALSE(MayPublish({}, "a"));
}

TEST(MayPublishTest, InvalidGrantsMatchNothing) {
  // Matches() alone would accept a.x for a.**.b (it stops at the first `**`); validation must not.
  const std::vector<std::string> grants = {"a.**.b", "new*", "", "x..y"};
  EXPECT_FALSE(MayPublish(grants, "a.x"));
  EXPECT_FALSE(MayPublish(grants, "a.x.b"));
  EXPECT_FALSE(MayPublish(grants, "newx"));
}

}  // namespace
}  // namespace pushy::channels
