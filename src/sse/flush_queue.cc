#include "sse/flush_queue.h"

#include <boost/asio/post.hpp>
#include <utility>

#include "sse/stream.h"

namespace pushy::sse {

FlushQueue::FlushQueue(boost::asio::any_io_executor executor, std::size_t slice)
    : executor_(std::move(executor)), slice_(slice == 0 ? 1 : slice) {}

void FlushQueue::Schedule(std::shared_ptr<Stream> stream) {
  waiting_.push_back(std::move(stream));
  if (posted_) return;
  posted_ = true;
  boost::asio::post(executor_, [this] { RunSlice(); });
}

void FlushQueue::RunSlice() {
  posted_ = false;
  for (std::size_t i = 0; i < slice_ && !waiting_.empty(); ++i) {
    const std::shared_ptr<Stream> stream = std::move(waiting_.front());
    waiting_.pop_front();
    stream->Flush();
  }
  // The next slice queues behind whatever became ready meanwhile (the loop polls its sockets
  // between handlers), so publishes are read and answered between slices.
  if (!waiting_.empty() && !posted_) {
    posted_ = true;
    boost::asio::post(executor_, [this] { RunSlice(); });
  }
}

}  // namespace pushy::sse
