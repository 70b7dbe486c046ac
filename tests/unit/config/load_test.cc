// Loading every setting from the environment and from flags, and how the two combine.

#include <gtest/gtest.h>

#include <cstdlib>
#include <functional>
#include <set>

#include "config/config.h"
#include "config/settings.h"
#include "config_test_util.h"

namespace pushy::config {
namespace {

using std::chrono::seconds;

TEST(LoadTest, DefaultsMatchTheContract) {
  const LoadResult result = LoadArgs(RequiredEnv());
  ASSERT_TRUE(result.config) << result.error;
  EXPECT_TRUE(result.error.empty());
  EXPECT_TRUE(result.warnings.empty());
  EXPECT_FALSE(result.help_requested);
  const Config& c = *result.config;
  EXPECT_EQ(c.auth_secret_key, kGoodKey);
  EXPECT_EQ(c.publisher_client_id, "pub-id");
  EXPECT_EQ(c.publisher_client_secret, "pub-secret");
  EXPECT_EQ(c.host, "0.0.0.0");
  EXPECT_EQ(c.port, 4000);
  EXPECT_EQ(c.redis_url, "");
  EXPECT_EQ(c.heartbeat_interval, seconds(15));
  EXPECT_EQ(c.max_message_bytes, 65536u);
  EXPECT_EQ(c.history_size, 1000u);
  EXPECT_EQ(c.history_ttl, seconds(3600));
  EXPECT_EQ(c.token_ttl, seconds(3600));
  EXPECT_EQ(c.max_token_ttl, seconds(86400));
  EXPECT_EQ(c.allowed_origins, std::vector<std::string>{"*"});
  EXPECT_EQ(c.max_connections, 0u);
  EXPECT_EQ(c.threads, 0u);
  EXPECT_EQ(c.shutdown_timeout, seconds(10));
  EXPECT_EQ(c.request_timeout, seconds(10));
  EXPECT_EQ(c.stream_buffer_bytes, std::size_t{1} << 20);
  EXPECT_EQ(c.log_level, "info");
  EXPECT_FALSE(c.demo);
}

// One valid non-default value per setting, another to lose against it, and a check that the
// value landed in the right field.
struct SettingCase {
  std::string env;
  std::string flag;
  std::string value;
  std::string other;
  std::function<void(const Config&)> check;
};

const std::vector<SettingCase>& Cases() {
  static const std::vector<SettingCase> cases = {
      {"AUTH_SECRET_KEY", "--auth-secret-key", std::string(70, 'z'), std::string(80, 'y'),
       [](const Config& c) { EXPECT_EQ(c.auth_secret_key, std::string(70, 'z')); }},
      {"PUBLISHER_CLIENT_ID", "--publisher-client-id", "id-2", "id-3",
       [](const Config& c) { EXPECT_EQ(c.publisher_client_id, "id-2"); }},
      {"PUBLISHER_CLIENT_SECRET", "--publisher-client-secret", "sec-2", "sec-3",
       [](const Config& c) { EXPECT_EQ(c.publisher_client_secret, "sec-2"); }},
      {"HOST", "--host", "::1", "10.0.0.1", [](const Config& c) { EXPECT_EQ(c.host, "::1"); }},
      {"PORT", "--port", "8080", "9090", [](const Config& c) { EXPECT_EQ(c.port, 8080); }},
      {"REDIS_URL", "--redis-url", "redis://:pw@redis:6380/2", "redis://other",
       [](const Config& c) { EXPECT_EQ(c.redis_url, "redis://:pw@redis:6380/2"); }},
      {"HEARTBEAT_INTERVAL", "--heartbeat-interval", "30", "40",
       [](const Config& c) { EXPECT_EQ(c.heartbeat_interval, seconds(30)); }},
      {"MAX_MESSAGE_BYTES", "--max-message-bytes", "1024", "2048",
       [](const Config& c) { EXPECT_EQ(c.max_message_bytes, 1024u); }},
      {"HISTORY_SIZE", "--history-size", "0", "5",
       [](const Config& c) { EXPECT_EQ(c.history_size, 0u); }},
      {"HISTORY_TTL", "--history-ttl", "60", "70",
       [](const Config& c) { EXPECT_EQ(c.history_ttl, seconds(60)); }},
      {"TOKEN_TTL", "--token-ttl", "60", "70",
       [](const Config& c) { EXPECT_EQ(c.token_ttl, seconds(60)); }},
      {"MAX_TOKEN_TTL", "--max-token-ttl", "7200", "7300",
       [](const Config& c) { EXPECT_EQ(c.max_token_ttl, seconds(7200)); }},
      {"ALLOWED_ORIGINS", "--allowed-origins", "https://a.example.com, http://localhost:3000",
       "https://other.example.com",
       [](const Config& c) {
         EXPECT_EQ(c.allowed_origins,
                   (std::vector<std::string>{"https://a.example.com", "http://localhost:3000"}));
       }},
      {"MAX_CONNECTIONS", "--max-connections", "5000", "6000",
       [](const Config& c) { EXPECT_EQ(c.max_connections, 5000u); }},
      {"THREADS", "--threads", "4", "8", [](const Config& c) { EXPECT_EQ(c.threads, 4u); }},
      {"SHUTDOWN_TIMEOUT", "--shutdown-timeout", "30", "40",
       [](const Config& c) { EXPECT_EQ(c.shutdown_timeout, seconds(30)); }},
      {"REQUEST_TIMEOUT", "--request-timeout", "5", "6",
       [](const Config& c) { EXPECT_EQ(c.request_timeout, seconds(5)); }},
      {"STREAM_BUFFER_BYTES", "--stream-buffer-bytes", "8192", "16384",
       [](const Config& c) { EXPECT_EQ(c.stream_buffer_bytes, 8192u); }},
      {"LOG_LEVEL", "--log-level", "debug", "error",
       [](const Config& c) { EXPECT_EQ(c.log_level, "debug"); }},
      {"PUSHY_DEMO", "--demo", "true", "false", [](const Config& c) { EXPECT_TRUE(c.demo); }},
  };
  return cases;
}

TEST(LoadTest, CasesCoverEveryRowOfTheTable) {
  std::set<std::string> covered;
  for (const SettingCase& c : Cases()) covered.insert(c.env);
  for (const Setting& setting : Settings()) {
    EXPECT_TRUE(covered.contains(std::string(setting.env))) << setting.env;
  }
  EXPECT_EQ(covered.size(), Settings().size());
}

TEST(LoadTest, EverySettingFromTheEnvironment) {
  for (const SettingCase& c : Cases()) {
    SCOPED_TRACE(c.env);
    const LoadResult result = LoadEnv(c.env, c.value);
    ASSERT_TRUE(result.config) << result.error;
    c.check(*result.config);
  }
}

TEST(LoadTest, EverySettingFromAFlagInBothForms) {
  for (const SettingCase& c : Cases()) {
    SCOPED_TRACE(c.flag);
    // --demo takes no value, so its spaced form is the bare flag.
    const std::vector<std::string> spaced = c.flag == "--demo"
                                                ? std::vector<std::string>{c.flag}
                                                : std::vector<std::string>{c.flag, c.value};
    for (const auto& args : {spaced, std::vector<std::string>{c.flag + "=" + c.value}}) {
      const LoadResult result = LoadArgs(RequiredEnv(), args);
      ASSERT_TRUE(result.config) << result.error;
      c.check(*result.config);
    }
  }
}

TEST(LoadTest, AFlagBeatsItsVariable) {
  for (const SettingCase& c : Cases()) {
    SCOPED_TRACE(c.flag);
    Environment env = RequiredEnv();
    env[c.env] = c.other;
    const LoadResult result = LoadArgs(env, {c.flag + "=" + c.value});
    ASSERT_TRUE(result.config) << result.error;
    c.check(*result.config);
  }
}

TEST(LoadTest, RequiredSettingsCanComeFromFlagsAlone) {
  const LoadResult result = LoadArgs({}, {"--auth-secret-key", kGoodKey, "--publisher-client-id=a",
                                          "--publisher-client-secret", "b"});
  ASSERT_TRUE(result.config) << result.error;
  EXPECT_EQ(result.config->publisher_client_id, "a");
  EXPECT_EQ(result.config->publisher_client_secret, "b");
}

TEST(LoadTest, TheLastOfARepeatedFlagWins) {
  const LoadResult result = LoadArgs(RequiredEnv(), {"--port", "1", "--port=2"});
  ASSERT_TRUE(result.config) << result.error;
  EXPECT_EQ(result.config->port, 2);
}

TEST(LoadTest, AnEmptyVariableCountsAsUnset) {
  EXPECT_EQ(LoadEnv("PORT", "").config->port, 4000);
  EXPECT_EQ(LoadEnv("HOST", "").config->host, "0.0.0.0");
  Environment env = RequiredEnv();
  env["AUTH_SECRET_KEY"] = "";
  EXPECT_EQ(LoadArgs(env).error,
            "AUTH_SECRET_KEY is required (set the environment variable or --auth-secret-key)");
}

TEST(LoadTest, AnEmptyFlagValueIsAValueNotAnAbsence) {
  EXPECT_EQ(LoadArgs(RequiredEnv(), {"--port="}).error,
            "PORT (--port): must be an integer between 0 and 65535, got \"\"");
  EXPECT_EQ(LoadArgs(RequiredEnv(), {"--host="}).error,
            "HOST (--host): must not be empty, got \"\"");
  EXPECT_EQ(LoadArgs(RequiredEnv(), {"--publisher-client-id="}).error,
            "PUBLISHER_CLIENT_ID (--publisher-client-id): must not be empty, got \"\"");
  // An empty --redis-url is how a flag turns off a REDIS_URL from the environment.
  Environment env = RequiredEnv();
  env["REDIS_URL"] = "redis://cache";
  const LoadResult result = LoadArgs(env, {"--redis-url="});
  ASSERT_TRUE(result.config) << result.error;
  EXPECT_EQ(result.config->redis_url, "");
}

TEST(LoadTest, VariablesOutsideTheTableAreIgnored) {
  Environment env = RequiredEnv();
  env["port"] = "abc";
  env["PUSHY_PORT"] = "abc";
  const LoadResult result = LoadArgs(env);
  ASSERT_TRUE(result.config) << result.error;
  EXPECT_EQ(result.config->port, 4000);
}

TEST(ProcessEnvironmentTest, SnapshotsTheEnvironment) {
  ASSERT_EQ(setenv("PUSHY_CONFIG_TEST_VAR", "a=b", 1), 0);
  const Environment env = ProcessEnvironment();
  ASSERT_EQ(unsetenv("PUSHY_CONFIG_TEST_VAR"), 0);
  ASSERT_TRUE(env.contains("PUSHY_CONFIG_TEST_VAR"));
  EXPECT_EQ(env.at("PUSHY_CONFIG_TEST_VAR"), "a=b");  // split at the first '='
  EXPECT_FALSE(ProcessEnvironment().contains("PUSHY_CONFIG_TEST_VAR"));
}

}  // namespace
}  // namespace pushy::config
