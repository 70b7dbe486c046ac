#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/event.h"
#include "sse/flush_queue.h"
#include "sse/frame.h"

namespace pushy::sse {

enum class CloseReason {
  kPeerClosed,
  kSlowConsumer,
  kTokenExpired,
  kDrained,
  kWriteError,
  kRefused,  // the broker could not subscribe it: an error answer instead of the stream
};

class Stream;

// Told once when a stream is finished; the owner (its event loop) then forgets it.
class StreamObserver {
 public:
  virtual ~StreamObserver() = default;
  virtual void OnStreamClosed(Stream& stream, CloseReason reason) = 0;
};

// One SSE subscriber after its response headers. Lives on one event loop for life: every method
// must be called on that loop's thread. Owned by the loop (shared_ptr, so that in-flight socket
// operations keep it alive until they complete). Frames are written by the loop's FlushQueue,
// every frame queued by then gathered into one writev; the socket is written without blocking
// and only a write the kernel could not take whole waits for the socket to drain.
class Stream : public std::enable_shared_from_this<Stream> {
 public:
  struct Options {
    std::size_t max_pending_bytes = 1 << 20;  // slow-consumer bound
    std::int64_t heartbeat_ms = 15'000;
    std::optional<std::int64_t> expires_at_ms;  // token exp: the stream ends then
    std::optional<std::int64_t> warn_at_ms;     // when to send pushy.token_expiring
  };

  Stream(boost::asio::ip::tcp::socket socket, Options options, StreamObserver& observer,
         FlushQueue& flush_queue);
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  // Queues the response head and first frame, and starts watching for the peer to close. They
  // are written when the broker has answered (GoLive): a client that has seen the head is
  // subscribed, so every event acknowledged after that reaches it. Until the replay is written,
  // live events are held within the same byte bound.
  void Open(std::string response_head, FramePtr first_frame, std::int64_t now_ms);

  // Resume: writes `preface` (e.g. a pushy.reset), then the missed `replay` events, encoded a
  // slice at a time as the socket drains (so a backlog larger than the slow-consumer bound still
  // gets through, and only references into history are held meanwhile), then the held live
  // events newer than `watermark`; from then on any live event at or below the watermark is
  // dropped (a duplicate from overlapping entries or from the seam).
  void GoLive(std::span<const FramePtr> preface, std::uint64_t watermark,
              std::vector<EventPtr> replay = {});

  // The broker could not subscribe this stream: instead of the held response head, `response`
  // (a complete HTTP error answer) is written and the connection closed. Only before GoLive.
  void Refuse(std::string response);

  // A live event; dropped if at or below the watermark (duplicate from overlap or the seam).
  // Returns true when the frame was queued (or held) for this stream.
  bool Deliver(std::uint64_t seq, const FramePtr& frame);

  // History was lost under this stream (see broker::EventSink::OnHistoryLost): writes
  // `reset_frame` and restarts the watermark at `head_seq`, which may be lower than before
  // (a new epoch starts its sequence again).
  void Rebase(const FramePtr& reset_frame, std::uint64_t head_seq);

  // The loop's sweep: heartbeat when idle, token-expiry warning, end at expiry.
  void Tick(std::int64_t now_ms);

  // Graceful end: everything queued, then the final chunk, then close.
  void End(CloseReason reason);

  // Called by the FlushQueue when this stream's turn has come: writes what is queued.
  void Flush();

  bool closed() const { return state_ == State::kClosed; }
  std::size_t pending_bytes() const { return pending_bytes_; }

 private:
  // kOpening: waiting for the broker's replay answer; kReplaying: writing the backlog.
  enum class State { kOpening, kReplaying, kLive, kEnding, kClosed };

  bool Enqueue(const FramePtr& frame);
  void DropQueue();
  bool Hold(std::uint64_t seq, const FramePtr& frame);
  void PumpReplay();
  void ReleaseHeld();
  void RequestWrite();
  void WriteQueued();
  void AwaitWritable();
  void OnQueueWritten();
  void WatchPeer();
  void Abort(CloseReason reason);
  void Finish(CloseReason reason);

  boost::asio::ip::tcp::socket socket_;
  Options options_;
  StreamObserver& observer_;
  FlushQueue& flush_queue_;
  State state_ = State::kOpening;
  bool flush_scheduled_ = false;    // waiting in the FlushQueue
  bool awaiting_writable_ = false;  // the kernel took part of a write; the rest waits for room
  bool warned_ = false;
  bool active_since_tick_ = false;
  bool end_requested_ = false;  // End() arrived before the replay answer
  CloseReason end_reason_ = CloseReason::kDrained;
  std::uint64_t watermark_ = 0;
  std::int64_t last_activity_ms_ = 0;
  std::size_t pending_bytes_ = 0;
  std::vector<FramePtr> queue_;  // from queue_[queue_head_] on, waiting for the socket
  std::size_t queue_head_ = 0;   // frames before it are written
  std::size_t head_offset_ = 0;  // bytes of queue_[queue_head_] already written
  std::vector<std::pair<std::uint64_t, FramePtr>> held_;  // live events during replay
  std::vector<EventPtr> replay_;                          // backlog still to encode and write
  std::size_t replay_next_ = 0;
};

}  // namespace pushy::sse
