#include "broker/redis/redis_replay.h"

#include <algorithm>
#include <charconv>

#include "broker/redis/redis_keys.h"
#include "channels/name.h"

namespace pushy::broker::redis {
namespace {

std::optional<std::uint64_t> ToUnsigned(const Reply& reply) {
  if (reply.type == Reply::Type::kInteger) {
    if (reply.integer < 0) return std::nullopt;
    return static_cast<std::uint64_t>(reply.integer);
  }
  if (reply.type != Reply::Type::kString) return std::nullopt;
  std::uint64_t value = 0;
  const char* end = reply.str.data() + reply.str.size();
  const auto [ptr, ec] = std::from_chars(reply.str.data(), end, value);
  if (ec != std::errc{} || ptr != end) return std::nullopt;
  return value;
}

std::optional<std::uint64_t> ParseEpoch(const Reply& reply) {
  if (reply.type != Reply::Type::kString || reply.str.size() != 12) return std::nullopt;
  const std::optional<EventId> id = ParseEventId(reply.str + "-1");
  if (!id) return std::nullopt;
  return id->epoch;
}

// {channel, dropped_through (-1: gone), (seq, ts, name, data)...}
std::optional<HistorySnapshot::Channel> ParseChannel(const Reply& reply, std::uint64_t epoch) {
  const std::vector<Reply>& e = reply.elements;
  if (!reply.is_array() || e.size() < 2 || (e.size() - 2) % 4 != 0 ||
      e[0].type != Reply::Type::kString || e[1].type != Reply::Type::kInteger) {
    return std::nullopt;
  }
  HistorySnapshot::Channel channel;
  channel.name = e[0].str;
  channel.gone = e[1].integer < 0;
  channel.dropped_through = channel.gone ? 0 : static_cast<std::uint64_t>(e[1].integer);
  for (std::size_t i = 2; i < e.size(); i += 4) {
    const auto seq = ToUnsigned(e[i]);
    const auto ts = ToUnsigned(e[i + 1]);
    if (!seq || !ts) return std::nullopt;
    auto event = std::make_shared<Event>();
    event->id = EventId{epoch, *seq};
    event->channel = channel.name;
    event->ts_ms = static_cast<std::int64_t>(*ts);
    event->name = e[i + 2].str;
    event->data = e[i + 3].str;
    channel.events.push_back(std::move(event));
  }
  return channel;
}

}  // namespace

std::optional<HistorySnapshot> ParseSnapshot(const Reply& reply) {
  if (!reply.is_array() || reply.elements.size() < 3) return std::nullopt;
  const auto epoch = ParseEpoch(reply.elements[0]);
  const auto head = ToUnsigned(reply.elements[1]);
  const auto old_bound = ToUnsigned(reply.elements[2]);
  if (!epoch || !head || !old_bound) return std::nullopt;
  HistorySnapshot snapshot{*epoch, *head, *old_bound, {}};
  for (std::size_t i = 3; i < reply.elements.size(); ++i) {
    auto channel = ParseChannel(reply.elements[i], *epoch);
    if (!channel) return std::nullopt;
    snapshot.channels.push_back(std::move(*channel));
  }
  return snapshot;
}

std::vector<std::string> ReplayArguments(const std::string& prefix, const history::Options& history,
                                         std::uint64_t candidate_epoch,
                                         const std::optional<EventId>& after,
                                         std::span<const std::string> entries) {
  std::string candidate = FormatEventId(EventId{candidate_epoch, 0}).substr(0, 12);
  std::vector<std::string> args{prefix, std::to_string(history.ttl_ms), std::move(candidate)};
  const std::string max_events = std::to_string(history.max_events_per_channel);
  if (!after) {
    args.insert(args.end(), {"", "0", max_events});  // no epoch equals "": head only
    return args;
  }
  args.push_back(FormatEventId(*after).substr(0, 12));
  args.push_back(std::to_string(after->seq));
  args.push_back(max_events);
  for (const std::string& entry : entries) {
    const bool pattern = channels::Classify(entry) == channels::EntryKind::kPattern;
    args.push_back(pattern ? "p" : "n");
    args.push_back(pattern ? GlobFor(entry) : entry);
  }
  return args;
}

ReplayResult BuildReplay(const HistorySnapshot& snapshot, const std::optional<std::string>& after,
                         std::span<const std::string> entries) {
  ReplayResult result;
  result.head = EventId{snapshot.epoch, snapshot.head};
  if (!after) return result;
  const std::optional<EventId> from = ParseEventId(*after);
  if (!from || from->epoch != snapshot.epoch) {
    result.status = ReplayResult::Status::kUnknownEpoch;
    return result;
  }
  const std::uint64_t x = from->seq;
  // Events below old_bound may have expired along with every key of their channel.
  const bool forgotten = x + 1 < snapshot.old_bound;
  bool gap = x > snapshot.head;
  for (const std::string& entry : entries) {
    if (channels::Classify(entry) == channels::EntryKind::kPattern) gap |= forgotten;
  }
  std::vector<EventPtr> events;
  for (const HistorySnapshot::Channel& channel : snapshot.channels) {
    const bool covered = std::any_of(entries.begin(), entries.end(), [&](const std::string& e) {
      return channels::Matches(e, channel.name);
    });
    if (!covered) continue;  // a glob matches more than the pattern does
    gap |= channel.gone ? forgotten : channel.dropped_through > x;
    for (const EventPtr& event : channel.events) {
      if (event->id.seq > x && event->id.seq <= snapshot.head) events.push_back(event);
    }
  }
  if (gap) {
    result.status = ReplayResult::Status::kGap;
    return result;
  }
  std::sort(events.begin(), events.end(),
            [](const EventPtr& a, const EventPtr& b) { return a->id.seq < b->id.seq; });
  events.erase(
      std::unique(events.begin(), events.end(),
                  [](const EventPtr& a, const EventPtr& b) { return a->id.seq == b->id.seq; }),
      events.end());
  result.status = ReplayResult::Status::kReplayed;
  result.events = std::move(events);
  return result;
}

}  // namespace pushy::broker::redis
