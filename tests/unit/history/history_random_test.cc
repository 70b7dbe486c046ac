#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "channels/name.h"
#include "history/history.h"
#include "history_test_util.h"

namespace pushy::history {
namespace {

using test_util::Publisher;
using test_util::Seqs;

const std::vector<std::string> kChannels = {"a", "a.x", "a.y", "a.x.z", "b", "b.c", "c"};
const std::vector<std::string> kEntries = {"a",    "a.x", "a.y", "a.x.z", "b",   "b.c",
                                           "c",    "zz",  "a.*", "*",     "*.x", "a.**",
                                           "b.**", "**",  "*.*", "*.x.*"};

struct ModelEvent {
  std::uint64_t seq;
  std::string channel;
  std::int64_t ts_ms;
};

// Brute force: keeps every event ever published and derives what must still be retained.
class Model {
 public:
  explicit Model(Options options) : options_(options) {}

  void Add(std::uint64_t seq, const std::string& channel, std::int64_t ts_ms) {
    all_.push_back({seq, channel, ts_ms});
  }

  // Which events History must still hold right after expiring at `now` (the test clock never
  // goes back, so every channel's stamps ascend and expiry by the oldest event is exact).
  std::vector<bool> Retained(std::int64_t now) const {
    std::vector<bool> kept(all_.size());
    std::map<std::string, std::size_t> newer;  // per channel, events seen so far from the end
    for (std::size_t i = all_.size(); i-- > 0;) {
      std::size_t& count = newer[all_[i].channel];
      kept[i] = count < options_.max_events_per_channel && now - all_[i].ts_ms <= options_.ttl_ms;
      ++count;
    }
    return kept;
  }

  const std::vector<ModelEvent>& all() const { return all_; }

 private:
  Options options_;
  std::vector<ModelEvent> all_;
};

bool Covered(const std::string& channel, const std::vector<std::string>& entries) {
  return std::any_of(entries.begin(), entries.end(),
                     [&](const std::string& entry) { return channels::Matches(entry, channel); });
}

void CheckQuery(Publisher& p, const Model& model, std::uint64_t after,
                const std::vector<std::string>& entries) {
  const auto replay = p.After(after, entries);
  const std::int64_t now = p.clock().NowMs();
  std::vector<std::uint64_t> expected;
  bool must_gap = after > p.history().last_seq();
  bool any_drop_after = false;  // anywhere, covered or not
  std::size_t retained = 0;
  std::set<std::string> live_channels;
  const std::vector<bool> kept_flags = model.Retained(now);
  for (std::size_t i = 0; i < model.all().size(); ++i) {
    const ModelEvent& event = model.all()[i];
    const bool kept = kept_flags[i];
    retained += kept;
    if (kept) live_channels.insert(event.channel);
    if (!kept && event.seq > after) any_drop_after = true;
    if (event.seq <= after || !Covered(event.channel, entries)) continue;
    if (kept) {
      expected.push_back(event.seq);
    } else {
      must_gap = true;
    }
  }
  std::string where = "after " + std::to_string(after) + " on";
  for (const auto& entry : entries) where += " " + entry;
  ASSERT_EQ(Seqs(replay), expected) << where;
  if (must_gap) {
    ASSERT_TRUE(replay.gap) << where;
  }
  // Gaps are conservative, but only about events that really were dropped.
  if (!any_drop_after && after <= p.history().last_seq()) {
    ASSERT_FALSE(replay.gap) << where;
  }
  ASSERT_EQ(p.history().event_count(), retained);
  ASSERT_EQ(p.history().channel_count(), live_channels.size());
}

void RunScenario(std::uint32_t seed, Options options) {
  SCOPED_TRACE("seed " + std::to_string(seed) + " max " +
               std::to_string(options.max_events_per_channel) + " ttl " +
               std::to_string(options.ttl_ms));
  std::mt19937 rng(seed);
  auto pick = [&](std::size_t n) {
    return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng);
  };
  Publisher p(options);
  Model model(options);
  for (int step = 0; step < 400; ++step) {
    p.clock().Advance(static_cast<std::int64_t>(pick(4)));
    const std::size_t action = pick(10);
    if (action < 6) {
      const std::string& channel = kChannels[pick(kChannels.size())];
      const std::uint64_t seq = p.Publish(channel);
      model.Add(seq, channel, p.clock().NowMs());
    } else if (action == 6) {
      p.history().ExpireOld();
    } else {
      std::vector<std::string> entries;
      for (std::size_t n = pick(4); n > 0; --n) entries.push_back(kEntries[pick(kEntries.size())]);
      const std::uint64_t after = pick(p.history().last_seq() + 3);
      CheckQuery(p, model, after, entries);
      if (::testing::Test::HasFatalFailure()) return;
    }
  }
}

TEST(HistoryRandomTest, MatchesBruteForceModel) {
  const std::vector<Options> configs = {
      {.max_events_per_channel = 0, .ttl_ms = 1000}, {.max_events_per_channel = 1, .ttl_ms = 1000},
      {.max_events_per_channel = 2, .ttl_ms = 30},   {.max_events_per_channel = 3, .ttl_ms = 8},
      {.max_events_per_channel = 5, .ttl_ms = 0},    {.max_events_per_channel = 1000, .ttl_ms = 50},
  };
  for (const Options& options : configs) {
    for (std::uint32_t seed = 1; seed <= 25; ++seed) {
      RunScenario(seed, options);
      if (HasFatalFailure()) return;
    }
  }
}

}  // namespace
}  // namespace pushy::history
