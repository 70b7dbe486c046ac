#include "sse/stream.h"

#include <algorithm>
#include <array>
#include <utility>

namespace pushy::sse {

namespace asio = boost::asio;

namespace {
// Frames gathered into one writev (Asio passes at most this many buffers per call anyway).
constexpr std::size_t kMaxGather = 64;
// A queue that grew during a burst gives its memory back at the next sweep once it is empty.
constexpr std::size_t kKeptQueueCapacity = 16;
}  // namespace

Stream::Stream(asio::ip::tcp::socket socket, Options options, StreamObserver& observer,
               FlushQueue& flush_queue)
    : socket_(std::move(socket)),
      options_(options),
      observer_(observer),
      flush_queue_(flush_queue) {
  // Writes and WatchPeer's reads never block the loop.
  boost::system::error_code ignored;
  socket_.non_blocking(true, ignored);
}

void Stream::Open(std::string response_head, FramePtr first_frame, std::int64_t now_ms) {
  last_activity_ms_ = now_ms;
  Enqueue(std::make_shared<const std::string>(std::move(response_head)));
  Enqueue(first_frame);
  WatchPeer();
}

void Stream::GoLive(std::span<const FramePtr> preface, std::uint64_t watermark,
                    std::vector<EventPtr> replay) {
  if (state_ != State::kOpening) return;
  state_ = State::kReplaying;
  watermark_ = watermark;
  if (!queue_.empty()) RequestWrite();  // the head and first frame queued by Open()
  for (const FramePtr& frame : preface) {
    if (!Enqueue(frame)) return;
  }
  replay_ = std::move(replay);
  replay_next_ = 0;
  PumpReplay();
}

void Stream::Refuse(std::string response) {
  if (state_ != State::kOpening) return;
  DropQueue();
  held_.clear();
  pending_bytes_ = 0;
  state_ = State::kEnding;
  end_reason_ = CloseReason::kRefused;
  Enqueue(std::make_shared<const std::string>(std::move(response)));
}

void Stream::PumpReplay() {
  // A slice at a time (at most half the bound, so live events still fit beside it), refilled
  // when the socket has taken the previous one.
  const std::size_t slice = std::min<std::size_t>(64 * 1024, options_.max_pending_bytes / 2);
  while (replay_next_ < replay_.size() && (pending_bytes_ < slice || pending_bytes_ == 0)) {
    const EventPtr& event = replay_[replay_next_++];
    watermark_ = std::max(watermark_, event->id.seq);
    if (!Enqueue(EncodeEvent(*event))) return;
  }
  if (replay_next_ < replay_.size()) return;
  replay_.clear();
  replay_.shrink_to_fit();
  state_ = State::kLive;
  if (end_requested_) return End(end_reason_);  // asked for while the answer was on its way
  ReleaseHeld();
}

void Stream::ReleaseHeld() {
  auto held = std::move(held_);
  held_.clear();
  // Held frames were counted when they arrived; Deliver counts the ones it queues again.
  for (const auto& [seq, frame] : held) pending_bytes_ -= frame->size();
  for (const auto& [seq, frame] : held) {
    Deliver(seq, frame);
    if (state_ != State::kLive) return;
  }
}

bool Stream::Hold(std::uint64_t seq, const FramePtr& frame) {
  pending_bytes_ += frame->size();
  if (pending_bytes_ > options_.max_pending_bytes) {
    Abort(CloseReason::kSlowConsumer);
    return false;
  }
  held_.emplace_back(seq, frame);
  return true;
}

bool Stream::Deliver(std::uint64_t seq, const FramePtr& frame) {
  switch (state_) {
    case State::kOpening:
    case State::kReplaying:
      return Hold(seq, frame);
    case State::kLive:
      if (seq <= watermark_) return false;
      watermark_ = seq;
      return Enqueue(frame);
    case State::kEnding:
    case State::kClosed:
      return false;
  }
  return false;
}

void Stream::Rebase(const FramePtr& reset_frame, std::uint64_t head_seq) {
  if (state_ != State::kLive) return;  // a replaying stream gets its answer from the new history
  watermark_ = head_seq;
  Enqueue(reset_frame);
}

void Stream::Tick(std::int64_t now_ms) {
  if (state_ == State::kClosed || state_ == State::kEnding) return;
  // Kept through a burst (no reallocation per turn), given back once the stream is idle again.
  if (queue_.empty() && queue_.capacity() > kKeptQueueCapacity) {
    std::vector<FramePtr>().swap(queue_);
  }
  // The warning first: with a short token both may fall due within one sweep, and the client
  // should still learn why the stream ends.
  if (!warned_ && options_.warn_at_ms && options_.expires_at_ms && now_ms >= *options_.warn_at_ms) {
    warned_ = true;
    Enqueue(TokenExpiringFrame(*options_.expires_at_ms / 1000));
  }
  if (options_.expires_at_ms && now_ms >= *options_.expires_at_ms) {
    return End(CloseReason::kTokenExpired);
  }
  if (active_since_tick_) {
    active_since_tick_ = false;
    last_activity_ms_ = now_ms;
  } else if (now_ms - last_activity_ms_ >= options_.heartbeat_ms) {
    Enqueue(HeartbeatFrame());
    active_since_tick_ = false;
    last_activity_ms_ = now_ms;
  }
}

void Stream::End(CloseReason reason) {
  if (state_ == State::kClosed || state_ == State::kEnding) return;
  if (state_ == State::kOpening) {
    // The replay answer is on its way: end right after writing it.
    end_requested_ = true;
    end_reason_ = reason;
    return;
  }
  replay_.clear();
  // Held live events would be lost by an end during replay; they are at most a replay's worth
  // and the client resumes from its last id, so nothing acknowledged is lost.
  for (const auto& [seq, frame] : held_) pending_bytes_ -= frame->size();
  held_.clear();
  state_ = State::kEnding;
  end_reason_ = reason;
  queue_.push_back(FinalChunk());
  pending_bytes_ += FinalChunk()->size();
  RequestWrite();
}

bool Stream::Enqueue(const FramePtr& frame) {
  if (state_ == State::kClosed) return false;
  // A frame larger than the whole bound still goes out when nothing else is pending.
  if (pending_bytes_ != 0 && pending_bytes_ + frame->size() > options_.max_pending_bytes) {
    Abort(CloseReason::kSlowConsumer);
    return false;
  }
  pending_bytes_ += frame->size();
  active_since_tick_ = true;
  queue_.push_back(frame);
  RequestWrite();
  return true;
}

// The queue, the index of its first unwritten frame and the offset into it go together.
void Stream::DropQueue() {
  queue_.clear();
  queue_head_ = 0;
  head_offset_ = 0;
}

void Stream::RequestWrite() {
  // Nothing, not even the response head, leaves before the broker's answer: a client that has
  // seen the head may publish at once, and its event must then be in the replay or live.
  if (state_ == State::kOpening) return;
  if (flush_scheduled_ || awaiting_writable_) return;
  flush_scheduled_ = true;
  flush_queue_.Schedule(shared_from_this());
}

void Stream::Flush() {
  flush_scheduled_ = false;
  if (state_ == State::kClosed || awaiting_writable_) return;
  WriteQueued();
}

void Stream::WriteQueued() {
  while (queue_head_ < queue_.size()) {
    std::array<asio::const_buffer, kMaxGather> buffers;
    std::size_t count = 0;
    std::size_t offered = 0;
    for (std::size_t i = queue_head_; i < queue_.size() && count < kMaxGather; ++i) {
      asio::const_buffer buffer = asio::buffer(*queue_[i]);
      if (i == queue_head_) buffer += head_offset_;
      offered += buffer.size();
      buffers[count++] = buffer;
    }
    boost::system::error_code ec;
    const std::size_t written =
        socket_.write_some(std::span<const asio::const_buffer>(buffers.data(), count), ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) return AwaitWritable();
    if (ec) return Abort(CloseReason::kWriteError);
    pending_bytes_ -= written;
    std::size_t left = written;
    while (left > 0) {
      const std::size_t rest = queue_[queue_head_]->size() - head_offset_;
      if (left < rest) {
        head_offset_ += left;
        break;
      }
      left -= rest;
      queue_[queue_head_++].reset();
      head_offset_ = 0;
    }
    if (written < offered) return AwaitWritable();  // the socket buffer is full
  }
  DropQueue();
  OnQueueWritten();
}

void Stream::AwaitWritable() {
  awaiting_writable_ = true;
  socket_.async_wait(asio::ip::tcp::socket::wait_write,
                     [self = shared_from_this()](const boost::system::error_code& ec) {
                       self->awaiting_writable_ = false;
                       if (self->state_ == State::kClosed) return;
                       if (ec) return self->Abort(CloseReason::kWriteError);
                       self->WriteQueued();
                     });
}

void Stream::OnQueueWritten() {
  if (state_ == State::kReplaying) return PumpReplay();  // the next slice of the backlog
  if (state_ == State::kEnding) {
    boost::system::error_code ignored;
    socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
    Finish(end_reason_);
  }
}

void Stream::WatchPeer() {
  // Waiting for readability needs no buffer: an idle stream holds no read memory.
  socket_.async_wait(asio::ip::tcp::socket::wait_read,
                     [self = shared_from_this()](const boost::system::error_code& ec) {
                       if (self->state_ == State::kClosed) return;
                       if (ec) return self->Abort(CloseReason::kPeerClosed);
                       char sink[512];
                       boost::system::error_code read_ec;
                       const std::size_t n = self->socket_.read_some(asio::buffer(sink), read_ec);
                       if (read_ec == asio::error::would_block) return self->WatchPeer();
                       if (read_ec || n == 0) return self->Abort(CloseReason::kPeerClosed);
                       self->WatchPeer();  // a client has nothing to say on a stream; ignore it
                     });
}

void Stream::Abort(CloseReason reason) {
  if (state_ == State::kClosed) return;
  Finish(reason);
}

void Stream::Finish(CloseReason reason) {
  state_ = State::kClosed;
  boost::system::error_code ignored;
  socket_.close(ignored);
  DropQueue();
  held_.clear();
  replay_.clear();
  observer_.OnStreamClosed(*this, reason);
}

}  // namespace pushy::sse
