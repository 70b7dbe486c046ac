#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sse/frame.h"
#include "sse/stream.h"
#include "stream_test_util.h"

namespace pushy::sse {
namespace {

using test_util::Harness;
using test_util::kHead;
using test_util::kT0;

std::vector<EventPtr> Backlog(std::size_t count, std::size_t pad) {
  std::vector<EventPtr> events;
  for (std::size_t i = 1; i <= count; ++i) {
    auto event = std::make_shared<Event>();
    event->id = EventId{7, i};
    event->channel = "r.x";
    event->name = "message";
    event->data = "{\"i\":" + std::to_string(i) + ",\"pad\":\"" + std::string(pad, 'p') + "\"}";
    event->ts_ms = kT0;
    events.push_back(std::move(event));
  }
  return events;
}

// A resume whose backlog is many times the slow-consumer bound is written a slice at a time as
// the socket drains: every event arrives, intact and in order, and the stream stays open.
TEST(StreamReplayTest, BacklogLargerThanTheBoundArrivesWholeAndInOrder) {
  Stream::Options options;
  options.max_pending_bytes = 8192;
  Harness h(options, /*rcvbuf=*/4096, /*sndbuf=*/4096);
  h.reader.Start();
  const FramePtr retry = RetryFrame(1000);
  h.stream->Open(kHead, retry, kT0);
  const std::vector<EventPtr> backlog = Backlog(400, 300);  // ~140 KB, 17x the bound
  std::string expected = kHead + *retry;
  for (const EventPtr& event : backlog) expected += *EncodeEvent(*event);
  h.stream->GoLive({}, 0, backlog);
  // A live event arriving meanwhile follows the backlog; one at or below it is a duplicate.
  const FramePtr live = Chunk("id: live\n\n");
  h.stream->Deliver(400, Chunk("dup\n\n"));
  h.stream->Deliver(401, live);
  expected += *live;
  ASSERT_TRUE(h.ReceiveAtLeast(expected.size()));
  EXPECT_EQ(h.reader.data, expected);
  EXPECT_FALSE(h.stream->closed());
  EXPECT_TRUE(h.observer.reasons.empty());
}

// Ending a stream that still waits for its replay answer writes the answer first.
TEST(StreamReplayTest, EndBeforeTheReplayAnswerWritesItThenEnds) {
  Harness h(Stream::Options{});
  h.reader.Start();
  const FramePtr retry = RetryFrame(1000);
  h.stream->Open(kHead, retry, kT0);
  h.stream->End(CloseReason::kDrained);
  EXPECT_FALSE(h.stream->closed());
  const std::vector<EventPtr> backlog = Backlog(3, 10);
  h.stream->GoLive({}, 0, backlog);
  ASSERT_TRUE(h.ReceiveUntilEnd());
  std::string expected = kHead + *retry;
  for (const EventPtr& event : backlog) expected += *EncodeEvent(*event);
  expected += *FinalChunk();
  EXPECT_EQ(h.reader.data, expected);
  ASSERT_EQ(h.observer.reasons.size(), 1u);
  EXPECT_EQ(h.observer.reasons[0], CloseReason::kDrained);
}

}  // namespace
}  // namespace pushy::sse
