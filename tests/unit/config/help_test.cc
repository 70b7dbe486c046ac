// --help and the docs table are generated from the settings table.

#include <gtest/gtest.h>

#include <sstream>

#include "config/config.h"
#include "config/settings.h"

namespace pushy::config {
namespace {

// From the contract and the brief, independent of the table, so a lost row fails here.
const std::vector<std::pair<std::string, std::string>> kAll = {
    {"AUTH_SECRET_KEY", "--auth-secret-key"},
    {"PUBLISHER_CLIENT_ID", "--publisher-client-id"},
    {"PUBLISHER_CLIENT_SECRET", "--publisher-client-secret"},
    {"HOST", "--host"},
    {"PORT", "--port"},
    {"REDIS_URL", "--redis-url"},
    {"HEARTBEAT_INTERVAL", "--heartbeat-interval"},
    {"MAX_MESSAGE_BYTES", "--max-message-bytes"},
    {"HISTORY_SIZE", "--history-size"},
    {"HISTORY_TTL", "--history-ttl"},
    {"TOKEN_TTL", "--token-ttl"},
    {"MAX_TOKEN_TTL", "--max-token-ttl"},
    {"ALLOWED_ORIGINS", "--allowed-origins"},
    {"MAX_CONNECTIONS", "--max-connections"},
    {"THREADS", "--threads"},
    {"SHUTDOWN_TIMEOUT", "--shutdown-timeout"},
    {"REQUEST_TIMEOUT", "--request-timeout"},
    {"STREAM_BUFFER_BYTES", "--stream-buffer-bytes"},
    {"LOG_LEVEL", "--log-level"},
    {"PUSHY_DEMO", "--demo"},
};

TEST(HelpTest, MentionsEveryVariableAndFlag) {
  const std::string help = HelpText();
  for (const auto& [env, flag] : kAll) {
    EXPECT_NE(help.find(env), std::string::npos) << env;
    EXPECT_NE(help.find(flag), std::string::npos) << flag;
  }
  EXPECT_NE(help.find("--help"), std::string::npos);
  EXPECT_NE(help.find("-h,"), std::string::npos);
  EXPECT_EQ(Settings().size(), kAll.size());
}

TEST(HelpTest, ShowsDefaultsBoundsAndMeaning) {
  const std::string help = HelpText();
  for (const char* expected :
       {"--port=N", "Integer 0-65535. Default: 4000.", "Default: 0.0.0.0 (--demo: 127.0.0.1).",
        "Seconds, 1-3600. Default: 15.", "Default: *.",
        "One of debug|info|warn|error. Default: info.",
        "redis[s]://[[user]:password@]host[:port][/db]. Default: unset.",
        "TCP port to listen on; 0 picks any free port.", "Default: required", "Default: off."}) {
    EXPECT_NE(help.find(expected), std::string::npos) << expected;
  }
  // Defaults come from Config itself, so no secret default can be printed.
  EXPECT_EQ(help.find("demo-secret-key"), std::string::npos);
}

TEST(HelpTest, FitsInOneHundredColumns) {
  std::istringstream lines(HelpText());
  for (std::string line; std::getline(lines, line);) {
    EXPECT_LE(line.size(), 100u) << line;
  }
}

TEST(MarkdownTest, HasOneRowPerSettingWithFiveCells) {
  const std::string markdown = MarkdownReference();
  std::istringstream lines(markdown);
  std::size_t rows = 0;
  for (std::string line; std::getline(lines, line); ++rows) {
    std::size_t bars = 0;
    for (std::size_t i = 0; i < line.size(); ++i) {
      if (line[i] == '|' && (i == 0 || line[i - 1] != '\\')) ++bars;
    }
    EXPECT_EQ(bars, 6u) << line;
  }
  EXPECT_EQ(rows, kAll.size() + 2);  // header and separator
  for (const auto& [env, flag] : kAll) {
    EXPECT_NE(markdown.find("| `" + env + "` | `" + flag), std::string::npos) << env;
  }
}

}  // namespace
}  // namespace pushy::config
