// RedisConnection against a real redis-server: pipelining, reply decoding, pub/sub pushes,
// failures and AUTH (TLS: redis_tls_test.cc).
#include "broker/redis/redis_connection.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <functional>

#include "connection_fixture.h"

namespace pushy::broker::testing {
namespace {

using redis::ConnectionOptions;
using redis::RedisConnection;
using redis::Reply;

TEST_F(RedisConnectionTest, PipelinedRepliesMatchTheirCommandsInOrder) {
  auto connection = RedisConnection::Create(ioc_, Options());
  // Queued before the connection exists: they go out together right after the handshake.
  std::vector<std::int64_t> replies;
  for (int i = 0; i < 1000; ++i) {
    connection->Command({"INCR", "pipeline"}, [&](Result<Reply> r) {
      replies.push_back(r && r->type == Reply::Type::kInteger ? r->integer : -1);
    });
  }
  bool connected = false;
  connection->Connect([&](boost::system::error_code ec, const std::string&) { connected = !ec; });
  ASSERT_TRUE(RunUntil(ioc_, [&] { return replies.size() == 1000; }));
  EXPECT_TRUE(connected);
  for (std::size_t i = 0; i < replies.size(); ++i) ASSERT_EQ(replies[i], std::int64_t(i) + 1);
  EXPECT_GT(connection->last_round_trip_ms(), 0.0);
  EXPECT_EQ(connection->pending(), 0u);
}

TEST_F(RedisConnectionTest, DecodesEveryReplyType) {
  auto c = Open(Options());
  ASSERT_TRUE(c);
  const std::string binary("a\r\nb\0c", 6);
  auto ok = Call(*c, {"SET", "k", binary});
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->type, Reply::Type::kStatus);
  EXPECT_EQ(ok->str, "OK");
  auto bulk = Call(*c, {"GET", "k"});
  EXPECT_EQ(bulk->type, Reply::Type::kString);
  EXPECT_EQ(bulk->str, binary);
  EXPECT_EQ(Call(*c, {"GET", "missing"})->type, Reply::Type::kNil);
  auto error = Call(*c, {"NOSUCHCOMMAND"});
  EXPECT_TRUE(error->is_error());
  EXPECT_NE(error->str.find("unknown command"), std::string::npos);
  auto nested = Call(*c, {"EVAL", "return {1, {'x', {-2}}, false}", "0"});
  ASSERT_TRUE(nested->is_array());
  ASSERT_EQ(nested->elements.size(), 3u);
  EXPECT_EQ(nested->elements[0].integer, 1);
  EXPECT_TRUE(nested->elements[1].elements[0].Is("x"));
  EXPECT_EQ(nested->elements[1].elements[1].elements[0].integer, -2);
  EXPECT_EQ(nested->elements[2].type, Reply::Type::kNil);
}

TEST_F(RedisConnectionTest, PubSubMessagesGoToThePushHandler) {
  auto sub = Open(Options());
  auto pub = Open(Options());
  ASSERT_TRUE(sub && pub);
  std::vector<Reply> pushed;
  sub->SetPushHandler([&](Reply r) { pushed.push_back(std::move(r)); });
  auto confirmed = Call(*sub, {"SUBSCRIBE", "ch.a"});
  ASSERT_TRUE(confirmed->is_array());
  EXPECT_TRUE(confirmed->elements[0].Is("subscribe"));
  EXPECT_EQ(Call(*sub, {"PSUBSCRIBE", "ch.*"})->elements[2].integer, 2);
  EXPECT_EQ(Call(*pub, {"PUBLISH", "ch.a", "hello world"})->integer, 2);
  // PING in subscribed mode still answers its command, after the pushes before it.
  auto pong = Call(*sub, {"PING"});
  ASSERT_TRUE(pong->is_array());
  EXPECT_TRUE(pong->elements[0].Is("pong"));
  ASSERT_EQ(pushed.size(), 2u);
  EXPECT_TRUE(pushed[0].elements[0].Is("message"));
  EXPECT_TRUE(pushed[0].elements[2].Is("hello world"));
  EXPECT_TRUE(pushed[1].elements[0].Is("pmessage"));
  EXPECT_TRUE(pushed[1].elements[1].Is("ch.*"));
}

TEST_F(RedisConnectionTest, AFailureFailsEveryPendingCommandAndTellsTheOwner) {
  auto c = Open(Options());
  ASSERT_TRUE(c);
  std::string closed;
  c->SetClosedHandler([&](const std::string& why) { closed = why; });
  std::vector<bool> failed;
  for (const char* key : {"nothing", "either"}) {
    c->Command({"BLPOP", key, "5"}, [&](Result<Reply> r) { failed.push_back(!r); });
  }
  ASSERT_TRUE(RunUntil(ioc_, [&] {
    auto clients = RunCommand(server_.port(), {"CLIENT", "LIST"});
    return clients && clients->str.find("cmd=blpop") != std::string::npos;
  }));
  ASSERT_TRUE(RunCommand(server_.port(), {"CLIENT", "KILL", "TYPE", "normal"}));
  ASSERT_TRUE(RunUntil(ioc_, [&] { return failed.size() == 2; }));
  EXPECT_EQ(failed, (std::vector<bool>{true, true}));
  EXPECT_FALSE(closed.empty());
  EXPECT_FALSE(c->open());
  auto late = Call(*c, {"PING"});
  EXPECT_EQ(late.error(), make_error_code(Errc::kBrokerUnavailable));
}

TEST_F(RedisConnectionTest, CommandsBeyondTheBoundFailAtOnce) {
  ConnectionOptions options = Options();
  options.max_pending = 2;
  auto c = Open(options);
  ASSERT_TRUE(c);
  std::vector<bool> ok;
  for (int i = 0; i < 3; ++i) c->Command({"PING"}, [&](Result<Reply> r) { ok.push_back(!!r); });
  ASSERT_TRUE(RunUntil(ioc_, [&] { return ok.size() == 3; }));
  EXPECT_EQ(std::count(ok.begin(), ok.end(), true), 2);
  EXPECT_FALSE(ok.front()) << "the refused command is answered first, without a round trip";
}

TEST_F(RedisConnectionTest, ConnectFailuresAreReported) {
  ConnectionOptions refused = Options();
  refused.port = FreePort();
  EXPECT_EQ(Open(refused), nullptr);
  EXPECT_NE(why_.find("cannot connect"), std::string::npos) << why_;

  ASSERT_TRUE(RunCommand(server_.port(), {"CONFIG", "SET", "requirepass", "s3cret"}));
  ConnectionOptions wrong = Options();
  wrong.password = "not-the-password";
  EXPECT_EQ(Open(wrong), nullptr);
  EXPECT_NE(why_.find("AUTH failed"), std::string::npos) << why_;
  EXPECT_EQ(why_.find("not-the-password"), std::string::npos) << "never echo a password";

  ConnectionOptions missing = Options();
  auto no_auth = Open(missing);
  EXPECT_EQ(no_auth, nullptr) << "PING without AUTH is refused";

  ConnectionOptions right = Options();
  right.password = "s3cret";
  right.db = 2;
  auto c = Open(right);
  ASSERT_TRUE(c) << why_;
  ASSERT_TRUE(Call(*c, {"SET", "in-db-2", "1"}));
}

}  // namespace
}  // namespace pushy::broker::testing
