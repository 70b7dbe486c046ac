// Publishing: callers' events wait in publish_queue_ and go to Redis as few script calls as
// possible. While a call is in flight, the publishes that arrive gather, and the next call
// carries them all: under load, one round trip and one script run serve many callers.
#include <boost/asio/post.hpp>
#include <utility>

#include "broker/redis/redis_broker.h"
#include "core/log.h"

namespace pushy::broker::redis {
namespace asio = boost::asio;
namespace {

boost::system::error_code Unavailable() { return make_error_code(Errc::kBrokerUnavailable); }

// {epoch, first, n}: the call's events have the seqs first .. first + n - 1.
std::optional<EventId> ParsePublishReply(const Reply& reply, std::size_t count) {
  if (!reply.is_array() || reply.elements.size() != 3) return std::nullopt;
  const Reply& epoch_text = reply.elements[0];
  const Reply& first = reply.elements[1];
  const Reply& n = reply.elements[2];
  if (epoch_text.type != Reply::Type::kString || first.type != Reply::Type::kInteger ||
      n.type != Reply::Type::kInteger || first.integer <= 0 ||
      n.integer != static_cast<std::int64_t>(count)) {
    return std::nullopt;
  }
  const std::optional<EventId> epoch = ParseEventId(epoch_text.str + "-1");
  if (!epoch) return std::nullopt;
  return EventId{epoch->epoch, static_cast<std::uint64_t>(first.integer)};
}

}  // namespace

// Publishes arriving while the broker thread will look at the queue anyway (a script call is in
// flight, or a pump is posted) do not wake it: under load the thread wakes for Redis' replies
// only.
void RedisBroker::Publish(std::vector<PublishRequest> requests, PublishCallback done) {
  if (stopped_.load() || !Healthy()) return done(Unavailable());
  if (requests.empty()) return done(std::vector<EventId>{});
  {
    std::unique_lock lock(publish_mutex_);
    // Redis does not keep up: refuse rather than queue without end.
    if (!publish_queue_.Fits(requests)) {
      lock.unlock();
      return done(Unavailable());
    }
    publish_queue_.Push(std::move(requests), std::move(done));
    if (publish_watched_) return;
    publish_watched_ = true;
  }
  asio::post(ioc_, [this] { PumpPublishes(); });
}

void RedisBroker::PumpPublishes() {
  while (true) {
    std::unique_lock lock(publish_mutex_);
    if (phase_ != Phase::kReady) {
      publish_watched_ = false;
      PublishBatch refused = publish_queue_.TakeAll();
      lock.unlock();
      return refused.Fail(Unavailable());
    }
    if (publish_queue_.empty() || publish_calls_ >= options_.publish.calls_in_flight) {
      publish_watched_ = publish_calls_ > 0;  // each answer pumps again
      return;
    }
    PublishBatch batch = publish_queue_.Take();
    lock.unlock();
    SendPublishBatch(std::move(batch));
  }
}

// Fails what waits for a script call; the calls in flight fail with their connection.
void RedisBroker::FailPublishes() {
  publish_calls_ = 0;
  std::unique_lock lock(publish_mutex_);
  publish_watched_ = false;
  PublishBatch refused = publish_queue_.TakeAll();
  lock.unlock();
  refused.Fail(Unavailable());
}

// Redis runs the calls of one connection in order, and each call is atomic; so every caller
// hears back only once its events are in history and published.
void RedisBroker::SendPublishBatch(PublishBatch batch) {
  std::vector<std::string> args{keys_.prefix(),
                                std::to_string(options_.history.max_events_per_channel),
                                std::to_string(options_.history.ttl_ms),
                                FormatEventId(EventId{candidate_epoch_, 0}).substr(0, 12)};
  args.reserve(4 + batch.arguments().size());
  for (std::string& arg : batch.arguments()) args.push_back(std::move(arg));
  const std::size_t count = batch.events();
  const std::uint64_t generation = generation_;
  ++publish_calls_;
  RunScript(PublishScript(), std::move(args),
            [this, generation, count, batch = std::move(batch)](Result<Reply> reply) mutable {
              // After a reconnection, OnConnectionLost has forgotten this call already.
              if (generation == generation_) {
                --publish_calls_;
                PumpPublishes();  // the next call goes out before this one's answers
              }
              AnswerPublishBatch(batch, reply, count);
            });
}

void RedisBroker::AnswerPublishBatch(PublishBatch& batch, const Result<Reply>& reply,
                                     std::size_t count) {
  // Without a reply we cannot know whether Redis ran the script: report failure, the
  // publisher may retry (at-least-once across an outage).
  if (!reply) return batch.Fail(Unavailable());
  if (reply->is_error()) {
    log::Warn("redis: publish script failed: " + reply->str);
    return batch.Fail(Unavailable());
  }
  const std::optional<EventId> first = ParsePublishReply(*reply, count);
  if (!first) {
    log::Error("redis: publish script returned an unexpected reply");
    return batch.Fail(Unavailable());
  }
  NoteEpoch(first->epoch);
  batch.Succeed(first->epoch, first->seq);
}

}  // namespace pushy::broker::redis
