#include "sse/frame.h"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <cassert>
#include <cstdio>

namespace pushy::sse {

std::string EventText(const Event& event) {
  // Channel and event names are validated to a JSON- and SSE-safe alphabet before they get
  // here, and `data` is compact JSON, so nothing needs escaping and every field is one line.
  assert(event.channel.find_first_of("\"\\\n\r") == std::string::npos);
  assert(event.data.find_first_of("\n\r") == std::string::npos);
  const std::string id = FormatEventId(event.id);
  const std::string ts = std::to_string(event.ts_ms);
  std::string text;
  text.reserve(64 + id.size() + event.name.size() + event.channel.size() + event.data.size());
  text.append("id: ").append(id).append("\nevent: ").append(event.name);
  text.append("\ndata: {\"channel\":\"").append(event.channel).append("\",\"data\":");
  text.append(event.data).append(",\"ts\":").append(ts).append("}\n\n");
  return text;
}

FramePtr Chunk(std::string_view text) {
  char size[20];
  const int n = std::snprintf(size, sizeof size, "%zx\r\n", text.size());
  std::string bytes;
  bytes.reserve(static_cast<std::size_t>(n) + text.size() + 2);
  bytes.append(size, static_cast<std::size_t>(n)).append(text).append("\r\n");
  return std::make_shared<const std::string>(std::move(bytes));
}

FramePtr RetryFrame(std::int64_t retry_ms) {
  return Chunk("retry: " + std::to_string(retry_ms) + "\n\n");
}

const FramePtr& HeartbeatFrame() {
  static const FramePtr frame = Chunk(": heartbeat\n\n");
  return frame;
}

FramePtr ResetFrame(EventId head, std::string_view reason, std::string_view message) {
  boost::json::object data;
  data["reason"] = reason;
  data["message"] = message;
  return Chunk("id: " + FormatEventId(head) +
               "\nevent: pushy.reset\ndata: " + boost::json::serialize(data) + "\n\n");
}

FramePtr TokenExpiringFrame(std::int64_t expires_at_seconds) {
  return Chunk("event: pushy.token_expiring\ndata: {\"expires_at\":" +
               std::to_string(expires_at_seconds) + "}\n\n");
}

const FramePtr& FinalChunk() {
  static const FramePtr frame = std::make_shared<const std::string>("0\r\n\r\n");
  return frame;
}

}  // namespace pushy::sse
