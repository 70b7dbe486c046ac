#include "broker/redis/redis_scripts.h"

#include <openssl/sha.h>

namespace pushy::broker::redis {
namespace {

// Shared head of both scripts: epoch, time, and the clock lookup.
constexpr std::string_view kPrelude = R"lua(local prefix = ARGV[1]
local function fmt(n) return string.format('%d', n) end
local function seq_of(id) return tonumber(string.match(id, '^(%d+)')) end
local function get_epoch(candidate)
  local e = redis.call('GET', prefix .. 'epoch')
  if e then return e end
  redis.call('SET', prefix .. 'epoch', candidate)
  return candidate
end
local t = redis.call('TIME')
local now_s = tonumber(t[1])
local now = now_s * 1000 + math.floor(tonumber(t[2]) / 1000)
local clock = prefix .. 'clock'
local seq_key = prefix .. 'seq'
-- The first seq of the first second wholly after now - ttl: every event below it
-- may be older than the TTL (conservative by up to one second).
local function old_bound(ttl, fallback)
  local s0 = math.floor((now - ttl) / 1000)
  local r = redis.call('ZRANGEBYSCORE', clock, '(' .. fmt(s0), '+inf', 'LIMIT', 0, 1)
  if r[1] then return tonumber(r[1]) end
  return fallback
end
)lua";

constexpr std::string_view kPublish = R"lua(
local max_events = tonumber(ARGV[2])
local ttl = tonumber(ARGV[3])
local epoch = get_epoch(ARGV[4])
local cutoff = now - ttl
local channels = prefix .. 'channels'
local n = (#ARGV - 4) / 3
if n < 1 or n ~= math.floor(n) then return redis.error_reply('ERR pushy: bad publish arguments') end

-- The call's seqs are first .. first + n - 1 (INCR and SET: INCRBY is not in the documented ACL).
local first = redis.call('INCR', seq_key)
if n > 1 then redis.call('SET', seq_key, fmt(first + n - 1)) end

-- One clock sample per second; now and then also forget channels whose keys expired.
if #redis.call('ZRANGEBYSCORE', clock, fmt(now_s), '+inf', 'LIMIT', '0', '1') == 0 then
  redis.call('ZADD', clock, fmt(now_s), fmt(first))
  redis.call('ZREMRANGEBYSCORE', clock, '-inf', '(' .. fmt(now_s - math.ceil(ttl / 1000) - 60))
  for _, ch in ipairs(redis.call('SRANDMEMBER', channels, '8')) do
    if redis.call('EXISTS', prefix .. 'h:' .. ch, prefix .. 'm:' .. ch) == 0 then
      redis.call('SREM', channels, ch)
    end
  end
end

-- Drops a stream's oldest entries past the TTL. Returns the highest seq dropped (or 0) and the
-- ts of the oldest entry left (or nil).
local function expire(hkey)
  local dropped = 0
  while true do
    local head = redis.call('XRANGE', hkey, '-', '+', 'COUNT', '64')
    for _, e in ipairs(head) do
      if tonumber(e[2][2]) >= cutoff then
        if dropped > 0 then redis.call('XTRIM', hkey, 'MINID', e[1]) end
        return dropped, tonumber(e[2][2])
      end
      dropped = seq_of(e[1])
    end
    if #head > 0 then redis.call('XTRIM', hkey, 'MINID', fmt(dropped + 1) .. '-0') end
    if #head < 64 then return dropped, nil end
  end
end

-- Appending with an exact MAXLEN costs Redis several times a plain XADD, so a stream may grow
-- `spare` entries past max_events before one exact trim; until then the replay script ignores
-- all but the newest max_events entries. Expiry: a stream lives ttl + slack after its expiry
-- was last set, its meta hash ttl longer; both are set again once less than ttl is left.
local spare = math.min(100, math.floor(max_events / 10))
local slack = math.floor(math.min(ttl, 60000) / 2)

-- Per channel of the call, before its appends: reads its meta hash and stream length, expires
-- entries past the TTL.
local function prepare(ch, state)
  state.hkey = prefix .. 'h:' .. ch
  state.mkey = prefix .. 'm:' .. ch
  local meta = redis.call('HMGET', state.mkey, 'dropped_through', 'last_seq', 'expires',
                          'oldest_ts')
  state.known = meta[2]
  -- A channel without a record may have had events that were forgotten.
  state.dropped = meta[2] and tonumber(meta[1]) or old_bound(ttl, state.seqs[1]) - 1
  state.expires = tonumber(meta[3] or '0')
  state.oldest_ts = tonumber(meta[4] or '0')
  state.len = redis.call('XLEN', state.hkey)
  if state.len > 0 and state.oldest_ts < cutoff then
    local dropped, oldest_ts = expire(state.hkey)
    state.dropped = math.max(state.dropped, dropped)
    state.oldest_ts = oldest_ts
    state.len = redis.call('XLEN', state.hkey)
  end
  -- Every event up to last_seq went into the stream: none left means all were dropped.
  if state.len == 0 then
    if meta[2] then state.dropped = math.max(state.dropped, tonumber(meta[2])) end
    state.oldest_ts = now
  end
end

-- Per channel of the call, after its appends: trim, record what was dropped, set expiries.
local function finish(ch, state)
  local last_seq = state.seqs[#state.seqs]
  local len = state.len + #state.seqs
  if max_events == 0 then
    state.dropped = last_seq
  elseif len > max_events + spare then
    local gone = redis.call('XRANGE', state.hkey, '-', '+', 'COUNT', fmt(len - max_events + 1))
    state.dropped = math.max(state.dropped, seq_of(gone[len - max_events][1]))
    state.oldest_ts = tonumber(gone[len - max_events + 1][2][2])
    redis.call('XTRIM', state.hkey, 'MAXLEN', fmt(max_events))
  end
  local expires = state.expires
  if (state.len == 0 and max_events > 0) or expires < now + ttl then
    expires = now + ttl + slack
    if max_events > 0 then redis.call('PEXPIRE', state.hkey, fmt(ttl + slack)) end
    redis.call('PEXPIRE', state.mkey, fmt(ttl + slack + ttl))
  end
  redis.call('HSET', state.mkey, 'dropped_through', fmt(state.dropped), 'last_seq',
             fmt(last_seq), 'expires', fmt(expires), 'oldest_ts', fmt(state.oldest_ts))
  if not state.known then redis.call('SADD', channels, ch) end
end

local states = {}
local order = {}
for i = 0, n - 1 do
  local ch = ARGV[5 + 3 * i]
  local state = states[ch]
  if not state then
    state = {seqs = {}}
    states[ch] = state
    order[#order + 1] = ch
  end
  state.seqs[#state.seqs + 1] = first + i
end
for _, ch in ipairs(order) do prepare(ch, states[ch]) end

-- Appends in seq order; one PUBLISH per run of consecutive events on one channel, so that
-- pub/sub order stays seq order across channels.
local ts = fmt(now)
local run, body = nil, nil
local function flush()
  if run then redis.call('PUBLISH', prefix .. 'c:' .. run, table.concat(body)) end
end
for i = 0, n - 1 do
  local ch, name, data = ARGV[5 + 3 * i], ARGV[6 + 3 * i], ARGV[7 + 3 * i]
  local seq = fmt(first + i)
  if max_events > 0 then
    redis.call('XADD', states[ch].hkey, seq .. '-0', 'ts', ts, 'name', name, 'data', data)
  end
  if ch ~= run then
    flush()
    run, body = ch, {epoch, ' ', ts}
  end
  body[#body + 1] = ' ' .. seq .. ' ' .. name .. ' ' .. fmt(#data) .. ' '
  body[#body + 1] = data
end
flush()
for _, ch in ipairs(order) do finish(ch, states[ch]) end
return {epoch, first, n}
)lua";

constexpr std::string_view kReplay = R"lua(
local ttl = tonumber(ARGV[2])
local epoch = get_epoch(ARGV[3])
local head = tonumber(redis.call('GET', seq_key) or '0')
local cutoff = now - ttl
local out = {epoch, head, old_bound(ttl, head + 1)}
local after = tonumber(ARGV[5])
local max_events = tonumber(ARGV[6])
if ARGV[4] ~= epoch or after > head then return out end

local seen = {}
local function channel(ch)
  if seen[ch] then return end
  seen[ch] = true
  local hkey = prefix .. 'h:' .. ch
  local meta = redis.call('HMGET', prefix .. 'm:' .. ch, 'dropped_through', 'last_seq')
  local exists = redis.call('EXISTS', hkey) == 1
  if not exists and not meta[2] then
    redis.call('SREM', prefix .. 'channels', ch)
    out[#out + 1] = {ch, -1}
    return
  end
  local dropped = tonumber(meta[1] or '0')
  local record = {ch, 0}
  if exists then
    local entries = redis.call('XRANGE', hkey, fmt(after + 1) .. '-0', '+')
    -- The stream may hold a few more than max_events (the publish script trims in steps):
    -- only the newest max_events are history.
    local beyond = #entries - max_events
    for i, e in ipairs(entries) do
      local f = e[2]
      if i <= beyond or tonumber(f[2]) < cutoff then
        dropped = math.max(dropped, seq_of(e[1]))
      else
        record[#record + 1] = seq_of(e[1])
        record[#record + 1] = f[2]
        record[#record + 1] = f[4]
        record[#record + 1] = f[6]
      end
    end
  else
    dropped = math.max(dropped, tonumber(meta[2]))
  end
  record[2] = dropped
  out[#out + 1] = record
end

for i = 7, #ARGV, 2 do
  if ARGV[i] == 'n' then
    channel(ARGV[i + 1])
  else
    local cursor = '0'
    repeat
      local r = redis.call('SSCAN', prefix .. 'channels', cursor, 'MATCH', ARGV[i + 1],
                           'COUNT', 1000)
      cursor = r[1]
      for _, ch in ipairs(r[2]) do channel(ch) end
    until cursor == '0'
  end
end
return out
)lua";

std::string Sha1Hex(std::string_view text) {
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (const unsigned char byte : digest) {
    out.push_back(kHex[byte >> 4]);
    out.push_back(kHex[byte & 0xF]);
  }
  return out;
}

Script Make(std::string_view body) {
  std::string source(kPrelude);
  source += body;
  std::string sha1 = Sha1Hex(source);
  return Script{std::move(source), std::move(sha1)};
}

}  // namespace

const Script& PublishScript() {
  static const Script script = Make(kPublish);
  return script;
}

const Script& ReplayScript() {
  static const Script script = Make(kReplay);
  return script;
}

}  // namespace pushy::broker::redis
