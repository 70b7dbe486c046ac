// Command-line shape, --help, required settings, demo mode and warnings.

#include <gtest/gtest.h>

#include "config/config.h"
#include "config_test_util.h"

namespace pushy::config {
namespace {

TEST(ArgsTest, UnknownFlagsAreErrorsNamingTheFlag) {
  EXPECT_EQ(LoadArgs(RequiredEnv(), {"--nope"}).error, "unknown flag --nope (see --help)");
  EXPECT_EQ(LoadArgs(RequiredEnv(), {"--nope=1"}).error, "unknown flag --nope (see --help)");
  EXPECT_EQ(LoadArgs(RequiredEnv(), {"-p", "4000"}).error, "unknown flag -p (see --help)");
  EXPECT_EQ(LoadArgs(RequiredEnv(), {"--PORT=1"}).error, "unknown flag --PORT (see --help)");
  EXPECT_FALSE(LoadArgs(RequiredEnv(), {"--port=1", "--nope"}).config);
}

TEST(ArgsTest, MissingValuesAreErrorsNamingTheFlag) {
  const std::string message = "--port needs a value (--port VALUE or --port=VALUE)";
  EXPECT_EQ(LoadArgs(RequiredEnv(), {"--port"}).error, message);
  EXPECT_EQ(LoadArgs(RequiredEnv(), {"--port", "--host", "::1"}).error, message);
  EXPECT_EQ(LoadArgs(RequiredEnv(), {"--redis-url"}).error,
            "--redis-url needs a value (--redis-url VALUE or --redis-url=VALUE)");
}

TEST(ArgsTest, AValueMayStartWithOneDash) {
  // Taken as the value, then refused as a number: the message shows it.
  EXPECT_EQ(LoadArgs(RequiredEnv(), {"--port", "-1"}).error,
            "PORT (--port): must be an integer between 0 and 65535, got \"-1\"");
}

TEST(ArgsTest, PositionalArgumentsAreErrors) {
  EXPECT_EQ(LoadArgs(RequiredEnv(), {"4000"}).error,
            "unexpected argument #1: settings are flags such as --port=4000 (see --help)");
  EXPECT_EQ(LoadArgs(RequiredEnv(), {"--port", "1", "-"}).error,
            "unexpected argument #3: settings are flags such as --port=4000 (see --help)");
}

TEST(ArgsTest, HelpWinsOverEverythingElse) {
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"--help"}, {"-h"}, {"--nope", "--help"}, {"--port", "-h"}, {"--port=abc", "-h"}}) {
    const LoadResult result = LoadArgs({}, args);  // no required settings either
    EXPECT_TRUE(result.help_requested) << args[0];
    EXPECT_FALSE(result.config);
    EXPECT_EQ(result.error, "");
  }
  EXPECT_FALSE(LoadArgs(RequiredEnv()).help_requested);
  EXPECT_FALSE(LoadArgs(RequiredEnv(), {"--port=80"}).help_requested);
}

TEST(ArgsTest, DemoFlagTakesNoValueButMaySpellOne) {
  EXPECT_TRUE(LoadArgs(RequiredEnv(), {"--demo"}).config->demo);
  EXPECT_TRUE(LoadArgs(RequiredEnv(), {"--demo=yes"}).config->demo);
  EXPECT_FALSE(LoadArgs(RequiredEnv(), {"--demo=no"}).config->demo);
  // The next argument is not its value.
  EXPECT_EQ(LoadArgs(RequiredEnv(), {"--demo", "1"}).error,
            "unexpected argument #2: settings are flags such as --port=4000 (see --help)");
  EXPECT_EQ(LoadArgs(RequiredEnv(), {"--demo=maybe"}).error,
            "PUSHY_DEMO (--demo): must be one of 1, true, yes, 0, false, no, got \"maybe\"");
}

TEST(ArgsTest, DemoVariableTakesTheListedSpellings) {
  for (const char* yes : {"1", "true", "yes", "TRUE", "Yes"}) {
    EXPECT_TRUE(LoadEnv("PUSHY_DEMO", yes).config->demo) << yes;
  }
  for (const char* no : {"0", "false", "no", "FALSE", "No"}) {
    EXPECT_FALSE(LoadEnv("PUSHY_DEMO", no).config->demo) << no;
  }
  for (const char* bad : {"on", "off", "2", "y", "true ", "-1"}) {
    const LoadResult result = LoadEnv("PUSHY_DEMO", bad);
    EXPECT_FALSE(result.config) << bad;
    EXPECT_TRUE(result.error.starts_with("PUSHY_DEMO (--demo): must be one of")) << result.error;
  }
}

TEST(RequiredTest, EachMissingRequiredSettingIsNamed) {
  for (const auto& [env, flag] : std::vector<std::pair<std::string, std::string>>{
           {"AUTH_SECRET_KEY", "--auth-secret-key"},
           {"PUBLISHER_CLIENT_ID", "--publisher-client-id"},
           {"PUBLISHER_CLIENT_SECRET", "--publisher-client-secret"}}) {
    Environment without = RequiredEnv();
    without.erase(env);
    const LoadResult result = LoadArgs(without);
    EXPECT_FALSE(result.config);
    EXPECT_EQ(result.error, env + " is required (set the environment variable or " + flag + ")");
  }
  EXPECT_EQ(LoadArgs({}).error,
            "AUTH_SECRET_KEY is required (set the environment variable or --auth-secret-key)");
}

TEST(DemoTest, SuppliesPublicCredentialsAndLoopbackHost) {
  const LoadResult result = LoadArgs({}, {"--demo"});
  ASSERT_TRUE(result.config) << result.error;
  const Config& c = *result.config;
  EXPECT_EQ(c.auth_secret_key,
            "demo-secret-key-change-me-demo-secret-key-change-me-demo-secret-key");
  EXPECT_GE(c.auth_secret_key.size(), 64u);
  EXPECT_EQ(c.publisher_client_id, "publisher_id");
  EXPECT_EQ(c.publisher_client_secret, "publisher_secret");
  EXPECT_EQ(c.host, "127.0.0.1");
  EXPECT_EQ(c.port, 4000);
  ASSERT_EQ(result.warnings.size(), 1u);  // the demo warning, and no short-key warning
  EXPECT_EQ(result.warnings[0],
            "demo mode: AUTH_SECRET_KEY, PUBLISHER_CLIENT_ID, PUBLISHER_CLIENT_SECRET use public "
            "demo values, so anyone can mint tokens and publish; never use --demo in "
            "production");
  EXPECT_TRUE(LoadEnv("PUSHY_DEMO", "1").config->demo);
  EXPECT_EQ(LoadArgs({{"PUSHY_DEMO", "yes"}}).config->host, "127.0.0.1");
}

TEST(DemoTest, GivenValuesWin) {
  Environment env = {{"PUSHY_DEMO", "1"}, {"PUBLISHER_CLIENT_ID", "mine"}, {"HOST", "::"}};
  const LoadResult result = LoadArgs(env);
  ASSERT_TRUE(result.config) << result.error;
  EXPECT_EQ(result.config->publisher_client_id, "mine");
  EXPECT_EQ(result.config->host, "::");
  ASSERT_EQ(result.warnings.size(), 1u);
  EXPECT_TRUE(result.warnings[0].starts_with(
      "demo mode: AUTH_SECRET_KEY, PUBLISHER_CLIENT_SECRET use public demo values"))
      << result.warnings[0];
  // With every credential given, nothing public is in use: no warning, still loopback.
  const LoadResult own = LoadArgs(RequiredEnv(), {"--demo"});
  ASSERT_TRUE(own.config) << own.error;
  EXPECT_TRUE(own.warnings.empty());
  EXPECT_EQ(own.config->host, "127.0.0.1");
  EXPECT_EQ(own.config->auth_secret_key, kGoodKey);
}

TEST(DemoTest, OffMeansRequiredAgain) {
  EXPECT_FALSE(LoadArgs({{"PUSHY_DEMO", "0"}}).config);
  const LoadResult result = LoadArgs({{"PUSHY_DEMO", "1"}}, {"--demo=false"});
  EXPECT_FALSE(result.config);
  EXPECT_EQ(result.error,
            "AUTH_SECRET_KEY is required (set the environment variable or --auth-secret-key)");
  EXPECT_EQ(LoadEnv("PUSHY_DEMO", "0").config->host, "0.0.0.0");
}

TEST(WarningTest, ShortAuthKeyIsAWarningNotAnError) {
  const LoadResult result = LoadEnv("AUTH_SECRET_KEY", std::string(63, 'a'));
  ASSERT_TRUE(result.config) << result.error;
  ASSERT_EQ(result.warnings.size(), 1u);
  EXPECT_EQ(result.warnings[0],
            "AUTH_SECRET_KEY (--auth-secret-key): is 63 bytes; HS512 wants at least 64 random "
            "bytes");
  EXPECT_TRUE(LoadEnv("AUTH_SECRET_KEY", std::string(64, 'a')).warnings.empty());
}

}  // namespace
}  // namespace pushy::config
