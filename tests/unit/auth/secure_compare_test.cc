#include "auth/secure_compare.h"

#include <gtest/gtest.h>

#include <string>

namespace pushy::auth {
namespace {

using namespace std::string_literals;

TEST(ConstantTimeEqualsTest, ComparesBytes) {
  const std::string long_a(10'000, 'a');
  std::string long_b = long_a;
  long_b.back() = 'b';
  struct Case {
    std::string a, b;
    bool equal;
  } const cases[] = {
      {"", "", true},
      {"secret", "secret", true},
      {"a\0b"s, "a\0b"s, true},
      {long_a, long_a, true},
      {"", "x", false},
      {"secret", "Secret", false},   // first byte
      {"secret", "secreT", false},   // last byte
      {"secret", "secret2", false},  // prefix
      {"secret2", "secret", false},
      {"a\0b"s, "a\0c"s, false},  // past an embedded NUL
      {"a"s, "a\0"s, false},
      {long_a, long_b, false},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ConstantTimeEquals(c.a, c.b), c.equal) << c.a.size() << " vs " << c.b.size();
    EXPECT_EQ(ConstantTimeEquals(c.b, c.a), c.equal);
  }
}

TEST(PublisherCredentialsTest, AcceptsOnlyTheExactPair) {
  const PublisherCredentials credentials("publisher", "s3cr3t\0tail"s);
  EXPECT_TRUE(credentials.Check("publisher", "s3cr3t\0tail"s));
  struct Case {
    std::string id, secret;
  } const wrong[] = {
      {"publisher", "s3cr3t"},          // secret cut at the NUL
      {"publisher", "s3cr3t\0tai"s},    // secret prefix
      {"publisher", "s3cr3t\0tailx"s},  // secret extended
      {"publisher", "S3cr3t\0tail"s},   // secret case
      {"publisheR", "s3cr3t\0tail"s},   // id differs
      {"publishe", "s3cr3t\0tail"s},    // id prefix
      {"", "s3cr3t\0tail"s},           {"publisher", ""}, {"", ""},
      {"s3cr3t\0tail"s, "publisher"},  // swapped
  };
  for (const Case& c : wrong) EXPECT_FALSE(credentials.Check(c.id, c.secret)) << c.id;
}

TEST(PublisherCredentialsTest, ComparesIdAndSecretSeparately) {
  // Hashing "id" + "secret" together would let "ids" / "ecret" through.
  const PublisherCredentials credentials("id", "secret");
  EXPECT_TRUE(credentials.Check("id", "secret"));
  EXPECT_FALSE(credentials.Check("ids", "ecret"));
  EXPECT_FALSE(credentials.Check("idsecret", ""));
  EXPECT_FALSE(credentials.Check("", "idsecret"));
}

}  // namespace
}  // namespace pushy::auth
