#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "broker/memory_broker.h"
#include "broker/redis/redis_broker.h"
#include "broker_test_support.h"
#include "redis_server.h"

namespace pushy::broker::testing {

// The redis-server shared by every test of this process: started on first use, stopped when
// the test program exits (and killed by the kernel should the program die first).
inline RedisServer& SharedRedisServer() {
  static RedisServer server;
  static const bool started = server.Start();
  (void)started;
  return server;
}

// A key prefix no other test (or earlier run) uses, so tests share one Redis without seeing
// each other.
inline std::string UniquePrefix() {
  static std::atomic<int> counter{0};
  return "pushy-test-" + std::to_string(getpid()) + "-" + std::to_string(++counter) + ":";
}

struct BrokerOptions {
  std::size_t history_size = 1000;
  std::int64_t ttl_ms = 3'600'000;
  std::string prefix;  // Redis: empty picks a unique one
};

inline redis::RedisBrokerOptions RedisOptions(std::uint16_t port, const BrokerOptions& o) {
  redis::RedisBrokerOptions options;
  options.connection.host = "127.0.0.1";
  options.connection.port = port;
  options.key_prefix = o.prefix.empty() ? UniquePrefix() : o.prefix;
  options.history = history::Options{o.history_size, o.ttl_ms};
  return options;
}

// One broker with its own sink; the broker is stopped before the sink goes.
struct Node {
  RecordingSink sink;
  std::unique_ptr<Broker> broker;
  ~Node() {
    if (broker) broker->Stop();
  }
};

struct MemoryTraits {
  static constexpr bool kRoutesByInterest = false;
  static std::string Missing() { return ""; }
  static std::unique_ptr<Broker> Make(const BrokerOptions& o) {
    return std::make_unique<MemoryBroker>(history::Options{o.history_size, o.ttl_ms},
                                          SystemClock::Instance());
  }
};

struct RedisTraits {
  static constexpr bool kRoutesByInterest = true;
  static std::string Missing() {
    RedisServer& server = SharedRedisServer();
    return server.running() ? "" : "the Redis broker tests need a redis-server: " + server.error();
  }
  static std::unique_ptr<Broker> Make(const BrokerOptions& o) {
    return std::make_unique<redis::RedisBroker>(RedisOptions(SharedRedisServer().port(), o));
  }
};

// Starts a broker and waits until it is healthy (a Redis broker connects first).
template <typename Traits>
std::unique_ptr<Node> StartNode(const BrokerOptions& options = {}) {
  auto node = std::make_unique<Node>();
  node->broker = Traits::Make(options);
  node->broker->Start(node->sink);
  EXPECT_TRUE(WaitFor([&] { return node->broker->Healthy(); })) << "broker never became healthy";
  return node;
}

// Adds interest the way the server does, then waits until it is in force: a replay answers
// only after the subscription was confirmed.
inline void Subscribe(Broker& broker, const std::vector<std::string>& entries) {
  for (const std::string& entry : entries) broker.AddInterest(entry);
  const auto barrier = ReplaySync(broker, std::nullopt, entries);
  ASSERT_TRUE(barrier.has_value());
}

// Redis brokers ("nodes") sharing one prefix on a redis-server of the test's own, which the test
// may pause, kill or restart. Nodes are stopped before the server.
class RedisNodesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!server_.Start())
      GTEST_FAIL() << "the Redis broker tests need a redis-server: " << server_.error();
  }

  Node& StartNode(std::function<void(redis::RedisBrokerOptions&)> tweak = nullptr) {
    BrokerOptions o;
    o.prefix = prefix_;
    redis::RedisBrokerOptions options = RedisOptions(server_.port(), o);
    if (tweak) tweak(options);
    auto node = std::make_unique<Node>();
    node->broker = std::make_unique<redis::RedisBroker>(std::move(options));
    node->broker->Start(node->sink);
    EXPECT_TRUE(WaitFor([&] { return node->broker->Healthy(); }));
    nodes_.push_back(std::move(node));
    return *nodes_.back();
  }

  RedisServer server_;
  std::string prefix_ = UniquePrefix();
  std::vector<std::unique_ptr<Node>> nodes_;  // destroyed (stopped) before the server
};

}  // namespace pushy::broker::testing
