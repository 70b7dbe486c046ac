#include "config/settings.h"

#include <type_traits>

namespace pushy::config {
namespace {

using std::chrono::seconds;

constexpr std::uint64_t kOneYear = 31'536'000;

// Order here is the order of --help and the docs. Defaults live in Config's member initialisers
// and are read from a default Config, so the help can never disagree with the code.
constexpr Setting kSettings[] = {
    {.env = "AUTH_SECRET_KEY",
     .flag = "--auth-secret-key",
     .kind = Kind::kSecret,
     .field = &Config::auth_secret_key,
     .required = true,
     .demo_value = "demo-secret-key-change-me-demo-secret-key-change-me-demo-secret-key",
     .doc = "HMAC key that signs HS512 tokens; use at least 64 random bytes."},
    {.env = "PUBLISHER_CLIENT_ID",
     .flag = "--publisher-client-id",
     .kind = Kind::kText,
     .field = &Config::publisher_client_id,
     .required = true,
     .demo_value = "publisher_id",
     .doc = "Publisher credential: the X-Client-ID that may publish and mint tokens."},
    {.env = "PUBLISHER_CLIENT_SECRET",
     .flag = "--publisher-client-secret",
     .kind = Kind::kSecret,
     .field = &Config::publisher_client_secret,
     .required = true,
     .demo_value = "publisher_secret",
     .doc = "Publisher credential: the X-Client-Secret that goes with the id."},
    {.env = "HOST",
     .flag = "--host",
     .kind = Kind::kHost,
     .field = &Config::host,
     .demo_value = "127.0.0.1",
     .doc = "Address to listen on (IP address or hostname)."},
    {.env = "PORT",
     .flag = "--port",
     .kind = Kind::kInteger,
     .field = &Config::port,
     .min = 0,
     .max = 65535,
     .doc = "TCP port to listen on; 0 picks any free port."},
    {.env = "REDIS_URL",
     .flag = "--redis-url",
     .kind = Kind::kRedisUrl,
     .field = &Config::redis_url,
     .doc = "Redis shared by a cluster of nodes; unset: one node with an in-memory broker."},
    {.env = "HEARTBEAT_INTERVAL",
     .flag = "--heartbeat-interval",
     .kind = Kind::kInteger,
     .field = &Config::heartbeat_interval,
     .min = 1,
     .max = 3600,
     .doc = "Seconds between SSE comment heartbeats on an idle stream."},
    {.env = "MAX_MESSAGE_BYTES",
     .flag = "--max-message-bytes",
     .kind = Kind::kInteger,
     .field = &Config::max_message_bytes,
     .min = 256,
     .max = 16'777'216,
     .doc = "Largest accepted request body, in bytes."},
    {.env = "HISTORY_SIZE",
     .flag = "--history-size",
     .kind = Kind::kInteger,
     .field = &Config::history_size,
     .min = 0,
     .max = 1'000'000,
     .doc = "Events kept per channel for resume; 0 disables history."},
    {.env = "HISTORY_TTL",
     .flag = "--history-ttl",
     .kind = Kind::kInteger,
     .field = &Config::history_ttl,
     .min = 1,
     .max = 604'800,
     .doc = "Seconds an event stays in history."},
    {.env = "TOKEN_TTL",
     .flag = "--token-ttl",
     .kind = Kind::kInteger,
     .field = &Config::token_ttl,
     .min = 1,
     .max = kOneYear,
     .doc = "Default lifetime of a token from POST /token; at most MAX_TOKEN_TTL."},
    {.env = "MAX_TOKEN_TTL",
     .flag = "--max-token-ttl",
     .kind = Kind::kInteger,
     .field = &Config::max_token_ttl,
     .min = 1,
     .max = kOneYear,
     .doc = "Largest token lifetime a publisher may ask for."},
    {.env = "ALLOWED_ORIGINS",
     .flag = "--allowed-origins",
     .kind = Kind::kOrigins,
     .field = &Config::allowed_origins,
     .doc = "CORS origins: * for any, or a comma list like https://app.example.com:8443."},
    {.env = "MAX_CONNECTIONS",
     .flag = "--max-connections",
     .kind = Kind::kInteger,
     .field = &Config::max_connections,
     .min = 0,
     .max = 10'000'000,
     .doc = "Streams beyond it get 503; 0 derives it from the open-file limit."},
    {.env = "THREADS",
     .flag = "--threads",
     .kind = Kind::kInteger,
     .field = &Config::threads,
     .min = 0,
     .max = 256,
     .doc = "I/O threads; 0 uses one per core."},
    {.env = "SHUTDOWN_TIMEOUT",
     .flag = "--shutdown-timeout",
     .kind = Kind::kInteger,
     .field = &Config::shutdown_timeout,
     .min = 1,
     .max = 300,
     .doc = "Seconds a graceful shutdown may take before connections are cut."},
    {.env = "REQUEST_TIMEOUT",
     .flag = "--request-timeout",
     .kind = Kind::kInteger,
     .field = &Config::request_timeout,
     .min = 1,
     .max = 300,
     .doc = "Seconds within which a request must arrive whole."},
    {.env = "STREAM_BUFFER_BYTES",
     .flag = "--stream-buffer-bytes",
     .kind = Kind::kInteger,
     .field = &Config::stream_buffer_bytes,
     .min = 4096,
     .max = 67'108'864,
     .doc = "Bytes of output a stream may have pending before it is cut off as a slow consumer."},
    {.env = "LOG_LEVEL",
     .flag = "--log-level",
     .kind = Kind::kChoice,
     .field = &Config::log_level,
     .choices = "debug|info|warn|error",
     .doc = "Least severe log level written."},
    {.env = "PUSHY_DEMO",
     .flag = "--demo",
     .kind = Kind::kBool,
     .field = &Config::demo,
     .doc = "Demo mode: public demo credentials and HOST 127.0.0.1 unless given. Never in "
            "production."},
};

}  // namespace

std::span<const Setting> Settings() { return kSettings; }

const Setting* FindByFlag(std::string_view flag) {
  for (const Setting& setting : kSettings) {
    if (setting.flag == flag) return &setting;
  }
  return nullptr;
}

const Setting& DemoSetting() { return *FindByFlag("--demo"); }

std::string FormatField(const Config& config, const Field& field) {
  return std::visit(
      [&](auto member) -> std::string {
        const auto& value = config.*member;
        using Value = std::decay_t<decltype(value)>;
        if constexpr (std::is_same_v<Value, std::string>) {
          return value;
        } else if constexpr (std::is_same_v<Value, bool>) {
          return value ? "on" : "off";
        } else if constexpr (std::is_same_v<Value, seconds>) {
          return std::to_string(value.count());
        } else if constexpr (std::is_same_v<Value, std::vector<std::string>>) {
          std::string joined;
          for (const std::string& item : value) joined += (joined.empty() ? "" : ",") + item;
          return joined;
        } else {
          return std::to_string(value);
        }
      },
      field);
}

bool IsSeconds(const Field& field) { return std::holds_alternative<seconds Config::*>(field); }

}  // namespace pushy::config
