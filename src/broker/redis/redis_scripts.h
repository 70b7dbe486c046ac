#pragma once

#include <string>
#include <string_view>

namespace pushy::broker::redis {

// The two Lua scripts that keep Redis' history and pub/sub in one order. Each runs atomically,
// so seq order, history order and PUBLISH order agree for the whole cluster. Keys are built
// inside the scripts from the prefix (a standalone Redis, not Redis Cluster). Needs Redis 6.2+
// (XTRIM MINID). Both return the epoch, creating it from the caller's candidate when missing.
struct Script {
  std::string source;
  std::string sha1;  // lowercase hex, for EVALSHA
};

// ARGV: prefix, max_events, ttl_ms, candidate_epoch, then (channel, name, data) per event, at
// least one. The call's n events get the consecutive seqs first..first+n-1 in argument order.
// Per event: XADD. Once per channel of the call: expire the stream's entries past the TTL, trim
// it to max_events once it holds a tenth (at most 100) more, and record the highest seq dropped,
// exactly, in the meta hash (redis_keys.h). One PUBLISH per run of consecutive events on one
// channel (EncodeMessage's format), so pub/sub order is seq order. Also samples `clock` once
// per second. Returns {epoch, first, n}.
const Script& PublishScript();

// ARGV: prefix, ttl_ms, candidate_epoch, expected_epoch, after_seq, max_events, then (kind,
// value) pairs:
// kind "n" with a channel name, or "p" with a glob to SSCAN `channels` with.
// Returns {epoch, head, old_bound, record...}: old_bound is the lowest seq that may be younger
// than the TTL (every event below it may be gone). Records are read only when the epoch is
// `expected_epoch` and after_seq <= head; one per distinct channel:
// {channel, dropped_through, (seq, ts, name, data)...} with dropped_through -1 when the
// channel's keys are gone, and events after after_seq among the newest max_events of the
// channel and not older than the TTL (older ones count as dropped).
const Script& ReplayScript();

}  // namespace pushy::broker::redis
