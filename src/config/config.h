#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace pushy::config {

// Every setting of the server, validated. Built once at start by Load() and then only read, so
// any thread may read a const Config. Each field is one row of the table in settings.cc, which
// names its environment variable, flag, bounds and meaning.
struct Config {
  std::string auth_secret_key, publisher_client_id, publisher_client_secret;
  std::string host = "0.0.0.0";
  std::uint16_t port = 4000;  // 0 = any free port
  std::string redis_url;      // empty: embedded in-memory broker
  std::chrono::seconds heartbeat_interval{15};
  std::size_t max_message_bytes = 65536;
  std::size_t history_size = 1000;  // events kept per channel; 0 disables history
  std::chrono::seconds history_ttl{3600};
  std::chrono::seconds token_ttl{3600}, max_token_ttl{86400};
  std::vector<std::string> allowed_origins{"*"};  // "*" alone, or normalised origins
  std::size_t max_connections = 0;            // 0: the server derives it from the open-file limit
  unsigned threads = 0;                       // 0: the server uses the number of cores
  std::chrono::seconds shutdown_timeout{10};  // bound on graceful exit
  std::chrono::seconds request_timeout{10};   // a request must arrive whole within it
  std::size_t stream_buffer_bytes = 1 << 20;  // pending output per stream before it is cut off
  std::string log_level = "info";             // debug|info|warn|error
  bool demo = false;
};

struct LoadResult {
  std::optional<Config> config;  // set on success
  // On failure: one message naming the setting, e.g.
  // `PORT (--port): must be an integer between 0 and 65535, got "abc"`. Never holds a secret.
  std::string error;
  std::vector<std::string> warnings;  // for the log at start; never hold a secret
  bool help_requested = false;        // --help / -h seen: print HelpText(), exit 0
};

using Environment = std::map<std::string, std::string, std::less<>>;

// A snapshot of the process environment. Call before any thread may change it.
Environment ProcessEnvironment();

// Builds a Config from `env` and `args` (argv without the program name); a flag beats its
// variable. Pure: reads nothing but its arguments, so it is safe on any thread.
LoadResult Load(const Environment& env, std::span<const std::string> args);

// Usage and every setting (flag, variable, accepted values, default, meaning), from the table.
std::string HelpText();

// The same reference as a Markdown table, for docs/.
std::string MarkdownReference();

}  // namespace pushy::config
