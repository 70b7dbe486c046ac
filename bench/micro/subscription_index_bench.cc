// Fan-out lookup: which local subscribers want a published channel. Three shapes from the
// benchmark's scenarios, 10,000 subscribers each: all on one name, all on one pattern (`t.*`),
// and each on its own channel. The cost per event is the lookup plus one callback per match.
#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <vector>

#include "channels/subscription_index.h"

namespace {

struct Subscriber {
  std::uint64_t delivered = 0;
};

constexpr int kSubscribers = 10000;

struct Fixture {
  std::vector<std::unique_ptr<Subscriber>> subscribers;
  pushy::channels::SubscriptionIndex<Subscriber> index;

  explicit Fixture(const std::function<std::string(int)>& entry_of) {
    for (int i = 0; i < kSubscribers; ++i) {
      subscribers.push_back(std::make_unique<Subscriber>());
      index.Add(entry_of(i), subscribers.back().get());
    }
  }
};

template <typename ChannelOf>
void RunLookups(benchmark::State& state, Fixture& f, ChannelOf channel_of) {
  std::uint64_t matched = 0;
  std::uint64_t n = 0;
  for (auto _ : state) {
    f.index.ForEachMatch(channel_of(n++), [&](Subscriber* s) {
      ++s->delivered;
      ++matched;
    });
  }
  state.counters["matches_per_lookup"] =
      benchmark::Counter(static_cast<double>(matched) / static_cast<double>(n));
  state.SetItemsProcessed(static_cast<std::int64_t>(matched));  // items = deliveries
}

void BM_OneName10k(benchmark::State& state) {
  Fixture f([](int) { return std::string("news"); });
  RunLookups(state, f, [](std::uint64_t) { return std::string_view("news"); });
}
BENCHMARK(BM_OneName10k);

void BM_Pattern10k(benchmark::State& state) {
  Fixture f([](int) { return std::string("t.*"); });
  std::vector<std::string> channels;
  for (int i = 0; i < 100; ++i) channels.push_back("t." + std::to_string(i));
  RunLookups(state, f, [&](std::uint64_t n) { return std::string_view(channels[n % 100]); });
}
BENCHMARK(BM_Pattern10k);

// 10,000 subscribers each on its own channel: one match per lookup, so this is the probe cost.
void BM_EachOwnChannel10k(benchmark::State& state) {
  std::vector<std::string> channels;
  for (int i = 0; i < kSubscribers; ++i) channels.push_back("c" + std::to_string(i));
  Fixture f([&](int i) { return channels[static_cast<std::size_t>(i)]; });
  RunLookups(state, f,
             [&](std::uint64_t n) { return std::string_view(channels[n % kSubscribers]); });
}
BENCHMARK(BM_EachOwnChannel10k);

// Many patterns, none matching: what every publish pays for unrelated pattern subscribers.
void BM_MissAmong10kPatterns(benchmark::State& state) {
  Fixture f([](int i) { return "room" + std::to_string(i) + ".*"; });
  RunLookups(state, f, [](std::uint64_t) { return std::string_view("lobby.chat"); });
}
BENCHMARK(BM_MissAmong10kPatterns);

void BM_AddRemove(benchmark::State& state) {
  Fixture f([](int) { return std::string("news"); });
  Subscriber extra;
  for (auto _ : state) {
    f.index.Add("news", &extra);
    f.index.Remove("news", &extra);
  }
}
BENCHMARK(BM_AddRemove);

}  // namespace
