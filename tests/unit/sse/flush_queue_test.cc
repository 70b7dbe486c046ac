#include "sse/flush_queue.h"

#include <gtest/gtest.h>

#include <boost/asio/post.hpp>
#include <memory>
#include <string>
#include <vector>

#include "sse/frame.h"
#include "sse/stream.h"
#include "stream_test_util.h"

namespace pushy::sse {
namespace {

using test_util::ClientReader;
using test_util::Harness;
using test_util::kHead;
using test_util::kT0;
using test_util::RunUntil;
using test_util::SocketPair;

// Frames that reach a stream before its turn leave together, in order, and not before the turn.
TEST(FlushQueueTest, FramesQueuedBeforeTheTurnLeaveTogether) {
  Harness h(Stream::Options{});
  h.reader.Start();
  const FramePtr retry = RetryFrame(1000);
  h.stream->Open(kHead, retry, kT0);
  h.stream->GoLive({}, 0);
  ASSERT_TRUE(h.Flush());
  const std::size_t before = kHead.size() + retry->size();
  ASSERT_TRUE(h.ReceiveAtLeast(before));

  const FramePtr first = Chunk("id: 1\n\n");
  const FramePtr second = Chunk("id: 2\n\n");
  EXPECT_TRUE(h.stream->Deliver(1, first));
  EXPECT_TRUE(h.stream->Deliver(2, second));
  EXPECT_EQ(h.stream->pending_bytes(), first->size() + second->size());
  EXPECT_EQ(h.flush_queue.waiting(), 1u);  // scheduled once for both frames
  ASSERT_TRUE(h.ReceiveAtLeast(before + first->size() + second->size()));
  EXPECT_EQ(h.reader.data.substr(before), *first + *second);
  EXPECT_EQ(h.stream->pending_bytes(), 0u);
}

// Many streams on one loop: between two slices the loop runs whatever else became ready, so a
// large fan-out does not hold up other work until every stream has written.
TEST(FlushQueueTest, OtherWorkRunsBetweenSlices) {
  boost::asio::io_context ioc;
  FlushQueue queue(ioc.get_executor(), 2);
  test_util::RecordingObserver observer;
  constexpr int kStreams = 6;
  std::vector<std::unique_ptr<SocketPair>> pairs;
  std::vector<std::unique_ptr<ClientReader>> readers;
  std::vector<std::shared_ptr<Stream>> streams;
  const FramePtr retry = RetryFrame(1000);
  for (int i = 0; i < kStreams; ++i) {
    pairs.push_back(std::make_unique<SocketPair>(ioc));
    readers.push_back(std::make_unique<ClientReader>(pairs.back()->client));
    readers.back()->Start();
    streams.push_back(std::make_shared<Stream>(std::move(pairs.back()->server), Stream::Options{},
                                               observer, queue));
    streams.back()->Open(kHead, retry, kT0);
  }
  for (auto& stream : streams) stream->GoLive({}, 0);
  EXPECT_EQ(queue.waiting(), static_cast<std::size_t>(kStreams));

  // Posted after the first slice: it must run before the last slice has written.
  std::size_t pending_when_other_work_ran = 0;
  ioc.run_one();  // the first slice (two streams)
  EXPECT_EQ(queue.waiting(), static_cast<std::size_t>(kStreams - 2));
  boost::asio::post(ioc, [&] {
    for (auto& stream : streams) pending_when_other_work_ran += stream->pending_bytes() != 0;
  });
  const std::size_t expected = kHead.size() + retry->size();
  ASSERT_TRUE(RunUntil(ioc, [&] {
    for (auto& reader : readers) {
      if (reader->data.size() < expected) return false;
    }
    return true;
  }));
  EXPECT_GE(pending_when_other_work_ran, 2u);
  for (auto& reader : readers) EXPECT_EQ(reader->data, kHead + *retry);
  for (auto& stream : streams) stream->End(CloseReason::kDrained);
  ASSERT_TRUE(RunUntil(ioc, [&] {
    for (auto& stream : streams) {
      if (!stream->closed()) return false;
    }
    return true;
  }));
  for (auto& pair : pairs) pair->client.close();
  ioc.poll();
}

}  // namespace
}  // namespace pushy::sse
