#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace pushy::server {

inline constexpr std::size_t kMaxBatchChannels = 100;
inline constexpr std::size_t kMaxJsonDepth = 64;

struct PublishBody {
  std::vector<std::string> channels;  // batch only; single publishes take the path's channel
  std::string event = "message";
  std::string data;  // compact JSON text, as published
};

// Parses `{"data": ..., "event": ...}` (and `"channels": [...]` when `batch`). Names are checked
// here (event name rules, channel syntax), grants are not.
Result<PublishBody> ParsePublishBody(std::string_view body, bool batch);

// 1-64 characters of A-Z a-z 0-9 _ . : -, and not in the reserved `pushy.` namespace.
bool IsValidEventName(std::string_view name);

// A concrete channel to publish to: kInvalidChannel or kPatternNotPublishable otherwise.
boost::system::error_code CheckPublishChannel(std::string_view channel);

}  // namespace pushy::server
