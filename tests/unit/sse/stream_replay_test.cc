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

namespace pushy::sse {
namespace {

// Frames queued while a WriteBatch is open leave in one gathered write when it closes.
TEST(WriteBatchTest, DefersWritesUntilTheBatchEnds) {
  test_util::Harness h(Stream::Options{});
  h.reader.Start();
  const FramePtr retry = RetryFrame(1000);
  h.stream->Open(test_util::kHead, retry, test_util::kT0);
  h.stream->GoLive({}, 0);
  ASSERT_TRUE(h.Flush());
  const std::size_t before = test_util::kHead.size() + retry->size();
  ASSERT_TRUE(h.ReceiveAtLeast(before));
  const FramePtr first = Chunk("id: 1\n\n");
  const FramePtr second = Chunk("id: 2\n\n");
  {
    WriteBatch batch;
    EXPECT_TRUE(h.stream->Deliver(1, first));
    EXPECT_TRUE(h.stream->Deliver(2, second));
    h.ioc.poll();
    EXPECT_EQ(h.reader.data.size(), before);  // nothing written inside the batch
    EXPECT_EQ(h.stream->pending_bytes(), first->size() + second->size());
  }
  ASSERT_TRUE(h.ReceiveAtLeast(before + first->size() + second->size()));
  EXPECT_EQ(h.reader.data.substr(before), *first + *second);
}

}  // namespace
}  // namespace pushy::sse
