// Every numeric bound, the TOKEN_TTL cross-check and LOG_LEVEL's choices.

#include <gtest/gtest.h>

#include <set>

#include "config/config.h"
#include "config/settings.h"
#include "config_test_util.h"

namespace pushy::config {
namespace {

struct Bound {
  std::string env;
  std::uint64_t min;
  std::uint64_t max;
};

const std::vector<Bound> kBounds = {
    {"PORT", 0, 65535},
    {"HEARTBEAT_INTERVAL", 1, 3600},
    {"MAX_MESSAGE_BYTES", 256, 16'777'216},
    {"HISTORY_SIZE", 0, 1'000'000},
    {"HISTORY_TTL", 1, 604'800},
    {"TOKEN_TTL", 1, 31'536'000},
    {"MAX_TOKEN_TTL", 1, 31'536'000},
    {"MAX_CONNECTIONS", 0, 10'000'000},
    {"THREADS", 0, 256},
    {"SHUTDOWN_TIMEOUT", 1, 300},
    {"REQUEST_TIMEOUT", 1, 300},
    {"STREAM_BUFFER_BYTES", 4096, 67'108'864},
};

const Setting& Row(const std::string& env) {
  for (const Setting& setting : Settings()) {
    if (setting.env == env) return setting;
  }
  ADD_FAILURE() << "no row " << env;
  return Settings().front();
}

// TOKEN_TTL and MAX_TOKEN_TTL are tested with the other at its loosest, so that the cross-check
// does not get in the way.
Environment BaseFor(const std::string& env) {
  Environment base = RequiredEnv();
  if (env == "TOKEN_TTL") base["MAX_TOKEN_TTL"] = "31536000";
  if (env == "MAX_TOKEN_TTL") base["TOKEN_TTL"] = "1";
  return base;
}

TEST(BoundsTest, EveryIntegerRowIsListed) {
  std::set<std::string> listed;
  for (const Bound& bound : kBounds) listed.insert(bound.env);
  for (const Setting& setting : Settings()) {
    if (setting.kind != Kind::kInteger) continue;
    EXPECT_TRUE(listed.contains(std::string(setting.env))) << setting.env;
  }
  EXPECT_EQ(listed.size(), kBounds.size());
}

TEST(BoundsTest, MinAndMaxAreAccepted) {
  for (const Bound& bound : kBounds) {
    for (const std::uint64_t value : {bound.min, bound.max}) {
      const std::string text = std::to_string(value);
      Environment env = BaseFor(bound.env);
      env[bound.env] = text;
      const LoadResult result = LoadArgs(env);
      ASSERT_TRUE(result.config) << bound.env << "=" << text << ": " << result.error;
      // Stored without truncation in the field the row names.
      EXPECT_EQ(FormatField(*result.config, Row(bound.env).field), text) << bound.env;
    }
  }
}

TEST(BoundsTest, LeadingZerosAreStillDecimal) {
  EXPECT_EQ(LoadEnv("PORT", "0080").config->port, 80);
}

std::vector<std::string> Rejected(const Bound& bound) {
  std::vector<std::string> texts = {std::to_string(bound.max + 1),
                                    "abc",
                                    "-1",
                                    "-0",
                                    "+5",
                                    " 5",
                                    "5 ",
                                    "5x",
                                    "0x10",
                                    "1e3",
                                    "1.5",
                                    "1,000",
                                    "99999999999999999999999",
                                    "18446744073709551616",   // 2^64
                                    "18446744073709551615"};  // fits 64 bits, over every max
  if (bound.min > 0) texts.push_back(std::to_string(bound.min - 1));
  return texts;
}

TEST(BoundsTest, EverythingElseIsRefusedWithTheBoundsInTheMessage) {
  for (const Bound& bound : kBounds) {
    const Setting& row = Row(bound.env);
    const std::string expected_prefix =
        bound.env + " (" + std::string(row.flag) + "): must be an integer between " +
        std::to_string(bound.min) + " and " + std::to_string(bound.max);
    for (const std::string& text : Rejected(bound)) {
      Environment env = BaseFor(bound.env);
      env[bound.env] = text;
      for (const LoadResult& result :
           {LoadArgs(env), LoadArgs(BaseFor(bound.env), {std::string(row.flag) + "=" + text})}) {
        EXPECT_FALSE(result.config) << bound.env << "=" << text;
        EXPECT_TRUE(result.error.starts_with(expected_prefix)) << result.error;
        EXPECT_TRUE(result.error.ends_with(", got \"" + text + "\"")) << result.error;
      }
    }
  }
}

TEST(BoundsTest, SecondsAreSaidToBeSeconds) {
  EXPECT_EQ(LoadEnv("HEARTBEAT_INTERVAL", "0").error,
            "HEARTBEAT_INTERVAL (--heartbeat-interval): must be an integer between 1 and 3600 "
            "(seconds), got \"0\"");
  EXPECT_EQ(LoadEnv("PORT", "abc").error,
            "PORT (--port): must be an integer between 0 and 65535, got \"abc\"");
}

TEST(CrossCheckTest, TokenTtlMustNotExceedMaxTokenTtl) {
  Environment env = RequiredEnv();
  env["TOKEN_TTL"] = "86400";  // equal to the default maximum: fine
  EXPECT_TRUE(LoadArgs(env).config);
  env["TOKEN_TTL"] = "86401";
  EXPECT_EQ(LoadArgs(env).error,
            "TOKEN_TTL (--token-ttl): must not exceed MAX_TOKEN_TTL (86400), got \"86401\"");
  env["MAX_TOKEN_TTL"] = "100000";
  EXPECT_TRUE(LoadArgs(env).config);
  // Lowering only the maximum below the default TOKEN_TTL is refused too.
  EXPECT_EQ(LoadEnv("MAX_TOKEN_TTL", "60").error,
            "TOKEN_TTL (--token-ttl): must not exceed MAX_TOKEN_TTL (60), got \"3600\"");
  EXPECT_TRUE(LoadArgs(RequiredEnv(), {"--max-token-ttl=60", "--token-ttl=60"}).config);
}

TEST(LogLevelTest, TakesTheFourLevelsInAnyCase) {
  for (const char* level : {"debug", "info", "warn", "error"}) {
    EXPECT_EQ(LoadEnv("LOG_LEVEL", level).config->log_level, level);
  }
  EXPECT_EQ(LoadEnv("LOG_LEVEL", "WARN").config->log_level, "warn");
  for (const char* bad : {"warning", "trace", "fatal", "info ", "deb", "debugx"}) {
    EXPECT_EQ(LoadEnv("LOG_LEVEL", bad).error,
              "LOG_LEVEL (--log-level): must be one of debug|info|warn|error, got \"" +
                  std::string(bad) + "\"");
  }
  EXPECT_EQ(LoadArgs(RequiredEnv(), {"--log-level="}).error,
            "LOG_LEVEL (--log-level): must be one of debug|info|warn|error, got \"\"");
}

}  // namespace
}  // namespace pushy::config
