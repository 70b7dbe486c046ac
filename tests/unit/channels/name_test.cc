#include "channels/name.h"

#include <gtest/gtest.h>

#include <random>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

namespace pushy::channels {
namespace {

using namespace std::string_literals;

struct ClassifyCase {
  std::string entry;
  EntryKind kind;
};

TEST(ClassifyTest, FollowsTheNamingRules) {
  const std::vector<ClassifyCase> cases = {
      // Names.
      {"a", EntryKind::kName},
      {"news", EntryKind::kName},
      {"news.sports", EntryKind::kName},
      {"a.b.c.d.e", EntryKind::kName},
      {"AZaz09_-:@=", EntryKind::kName},
      {"user:42.chat@room=1", EntryKind::kName},
      {"1", EntryKind::kName},
      {"-", EntryKind::kName},
      {std::string(255, 'x'), EntryKind::kName},
      {std::string(126, 'x') + "." + std::string(128, 'y'), EntryKind::kName},
      // Patterns.
      {"*", EntryKind::kPattern},
      {"**", EntryKind::kPattern},
      {"news.*", EntryKind::kPattern},
      {"news.**", EntryKind::kPattern},
      {"*.b", EntryKind::kPattern},
      {"*.*", EntryKind::kPattern},
      {"a.*.c", EntryKind::kPattern},
      {"*.**", EntryKind::kPattern},
      {"a.*.**", EntryKind::kPattern},
      {std::string(252, 'x') + ".**", EntryKind::kPattern},
      // Length.
      {"", EntryKind::kInvalid},
      {std::string(256, 'x'), EntryKind::kInvalid},
      {std::string(253, 'x') + ".**", EntryKind::kInvalid},
      // Empty segments.
      {".", EntryKind::kInvalid},
      {"..", EntryKind::kInvalid},
      {".a", EntryKind::kInvalid},
      {"a.", EntryKind::kInvalid},
      {"a..b", EntryKind::kInvalid},
      {"*.", EntryKind::kInvalid},
      {".*", EntryKind::kInvalid},
      {"**.", EntryKind::kInvalid},
      // Wildcards that are not whole segments, or `**` not last.
      {"new*", EntryKind::kInvalid},
      {"*new", EntryKind::kInvalid},
      {"a.*b", EntryKind::kInvalid},
      {"***", EntryKind::kInvalid},
      {"a.***", EntryKind::kInvalid},
      {"**.a", EntryKind::kInvalid},
      {"a.**.b", EntryKind::kInvalid},
      {"a.**.**", EntryKind::kInvalid},
      {"**.*", EntryKind::kInvalid},
      // Bytes outside the segment alphabet.
      {"a b", EntryKind::kInvalid},
      {" a", EntryKind::kInvalid},
      {"a/b", EntryKind::kInvalid},
      {"a%20b", EntryKind::kInvalid},
      {"a,b", EntryKind::kInvalid},
      {"a+b", EntryKind::kInvalid},
      {"a#b", EntryKind::kInvalid},
      {"a!", EntryKind::kInvalid},
      {"a~", EntryKind::kInvalid},
      {"a\tb", EntryKind::kInvalid},
      {"a\nb", EntryKind::kInvalid},
      {"a\0b"s, EntryKind::kInvalid},
      {"\0"s, EntryKind::kInvalid},
      {"caf\xc3\xa9", EntryKind::kInvalid},  // valid UTF-8, not ASCII
      {"a\xc3", EntryKind::kInvalid},        // truncated UTF-8
      {"\xff", EntryKind::kInvalid},
      {"a.\x7f", EntryKind::kInvalid},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(Classify(c.entry), c.kind) << "entry: \"" << c.entry << "\"";
    EXPECT_EQ(IsValidName(c.entry), c.kind == EntryKind::kName) << "entry: \"" << c.entry << "\"";
  }
}

TEST(ClassifyTest, AcceptsEveryAllowedByteAndNoOther) {
  const std::string_view allowed =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-:@=";
  for (int b = 0; b < 256; ++b) {
    const std::string name = "a" + std::string(1, static_cast<char>(b)) + "b";
    const bool ok = allowed.find(static_cast<char>(b)) != std::string_view::npos;
    // '.' splits "a.b" into two valid segments; '*' makes "a*b", which is invalid.
    const EntryKind want = ok || b == '.' ? EntryKind::kName : EntryKind::kInvalid;
    EXPECT_EQ(Classify(name), want) << "byte " << b;
  }
}

struct MatchCase {
  std::string_view entry;
  std::string_view channel;
  bool matches;
};

TEST(MatchesTest, FollowsTheWildcardRules) {
  const std::vector<MatchCase> cases = {
      // The contract's own examples.
      {"news.*", "news.sports", true},
      {"news.*", "news", false},
      {"news.*", "news.sports.live", false},
      {"news.**", "news.sports", true},
      {"news.**", "news.sports.live", true},
      {"news.**", "news", false},
      // Names match only themselves, byte for byte.
      {"news", "news", true},
      {"news", "News", false},
      {"news", "news.sports", false},
      {"news.sports", "news", false},
      {"a.b", "a.bc", false},
      {"a.bc", "a.b", false},
      {"ab", "a", false},
      // Bare wildcards.
      {"*", "a", true},
      {"*", "a.b", false},
      {"**", "a", true},
      {"**", "a.b.c.d", true},
      // `*` in the middle or front.
      {"*.b", "a.b", true},
      {"*.b", "a.c", false},
      {"*.b", "b", false},
      {"*.b", "x.a.b", false},
      {"a.*.c", "a.x.c", true},
      {"a.*.c", "a.c", false},
      {"a.*.c", "a.x.y.c", false},
      {"a.*.c", "b.x.c", false},
      {"*.*", "a.b", true},
      {"*.*", "a", false},
      {"*.*", "a.b.c", false},
      // `**` after other segments.
      {"*.**", "a", false},
      {"*.**", "a.b", true},
      {"*.**", "a.b.c", true},
      {"a.*.**", "a.b", false},
      {"a.*.**", "a.b.c", true},
      {"a.b.**", "a.b.c.d", true},
      {"a.b.**", "a.c.d", false},
      {"a.**", "ab.c", false},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(Matches(c.entry, c.channel), c.matches) << c.entry << " vs " << c.channel;
  }
}

// An independent oracle: `*` is one segment, a trailing `**` one or more.
std::regex ToRegex(std::string_view pattern) {
  std::string re;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = pattern.find('.', start);
    const std::string_view seg = pattern.substr(start, dot - start);
    if (!re.empty()) re += "\\.";
    if (seg == "**") {
      re += "[^.]+(\\.[^.]+)*";
    } else if (seg == "*") {
      re += "[^.]+";
    } else {
      re += seg;  // the test alphabet has no regex metacharacters
    }
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return std::regex(re);
}

TEST(MatchesTest, AgreesWithARegexOracle) {
  std::mt19937 rng(7);
  const std::vector<std::string> literals = {"a", "b", "ab"};
  auto pick = [&rng](std::size_t n) {
    return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng);
  };
  auto random_entry = [&](bool wildcards) {
    std::string out;
    const std::size_t segments = 1 + pick(4);
    for (std::size_t i = 0; i < segments; ++i) {
      if (i > 0) out += '.';
      const std::size_t r = pick(wildcards ? 5 : 3);
      if (r < 3) {
        out += literals[r];
      } else {
        out += (r == 4 && i + 1 == segments) ? "**" : "*";
      }
    }
    return out;
  };
  int matched = 0;
  for (int i = 0; i < 3000; ++i) {
    const std::string pattern = random_entry(true);
    const std::string channel = random_entry(false);
    ASSERT_NE(Classify(pattern), EntryKind::kInvalid) << pattern;
    const bool want = std::regex_match(channel, ToRegex(pattern));
    EXPECT_EQ(Matches(pattern, channel), want) << pattern << " vs " << channel;
    matched += want ? 1 : 0;
  }
  EXPECT_GT(matched, 100);  // the generator must exercise both answers
}

}  // namespace
}  // namespace pushy::channels
