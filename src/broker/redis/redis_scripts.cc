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

-- One clock sample per second; now and then also forget channels whose keys expired.
local last = redis.call('ZREVRANGE', clock, 0, 0, 'WITHSCORES')
if #last == 0 or tonumber(last[2]) < now_s then
  redis.call('ZADD', clock, now_s, fmt(tonumber(redis.call('GET', seq_key) or '0') + 1))
  redis.call('ZREMRANGEBYSCORE', clock, '-inf', '(' .. fmt(now_s - math.ceil(ttl / 1000) - 60))
  for _, ch in ipairs(redis.call('SRANDMEMBER', channels, 8)) do
    if redis.call('EXISTS', prefix .. 'h:' .. ch, prefix .. 'm:' .. ch) == 0 then
      redis.call('SREM', channels, ch)
    end
  end
end

-- Drops a stream's oldest entries past the TTL; returns the highest seq dropped (or 0).
local function expire(hkey)
  -- The common case, nothing expired, costs one single-entry read.
  local oldest = redis.call('XRANGE', hkey, '-', '+', 'COUNT', 1)
  if #oldest == 0 or tonumber(oldest[1][2][2]) >= cutoff then return 0 end
  local dropped = 0
  while true do
    local head = redis.call('XRANGE', hkey, '-', '+', 'COUNT', 64)
    for _, e in ipairs(head) do
      if tonumber(e[2][2]) >= cutoff then
        if dropped > 0 then redis.call('XTRIM', hkey, 'MINID', e[1]) end
        return dropped
      end
      dropped = seq_of(e[1])
    end
    if #head > 0 then redis.call('XTRIM', hkey, 'MINID', fmt(dropped + 1) .. '-0') end
    if #head < 64 then return dropped end
  end
end

local function append(ch, seq, ts, name, data)
  local hkey = prefix .. 'h:' .. ch
  local mkey = prefix .. 'm:' .. ch
  local meta = redis.call('HMGET', mkey, 'dropped_through', 'last_seq')
  -- A channel without a record may have had events that were forgotten.
  local dropped = meta[2] and tonumber(meta[1]) or old_bound(ttl, seq) - 1
  if redis.call('EXISTS', hkey) == 1 then
    dropped = math.max(dropped, expire(hkey))
  elseif meta[2] then
    dropped = math.max(dropped, tonumber(meta[2]))  -- the stream expired with all its events
  end
  if max_events == 0 then
    dropped = seq
  else
    local len = redis.call('XLEN', hkey)
    if len >= max_events then
      local old = redis.call('XRANGE', hkey, '-', '+', 'COUNT', len - max_events + 1)
      dropped = math.max(dropped, seq_of(old[#old][1]))
    end
    redis.call('XADD', hkey, 'MAXLEN', max_events, fmt(seq) .. '-0',
               'ts', ts, 'name', name, 'data', data)
    redis.call('PEXPIRE', hkey, ttl)
  end
  redis.call('HSET', mkey, 'dropped_through', fmt(dropped), 'last_seq', fmt(seq))
  redis.call('PEXPIRE', mkey, 2 * ttl)
  redis.call('SADD', channels, ch)
  redis.call('PUBLISH', prefix .. 'c:' .. ch,
             epoch .. ' ' .. fmt(seq) .. ' ' .. ts .. ' ' .. name .. ' ' .. data)
end

local out = {epoch}
local ts = fmt(now)
for i = 5, #ARGV, 3 do
  local seq = redis.call('INCR', seq_key)
  append(ARGV[i], seq, ts, ARGV[i + 1], ARGV[i + 2])
  out[#out + 1] = seq
end
return out
)lua";

constexpr std::string_view kReplay = R"lua(
local ttl = tonumber(ARGV[2])
local epoch = get_epoch(ARGV[3])
local head = tonumber(redis.call('GET', seq_key) or '0')
local cutoff = now - ttl
local out = {epoch, head, old_bound(ttl, head + 1)}
local after = tonumber(ARGV[5])
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
    for _, e in ipairs(redis.call('XRANGE', hkey, fmt(after + 1) .. '-0', '+')) do
      local f = e[2]
      if tonumber(f[2]) < cutoff then
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

for i = 6, #ARGV, 2 do
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
