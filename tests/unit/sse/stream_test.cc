#include "sse/stream.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sse/frame.h"
#include "stream_test_util.h"

// Open, resume seam, duplicates and gathered writes. Timing, expiry and closing are in
// stream_lifecycle_test.cc.
namespace pushy::sse {
namespace {

using test_util::Harness;
using test_util::kHead;
using test_util::kT0;
using test_util::Text;

Stream::Options DefaultOptions() { return Stream::Options{}; }

// One distinct frame per sequence number, so that order and duplicates are visible.
FramePtr Numbered(std::uint64_t seq) { return Text("data: " + std::to_string(seq) + "\n\n"); }

std::string Concat(const std::vector<FramePtr>& frames) {
  std::string out;
  for (const FramePtr& f : frames) out += *f;
  return out;
}

TEST(StreamTest, OpenWritesHeadThenFirstFrameOnlyOnceTheBrokerAnswered) {
  Harness h(DefaultOptions());
  h.reader.Start();
  const FramePtr retry = RetryFrame(2500);
  h.stream->Open(kHead, retry, kT0);
  h.ioc.poll();
  EXPECT_TRUE(h.reader.data.empty());  // a client that saw the head must already be subscribed
  h.stream->GoLive({}, 0);
  const std::string expected = kHead + *retry;
  ASSERT_TRUE(h.ReceiveAtLeast(expected.size()));
  EXPECT_EQ(h.reader.data, expected);
  EXPECT_TRUE(h.Flush());
  EXPECT_EQ(h.stream->pending_bytes(), 0u);
  EXPECT_FALSE(h.stream->closed());
  EXPECT_TRUE(h.observer.reasons.empty());
}

// The broker could not subscribe the stream: the client gets the error answer alone (neither
// the held head nor held events), then the connection ends.
TEST(StreamTest, RefusedBeforeGoLiveWritesOnlyTheErrorThenCloses) {
  Harness h(DefaultOptions());
  h.reader.Start();
  h.stream->Open(kHead, RetryFrame(2500), kT0);
  EXPECT_TRUE(h.stream->Deliver(1, Chunk("id: 1\n\n")));  // held
  const std::string refusal = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n";
  h.stream->Refuse(refusal);
  h.stream->GoLive({}, 0);  // too late: ignored
  ASSERT_TRUE(h.ReceiveUntilEnd());
  EXPECT_EQ(h.reader.data, refusal);
  EXPECT_EQ(h.observer.reasons, std::vector<CloseReason>{CloseReason::kRefused});
}

TEST(StreamTest, LiveFramesBeforeGoLiveAreHeldUntilAfterTheReplay) {
  Harness h(DefaultOptions());
  h.reader.Start();
  const FramePtr retry = RetryFrame(1000);
  h.stream->Open(kHead, retry, kT0);
  // Live events arrive while history is being fetched: 4 and 5 overlap the replay, 6 and 7
  // are newer.
  std::size_t held_bytes = 0;
  for (std::uint64_t seq : {4, 5, 6, 7}) {
    h.stream->Deliver(seq, Numbered(seq));
    held_bytes += Numbered(seq)->size();
  }
  // Held bytes count towards the bound until they are written, beside the queued head.
  EXPECT_EQ(h.stream->pending_bytes(), kHead.size() + retry->size() + held_bytes);

  const std::vector<FramePtr> replay = {Numbered(3), Numbered(4), Numbered(5)};
  h.stream->GoLive(replay, 5);
  const std::string expected = kHead + *retry + Concat(replay) + *Numbered(6) + *Numbered(7);
  ASSERT_TRUE(h.ReceiveAtLeast(expected.size()));
  EXPECT_EQ(h.reader.data, expected);
}

// Regression (fixed): src/sse/stream.cc, Stream::Deliver() (case State::kReplaying) adds a held
// frame's size to pending_bytes_, then Stream::GoLive() re-delivers the held frames through
// Deliver() -> Enqueue(), which adds the size a second time; OnWritten() subtracts it once, and
// held frames dropped at the seam are never subtracted. Effects: the held bytes leak for the
// stream's life (its slow-consumer bound shrinks by them), and a stream that held more than half
// the bound during its replay is cut as a slow consumer at GoLive() although the peer reads
// everything.
TEST(StreamTest, PendingBytesReturnToZeroAfterHeldFramesAreWritten) {
  Harness h(DefaultOptions());
  h.reader.Start();
  const FramePtr retry = RetryFrame(1000);
  h.stream->Open(kHead, retry, kT0);
  for (std::uint64_t seq : {5, 6}) h.stream->Deliver(seq, Numbered(seq));
  h.stream->GoLive({}, 5);
  ASSERT_TRUE(h.ReceiveAtLeast(kHead.size() + retry->size() + Numbered(6)->size()));
  test_util::RunUntil(
      h.ioc, [&] { return h.stream->pending_bytes() == 0; }, std::chrono::milliseconds(200));
  EXPECT_EQ(h.stream->pending_bytes(), 0u);
}

TEST(StreamTest, HeldFramesWithinTheBoundAreNotCutAtGoLive) {
  Stream::Options options;
  options.max_pending_bytes = 4096;
  Harness h(options);
  h.reader.Start();
  const FramePtr retry = RetryFrame(1000);
  h.stream->Open(kHead, retry, kT0);
  const FramePtr big = Text(std::string(1000, 'x'));
  for (std::uint64_t seq : {1, 2, 3}) h.stream->Deliver(seq, big);  // 3018 held bytes < 4096
  h.stream->GoLive({}, 0);
  EXPECT_FALSE(h.stream->closed());
  EXPECT_TRUE(h.observer.reasons.empty());
  ASSERT_TRUE(h.ReceiveAtLeast(kHead.size() + retry->size() + 3 * big->size()));
}

TEST(StreamTest, HeldBytesCountTowardsTheBoundDuringReplay) {
  Stream::Options options;
  options.max_pending_bytes = 4096;
  Harness h(options);
  h.reader.Start();
  h.stream->Open(kHead, RetryFrame(1000), kT0);
  const FramePtr big = Text(std::string(1500, 'x'));
  h.stream->Deliver(1, big);
  h.stream->Deliver(2, big);
  EXPECT_FALSE(h.stream->closed());
  h.stream->Deliver(3, big);  // 4500 held bytes > 4096
  EXPECT_TRUE(h.stream->closed());
  EXPECT_EQ(h.observer.reasons, std::vector<CloseReason>{CloseReason::kSlowConsumer});
}

TEST(StreamTest, DeliverDropsAtOrBelowTheWatermark) {
  Harness h(DefaultOptions());
  h.reader.Start();
  const FramePtr retry = RetryFrame(1000);
  h.stream->Open(kHead, retry, kT0);
  h.stream->GoLive({}, 10);
  // 9 and 10 are at the seam, the second 11 is a duplicate from overlapping entries, and a
  // late 11 after 12 must not be written either.
  for (std::uint64_t seq : {9, 10, 11, 11, 12, 11, 13}) h.stream->Deliver(seq, Numbered(seq));
  const std::string expected = kHead + *retry + *Numbered(11) + *Numbered(12) + *Numbered(13);
  ASSERT_TRUE(h.ReceiveAtLeast(expected.size()));
  // A final marker proves nothing else was queued after 13.
  h.stream->Deliver(14, Numbered(14));
  ASSERT_TRUE(h.ReceiveAtLeast(expected.size() + Numbered(14)->size()));
  EXPECT_EQ(h.reader.data, expected + *Numbered(14));
}

TEST(StreamTest, GoLiveTwiceIsIgnored) {
  Harness h(DefaultOptions());
  h.reader.Start();
  const FramePtr retry = RetryFrame(1000);
  h.stream->Open(kHead, retry, kT0);
  const std::vector<FramePtr> replay = {Numbered(1)};
  h.stream->GoLive(replay, 1);
  h.stream->GoLive(replay, 0);  // must neither replay again nor lower the watermark
  h.stream->Deliver(1, Numbered(1));
  h.stream->Deliver(2, Numbered(2));
  const std::string expected = kHead + *retry + *Numbered(1) + *Numbered(2);
  ASSERT_TRUE(h.ReceiveAtLeast(expected.size()));
  ASSERT_TRUE(h.Flush());
  EXPECT_EQ(h.reader.data, expected);
}

TEST(StreamTest, FramesQueuedDuringAWriteArriveIntactAndInOrder) {
  Harness h(DefaultOptions());
  h.reader.Start();
  const FramePtr retry = RetryFrame(1000);
  h.stream->Open(kHead, retry, kT0);
  h.stream->GoLive({}, 0);
  // Nothing runs the loop in between, so the first write is still in flight while the rest
  // queue up behind it and go out gathered.
  std::vector<FramePtr> frames;
  for (std::uint64_t seq = 1; seq <= 200; ++seq) {
    frames.push_back(seq % 50 == 0 ? Text(std::string(20000, 'a' + seq % 26)) : Numbered(seq));
    h.stream->Deliver(seq, frames.back());
  }
  const std::string expected = kHead + *retry + Concat(frames);
  EXPECT_EQ(h.stream->pending_bytes(), expected.size());
  ASSERT_TRUE(h.ReceiveAtLeast(expected.size()));
  EXPECT_EQ(h.reader.data, expected);
  ASSERT_TRUE(h.Flush());
  EXPECT_EQ(h.stream->pending_bytes(), 0u);
}

TEST(StreamTest, OneSharedFrameFeedsManyStreams) {
  Harness a(DefaultOptions());
  Harness b(DefaultOptions());
  a.reader.Start();
  b.reader.Start();
  const FramePtr event = Numbered(1);
  for (Harness* h : {&a, &b}) {
    h->stream->Open(kHead, RetryFrame(1000), kT0);
    h->stream->GoLive({}, 0);
    h->stream->Deliver(1, event);
  }
  EXPECT_GE(event.use_count(), 3);  // queued by reference, not copied
  const std::string expected = kHead + *RetryFrame(1000) + *event;
  ASSERT_TRUE(a.ReceiveAtLeast(expected.size()));
  ASSERT_TRUE(b.ReceiveAtLeast(expected.size()));
  EXPECT_EQ(a.reader.data, expected);
  EXPECT_EQ(b.reader.data, expected);
}

}  // namespace
}  // namespace pushy::sse
