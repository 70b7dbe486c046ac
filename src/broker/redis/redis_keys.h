#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/event.h"

namespace pushy::broker::redis {

// Where one Pushy cluster keeps its state in Redis. Every key starts with the prefix
// ("pushy:" by default), so several clusters or test runs can share one Redis:
//   <p>epoch           string: the history's epoch, 12 hex digits
//   <p>seq             counter: the last seq assigned, one total order for the cluster
//   <p>h:<channel>     stream: the channel's history, entry id "<seq>-0", fields ts name data;
//                      up to HISTORY_SIZE + min(100, HISTORY_SIZE / 10) entries (only the newest
//                      HISTORY_SIZE count); lives TTL to TTL + min(TTL / 2, 30 s) past its last
//                      append
//   <p>m:<channel>     hash: dropped_through, last_seq, expires (the stream's expiry, unix ms),
//                      oldest_ts (of the stream's oldest entry); lives a TTL longer than the stream
//   <p>channels        set: channels that may have history (for pattern resume)
//   <p>clock           sorted set: score unix second, member the first seq of that second
//   <p>c:<channel>     pub/sub channel carrying the channel's events (EncodeMessage)
// A value type; any thread.
class KeySpace {
 public:
  explicit KeySpace(std::string prefix) : prefix_(std::move(prefix)) {}

  const std::string& prefix() const { return prefix_; }
  std::string Epoch() const { return prefix_ + "epoch"; }
  std::string Seq() const { return prefix_ + "seq"; }
  std::string PubSubChannel(std::string_view channel) const;
  // The PSUBSCRIBE glob for a channel pattern (see GlobFor).
  std::string PubSubGlob(std::string_view pattern) const;
  // The channel name inside a pub/sub channel name, or nullopt when it is not one of ours.
  std::optional<std::string_view> ChannelOf(std::string_view pubsub_channel) const;

 private:
  std::string prefix_;
};

// A Redis glob matching at least every channel `pattern` matches: literal segments escaped,
// `*` and a final `**` both become `*`. Redis' `*` crosses dots, so the glob may match more
// (`a.*` also matches `a.b.c`); the node's own index then matches exactly.
std::string GlobFor(std::string_view pattern);

// `text` with Redis glob metacharacters (* ? [ ] \) escaped.
std::string EscapeGlob(std::string_view text);

// One Redis subscription: SUBSCRIBE `target` for a name, PSUBSCRIBE `target` for a pattern.
struct Subscription {
  bool pattern = false;
  std::string target;
  friend bool operator==(const Subscription&, const Subscription&) = default;
};
Subscription SubscriptionFor(const KeySpace& keys, std::string_view entry);

// The pub/sub message body the publish script sends for a run of events on one channel (one
// script call, so one epoch and one ts): "<epoch> <ts_ms>" then, per event, " <seq> <name>
// <size> <data>" with the epoch as 12 hex digits and size the bytes of data, which may hold
// anything. The channel travels as the pub/sub channel name. EncodeMessage takes the epoch and
// ts of the first event; DecodeMessage returns nullopt unless the whole text is such a body with
// at least one event.
std::string EncodeMessage(std::span<const Event> events);
std::optional<std::vector<Event>> DecodeMessage(std::string_view channel, std::string_view body);

}  // namespace pushy::broker::redis
