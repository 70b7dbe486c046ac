#include "server/loop.h"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <random>

#include "http/responses.h"
#include "http/session.h"
#include "server/handlers.h"
#include "sse/frame.h"

namespace pushy::server {

namespace asio = boost::asio;

Loop::Loop(Services& services, const http::Limits& limits, const http::CorsPolicy& cors)
    : services_(services),
      listener_(ioc_, limits, cors, *this, sessions_),
      sweep_timer_(ioc_),
      sweep_interval_ms_(std::min<std::int64_t>(
          250, std::chrono::milliseconds(services.config().heartbeat_interval).count() / 4)) {
  router_ = BuildRouter(services_, *this);
}

boost::system::error_code Loop::Listen(const asio::ip::tcp::endpoint& endpoint) {
  return listener_.Open(endpoint);
}

void Loop::StartThread(std::function<void()> on_exit) {
  listener_.Start();
  ScheduleSweep();
  thread_ = std::thread([this, on_exit = std::move(on_exit)] {
    ioc_.run();
    on_exit();
  });
}

void Loop::Join() {
  if (thread_.joinable()) thread_.join();
}

void Loop::PostEvent(EventPtr event, sse::FramePtr frame) {
  bool wake = false;
  {
    std::lock_guard lock(inbox_mutex_);
    inbox_.emplace_back(std::move(event), std::move(frame));
    wake = !wake_pending_;
    wake_pending_ = true;
  }
  if (wake) asio::post(ioc_, [this] { DrainInbox(); });
}

void Loop::DrainInbox() {
  {
    std::lock_guard lock(inbox_mutex_);
    draining_inbox_.swap(inbox_);
    wake_pending_ = false;
  }
  // Frames are only queued here; the FlushQueue writes each stream once for all of them.
  for (const auto& [event, frame] : draining_inbox_) Deliver(event, frame);
  draining_inbox_.clear();
}

void Loop::PostRebase(sse::FramePtr reset_frame, std::uint64_t head_seq) {
  asio::post(ioc_, [this, reset_frame = std::move(reset_frame), head_seq] {
    DrainInbox();  // events from before the loss go out first
    iterating_ = true;
    for (auto& [stream, record] : streams_) stream->Rebase(reset_frame, head_seq);
    metrics_.resets_sent.Add(streams_.size());
    ForgetClosedWhileIterating();
  });
}

void Loop::PostDrain(std::int64_t window_ms) {
  asio::post(ioc_, [this, window_ms] {
    DrainInbox();  // every acknowledged event reaches its streams before they end
    draining_ = true;
    listener_.Stop();
    // Spread the ends over the window so that clients do not all reconnect at once.
    std::mt19937_64 rng(std::random_device{}());
    std::uniform_int_distribution<std::int64_t> offset(0, std::max<std::int64_t>(window_ms, 0));
    const std::int64_t now = services_.clock().NowMs();
    for (auto& [ptr, record] : streams_) record.drain_at_ms = now + offset(rng);
    if (streams_.empty()) sweep_timer_.cancel();
  });
}

void Loop::AddStream(std::shared_ptr<sse::Stream> stream, std::vector<std::string> entries,
                     std::optional<std::string> last_event_id) {
  if (stream->closed()) return services_.CloseStream();  // failed while writing its head
  sse::Stream* raw = stream.get();
  for (const std::string& entry : entries) {
    index_.Add(entry, raw);
    services_.AddInterest(entry);
  }
  metrics_.subscriptions.Add(entries.size());
  metrics_.streams_open.Add();
  metrics_.streams_opened.Add();
  std::vector<std::string> replay_entries = entries;
  streams_.emplace(raw, StreamRecord{std::move(stream), std::move(entries)});
  // Subscribed before asking for history: every event after the broker's answer arrives live,
  // every event up to it is in the answer, and the stream's watermark drops the overlap.
  std::weak_ptr<sse::Stream> weak = streams_.at(raw).stream;
  services_.broker().Replay(std::move(last_event_id), std::move(replay_entries),
                            [this, weak](Result<broker::ReplayResult> result) {
                              asio::dispatch(ioc_, [this, weak, result = std::move(result)] {
                                if (auto alive = weak.lock(); alive && !alive->closed())
                                  Resume(alive.get(), result);
                              });
                            });
  // Admitted just before the drain began: it ends like the others, after its replay.
  if (draining_) raw->End(sse::CloseReason::kDrained);
}

void Loop::Resume(sse::Stream* stream, const Result<broker::ReplayResult>& result) {
  using Status = broker::ReplayResult::Status;
  if (!result) {
    // Nothing was sent yet (the head waits for this answer): the client gets a plain error it
    // can retry, not a stream that never delivers.
    http::Response refusal = http::ErrorResponse(result.error(), 11);
    refusal.keep_alive(false);
    return stream->Refuse(http::SerializeResponse(refusal));
  }
  const broker::ReplayResult& replay = *result;
  std::vector<sse::FramePtr> preface;
  switch (replay.status) {
    case Status::kLive:
      break;
    case Status::kReplayed:
      metrics_.events_replayed.Add(replay.events.size());
      break;
    case Status::kGap:
      preface.push_back(sse::ResetFrame(replay.head, "history_gap",
                                        "events after Last-Event-ID are no longer in history"));
      metrics_.resets_sent.Add();
      break;
    case Status::kUnknownEpoch:
      preface.push_back(sse::ResetFrame(replay.head, "unknown_history",
                                        "Last-Event-ID does not belong to this history"));
      metrics_.resets_sent.Add();
      break;
  }
  stream->GoLive(preface, replay.head.seq,
                 replay.status == Status::kReplayed ? replay.events : std::vector<EventPtr>{});
}

void Loop::Deliver(const EventPtr& event, const sse::FramePtr& frame) {
  iterating_ = true;
  std::uint64_t delivered = 0;
  index_.ForEachMatch(event->channel, [&](sse::Stream* stream) {
    if (stream->Deliver(event->id.seq, frame)) ++delivered;
  });
  metrics_.events_delivered.Add(delivered);
  ForgetClosedWhileIterating();
}

void Loop::ForgetClosedWhileIterating() {
  // Streams that closed during a pass over the index or the stream table leave them only now.
  iterating_ = false;
  for (sse::Stream* stream : closed_while_iterating_) Forget(stream);
  closed_while_iterating_.clear();
}

void Loop::OnStreamClosed(sse::Stream& stream, sse::CloseReason reason) {
  if (reason == sse::CloseReason::kSlowConsumer) metrics_.slow_consumers_dropped.Add();
  if (reason == sse::CloseReason::kTokenExpired) metrics_.streams_expired.Add();
  if (iterating_) {
    closed_while_iterating_.push_back(&stream);
    return;
  }
  Forget(&stream);
}

void Loop::Forget(sse::Stream* stream) {
  auto it = streams_.find(stream);
  if (it == streams_.end()) return;
  for (const std::string& entry : it->second.entries) {
    index_.Remove(entry, stream);
    services_.RemoveInterest(entry);
  }
  metrics_.subscriptions.Sub(it->second.entries.size());
  metrics_.streams_open.Sub();
  services_.CloseStream();
  streams_.erase(it);  // the stream lives on until its last socket operation completes
  if (draining_ && streams_.empty()) sweep_timer_.cancel();
}

void Loop::ScheduleSweep() {
  sweep_timer_.expires_after(std::chrono::milliseconds(sweep_interval_ms_));
  sweep_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    Sweep();
    if (!(draining_ && streams_.empty())) ScheduleSweep();
  });
}

void Loop::Sweep() {
  // One pass over the loop's streams instead of a timer per stream.
  const std::int64_t now = services_.clock().NowMs();
  std::vector<sse::Stream*> to_end;
  iterating_ = true;
  for (auto& [ptr, record] : streams_) {
    if (record.drain_at_ms >= 0 && now >= record.drain_at_ms) {
      to_end.push_back(ptr);
      continue;
    }
    ptr->Tick(now);
  }
  ForgetClosedWhileIterating();
  for (sse::Stream* stream : to_end) {
    if (streams_.count(stream) != 0) stream->End(sse::CloseReason::kDrained);
  }
}

}  // namespace pushy::server
