#pragma once

#include <array>
#include <cstdint>

#include "metrics/counter.h"

namespace pushy::metrics {

// What one event loop counts. Written only by its loop thread.
struct LoopMetrics {
  LocalCounter streams_open;            // gauge
  LocalCounter subscriptions;           // gauge: (stream, channel-or-pattern) pairs
  LocalCounter streams_opened;          // total
  LocalCounter streams_rejected_full;   // total: 503 at MAX_CONNECTIONS
  LocalCounter events_published;        // total: acknowledged publishes answered by this loop
  LocalCounter publish_failed;          // total: publishes the broker refused
  LocalCounter events_delivered;        // total: event frames queued to streams
  LocalCounter events_replayed;         // total: frames sent from history on resume
  LocalCounter resets_sent;             // total: pushy.reset events
  LocalCounter slow_consumers_dropped;  // total
  LocalCounter streams_expired;         // total: closed at token exp
  std::array<LocalCounter, 600> http_status{};  // total requests answered, by status code

  void CountStatus(unsigned status) {
    if (status < http_status.size()) http_status[status].Add();
  }
};

}  // namespace pushy::metrics
