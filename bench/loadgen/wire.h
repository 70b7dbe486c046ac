#pragma once

#include <cstdint>
#include <type_traits>

#include "histogram.h"

namespace pushy::bench {

// Messages between the coordinator and its subscriber workers, over one pipe each way. Both
// ends are the same binary on the same machine, so structs travel as plain bytes.
enum class MsgType : std::uint32_t {
  kEstablished = 1,  // worker -> coordinator: streams opened (or not)
  kPublishDone = 2,  // coordinator -> worker: publishing ended; followed by the failed seqs
  kResult = 3,       // worker -> coordinator: what arrived
  kClose = 4,        // coordinator -> worker: close every stream and exit
};

struct MsgHeader {
  MsgType type;
  std::uint32_t size;  // payload bytes after the header
};

struct EstablishedMsg {
  std::uint32_t ok = 0;
  std::uint32_t failed_connect = 0;  // socket/connect errors, resets before the response
  std::uint32_t failed_status = 0;   // a response other than 200
  std::uint32_t failed_timeout = 0;  // not open within --connect-timeout
  std::int32_t last_bad_status = 0;
  std::int32_t last_errno = 0;
};

struct PublishDoneMsg {
  std::uint64_t events = 0;        // events whose publish was attempted: seqs 0..events-1
  std::uint64_t failed_count = 0;  // then this many uint64 seqs that were not accepted
};

struct ResultMsg {
  std::uint64_t expected = 0;    // sum over streams of accepted events on channels it covers
  std::uint64_t received = 0;    // data lines with a seq, duplicates included
  std::uint64_t unique = 0;      // distinct expected events received
  std::uint64_t duplicated = 0;  // the same event again on the same stream
  std::uint64_t unexpected = 0;  // an event for a channel the stream does not cover
  std::uint32_t streams_complete = 0;
  std::uint32_t streams_closed_early = 0;  // ended by the server before the run ended
  std::int64_t first_recv_ns = 0;          // CLOCK_REALTIME
  std::int64_t last_recv_ns = 0;
  Histogram latency;  // end to end, microseconds
};

static_assert(std::is_trivially_copyable_v<ResultMsg>);

}  // namespace pushy::bench
