// HOST, ALLOWED_ORIGINS and REDIS_URL: what is accepted, how it is normalised, what is refused.

#include <gtest/gtest.h>

#include "config/config.h"
#include "config/redis_url.h"
#include "config/value_parsers.h"
#include "config_test_util.h"

namespace pushy::config {
namespace {

using Origins = std::vector<std::string>;

TEST(HostTest, AcceptsAddressesAndHostnames) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"0.0.0.0", "0.0.0.0"},
      {"127.0.0.1", "127.0.0.1"},
      {"::", "::"},
      {"::1", "::1"},
      {"[::1]", "::1"},
      {"fe80::1", "fe80::1"},
      {"localhost", "localhost"},
      {"my-host.example.com", "my-host.example.com"},
      {"redis_1", "redis_1"},
      {"example.com.", "example.com."},
      {"a1.b2", "a1.b2"},
      {std::string(63, 'a'), std::string(63, 'a')},
  };
  for (const auto& [text, stored] : cases) {
    const LoadResult result = LoadEnv("HOST", text);
    ASSERT_TRUE(result.config) << text << ": " << result.error;
    EXPECT_EQ(result.config->host, stored);
  }
}

TEST(HostTest, RefusesTheRest) {
  const std::string long_name = std::string(60, 'a') + "." + std::string(60, 'b') + "." +
                                std::string(60, 'c') + "." + std::string(60, 'd') + ".eeeeeeeeeeee";
  ASSERT_GT(long_name.size(), 253u);
  for (const std::string& text :
       {std::string("1.2.3.256"), std::string("1.2.3"), std::string("01.2.3.4"),
        std::string("-bad.com"), std::string("bad-.com"), std::string("a..b"), std::string(64, 'a'),
        long_name, std::string("has space"), std::string("host:80"), std::string("[1.2.3.4]"),
        std::string("[::1"), std::string("http://x"), std::string(":::"), std::string("a/b"),
        std::string("*")}) {
    const LoadResult result = LoadEnv("HOST", text);
    EXPECT_FALSE(result.config) << text;
    EXPECT_TRUE(result.error.starts_with("HOST (--host): must")) << result.error;
  }
  EXPECT_EQ(LoadEnv("HOST", "a..b").error,
            "HOST (--host): must be an IPv4 address, an IPv6 address or a hostname, got "
            "\"a..b\"");
}

TEST(OriginsTest, AcceptsAndNormalises) {
  const std::vector<std::pair<std::string, Origins>> cases = {
      {"*", {"*"}},
      {" * ", {"*"}},
      {"https://app.example.com", {"https://app.example.com"}},
      {"https://App.Example.COM", {"https://app.example.com"}},
      {"HTTPS://a.com", {"https://a.com"}},
      {"https://a.com:443", {"https://a.com"}},
      {"http://a.com:80", {"http://a.com"}},
      {"http://a.com:443", {"http://a.com:443"}},
      {"https://a.com:8443", {"https://a.com:8443"}},
      {"https://a.com/", {"https://a.com"}},
      {"http://localhost:3000", {"http://localhost:3000"}},
      {"http://127.0.0.1:8080", {"http://127.0.0.1:8080"}},
      {"http://[::1]:8080", {"http://[::1]:8080"}},
      {"http://[::1]", {"http://[::1]"}},
      {"https://a.com, https://b.com", {"https://a.com", "https://b.com"}},
      {"\thttps://a.com\t,https://b.com:8443 ", {"https://a.com", "https://b.com:8443"}},
  };
  for (const auto& [text, expected] : cases) {
    const LoadResult result = LoadEnv("ALLOWED_ORIGINS", text);
    ASSERT_TRUE(result.config) << text << ": " << result.error;
    EXPECT_EQ(result.config->allowed_origins, expected) << text;
  }
}

TEST(OriginsTest, RefusesEmptyEntriesAndMisplacedWildcards) {
  const std::string prefix = "ALLOWED_ORIGINS (--allowed-origins): ";
  EXPECT_EQ(LoadEnv("ALLOWED_ORIGINS", "https://a.com,,https://b.com").error,
            prefix + "entry 2 is empty (a stray comma, or no value at all), got " +
                "\"https://a.com,,https://b.com\"");
  EXPECT_TRUE(LoadEnv("ALLOWED_ORIGINS", ",https://a.com").error.starts_with(prefix + "entry 1"));
  EXPECT_TRUE(LoadEnv("ALLOWED_ORIGINS", "https://a.com,").error.starts_with(prefix + "entry 2"));
  EXPECT_TRUE(LoadEnv("ALLOWED_ORIGINS", " , ").error.starts_with(prefix + "entry 1"));
  EXPECT_TRUE(LoadEnv("ALLOWED_ORIGINS", " ").error.starts_with(prefix + "entry 1"));
  EXPECT_TRUE(
      LoadArgs(RequiredEnv(), {"--allowed-origins="}).error.starts_with(prefix + "entry 1"));
  for (const char* text : {"*,https://a.com", "https://a.com, *", "*,*"}) {
    EXPECT_TRUE(
        LoadEnv("ALLOWED_ORIGINS", text).error.starts_with(prefix + "\"*\" must stand alone"))
        << text;
  }
}

TEST(OriginsTest, RefusesWhatIsNotAnOrigin) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"ftp://a.com", "must use http or https"},
      {"a.com", "must look like https://host[:port]"},
      {"null", "must look like https://host[:port]"},
      {"https://a.com/path", "must not have a path, query or user info"},
      {"https://a.com//", "must not have a path, query or user info"},
      {"https://a.com?x=1", "must not have a path, query or user info"},
      {"https://a.com#x", "must not have a path, query or user info"},
      {"https://user@a.com", "must not have a path, query or user info"},
      {"https://", "has an invalid host"},
      {"https://*.example.com", "has an invalid host"},
      {"https://exa mple.com", "has an invalid host"},
      {"https://[zz]", "has an invalid host"},
      {"https://[::1", "has malformed [ ] around its host"},
      {"https://[::1]x", "has malformed [ ] around its host"},
      {"https://a.com:0", "has a port that is not an integer between 1 and 65535"},
      {"https://a.com:65536", "has a port that is not an integer between 1 and 65535"},
      {"https://a.com:abc", "has a port that is not an integer between 1 and 65535"},
      {"https://a.com:", "has a port that is not an integer between 1 and 65535"},
  };
  for (const auto& [text, problem] : cases) {
    EXPECT_EQ(LoadEnv("ALLOWED_ORIGINS", "https://ok.com," + text).error,
              "ALLOWED_ORIGINS (--allowed-origins): origin " + QuoteForMessage(text) + " " +
                  problem + ", got " + QuoteForMessage("https://ok.com," + text));
  }
}

TEST(RedisUrlTest, ParsesEveryPartOfTheContractForm) {
  struct Case {
    std::string text;
    RedisUrl want;
  };
  const std::vector<Case> cases = {
      {"redis://localhost", {false, "", "", "localhost", 6379, 0}},
      {"redis://localhost:6380", {false, "", "", "localhost", 6380, 0}},
      {"redis://localhost:6380/2", {false, "", "", "localhost", 6380, 2}},
      {"redis://localhost/", {false, "", "", "localhost", 6379, 0}},
      {"rediss://cache.example.com", {true, "", "", "cache.example.com", 6379, 0}},
      {"REDIS://cache", {false, "", "", "cache", 6379, 0}},
      {"redis://:pw@host", {false, "", "pw", "host", 6379, 0}},
      {"redis://alice:pw@host:1/15", {false, "alice", "pw", "host", 1, 15}},
      {"redis://:p%40ss%2F@host", {false, "", "p@ss/", "host", 6379, 0}},
      {"redis://127.0.0.1:6379/0", {false, "", "", "127.0.0.1", 6379, 0}},
      {"redis://[::1]:6379", {false, "", "", "::1", 6379, 0}},
      {"redis://redis_1:6379/2147483647", {false, "", "", "redis_1", 6379, 2147483647}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    const Parsed<RedisUrl> parsed = ParseRedisUrl(c.text);
    ASSERT_TRUE(parsed.value) << parsed.problem;
    EXPECT_EQ(parsed.value->tls, c.want.tls);
    EXPECT_EQ(parsed.value->user, c.want.user);
    EXPECT_EQ(parsed.value->password, c.want.password);
    EXPECT_EQ(parsed.value->host, c.want.host);
    EXPECT_EQ(parsed.value->port, c.want.port);
    EXPECT_EQ(parsed.value->db, c.want.db);
    const LoadResult result = LoadEnv("REDIS_URL", c.text);
    ASSERT_TRUE(result.config) << result.error;
    EXPECT_EQ(result.config->redis_url, c.text);  // kept as written; the broker parses it
  }
}

TEST(RedisUrlTest, RefusesOtherForms) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"http://host", "must start with redis:// or rediss://"},
      {"localhost:6379", "must start with redis:// or rediss://"},
      {"redis:host", "must name a host (hostname or IP address)"},
      {"redis://", "must name a host (hostname or IP address)"},
      {"redis:///0", "must name a host (hostname or IP address)"},
      {"redis://-bad-", "must name a host (hostname or IP address)"},
      {"redis://1.2.3.256", "must name a host (hostname or IP address)"},
      {"redis://host:0", "must have a port between 1 and 65535"},
      {"redis://host:65536", "must have a port between 1 and 65535"},
      {"redis://host:99999999999999999999", "must have a port between 1 and 65535"},
      {"redis://host/abc", "must have a non-negative integer database number after /"},
      {"redis://host/-1", "must have a non-negative integer database number after /"},
      {"redis://host/1/2", "must have a non-negative integer database number after /"},
      {"redis://host/2147483648", "must have a non-negative integer database number after /"},
      {"redis://host?db=1", "must not have a query (?) or fragment (#)"},
      {"redis://host#x", "must not have a query (?) or fragment (#)"},
      {"redis://user@host", "must give a password after ':' in [user]:password@"},
      {"redis://user:@host", "must give a password after ':' in [user]:password@"},
  };
  for (const auto& [text, problem] : cases) {
    EXPECT_EQ(ParseRedisUrl(text).problem, problem) << text;
    EXPECT_EQ(LoadEnv("REDIS_URL", text).error, "REDIS_URL (--redis-url): " + problem + ", got " +
                                                    QuoteForMessage(RedactRedisUrl(text)));
  }
  for (const char* unparsable : {"redis://host:abc", "redis://ho st", "redis://:p@ss@host"}) {
    EXPECT_TRUE(ParseRedisUrl(unparsable).problem.starts_with("must be a URL of the form"))
        << unparsable;
  }
}

TEST(RedisUrlTest, RedactsThePassword) {
  EXPECT_EQ(RedactRedisUrl("redis://alice:hunter2@host:1/0"), "redis://alice:***@host:1/0");
  EXPECT_EQ(RedactRedisUrl("redis://:hunter2@host"), "redis://:***@host");
  EXPECT_EQ(RedactRedisUrl("redis://hunter2@host"), "redis://***@host");
  EXPECT_EQ(RedactRedisUrl("redis://:hun@ter2@host"), "redis://:***@host");
  EXPECT_EQ(RedactRedisUrl("hunter2@host"), "***@host");
  EXPECT_EQ(RedactRedisUrl("redis://host:6379/1"), "redis://host:6379/1");
  EXPECT_EQ(RedactRedisUrl(""), "");
}

TEST(QuoteTest, EscapesAndShortens) {
  EXPECT_EQ(QuoteForMessage("a\"b\\c\n"), "\"a\\\"b\\\\c\\x0a\"");
  EXPECT_EQ(QuoteForMessage(std::string(100, 'x')), "\"" + std::string(80, 'x') + "...\"");
}

}  // namespace
}  // namespace pushy::config
