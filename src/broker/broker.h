#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/event.h"

namespace pushy::broker {

// Receives every event of the cluster that this node has interest in, exactly once and in id
// order. Called from a broker-chosen thread; the implementation hands events to the event loops.
class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual void OnEvent(const EventPtr& event) = 0;
  // Events this node should have delivered may be lost for good (a broker outage that outlasted
  // history, or a broker that lost its data and started a new epoch). Every stream gets
  // `pushy.reset` carrying `head` and continues live after it.
  virtual void OnHistoryLost(EventId head) = 0;
};

// What a resuming stream gets: the events it missed, or the news that it cannot know them.
struct ReplayResult {
  enum class Status {
    kLive,          // no resume asked: just the head
    kReplayed,      // `events` are exactly the missed ones
    kGap,           // some missed events are no longer in history
    kUnknownEpoch,  // the id belongs to another history (restart, data loss) or is garbage
  };
  Status status = Status::kLive;
  std::vector<EventPtr> events;  // ascending ids, each once
  // Every event with a seq <= head.seq is either in `events` or before the resume point; the
  // stream drops live events at or below it, so the seam between replay and live has no gap
  // and no duplicate.
  EventId head;
};

// One node's view of the message bus. Thread-safe: called from every event loop.
class Broker {
 public:
  using PublishCallback = std::function<void(Result<std::vector<EventId>>)>;
  using ReplayCallback = std::function<void(Result<ReplayResult>)>;

  virtual ~Broker() = default;

  // Starts delivering events to `sink`, which must outlive the broker's Stop().
  virtual void Start(EventSink& sink) = 0;
  virtual void Stop() = 0;

  // Assigns ids, appends to history and makes the events visible to every subscriber; `done`
  // gets the ids only once that is certain (a 2xx may then be sent). `done` may run inline.
  virtual void Publish(std::vector<PublishRequest> requests, PublishCallback done) = 0;

  // `after`: the stream's Last-Event-ID text, or nullopt for a fresh stream. `entries`: the
  // stream's channels and patterns. `done` may run inline.
  virtual void Replay(std::optional<std::string> after, std::vector<std::string> entries,
                      ReplayCallback done) = 0;

  // The node gained its first / lost its last local subscriber of `entry`. A broker that
  // routes by interest (Redis) subscribes accordingly; the memory broker needs neither.
  virtual void AddInterest(std::string_view entry) = 0;
  virtual void RemoveInterest(std::string_view entry) = 0;

  virtual bool Healthy() const = 0;

  // Housekeeping, called about once a second from the node's control thread (the memory
  // broker expires history here so a quiet node frees it too).
  virtual void Tick() {}

  struct Stats {
    std::uint64_t history_events = 0;    // memory broker only
    std::uint64_t history_channels = 0;  // memory broker only
    // Cluster brokers (Redis):
    bool remote = false;               // the fields below are meaningful
    std::uint64_t reconnects = 0;      // subscription/command connections re-established
    std::uint64_t catchup_events = 0;  // events recovered from history after a reconnect
    std::uint64_t history_lost = 0;    // OnHistoryLost calls
    std::uint64_t subscriptions = 0;   // SUBSCRIBE + PSUBSCRIBE held at the broker
    double round_trip_ms = 0;          // latest command round trip
  };
  virtual Stats GetStats() const = 0;
};

}  // namespace pushy::broker
