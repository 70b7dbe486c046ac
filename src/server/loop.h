#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "channels/subscription_index.h"
#include "core/event.h"
#include "http/listener.h"
#include "http/router.h"
#include "metrics/loop_metrics.h"
#include "server/services.h"
#include "sse/stream.h"

namespace pushy::server {

// One event loop: a thread, its io_context, its listener, and the streams it owns with their
// subscription index. Nothing here is touched by another thread except through Post*() (which
// go through the io_context's queue) and the metrics (single-writer counters).
class Loop final : public http::RequestHandler, public sse::StreamObserver {
 public:
  Loop(Services& services, const http::Limits& limits, const http::CorsPolicy& cors);
  Loop(const Loop&) = delete;
  Loop& operator=(const Loop&) = delete;

  boost::system::error_code Listen(const boost::asio::ip::tcp::endpoint& endpoint);
  boost::asio::ip::tcp::endpoint local_endpoint() const { return listener_.local_endpoint(); }
  void StartThread(std::function<void()> on_exit);
  void Join();
  void ForceStop() { ioc_.stop(); }

  // From any thread: whether any stream of this loop subscribes to anything. Counted before a
  // stream asks the broker for its replay, so an event the broker orders after that answer
  // sees it (the broker's own lock or queue orders the two).
  bool HasSubscriptions() const { return metrics_.subscriptions.Get() != 0; }

  // Loop thread: where this loop's streams wait for their turn to write.
  sse::FlushQueue& flush_queue() { return flush_queue_; }

  // From any thread: deliver an event (already encoded) to this loop's subscribers.
  void PostEvent(EventPtr event, sse::FramePtr frame);
  // From any thread: every stream gets `reset_frame` and continues live after `head_seq`.
  void PostRebase(sse::FramePtr reset_frame, std::uint64_t head_seq);
  // From any thread: stop accepting and end every stream within `window_ms`.
  void PostDrain(std::int64_t window_ms);

  // Loop thread: a stream whose response head is being written; subscribe and resume it.
  void AddStream(std::shared_ptr<sse::Stream> stream, std::vector<std::string> entries,
                 std::optional<std::string> last_event_id);

  boost::asio::io_context& ioc() { return ioc_; }
  metrics::LoopMetrics& metrics() { return metrics_; }
  const metrics::LoopMetrics& metrics() const { return metrics_; }

  // http::RequestHandler
  void Handle(const http::Exchange& exchange) override { router_.Route(exchange); }
  void OnResponse(unsigned status) override { metrics_.CountStatus(status); }

  // sse::StreamObserver
  void OnStreamClosed(sse::Stream& stream, sse::CloseReason reason) override;

 private:
  struct StreamRecord {
    std::shared_ptr<sse::Stream> stream;
    std::vector<std::string> entries;
    std::int64_t drain_at_ms = -1;
  };

  void DrainInbox();
  void Deliver(const EventPtr& event, const sse::FramePtr& frame);
  void Resume(sse::Stream* stream, const Result<broker::ReplayResult>& result);
  void Forget(sse::Stream* stream);
  void ForgetClosedWhileIterating();
  void ScheduleSweep();
  void Sweep();

  Services& services_;
  http::SessionSet sessions_;  // declared before ioc_ so that it outlives it
  boost::asio::io_context ioc_{1};
  http::Listener listener_;
  http::Router router_;
  boost::asio::steady_timer sweep_timer_;
  std::int64_t sweep_interval_ms_;
  sse::FlushQueue flush_queue_{ioc_.get_executor()};
  channels::SubscriptionIndex<sse::Stream> index_;
  std::unordered_map<sse::Stream*, StreamRecord> streams_;
  bool iterating_ = false;
  std::vector<sse::Stream*> closed_while_iterating_;
  bool draining_ = false;
  // Events from the broker, in id order. Not Asio's post queue: a handler posted from the loop's
  // own thread goes to a thread-private queue that is spliced in after handlers posted from other
  // threads, which would reorder events. One wake-up drains every event queued so far.
  std::mutex inbox_mutex_;
  std::vector<std::pair<EventPtr, sse::FramePtr>> inbox_;           // guarded by inbox_mutex_
  bool wake_pending_ = false;                                       // guarded by inbox_mutex_
  std::vector<std::pair<EventPtr, sse::FramePtr>> draining_inbox_;  // loop thread only
  metrics::LoopMetrics metrics_;
  std::thread thread_;
};

}  // namespace pushy::server
