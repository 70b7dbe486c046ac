#pragma once

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "broker/broker.h"
#include "broker/redis/redis_connection.h"
#include "broker/redis/redis_keys.h"
#include "broker/redis/redis_publish_queue.h"
#include "broker/redis/redis_replay.h"
#include "broker/redis/redis_scripts.h"
#include "config/redis_url.h"
#include "history/history.h"

namespace pushy::broker::redis {

struct RedisBrokerOptions {
  ConnectionOptions connection;
  std::string key_prefix = "pushy:";               // tests and co-hosted clusters isolate by prefix
  history::Options history;                        // HISTORY_SIZE, HISTORY_TTL (ttl_ms >= 1)
  std::chrono::milliseconds backoff_initial{100};  // doubles per failed attempt, +-20 % jitter
  std::chrono::milliseconds backoff_max{5000};
  std::chrono::milliseconds replay_wait{5000};  // how long a Replay waits out an outage
  std::chrono::milliseconds ping_interval{1000};
  std::chrono::milliseconds ping_timeout{5000};  // an unanswered PING this old drops both links
  std::size_t max_held_events = 65'536;          // live events held while catching up
  PublishLimits publish;                         // batching of publishes into script calls
  // Observes Healthy() changes (tests); runs on the broker thread.
  std::function<void(bool healthy)> on_health_change;
};

// Connection options for a parsed REDIS_URL.
ConnectionOptions ConnectionOptionsFrom(const config::RedisUrl& url);

// The cluster broker: every node sharing one Redis sees one total order of events. Publishes
// run a Lua script (seq, history stream, PUBLISH) on the `cmd` connection; those that arrive
// while a script call is in flight gather and go as one call when it returns. The `sub`
// connection SUBSCRIBEs / PSUBSCRIBEs to what this node's streams want (AddInterest) and turns
// messages into sink events, deduplicated by seq. A Replay waits until Redis confirmed the
// subscriptions asked for before it, then reads history and head in one script, which keeps
// the seam of docs/architecture.md exact across nodes.
//
// When either connection drops, the broker is unhealthy (publishes fail at once), reconnects
// both with backoff, resubscribes, and catches up from history everything after the last event
// it delivered; when it cannot (a gap, or Redis lost its data and has a new epoch) the sink
// gets OnHistoryLost.
//
// Threads: the broker runs its own thread and io_context between Start() and Stop(). Every
// public method may be called from any thread and never blocks on Redis; callbacks and sink
// calls run on the broker thread.
class RedisBroker final : public Broker {
 public:
  explicit RedisBroker(RedisBrokerOptions options);
  ~RedisBroker() override;
  RedisBroker(const RedisBroker&) = delete;
  RedisBroker& operator=(const RedisBroker&) = delete;

  void Start(EventSink& sink) override;
  // Fails what is pending with kBrokerUnavailable, closes the connections, joins the thread.
  void Stop() override;
  void Publish(std::vector<PublishRequest> requests, PublishCallback done) override;
  void Replay(std::optional<std::string> after, std::vector<std::string> entries,
              ReplayCallback done) override;
  void AddInterest(std::string_view entry) override;
  void RemoveInterest(std::string_view entry) override;
  bool Healthy() const override { return healthy_.load(std::memory_order_acquire); }
  Stats GetStats() const override;

  // The epoch this node currently delivers (0 before the first connection).
  std::uint64_t epoch() const { return epoch_seen_.load(std::memory_order_acquire); }
  // The seq of that epoch through which this node has every event of its interests: the last
  // one delivered, or a later head that the pings confirmed (tests).
  std::uint64_t delivered_through() const {
    return delivered_through_.load(std::memory_order_acquire);
  }

 private:
  enum class Phase { kDown, kConnecting, kSyncing, kReady, kStopped };
  using SteadyClock = std::chrono::steady_clock;
  struct PendingReplay {
    std::optional<std::string> after;
    std::vector<std::string> entries;
    ReplayCallback done;
    SteadyClock::time_point deadline;
  };
  using ScriptCallback = std::function<void(Result<Reply>)>;

  // Connection life cycle (redis_broker.cc).
  void Connect();
  void OnConnected(std::uint64_t generation);
  void StartCatchUp(std::uint64_t generation);
  void FinishCatchUp(const HistorySnapshot& snapshot, const std::vector<std::string>& entries);
  void OnConnectionLost(std::uint64_t generation, const std::string& why);
  void SetHealthy(bool healthy);
  void Shutdown();
  void ScheduleReconnect();
  void SchedulePing();
  void OnPingTick();
  void NoteHead(const Reply& reply);

  // Events (redis_broker.cc).
  void OnPush(std::uint64_t generation, const Reply& message);
  void Deliver(const EventPtr& event);
  void SwitchEpoch(std::uint64_t epoch, std::uint64_t head);
  void SetDelivered(std::uint64_t seq);
  void NoteEpoch(std::uint64_t epoch);

  // Publishing (redis_broker_publish.cc).
  void PumpPublishes();
  void FailPublishes();
  void SendPublishBatch(PublishBatch batch);
  void AnswerPublishBatch(PublishBatch& batch, const Result<Reply>& reply, std::size_t count);

  // Operations (redis_broker_ops.cc).
  void StartReplay(PendingReplay replay);
  void RunReplay(PendingReplay replay);
  void Requeue(PendingReplay replay);
  void FlushReplays();
  void ArmReplayTimer();
  void OnReplayTimer();
  void RunScript(const Script& script, std::vector<std::string> args, ScriptCallback done);
  void SendSubscribe(const Subscription& subscription, bool subscribe);
  void NoteSubscribeReply(const Subscription& subscription, const Result<Reply>& reply);
  bool Refused(const std::vector<std::string>& entries) const;
  bool Subscribable() const { return phase_ == Phase::kSyncing || phase_ == Phase::kReady; }
  std::vector<std::string> InterestEntries() const;

  const RedisBrokerOptions options_;
  const KeySpace keys_;
  boost::asio::io_context ioc_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::thread thread_;
  std::atomic<bool> stopped_{false};
  std::atomic<bool> healthy_{false};
  std::atomic<std::uint64_t> epoch_seen_{0};
  std::atomic<std::uint64_t> delivered_through_{0};  // mirrors last_delivered_

  // Broker thread only below.
  EventSink* sink_ = nullptr;
  Phase phase_ = Phase::kDown;
  std::uint64_t generation_ = 0;  // bumps per connection attempt: stale callbacks see a change
  std::shared_ptr<RedisConnection> cmd_;
  std::shared_ptr<RedisConnection> sub_;
  bool ever_ready_ = false;
  bool synced_ = false;  // epoch_ and last_delivered_ are known
  std::uint64_t epoch_ = 0;
  std::uint64_t previous_epoch_ = 0;  // messages still in flight from it are dropped
  std::uint64_t last_delivered_ = 0;
  std::uint64_t candidate_epoch_ = 0;  // offered to Redis when it has none
  bool holding_ = false;               // catching up: live events wait in held_
  std::vector<EventPtr> held_;
  std::map<std::string, int, std::less<>> entries_;            // interest entry -> count
  std::map<std::pair<bool, std::string>, int> subscriptions_;  // Redis subscription -> count
  // Subscriptions Redis refused (an ACL without the channel): replays that need one fail, so
  // their streams get an error instead of staying silent. Retried when the interest comes back.
  std::set<std::pair<bool, std::string>> refused_;
  int subscribes_in_flight_ = 0;
  int publish_calls_ = 0;  // publish script calls on the current `cmd` not answered yet
  std::deque<PendingReplay> waiting_replays_;
  boost::asio::steady_timer replay_timer_;
  bool replay_timer_armed_ = false;
  boost::asio::steady_timer reconnect_timer_;
  std::chrono::milliseconds backoff_;
  boost::asio::steady_timer ping_timer_;
  std::optional<SteadyClock::time_point> cmd_ping_since_;
  std::optional<SteadyClock::time_point> sub_ping_since_;
  std::uint64_t head_read_ = 0;  // latest head of epoch_ read on `cmd` (see OnPingTick)
  std::mt19937_64 rng_;

  // Publishes waiting for a script call, filled by any thread.
  std::mutex publish_mutex_;
  PublishQueue publish_queue_;  // guarded by publish_mutex_
  // Guarded by publish_mutex_: the broker thread will look at publish_queue_ without being
  // woken (a pump is posted, or a script call is in flight whose answer pumps).
  bool publish_watched_ = false;

  // Stats, read from any thread.
  std::atomic<std::uint64_t> reconnects_{0};
  std::atomic<std::uint64_t> catchup_events_{0};
  std::atomic<std::uint64_t> history_lost_{0};
  std::atomic<std::uint64_t> redis_subscriptions_{0};
  std::atomic<double> round_trip_ms_{0};
};

}  // namespace pushy::broker::redis
