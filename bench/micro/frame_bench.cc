// Encoding one event into its shared chunk: done once per event per node, so it bounds the
// publish path, not the fan-out.
#include <benchmark/benchmark.h>

#include <string>

#include "core/event.h"
#include "sse/frame.h"

namespace {

pushy::Event MakeEvent(std::size_t data_bytes) {
  pushy::Event event;
  event.id = pushy::EventId{0x29a4a7843c0f, 123456};
  event.channel = "news.sports";
  event.name = "message";
  event.data = R"({"seq":123456,"t":1795829584547000000,"pad":")" +
               std::string(data_bytes > 60 ? data_bytes - 60 : 0, 'x') + "\"}";
  event.ts_ms = 1795829584547;
  return event;
}

void BM_EncodeEvent(benchmark::State& state) {
  const pushy::Event event = MakeEvent(static_cast<std::size_t>(state.range(0)));
  std::size_t bytes = 0;
  for (auto _ : state) {
    pushy::sse::FramePtr frame = pushy::sse::EncodeEvent(event);
    bytes += frame->size();
    benchmark::DoNotOptimize(frame);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
}
BENCHMARK(BM_EncodeEvent)->Arg(100)->Arg(1000)->Arg(16384);

void BM_EventText(benchmark::State& state) {
  const pushy::Event event = MakeEvent(100);
  for (auto _ : state) benchmark::DoNotOptimize(pushy::sse::EventText(event));
}
BENCHMARK(BM_EventText);

// What a subscriber's queue costs per event: one shared reference, never a copy.
void BM_ShareFrame(benchmark::State& state) {
  const pushy::sse::FramePtr frame = pushy::sse::EncodeEvent(MakeEvent(100));
  for (auto _ : state) {
    pushy::sse::FramePtr copy = frame;
    benchmark::DoNotOptimize(copy);
  }
}
BENCHMARK(BM_ShareFrame);

}  // namespace
