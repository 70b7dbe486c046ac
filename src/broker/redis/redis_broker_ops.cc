// The operations of RedisBroker that callers start: replay and interest (publishing is in
// redis_broker_publish.cc), and the script runner they share.
#include <boost/asio/post.hpp>
#include <utility>

#include "broker/redis/redis_broker.h"
#include "channels/name.h"
#include "core/log.h"

namespace pushy::broker::redis {
namespace asio = boost::asio;
namespace {

boost::system::error_code Unavailable() { return make_error_code(Errc::kBrokerUnavailable); }

}  // namespace

// EVALSHA, and EVAL when Redis lost its script cache (restart, SCRIPT FLUSH).
void RedisBroker::RunScript(const Script& script, std::vector<std::string> args,
                            ScriptCallback done) {
  auto argv = std::make_shared<std::vector<std::string>>();
  argv->reserve(args.size() + 3);
  argv->insert(argv->end(), {"EVALSHA", script.sha1, "0"});
  for (std::string& arg : args) argv->push_back(std::move(arg));
  std::shared_ptr<RedisConnection> connection = cmd_;
  connection->Command(*argv, [this, connection, argv, &script,
                              done = std::move(done)](Result<Reply> reply) mutable {
    round_trip_ms_.store(connection->last_round_trip_ms());
    if (reply && reply->is_error() && reply->str.starts_with("NOSCRIPT")) {
      (*argv)[0] = "EVAL";
      (*argv)[1] = script.source;
      return connection->Command(*argv, std::move(done));
    }
    done(std::move(reply));
  });
}

void RedisBroker::Replay(std::optional<std::string> after, std::vector<std::string> entries,
                         ReplayCallback done) {
  if (stopped_.load()) return done(Unavailable());
  PendingReplay replay{std::move(after), std::move(entries), std::move(done),
                       SteadyClock::now() + options_.replay_wait};
  asio::post(ioc_, [this, replay = std::move(replay)]() mutable {
    if (phase_ == Phase::kStopped) return replay.done(Unavailable());
    if (phase_ != Phase::kReady) {
      waiting_replays_.push_back(std::move(replay));
      return ArmReplayTimer();
    }
    StartReplay(std::move(replay));
  });
}

// History is read only once Redis confirmed every subscription asked for so far, this
// stream's included: then every event after the head the script reads arrives live.
void RedisBroker::StartReplay(PendingReplay replay) {
  if (subscribes_in_flight_ == 0) return RunReplay(std::move(replay));
  const std::uint64_t generation = generation_;
  sub_->Command({"PING"},
                [this, generation, replay = std::move(replay)](Result<Reply> reply) mutable {
                  if (!reply || generation != generation_) return Requeue(std::move(replay));
                  RunReplay(std::move(replay));
                });
}

bool RedisBroker::Refused(const std::vector<std::string>& entries) const {
  if (refused_.empty()) return false;
  for (const std::string& entry : entries) {
    const Subscription subscription = SubscriptionFor(keys_, entry);
    if (refused_.count({subscription.pattern, subscription.target}) != 0) return true;
  }
  return false;
}

void RedisBroker::RunReplay(PendingReplay replay) {
  // Every subscription asked for so far is answered: a refused one means this stream would
  // never receive live events.
  if (Refused(replay.entries)) return replay.done(make_error_code(Errc::kSubscriptionRefused));
  std::optional<EventId> from;
  if (replay.after) from = ParseEventId(*replay.after);
  std::vector<std::string> args =
      ReplayArguments(keys_.prefix(), options_.history, candidate_epoch_, from, replay.entries);
  RunScript(ReplayScript(), std::move(args),
            [this, replay = std::move(replay)](Result<Reply> reply) mutable {
              if (!reply) return Requeue(std::move(replay));
              std::optional<HistorySnapshot> snapshot;
              if (!reply->is_error()) snapshot = ParseSnapshot(*reply);
              if (!snapshot) {
                log::Warn("redis: replay script failed: " +
                          (reply->is_error() ? reply->str : std::string("unexpected reply")));
                return replay.done(Unavailable());
              }
              NoteEpoch(snapshot->epoch);
              // Redis lost its data behind our back (FLUSHALL): live streams restart too.
              if (synced_ && snapshot->epoch != epoch_ && snapshot->epoch != previous_epoch_) {
                SwitchEpoch(snapshot->epoch, snapshot->head);
              }
              replay.done(BuildReplay(*snapshot, replay.after, replay.entries));
            });
}

void RedisBroker::Requeue(PendingReplay replay) {
  if (phase_ == Phase::kStopped || SteadyClock::now() >= replay.deadline) {
    return replay.done(Unavailable());
  }
  if (phase_ == Phase::kReady) return StartReplay(std::move(replay));
  waiting_replays_.push_back(std::move(replay));
  ArmReplayTimer();
}

void RedisBroker::FlushReplays() {
  for (PendingReplay& replay : std::exchange(waiting_replays_, {})) {
    if (SteadyClock::now() >= replay.deadline) {
      replay.done(Unavailable());
    } else {
      StartReplay(std::move(replay));
    }
  }
}

void RedisBroker::ArmReplayTimer() {
  if (replay_timer_armed_ || waiting_replays_.empty()) return;
  auto earliest = waiting_replays_.front().deadline;
  for (const PendingReplay& replay : waiting_replays_)
    earliest = std::min(earliest, replay.deadline);
  replay_timer_armed_ = true;
  replay_timer_.expires_at(earliest);
  replay_timer_.async_wait([this](const boost::system::error_code& ec) {
    replay_timer_armed_ = false;
    if (!ec) OnReplayTimer();
  });
}

// The outage outlasted the wait: the server ends those streams and their clients retry.
void RedisBroker::OnReplayTimer() {
  const auto now = SteadyClock::now();
  std::deque<PendingReplay> keep;
  for (PendingReplay& replay : std::exchange(waiting_replays_, {})) {
    if (now >= replay.deadline) {
      replay.done(Unavailable());
    } else {
      keep.push_back(std::move(replay));
    }
  }
  waiting_replays_ = std::move(keep);
  ArmReplayTimer();
}

void RedisBroker::AddInterest(std::string_view entry) {
  asio::post(ioc_, [this, entry = std::string(entry)] {
    if (entries_[entry]++ > 0) return;
    const Subscription subscription = SubscriptionFor(keys_, entry);
    if (subscriptions_[{subscription.pattern, subscription.target}]++ > 0) return;
    if (Subscribable()) SendSubscribe(subscription, true);
  });
}

void RedisBroker::RemoveInterest(std::string_view entry) {
  asio::post(ioc_, [this, entry = std::string(entry)] {
    const auto it = entries_.find(entry);
    if (it == entries_.end() || --it->second > 0) return;
    entries_.erase(it);
    const Subscription subscription = SubscriptionFor(keys_, entry);
    const auto sub = subscriptions_.find({subscription.pattern, subscription.target});
    if (sub == subscriptions_.end() || --sub->second > 0) return;
    subscriptions_.erase(sub);
    refused_.erase({subscription.pattern, subscription.target});
    if (Subscribable()) SendSubscribe(subscription, false);
  });
}

void RedisBroker::SendSubscribe(const Subscription& subscription, bool subscribe) {
  const char* verb = subscription.pattern ? (subscribe ? "PSUBSCRIBE" : "PUNSUBSCRIBE")
                                          : (subscribe ? "SUBSCRIBE" : "UNSUBSCRIBE");
  const std::uint64_t generation = generation_;
  if (subscribe) ++subscribes_in_flight_;
  sub_->Command({verb, subscription.target},
                [this, generation, subscribe, subscription](Result<Reply> reply) {
                  if (generation != generation_) return;
                  if (!subscribe) return NoteSubscribeReply(subscription, reply);
                  --subscribes_in_flight_;
                  NoteSubscribeReply(subscription, reply);
                  if (reply && reply->is_error()) {
                    refused_.insert({subscription.pattern, subscription.target});
                  }
                });
}

// A (un)subscribe confirmation is {kind, name, count of this connection's subscriptions}.
void RedisBroker::NoteSubscribeReply(const Subscription& subscription, const Result<Reply>& reply) {
  if (!reply) return;
  if (reply->is_error()) {
    log::Warn("redis: subscription to " + subscription.target + " refused: " + reply->str);
    return;
  }
  const std::vector<Reply>& e = reply->elements;
  if (reply->is_array() && e.size() == 3 && e[2].type == Reply::Type::kInteger &&
      e[2].integer >= 0) {
    redis_subscriptions_.store(static_cast<std::uint64_t>(e[2].integer));
  }
}

std::vector<std::string> RedisBroker::InterestEntries() const {
  std::vector<std::string> entries;
  entries.reserve(entries_.size());
  for (const auto& [entry, count] : entries_) entries.push_back(entry);
  return entries;
}

}  // namespace pushy::broker::redis
