#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "config/value_parsers.h"

// The REDIS_URL grammar, kept here so that config validates exactly what the broker connects to.
// Pure functions; any thread.
namespace pushy::config {

struct RedisUrl {
  bool tls = false;      // rediss://
  std::string user;      // empty: the default user
  std::string password;  // percent-decoded; empty: no AUTH
  std::string host;      // hostname or IP literal (IPv6 without brackets)
  std::uint16_t port = 6379;
  std::uint32_t db = 0;
};

// Parses `redis[s]://[[user]:password@]host[:port][/db]`. A problem never quotes any part of
// the text, since it may hold a password.
Parsed<RedisUrl> ParseRedisUrl(std::string_view text);

// `text` with the password (or, without a ':', the whole user info) replaced by "***": safe to
// log or show in an error even when `text` is not a valid URL.
std::string RedactRedisUrl(std::string_view text);

}  // namespace pushy::config
