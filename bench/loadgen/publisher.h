#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "histogram.h"
#include "options.h"

namespace pushy::bench {

// What the publishing phase did.
struct PublishStats {
  std::uint64_t attempted = 0;            // seqs 0..attempted-1 were sent (or tried)
  std::uint64_t accepted = 0;             // answered 2xx
  std::vector<std::uint64_t> failed;      // seqs not accepted (error status, reset, timeout)
  std::map<int, std::uint64_t> statuses;  // non-2xx status -> count (0: no answer)
  Histogram latency;                      // request sent -> response complete, microseconds
  std::int64_t start_realtime_ns = 0;
  double seconds = 0;  // first send -> last answer
  std::uint32_t reconnects = 0;
};

// Publishes events over `pub_conns` keep-alive HTTP/1.1 connections, one request in flight on
// each: `events` of them (or as many as fit in `duration` seconds), paced at `rate` per second
// when it is set. Event n carries {"seq":n,"t":<send time, ns>} and goes to channel n % C.
// Runs on the calling thread; bounded in time.
PublishStats RunPublisher(const Options& options);

}  // namespace pushy::bench
