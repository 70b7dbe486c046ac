#include "server/publish_body.h"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "channels/name.h"
#include "server/json_text.h"

namespace pushy::server {

bool IsValidEventName(std::string_view name) {
  if (name.empty() || name.size() > 64 || name.starts_with("pushy.")) return false;
  for (const char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '.' || c == ':' || c == '-';
    if (!ok) return false;
  }
  return true;
}

boost::system::error_code CheckPublishChannel(std::string_view channel) {
  switch (channels::Classify(channel)) {
    case channels::EntryKind::kName:
      return {};
    case channels::EntryKind::kPattern:
      return Errc::kPatternNotPublishable;
    case channels::EntryKind::kInvalid:
      break;
  }
  return Errc::kInvalidChannel;
}

namespace {

Result<std::vector<std::string>> ParseBatchChannels(const boost::json::object& object) {
  const auto* channels = object.if_contains("channels");
  if (channels == nullptr || !channels->is_array() || channels->get_array().empty()) {
    return make_error_code(Errc::kInvalidBody);
  }
  if (channels->get_array().size() > kMaxBatchChannels) {
    return make_error_code(Errc::kTooManyChannels);
  }
  std::vector<std::string> out;
  for (const auto& item : channels->get_array()) {
    if (!item.is_string()) return make_error_code(Errc::kInvalidBody);
    std::string channel(item.get_string());
    if (auto ec = CheckPublishChannel(channel)) return ec;
    out.push_back(std::move(channel));
  }
  return out;
}

}  // namespace

Result<PublishBody> ParsePublishBody(std::string_view body, bool batch) {
  boost::system::error_code ec;
  boost::json::parse_options options;
  options.max_depth = kMaxJsonDepth;
  const boost::json::value parsed = boost::json::parse(body, ec, {}, options);
  if (ec) return make_error_code(Errc::kMalformedJson);
  if (!parsed.is_object()) return make_error_code(Errc::kInvalidBody);
  const boost::json::object& object = parsed.get_object();
  PublishBody out;
  if (object.if_contains("data") == nullptr) return make_error_code(Errc::kMissingData);
  if (const auto* event = object.if_contains("event")) {
    if (!event->is_string() || !IsValidEventName(event->get_string())) {
      return make_error_code(Errc::kInvalidEventName);
    }
    out.event = std::string(event->get_string());
  }
  if (batch) {
    auto channels = ParseBatchChannels(object);
    if (!channels) return channels.error();
    out.channels = std::move(*channels);
  }
  out.data = CompactMemberText(body, "data").value_or("null");
  return out;
}

}  // namespace pushy::server
