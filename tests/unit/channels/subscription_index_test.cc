#include "channels/subscription_index.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <new>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "channels/name.h"

// Counts heap allocations so a test can prove that lookups allocate nothing.
namespace {
std::size_t g_allocations = 0;
}  // namespace

// g++ 12 cannot see that this operator new pairs with the free() below.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void* operator new(std::size_t size) {
  ++g_allocations;
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
#pragma GCC diagnostic pop

namespace pushy::channels {
namespace {

struct Sub {
  int id = 0;
};
using Index = SubscriptionIndex<Sub>;

std::vector<Sub*> Lookup(const Index& index, std::string_view channel) {
  std::vector<Sub*> out;
  index.ForEachMatch(channel, [&out](Sub* s) { out.push_back(s); });
  std::sort(out.begin(), out.end());
  return out;
}

TEST(SubscriptionIndexTest, ReportsFirstAndLastSubscriberOfEachEntry) {
  for (const char* entry : {"a", "a.b", "a.*", "*", "**", "a.**", "*.b.**"}) {
    Index index;
    Sub s1, s2, s3;
    EXPECT_TRUE(index.Add(entry, &s1)) << entry;
    EXPECT_FALSE(index.Add(entry, &s2)) << entry;
    EXPECT_FALSE(index.Add(entry, &s1)) << entry;  // duplicate pair: no-op
    EXPECT_EQ(index.size(), 2u) << entry;
    EXPECT_FALSE(index.Remove(entry, &s3)) << entry;  // never added
    EXPECT_FALSE(index.Remove(entry, &s1)) << entry;  // s2 remains
    EXPECT_FALSE(index.Remove(entry, &s1)) << entry;  // already gone
    EXPECT_EQ(index.size(), 1u) << entry;
    EXPECT_TRUE(index.Remove(entry, &s2)) << entry;
    EXPECT_FALSE(index.Remove(entry, &s2)) << entry;
    EXPECT_TRUE(index.empty()) << entry;
    EXPECT_TRUE(index.Add(entry, &s3)) << entry;  // first again after emptying
  }
}

TEST(SubscriptionIndexTest, RemovingAbsentPairsChangesNothing) {
  Index index;
  Sub s1, s2;
  EXPECT_FALSE(index.Remove("a", &s1));
  EXPECT_FALSE(index.Remove("a.*", &s1));
  EXPECT_FALSE(index.Remove("**", &s1));
  EXPECT_FALSE(index.Remove("bad..entry", &s1));
  ASSERT_TRUE(index.Add("a.*", &s1));
  ASSERT_TRUE(index.Add("a.b", &s1));
  const std::size_t nodes = index.pattern_node_count();
  // Entries sharing a trie path or a name with a present one, and other subscribers.
  for (const char* entry : {"a.*.*", "a.**", "a", "a.b.*", "a.*.**", "*", "a.c", "a.b.c"}) {
    EXPECT_FALSE(index.Remove(entry, &s1)) << entry;
  }
  EXPECT_FALSE(index.Remove("a.*", &s2));
  EXPECT_FALSE(index.Remove("a.b", &s2));
  EXPECT_EQ(index.size(), 2u);
  EXPECT_EQ(index.pattern_node_count(), nodes);
  EXPECT_EQ(Lookup(index, "a.b"), (std::vector<Sub*>{&s1, &s1}));
}

TEST(SubscriptionIndexTest, FindsNamesAndPatternsOncePerPair) {
  Index index;
  Sub news, all, sports, deep, other;
  index.Add("news.sports", &sports);
  index.Add("news.*", &news);
  index.Add("news.**", &deep);
  index.Add("**", &all);
  index.Add("news.sports", &all);  // overlaps with `**`: called twice
  index.Add("weather.*", &other);
  const auto sorted = [](std::vector<Sub*> v) {
    std::sort(v.begin(), v.end());
    return v;
  };
  EXPECT_EQ(Lookup(index, "news.sports"), sorted({&sports, &news, &deep, &all, &all}));
  EXPECT_EQ(Lookup(index, "news.sports.live"), sorted({&deep, &all}));
  EXPECT_EQ(Lookup(index, "news"), sorted({&all}));
  EXPECT_EQ(Lookup(index, "weather.today"), sorted({&all, &other}));
  // The channel is a view into a larger buffer: only its bytes count.
  const std::string buffer = "news.sportsXYZ";
  EXPECT_EQ(Lookup(index, std::string_view(buffer).substr(0, 11)),
            sorted({&sports, &news, &deep, &all, &all}));
}

TEST(SubscriptionIndexTest, FreesEmptyNamesAndTrieNodes) {
  Index index;
  Sub s1, s2;
  const std::vector<std::string> entries = {"a.b.c.*", "a.b.**", "a.*.c", "*.x", "**", "a.b", "z"};
  for (const auto& e : entries) {
    index.Add(e, &s1);
    index.Add(e, &s2);
  }
  EXPECT_GT(index.pattern_node_count(), 0u);
  EXPECT_EQ(index.name_count(), 2u);
  index.Remove("a.b.c.*", &s1);
  index.Remove("a.b.c.*", &s2);
  EXPECT_EQ(index.pattern_node_count(), 6u);  // a, a.b, a.*, a.*.c, *, *.x
  for (const auto& e : entries) {
    index.Remove(e, &s1);
    index.Remove(e, &s2);
  }
  EXPECT_EQ(index.pattern_node_count(), 0u);
  EXPECT_EQ(index.name_count(), 0u);
  EXPECT_TRUE(index.empty());
}

TEST(SubscriptionIndexTest, LookupsDoNotAllocate) {
  Index index;
  std::vector<Sub> subs(100);
  for (auto& s : subs) {
    index.Add("t.x", &s);
    index.Add("t.*", &s);
    index.Add("t.**", &s);
  }
  std::vector<Sub*> out;
  out.reserve(1000);
  const std::string channel = "t.x";
  const std::size_t before = g_allocations;
  index.ForEachMatch(channel, [&out](Sub* s) { out.push_back(s); });
  index.ForEachMatch("u.v.w", [&out](Sub* s) { out.push_back(s); });
  EXPECT_EQ(g_allocations, before);
  EXPECT_EQ(out.size(), 300u);
}

TEST(SubscriptionIndexTest, HandlesTenThousandSubscribersOnOneEntry) {
  for (const char* entry : {"t.x", "t.*"}) {
    Index index;
    std::vector<Sub> subs(10000);
    for (std::size_t i = 0; i < subs.size(); ++i) {
      EXPECT_EQ(index.Add(entry, &subs[i]), i == 0);
    }
    EXPECT_EQ(Lookup(index, "t.x").size(), subs.size());
    std::vector<Sub*> order;
    for (auto& s : subs) order.push_back(&s);
    std::shuffle(order.begin(), order.end(), std::mt19937(3));
    for (std::size_t i = 0; i < order.size(); ++i) {
      EXPECT_EQ(index.Remove(entry, order[i]), i + 1 == order.size());
      if (i % 997 == 0) {  // the survivors are exactly the ones not yet removed
        std::vector<Sub*> want(order.begin() + static_cast<std::ptrdiff_t>(i) + 1, order.end());
        std::sort(want.begin(), want.end());
        ASSERT_EQ(Lookup(index, "t.x"), want);
      }
    }
    EXPECT_TRUE(index.empty());
    EXPECT_EQ(index.pattern_node_count(), 0u);
  }
}

// A random name or pattern of 1-4 segments over {a, b, c}.
std::string RandomEntry(std::mt19937& rng, bool wildcards) {
  auto pick = [&rng](int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng); };
  std::string out;
  const int segments = 1 + pick(4);
  for (int i = 0; i < segments; ++i) {
    if (i > 0) out += '.';
    const int r = pick(wildcards ? 6 : 3);
    if (r < 3) {
      out += std::string(1, static_cast<char>('a' + r));
    } else {
      out += (r == 5 && i + 1 == segments) ? "**" : "*";
    }
  }
  return out;
}

// Random adds and removes against a plain set of pairs, checking every return value and
// comparing ForEachMatch with "loop over all pairs calling Matches()".
void RunAgainstReference(unsigned seed, int entry_pool, int subscriber_count, int steps) {
  std::mt19937 rng(seed);
  auto pick = [&rng](int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng); };
  std::vector<std::string> entries;
  while (static_cast<int>(entries.size()) < entry_pool)
    entries.push_back(RandomEntry(rng, pick(2) == 1));
  std::vector<Sub> subs(static_cast<std::size_t>(subscriber_count));
  std::set<std::pair<std::string, Sub*>> pairs;
  auto count_entry = [&pairs](const std::string& e) {
    return std::count_if(pairs.begin(), pairs.end(), [&e](const auto& p) { return p.first == e; });
  };
  Index index;
  for (int step = 0; step < steps; ++step) {
    const std::string& entry = entries[static_cast<std::size_t>(pick(entry_pool))];
    Sub* s = &subs[static_cast<std::size_t>(pick(subscriber_count))];
    if (pick(100) < 55) {
      const bool first = count_entry(entry) == 0;
      const bool inserted = pairs.emplace(entry, s).second;
      ASSERT_EQ(index.Add(entry, s), inserted && first) << "add " << entry;
    } else {
      const bool erased = pairs.erase({entry, s}) == 1;
      ASSERT_EQ(index.Remove(entry, s), erased && count_entry(entry) == 0) << "remove " << entry;
    }
    ASSERT_EQ(index.size(), pairs.size());
    if (step % 50 != 0) continue;
    for (int probe = 0; probe < 10; ++probe) {
      const std::string channel = RandomEntry(rng, false);
      std::vector<Sub*> want;
      for (const auto& [e, sub] : pairs) {
        if (Matches(e, channel)) want.push_back(sub);
      }
      std::sort(want.begin(), want.end());
      ASSERT_EQ(Lookup(index, channel), want) << "channel " << channel;
    }
  }
  for (const auto& [e, sub] : std::set(pairs)) index.Remove(e, sub);
  EXPECT_TRUE(index.empty());
  EXPECT_EQ(index.pattern_node_count(), 0u);
  EXPECT_EQ(index.name_count(), 0u);
}

TEST(SubscriptionIndexTest, MatchesBruteForceWithManyEntries) {
  RunAgainstReference(1, 200, 8, 20000);
}

// Few entries, many subscribers: lists grow past the size where they switch to a position map
// and shrink back below it, many times over.
TEST(SubscriptionIndexTest, MatchesBruteForceWithCrowdedEntries) {
  RunAgainstReference(2, 6, 60, 20000);
}

}  // namespace
}  // namespace pushy::channels
