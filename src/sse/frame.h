#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/event.h"

namespace pushy::sse {

// Bytes ready for the socket: one HTTP/1.1 chunk holding one or more SSE fields. Immutable and
// shared: an event is encoded once per node and every subscriber's queue holds a reference.
using FramePtr = std::shared_ptr<const std::string>;

// `id: <id>\nevent: <name>\ndata: {"channel":..,"data":..,"ts":..}\n\n` (the SSE text only).
std::string EventText(const Event& event);

// Wraps SSE text into one chunk: `<hex size>\r\n<text>\r\n`.
FramePtr Chunk(std::string_view text);

inline FramePtr EncodeEvent(const Event& event) { return Chunk(EventText(event)); }

// `retry: <ms>\n\n`: tells browsers how long to wait before reconnecting.
FramePtr RetryFrame(std::int64_t retry_ms);

// A comment line; keeps idle connections (and proxies in front of them) open.
const FramePtr& HeartbeatFrame();

// `pushy.reset` carries the head id, so a client that reconnects after it resumes from there.
FramePtr ResetFrame(EventId head, std::string_view reason, std::string_view message);

// `pushy.token_expiring` has no id line: it must not move the client's Last-Event-ID.
FramePtr TokenExpiringFrame(std::int64_t expires_at_seconds);

// The terminating zero-length chunk that ends a stream cleanly.
const FramePtr& FinalChunk();

}  // namespace pushy::sse
