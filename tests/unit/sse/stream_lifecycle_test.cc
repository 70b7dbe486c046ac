#include <gtest/gtest.h>

#include <boost/asio/write.hpp>
#include <string>
#include <vector>

#include "sse/frame.h"
#include "sse/stream.h"
#include "stream_test_util.h"

// Heartbeats, token expiry, the slow-consumer cut-off and every way a stream ends.
namespace pushy::sse {
namespace {

using test_util::Harness;
using test_util::kHead;
using test_util::kT0;
using test_util::RunUntil;
using test_util::Text;
using Reasons = std::vector<CloseReason>;

FramePtr Numbered(std::uint64_t seq) { return Text("data: " + std::to_string(seq) + "\n\n"); }

// Opens `h` live at kT0 (with `first` as the first frame) and waits until it is all written.
void OpenLive(Harness& h, const FramePtr& first) {
  h.reader.Start();
  h.stream->Open(kHead, first, kT0);
  h.stream->GoLive({}, 0);
  h.stream->GoLive({}, 0);
  ASSERT_TRUE(h.Flush());
}

TEST(StreamLifecycleTest, HeartbeatAfterIdleIntervalOnly) {
  Stream::Options options;
  options.heartbeat_ms = 1000;
  Harness h(options);
  const FramePtr retry = RetryFrame(1000);
  OpenLive(h, retry);
  // The loop sweeps every 100 ms. Tick() enqueues synchronously, so pending_bytes() right after
  // it says whether it wrote something.
  std::vector<std::int64_t> heartbeats;
  for (std::int64_t t = kT0 + 100; t <= kT0 + 2500; t += 100) {
    h.stream->Tick(t);
    if (h.stream->pending_bytes() != 0) heartbeats.push_back(t - kT0);
    ASSERT_TRUE(h.Flush());
  }
  // The first sweep after Open sees the open as activity; idleness counts from there.
  ASSERT_EQ(heartbeats.size(), 2u);
  EXPECT_GE(heartbeats[0], 1000);
  EXPECT_LE(heartbeats[0], 1100);
  EXPECT_GE(heartbeats[1] - heartbeats[0], 1000);
  EXPECT_LE(heartbeats[1] - heartbeats[0], 1100);
  h.stream->End(CloseReason::kDrained);
  ASSERT_TRUE(h.ReceiveUntilEnd());
  EXPECT_EQ(h.reader.data, kHead + *retry + *HeartbeatFrame() + *HeartbeatFrame() + "0\r\n\r\n");
}

TEST(StreamLifecycleTest, NoHeartbeatWhileFramesFlow) {
  Stream::Options options;
  options.heartbeat_ms = 1000;
  Harness h(options);
  const FramePtr retry = RetryFrame(1000);
  OpenLive(h, retry);
  std::string expected = kHead + *retry;
  std::uint64_t seq = 0;
  for (std::int64_t t = kT0 + 100; t <= kT0 + 5000; t += 100) {
    if ((t - kT0) % 900 == 0) {  // an event every 900 ms, less often than the sweep
      ++seq;
      h.stream->Deliver(seq, Numbered(seq));
      expected += *Numbered(seq);
    }
    h.stream->Tick(t);
    ASSERT_TRUE(h.Flush());
  }
  ASSERT_GT(seq, 4u);
  h.stream->End(CloseReason::kDrained);
  ASSERT_TRUE(h.ReceiveUntilEnd());
  EXPECT_EQ(h.reader.data, expected + *FinalChunk());
  EXPECT_EQ(h.observer.reasons, Reasons{CloseReason::kDrained});
}

TEST(StreamLifecycleTest, TokenWarningThenEndAtExpiry) {
  Stream::Options options;
  options.heartbeat_ms = 1'000'000;
  options.warn_at_ms = kT0 + 9000;
  options.expires_at_ms = kT0 + 10'000;
  Harness h(options);
  const FramePtr retry = RetryFrame(1000);
  OpenLive(h, retry);
  h.stream->Tick(kT0 + 8999);
  EXPECT_EQ(h.stream->pending_bytes(), 0u) << "warned early";
  h.stream->Tick(kT0 + 9000);
  EXPECT_NE(h.stream->pending_bytes(), 0u) << "no warning at warn_at_ms";
  ASSERT_TRUE(h.Flush());
  h.stream->Tick(kT0 + 9500);
  EXPECT_EQ(h.stream->pending_bytes(), 0u) << "warned twice";
  h.stream->Deliver(1, Numbered(1));  // events still flow between warning and expiry
  h.stream->Tick(kT0 + 9999);
  EXPECT_FALSE(h.stream->closed());
  h.stream->Tick(kT0 + 10'000);
  ASSERT_TRUE(h.ReceiveUntilEnd());
  EXPECT_EQ(h.reader.data, kHead + *retry + *TokenExpiringFrame((kT0 + 10'000) / 1000) +
                               *Numbered(1) + "0\r\n\r\n");
  EXPECT_EQ(h.reader.error, boost::asio::error::eof);  // a clean close, not a reset
  EXPECT_TRUE(h.stream->closed());
  EXPECT_EQ(h.observer.reasons, Reasons{CloseReason::kTokenExpired});
  h.stream->Tick(kT0 + 20'000);
  h.stream->Deliver(2, Numbered(2));
  EXPECT_EQ(h.observer.reasons.size(), 1u);
}

TEST(StreamLifecycleTest, ExpiryWithoutWarningStillEnds) {
  Stream::Options options;
  options.expires_at_ms = kT0 + 500;
  Harness h(options);
  const FramePtr retry = RetryFrame(1000);
  OpenLive(h, retry);
  h.stream->Tick(kT0 + 600);  // a late sweep
  ASSERT_TRUE(h.ReceiveUntilEnd());
  EXPECT_EQ(h.reader.data, kHead + *retry + "0\r\n\r\n");
  EXPECT_EQ(h.observer.reasons, Reasons{CloseReason::kTokenExpired});
}

TEST(StreamLifecycleTest, SlowConsumerIsCutExactlyOnce) {
  Stream::Options options;
  options.max_pending_bytes = 256 * 1024;
  // The client never reads and both kernel buffers are small, so writes stall.
  Harness h(options, /*rcvbuf=*/4096, /*sndbuf=*/4096);
  h.stream->Open(kHead, RetryFrame(1000), kT0);
  h.stream->GoLive({}, 0);
  h.stream->GoLive({}, 0);
  const FramePtr big = Text(std::string(32 * 1024, 'z'));
  std::uint64_t seq = 0;
  // Bounded: the kernel can absorb a few MB at most before the queue must grow.
  while (!h.stream->closed() && seq < 2000) {
    h.stream->Deliver(++seq, big);
    h.ioc.poll();
  }
  ASSERT_TRUE(h.stream->closed());
  // The writes did run: the head and some of the stream reached the client before the cut.
  EXPECT_GT(h.sockets.client.available(), kHead.size());
  for (int i = 0; i < 10; ++i) h.stream->Deliver(++seq, big);
  h.stream->End(CloseReason::kDrained);
  h.stream->Tick(kT0 + 100'000);
  h.ioc.restart();
  h.ioc.poll();
  EXPECT_EQ(h.observer.reasons, Reasons{CloseReason::kSlowConsumer});
}

TEST(StreamLifecycleTest, PeerClosingEndsTheStream) {
  Harness h(Stream::Options{});
  OpenLive(h, RetryFrame(1000));
  ASSERT_TRUE(h.ReceiveAtLeast(kHead.size()));
  h.sockets.client.close();
  ASSERT_TRUE(RunUntil(h.ioc, [&] { return h.stream->closed(); }));
  EXPECT_EQ(h.observer.reasons, Reasons{CloseReason::kPeerClosed});
}

TEST(StreamLifecycleTest, PeerHalfCloseEndsTheStream) {
  Harness h(Stream::Options{});
  OpenLive(h, RetryFrame(1000));
  h.sockets.client.shutdown(boost::asio::ip::tcp::socket::shutdown_send);
  ASSERT_TRUE(RunUntil(h.ioc, [&] { return h.stream->closed(); }));
  EXPECT_EQ(h.observer.reasons, Reasons{CloseReason::kPeerClosed});
}

TEST(StreamLifecycleTest, BytesFromThePeerAreIgnored) {
  Harness h(Stream::Options{});
  const FramePtr retry = RetryFrame(1000);
  OpenLive(h, retry);
  const std::string junk(3000, 'j');  // more than the stream's 512-byte sink
  boost::asio::write(h.sockets.client, boost::asio::buffer(junk));
  h.stream->Deliver(1, Numbered(1));
  ASSERT_TRUE(h.ReceiveAtLeast(kHead.size() + retry->size() + Numbered(1)->size()));
  ASSERT_TRUE(h.Flush());
  EXPECT_FALSE(h.stream->closed());
  EXPECT_EQ(h.reader.data, kHead + *retry + *Numbered(1));
}

TEST(StreamLifecycleTest, EndWritesEverythingQueuedThenTheFinalChunk) {
  Harness h(Stream::Options{});
  h.reader.Start();
  const FramePtr retry = RetryFrame(1000);
  h.stream->Open(kHead, retry, kT0);
  h.stream->GoLive({}, 0);
  h.stream->GoLive({}, 0);
  std::string expected = kHead + *retry;
  for (std::uint64_t seq = 1; seq <= 50; ++seq) {
    const FramePtr frame = seq % 10 == 0 ? Text(std::string(10000, 'e')) : Numbered(seq);
    h.stream->Deliver(seq, frame);
    expected += *frame;
  }
  h.stream->End(CloseReason::kDrained);       // writes still pending
  h.stream->End(CloseReason::kSlowConsumer);  // a second end changes nothing
  h.stream->Deliver(51, Numbered(51));        // nor does an event after the end
  ASSERT_TRUE(h.ReceiveUntilEnd());
  EXPECT_EQ(h.reader.data, expected + "0\r\n\r\n");
  EXPECT_EQ(h.reader.error, boost::asio::error::eof);
  EXPECT_EQ(h.observer.reasons, Reasons{CloseReason::kDrained});
}

TEST(StreamLifecycleTest, EndDuringReplayEndsCleanly) {
  Harness h(Stream::Options{});
  h.reader.Start();
  const FramePtr retry = RetryFrame(1000);
  h.stream->Open(kHead, retry, kT0);
  h.stream->Deliver(1, Numbered(1));  // held, never written
  h.stream->End(CloseReason::kDrained);
  h.stream->GoLive({}, 0);
  ASSERT_TRUE(h.ReceiveUntilEnd());
  EXPECT_EQ(h.reader.data, kHead + *retry + "0\r\n\r\n");
  EXPECT_EQ(h.observer.reasons, Reasons{CloseReason::kDrained});
}

}  // namespace
}  // namespace pushy::sse
