#include "broker/redis/redis_keys.h"

#include <charconv>

#include "channels/segments.h"

namespace pushy::broker::redis {
namespace {

constexpr std::string_view kPubSubInfix = "c:";

// Takes the text up to the next space off the front of `rest`.
std::optional<std::string_view> TakeField(std::string_view& rest) {
  const std::size_t space = rest.find(' ');
  if (space == std::string_view::npos || space == 0) return std::nullopt;
  std::string_view field = rest.substr(0, space);
  rest.remove_prefix(space + 1);
  return field;
}

template <typename T>
std::optional<T> ParseNumber(std::string_view text, int base) {
  T value{};
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, base);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace

std::string KeySpace::PubSubChannel(std::string_view channel) const {
  std::string out = prefix_;
  out += kPubSubInfix;
  out += channel;
  return out;
}

std::string KeySpace::PubSubGlob(std::string_view pattern) const {
  std::string out = EscapeGlob(prefix_);
  out += kPubSubInfix;
  out += GlobFor(pattern);
  return out;
}

std::optional<std::string_view> KeySpace::ChannelOf(std::string_view pubsub_channel) const {
  if (pubsub_channel.size() <= prefix_.size() + kPubSubInfix.size() ||
      pubsub_channel.substr(0, prefix_.size()) != prefix_ ||
      pubsub_channel.substr(prefix_.size(), kPubSubInfix.size()) != kPubSubInfix) {
    return std::nullopt;
  }
  return pubsub_channel.substr(prefix_.size() + kPubSubInfix.size());
}

std::string EscapeGlob(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

std::string GlobFor(std::string_view pattern) {
  std::string out;
  channels::SegmentCursor cursor(pattern);
  std::string_view segment;
  bool first = true;
  while (cursor.Next(segment)) {
    if (!first) out.push_back('.');
    first = false;
    if (segment == channels::kStar || segment == channels::kStarStar) {
      out.push_back('*');
    } else {
      out += EscapeGlob(segment);
    }
  }
  return out;
}

Subscription SubscriptionFor(const KeySpace& keys, std::string_view entry) {
  const bool pattern = entry.find('*') != std::string_view::npos;
  return {pattern, pattern ? keys.PubSubGlob(entry) : keys.PubSubChannel(entry)};
}

std::string EncodeMessage(std::span<const Event> events) {
  if (events.empty()) return {};
  std::string out = FormatEventId(events.front().id).substr(0, 12);
  out += ' ';
  out += std::to_string(events.front().ts_ms);
  for (const Event& event : events) {
    out += ' ';
    out += std::to_string(event.id.seq);
    out += ' ';
    out += event.name;
    out += ' ';
    out += std::to_string(event.data.size());
    out += ' ';
    out += event.data;
  }
  return out;
}

std::optional<std::vector<Event>> DecodeMessage(std::string_view channel, std::string_view body) {
  std::string_view rest = body;
  const auto epoch_text = TakeField(rest);
  if (!epoch_text || epoch_text->size() != 12) return std::nullopt;
  const auto epoch = ParseNumber<std::uint64_t>(*epoch_text, 16);
  const auto ts_text = TakeField(rest);  // a space follows: there is at least one event
  if (!epoch || !ts_text) return std::nullopt;
  const auto ts = ParseNumber<std::int64_t>(*ts_text, 10);
  if (!ts) return std::nullopt;
  std::vector<Event> events;
  while (true) {
    const auto seq_text = TakeField(rest);
    const auto name = TakeField(rest);
    const auto size_text = TakeField(rest);
    if (!seq_text || !name || !size_text) return std::nullopt;
    const auto seq = ParseNumber<std::uint64_t>(*seq_text, 10);
    const auto size = ParseNumber<std::size_t>(*size_text, 10);
    if (!seq || *seq == 0 || !size || *size > rest.size()) return std::nullopt;
    Event& event = events.emplace_back();
    event.id = EventId{*epoch, *seq};
    event.channel = std::string(channel);
    event.name = std::string(*name);
    event.data = std::string(rest.substr(0, *size));
    event.ts_ms = *ts;
    rest.remove_prefix(*size);
    if (rest.empty()) return events;
    if (rest.size() == 1 || rest.front() != ' ') return std::nullopt;
    rest.remove_prefix(1);
  }
}

}  // namespace pushy::broker::redis
