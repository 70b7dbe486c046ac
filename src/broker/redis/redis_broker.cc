#include "broker/redis/redis_broker.h"

#include <boost/asio/post.hpp>
#include <utility>

#include "core/log.h"

namespace pushy::broker::redis {
namespace asio = boost::asio;

ConnectionOptions ConnectionOptionsFrom(const config::RedisUrl& url) {
  ConnectionOptions options;
  options.host = url.host;
  options.port = url.port;
  options.tls = url.tls;
  options.user = url.user;
  options.password = url.password;
  options.db = url.db;
  return options;
}

namespace {

RedisBrokerOptions Normalized(RedisBrokerOptions options) {
  // PEXPIRE 0 would delete at once; the memory broker's TTL 0 keeps events for a moment too.
  options.history.ttl_ms = std::max<std::int64_t>(options.history.ttl_ms, 1);
  return options;
}

}  // namespace

RedisBroker::RedisBroker(RedisBrokerOptions options)
    : options_(Normalized(std::move(options))),
      keys_(options_.key_prefix),
      work_(asio::make_work_guard(ioc_)),
      replay_timer_(ioc_),
      reconnect_timer_(ioc_),
      backoff_(options_.backoff_initial),
      ping_timer_(ioc_),
      rng_(std::random_device{}()),
      publish_queue_(options_.publish) {}

RedisBroker::~RedisBroker() { Stop(); }

void RedisBroker::Start(EventSink& sink) {
  sink_ = &sink;  // written before the thread starts, read only on it
  thread_ = std::thread([this] { ioc_.run(); });
  asio::post(ioc_, [this] { Connect(); });
}

void RedisBroker::Stop() {
  if (stopped_.exchange(true)) return;
  if (!thread_.joinable()) return;
  asio::post(ioc_, [this] { Shutdown(); });
  thread_.join();
  // Work posted by a caller that raced with Stop() still gets its answer.
  ioc_.restart();
  ioc_.run();
}

void RedisBroker::Shutdown() {
  phase_ = Phase::kStopped;
  SetHealthy(false);
  replay_timer_.cancel();
  reconnect_timer_.cancel();
  ping_timer_.cancel();
  if (cmd_) cmd_->Close();
  if (sub_) sub_->Close();
  FailPublishes();
  for (PendingReplay& replay : std::exchange(waiting_replays_, {})) {
    replay.done(make_error_code(Errc::kBrokerUnavailable));
  }
  work_.reset();  // run() returns once the failed callbacks above have run
}

void RedisBroker::SetHealthy(bool healthy) {
  if (healthy_.exchange(healthy, std::memory_order_acq_rel) == healthy) return;
  if (options_.on_health_change) options_.on_health_change(healthy);
}

// Both connections come up, then the sub connection resubscribes, then we catch up.
void RedisBroker::Connect() {
  if (phase_ == Phase::kStopped) return;
  phase_ = Phase::kConnecting;
  const std::uint64_t generation = ++generation_;
  NoteEpoch(epoch_);
  cmd_ = RedisConnection::Create(ioc_, options_.connection);
  sub_ = RedisConnection::Create(ioc_, options_.connection);
  auto up = std::make_shared<int>(0);
  for (const auto& connection : {cmd_, sub_}) {
    connection->SetClosedHandler(
        [this, generation](const std::string& why) { OnConnectionLost(generation, why); });
    connection->Connect(
        [this, generation, up](boost::system::error_code ec, const std::string& why) {
          if (generation != generation_) return;
          if (ec) return OnConnectionLost(generation, why);
          if (++*up == 2) OnConnected(generation);
        });
  }
  sub_->SetPushHandler([this, generation](Reply message) { OnPush(generation, message); });
}

void RedisBroker::OnConnected(std::uint64_t generation) {
  // Loading ahead of the first EVALSHA saves an EVAL round; NOSCRIPT is handled anyway.
  for (const Script* script : {&PublishScript(), &ReplayScript()}) {
    cmd_->Command({"SCRIPT", "LOAD", script->source}, [](Result<Reply> reply) {
      if (reply && reply->is_error()) log::Warn("redis: SCRIPT LOAD failed: " + reply->str);
    });
  }
  phase_ = Phase::kSyncing;
  holding_ = true;   // live events wait until the catch-up below has been delivered
  refused_.clear();  // asked again below: the ACL may have changed meanwhile
  for (const auto& [subscription, count] : subscriptions_) {
    SendSubscribe(Subscription{subscription.first, subscription.second}, true);
  }
  // Replies come in order: the PING's means every subscription above is in place.
  sub_->Command({"PING"}, [this, generation](Result<Reply> reply) {
    if (generation != generation_) return;
    if (!reply) return;  // the connection failed: OnConnectionLost already ran
    StartCatchUp(generation);
  });
}

// Reads, in one script, the epoch, the head and everything after the last delivered event on
// every current interest. The first time, only epoch and head.
void RedisBroker::StartCatchUp(std::uint64_t generation) {
  std::vector<std::string> entries = synced_ ? InterestEntries() : std::vector<std::string>{};
  std::optional<EventId> after;
  if (synced_) after = EventId{epoch_, last_delivered_};
  std::vector<std::string> args =
      ReplayArguments(keys_.prefix(), options_.history, candidate_epoch_, after, entries);
  RunScript(ReplayScript(), std::move(args),
            [this, generation, entries = std::move(entries)](Result<Reply> reply) {
              if (generation != generation_) return;
              std::optional<HistorySnapshot> snapshot;
              if (reply && !reply->is_error()) snapshot = ParseSnapshot(*reply);
              if (!snapshot) {
                const std::string why = !reply ? "connection lost" : reply->str;
                if (cmd_) cmd_->Close();
                return OnConnectionLost(generation, "catch-up failed: " + why);
              }
              FinishCatchUp(*snapshot, entries);
            });
}

void RedisBroker::FinishCatchUp(const HistorySnapshot& snapshot,
                                const std::vector<std::string>& entries) {
  NoteEpoch(snapshot.epoch);
  if (!synced_) {
    synced_ = true;
    epoch_ = snapshot.epoch;
    epoch_seen_.store(epoch_, std::memory_order_release);
    SetDelivered(snapshot.head);
  } else if (snapshot.epoch != epoch_) {
    SwitchEpoch(snapshot.epoch, snapshot.head);
  } else {
    const ReplayResult missed =
        BuildReplay(snapshot, FormatEventId(EventId{epoch_, last_delivered_}), entries);
    if (missed.status == ReplayResult::Status::kGap) {
      SwitchEpoch(epoch_, snapshot.head);
    } else {
      for (const EventPtr& event : missed.events) {
        if (event->id.seq > last_delivered_) catchup_events_.fetch_add(1);
        Deliver(event);
      }
      SetDelivered(std::max(last_delivered_, snapshot.head));
    }
  }
  holding_ = false;
  for (const EventPtr& event : std::exchange(held_, {})) Deliver(event);
  phase_ = Phase::kReady;
  backoff_ = options_.backoff_initial;
  if (ever_ready_) reconnects_.fetch_add(1);
  ever_ready_ = true;
  SetHealthy(true);
  FlushReplays();
  SchedulePing();
}

void RedisBroker::OnConnectionLost(std::uint64_t generation, const std::string& why) {
  if (generation != generation_ || phase_ == Phase::kStopped) return;
  log::Warn("redis: " + options_.connection.host + ":" + std::to_string(options_.connection.port) +
            " unavailable (" + why + "), reconnecting");
  ++generation_;  // every callback of the lost connections is now stale
  phase_ = Phase::kDown;
  SetHealthy(false);
  ping_timer_.cancel();
  cmd_ping_since_.reset();
  sub_ping_since_.reset();
  // Closing fails their pending commands: publishes answer 503, replays wait for us.
  if (cmd_) cmd_->Close();
  if (sub_) sub_->Close();
  FailPublishes();
  subscribes_in_flight_ = 0;
  redis_subscriptions_.store(0);
  holding_ = false;
  held_.clear();  // the catch-up after reconnecting covers them
  ScheduleReconnect();
  ArmReplayTimer();
}

void RedisBroker::ScheduleReconnect() {
  std::uniform_real_distribution<double> jitter(0.8, 1.2);
  const auto delay = std::chrono::milliseconds(
      static_cast<std::int64_t>(static_cast<double>(backoff_.count()) * jitter(rng_)));
  backoff_ = std::min(backoff_ * 2, options_.backoff_max);
  reconnect_timer_.expires_after(delay);
  reconnect_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) Connect();
  });
}

void RedisBroker::SchedulePing() {
  ping_timer_.expires_after(options_.ping_interval);
  ping_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec && phase_ == Phase::kReady) OnPingTick();
  });
}

// A silent network never reports an error: an unanswered PING is the only sign. The pings
// also move last_delivered_ up to a head read on `cmd` before the `sub` PING was sent: once that
// PING is answered, every event up to that head on our interests has arrived. So a node whose
// channels are quiet still catches up from a recent point after a blip, not from an old one
// that history may no longer reach (which would reset every stream for nothing).
void RedisBroker::OnPingTick() {
  const auto now = SteadyClock::now();
  for (auto* since : {&cmd_ping_since_, &sub_ping_since_}) {
    if (*since && now - **since > options_.ping_timeout) {
      return OnConnectionLost(generation_, "no reply to PING");
    }
  }
  const std::uint64_t generation = generation_;
  if (!cmd_ping_since_) {
    cmd_ping_since_ = now;
    cmd_->Command({"MGET", keys_.Epoch(), keys_.Seq()}, [this, generation](Result<Reply> reply) {
      if (generation != generation_ || !reply) return;
      cmd_ping_since_.reset();
      round_trip_ms_.store(cmd_->last_round_trip_ms());
      NoteHead(*reply);
    });
  }
  if (!sub_ping_since_) {
    sub_ping_since_ = now;
    const std::uint64_t head = head_read_;
    sub_->Command({"PING"}, [this, generation, head](Result<Reply> reply) {
      if (generation != generation_ || !reply) return;
      sub_ping_since_.reset();
      if (!holding_) SetDelivered(std::max(last_delivered_, head));
    });
  }
  SchedulePing();
}

// Keeps the head of an MGET epoch seq reply when it belongs to the epoch we deliver.
void RedisBroker::NoteHead(const Reply& reply) {
  if (!reply.is_array() || reply.elements.size() != 2) return;
  const Reply& epoch = reply.elements[0];
  const Reply& seq = reply.elements[1];
  if (epoch.type != Reply::Type::kString || seq.type != Reply::Type::kString) return;
  const std::optional<EventId> id = ParseEventId(epoch.str + "-" + seq.str);
  if (id && id->epoch == epoch_) head_read_ = std::max(head_read_, id->seq);
}

void RedisBroker::OnPush(std::uint64_t generation, const Reply& message) {
  if (generation != generation_) return;
  const std::vector<Reply>& e = message.elements;
  const Reply& channel = e[e.size() - 2];  // message: kind channel body; pmessage: kind glob ...
  const Reply& body = e.back();
  const std::optional<std::string_view> name = keys_.ChannelOf(channel.str);
  std::optional<std::vector<Event>> events;
  if (name) events = DecodeMessage(*name, body.str);
  if (!events) {
    log::Warn("redis: ignoring a malformed message on a pushy channel");
    return;
  }
  for (Event& event : *events) {
    auto shared = std::make_shared<const Event>(std::move(event));
    if (!holding_) {
      Deliver(shared);
      continue;
    }
    if (held_.size() >= options_.max_held_events) {
      // Catching up takes too long for the rate of events: start over from last_delivered_.
      if (sub_) sub_->Close();
      return OnConnectionLost(generation, "too many events while catching up");
    }
    held_.push_back(std::move(shared));
  }
}

// In order and once: one connection receives PUBLISHes in script order, so any seq at or below
// the last one delivered is a repeat (a channel matched by both a name and a glob).
void RedisBroker::Deliver(const EventPtr& event) {
  if (event->id.epoch != epoch_) {
    if (event->id.epoch == previous_epoch_) return;  // published before the epoch changed
    SwitchEpoch(event->id.epoch, event->id.seq - 1);
  }
  if (event->id.seq <= last_delivered_) return;
  SetDelivered(event->id.seq);
  if (sink_ != nullptr) sink_->OnEvent(event);
}

// History before `head` is lost for this node's streams: they restart from there.
void RedisBroker::SwitchEpoch(std::uint64_t epoch, std::uint64_t head) {
  if (epoch != epoch_) {
    previous_epoch_ = epoch_;
    epoch_ = epoch;
    head_read_ = 0;
    epoch_seen_.store(epoch, std::memory_order_release);
    log::Warn("redis: history epoch changed; streams restart from the current head");
  }
  SetDelivered(head);
  history_lost_.fetch_add(1);
  if (sink_ != nullptr) sink_->OnHistoryLost(EventId{epoch_, head});
}

void RedisBroker::SetDelivered(std::uint64_t seq) {
  last_delivered_ = seq;
  delivered_through_.store(seq, std::memory_order_release);
}

// The candidate offered to an empty Redis must differ from every epoch it had, or ids of a
// lost history would look valid in the new one.
void RedisBroker::NoteEpoch(std::uint64_t epoch) {
  while (candidate_epoch_ == 0 || candidate_epoch_ == epoch) candidate_epoch_ = NewEpoch();
}

Broker::Stats RedisBroker::GetStats() const {
  Stats stats;
  stats.remote = true;
  stats.reconnects = reconnects_.load();
  stats.catchup_events = catchup_events_.load();
  stats.history_lost = history_lost_.load();
  stats.subscriptions = redis_subscriptions_.load();
  stats.round_trip_ms = round_trip_ms_.load();
  return stats;
}

}  // namespace pushy::broker::redis
