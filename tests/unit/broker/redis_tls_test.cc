// rediss://: RedisConnection and RedisBroker over TLS against a redis-server with a
// self-signed certificate (Debian's redis-server is built with TLS; openssl makes the cert).
#include <gtest/gtest.h>

#include "broker/redis/redis_broker.h"
#include "connection_fixture.h"

namespace pushy::broker::testing {
namespace {

using redis::ConnectionOptions;

// TLS needs a redis-server built with it (Debian's is) and the openssl CLI for a certificate.
class RedisTlsTest : public RedisConnectionTest {
 protected:
  void SetUp() override {
    cert_ = dir_.path() + "/cert.pem";
    const std::string key = dir_.path() + "/key.pem";
    ASSERT_EQ(RunProgram({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                          "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", cert_,
                          "-days", "2", "-subj", "/CN=localhost", "-addext",
                          "subjectAltName=DNS:localhost"}),
              0)
        << "openssl could not make a test certificate";
    tls_port_ = FreePort();
    if (!server_.Start({"--tls-port", std::to_string(tls_port_), "--tls-cert-file", cert_,
                        "--tls-key-file", key, "--tls-ca-cert-file", cert_, "--tls-auth-clients",
                        "no"})) {
      GTEST_FAIL() << "redis-server with TLS did not start: " << server_.error();
    }
  }

  ConnectionOptions TlsOptions(std::string host) const {
    ConnectionOptions options;
    options.host = std::move(host);
    options.port = tls_port_;
    options.tls = true;
    options.tls_ca_file = cert_;
    return options;
  }

  TempDir dir_;
  std::string cert_;
  std::uint16_t tls_port_ = 0;
};

TEST_F(RedisTlsTest, TalksTlsWithAVerifiedServer) {
  auto c = Open(TlsOptions("localhost"));
  ASSERT_TRUE(c) << why_;
  auto pong = Call(*c, {"PING"});
  ASSERT_TRUE(pong);
  EXPECT_TRUE(pong->Is("PONG"));
  // Large values cross several TLS records.
  const std::string big(200'000, 'x');
  ASSERT_TRUE(Call(*c, {"SET", "big", big}));
  EXPECT_EQ(Call(*c, {"GET", "big"})->str, big);
}

TEST_F(RedisTlsTest, RefusesAServerItCannotVerify) {
  ConnectionOptions untrusted = TlsOptions("127.0.0.1");
  untrusted.tls_ca_file.clear();  // the system store does not know our self-signed CA
  EXPECT_EQ(Open(untrusted), nullptr);
  EXPECT_NE(why_.find("TLS handshake failed"), std::string::npos) << why_;

  // The certificate names "localhost" only: the same server reached as 127.0.0.1 is refused.
  EXPECT_EQ(Open(TlsOptions("127.0.0.1")), nullptr);
  EXPECT_NE(why_.find("TLS handshake failed"), std::string::npos) << why_;
  ConnectionOptions unverified = TlsOptions("127.0.0.1");
  unverified.tls_verify = false;
  EXPECT_NE(Open(unverified), nullptr) << why_;

  ConnectionOptions plain_to_tls = Options();
  plain_to_tls.port = tls_port_;
  plain_to_tls.connect_timeout = 500ms;
  EXPECT_EQ(Open(plain_to_tls), nullptr) << "plain text to a TLS port must not pass for Redis";
}

TEST_F(RedisTlsTest, TheBrokerWorksOverTls) {
  RecordingSink sink;
  redis::RedisBrokerOptions options;
  options.connection = TlsOptions("localhost");
  options.key_prefix = "pushy-tls:";
  redis::RedisBroker broker(options);
  broker.Start(sink);
  ASSERT_TRUE(WaitFor([&] { return broker.Healthy(); })) << "no TLS connection";
  broker.AddInterest("tls.*");
  ASSERT_TRUE(ReplaySync(broker, std::nullopt, {"tls.*"}).has_value());
  const EventId first = PublishOne(broker, "tls.a", R"({"secret":"over the wire"})");
  ASSERT_TRUE(sink.WaitCount(1));
  EXPECT_EQ(sink.events()[0]->id, first);
  EXPECT_EQ(sink.events()[0]->data, R"({"secret":"over the wire"})");
  broker.Stop();
}

TEST_F(RedisTlsTest, TheBrokerStaysDownWithoutTrust) {
  RecordingSink sink;
  redis::RedisBrokerOptions options;
  options.connection = TlsOptions("localhost");
  options.connection.tls_ca_file.clear();
  redis::RedisBroker broker(options);
  broker.Start(sink);
  EXPECT_FALSE(WaitFor([&] { return broker.Healthy(); }, 300ms));
  EXPECT_FALSE(PublishSync(broker, {Request("tls.a")}).has_value());
  broker.Stop();
}

}  // namespace
}  // namespace pushy::broker::testing
