#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <cstddef>
#include <deque>
#include <memory>

namespace pushy::sse {

class Stream;

// The streams of one event loop that have frames waiting for the socket. They are written a
// slice at a time, each slice a handler of its own, so that a fan-out to thousands of streams
// never holds up the loop's other work (reading and answering publishes) for long, and every
// frame that reaches a stream while it waits for its turn leaves in the same gathered write: the
// busier the loop, the more events each write carries. Loop thread only.
class FlushQueue {
 public:
  static constexpr std::size_t kDefaultSlice = 128;

  explicit FlushQueue(boost::asio::any_io_executor executor, std::size_t slice = kDefaultSlice);
  FlushQueue(const FlushQueue&) = delete;
  FlushQueue& operator=(const FlushQueue&) = delete;

  // `stream` writes in a coming slice (the stream schedules itself at most once at a time).
  void Schedule(std::shared_ptr<Stream> stream);

  std::size_t waiting() const { return waiting_.size(); }

 private:
  void RunSlice();

  boost::asio::any_io_executor executor_;
  std::size_t slice_;
  std::deque<std::shared_ptr<Stream>> waiting_;
  bool posted_ = false;
};

}  // namespace pushy::sse
