// No error or warning may carry a secret: AUTH_SECRET_KEY, PUBLISHER_CLIENT_SECRET, or the
// password inside REDIS_URL.

#include <gtest/gtest.h>

#include "config/config.h"
#include "config_test_util.h"

namespace pushy::config {
namespace {

constexpr char kAuth[] = "AuthSecretX1";
constexpr char kPublisher[] = "PubSecretX2";
constexpr char kRedisPassword[] = "RedisSecretX3";

Environment SecretEnv() {
  return {{"AUTH_SECRET_KEY", kAuth},  // short on purpose: provokes a warning
          {"PUBLISHER_CLIENT_ID", "pub-id"},
          {"PUBLISHER_CLIENT_SECRET", kPublisher}};
}

struct Scenario {
  std::string name;
  Environment env;
  std::vector<std::string> args;
};

Environment With(Environment env, const std::string& key, const std::string& value) {
  env[key] = value;
  return env;
}

std::vector<Scenario> Scenarios() {
  const std::string redis_pw = kRedisPassword;
  const Environment base = SecretEnv();
  std::vector<Scenario> scenarios = {
      {"short key warning", base, {}},
      {"another setting fails", With(base, "PORT", "abc"), {}},
      {"cross-check fails", With(base, "TOKEN_TTL", "99999999"), {}},
      {"demo mode", With(base, "PUSHY_DEMO", "1"), {}},
      {"empty secret flag", base, {"--publisher-client-secret="}},
      {"empty key flag", base, {"--auth-secret-key="}},
      {"misspelt flag", {}, {"--auth-secret=" + std::string(kAuth)}},
      {"misspelt flag, spaced", {}, {"--publisher-secret", kPublisher}},
      {"unquoted space in a secret", {}, {"--auth-secret-key", "part1", kAuth}},
      {"secret starting with dashes", {}, {"--auth-secret-key", "--" + std::string(kAuth)}},
      {"secret flag then garbage", {}, {"--publisher-client-secret", kPublisher, "--port=x"}},
  };
  for (const std::string& url : {
           "redis://:" + redis_pw + "@host:0",
           "redis://user:" + redis_pw + "@host?x=1",
           "redis://user:" + redis_pw + "@@host",
           "redis://:" + redis_pw + "/x@host",
           "redis://:" + redis_pw + "#frag@host",
           "redis://:" + redis_pw + " sp@host",
           "redis://" + redis_pw + "@host",
           "redis://:" + redis_pw + "@",
           redis_pw + "@host",
           "http://:" + redis_pw + "@host",
       }) {
    scenarios.push_back({"bad REDIS_URL " + url, With(base, "REDIS_URL", url), {}});
    scenarios.push_back({"bad --redis-url " + url, base, {"--redis-url", url}});
  }
  return scenarios;
}

TEST(SecretsTest, NoMessageEverHoldsASecret) {
  for (const Scenario& scenario : Scenarios()) {
    SCOPED_TRACE(scenario.name);
    const LoadResult result = LoadArgs(scenario.env, scenario.args);
    std::vector<std::string> messages = result.warnings;
    messages.push_back(result.error);
    // Each scenario must say something, or it proves nothing.
    EXPECT_FALSE(result.error.empty() && result.warnings.empty());
    for (const std::string& message : messages) {
      for (const char* secret : {kAuth, kPublisher, kRedisPassword}) {
        EXPECT_EQ(message.find(secret), std::string::npos) << message;
      }
    }
  }
}

TEST(SecretsTest, SecretSettingsNameTheProblemWithoutAValue) {
  EXPECT_EQ(LoadArgs(SecretEnv(), {"--publisher-client-secret="}).error,
            "PUBLISHER_CLIENT_SECRET (--publisher-client-secret): must not be empty");
  EXPECT_EQ(LoadArgs(SecretEnv(), {"--auth-secret-key="}).error,
            "AUTH_SECRET_KEY (--auth-secret-key): must not be empty");
}

TEST(SecretsTest, RedisErrorsShowTheUrlRedacted) {
  const LoadResult result =
      LoadEnv("REDIS_URL", "redis://alice:" + std::string(kRedisPassword) + "@host:0/1");
  EXPECT_EQ(result.error,
            "REDIS_URL (--redis-url): must have a port between 1 and 65535, got "
            "\"redis://alice:***@host:0/1\"");
}

}  // namespace
}  // namespace pushy::config
