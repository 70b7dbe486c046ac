#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/event_id.h"

namespace pushy {

// One published event, immutable once built. `data` is the publisher's JSON value in compact
// form (one line), carried byte for byte to every subscriber.
struct Event {
  EventId id;
  std::string channel;     // always a concrete channel name, never a pattern
  std::string name;        // SSE event name; "message" when the publisher gave none
  std::string data;        // compact JSON text
  std::int64_t ts_ms = 0;  // publish time, milliseconds since the Unix epoch
};

using EventPtr = std::shared_ptr<const Event>;

// What a publisher asks for; the broker turns it into an Event by assigning id and time.
struct PublishRequest {
  std::string channel;
  std::string name;
  std::string data;
};

}  // namespace pushy
