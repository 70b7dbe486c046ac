#pragma once

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "broker/redis/redis_connection.h"
#include "broker_test_support.h"
#include "redis_server.h"

namespace pushy::broker::testing {

// Runs `ioc` on this thread until `done()` holds or the deadline passes.
inline bool RunUntil(boost::asio::io_context& ioc, const std::function<bool()>& done,
                     std::chrono::milliseconds timeout = 5000ms) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    ioc.restart();
    ioc.run_for(5ms);
  }
  return true;
}

class RedisConnectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!server_.Start()) GTEST_FAIL() << "these tests need a redis-server: " << server_.error();
  }

  redis::ConnectionOptions Options() const {
    redis::ConnectionOptions options;
    options.port = server_.port();
    return options;
  }

  // Connects and returns the connection, or null with a test failure.
  std::shared_ptr<redis::RedisConnection> Open(redis::ConnectionOptions options) {
    auto connection = redis::RedisConnection::Create(ioc_, std::move(options));
    std::optional<boost::system::error_code> result;
    connection->Connect([&](boost::system::error_code ec, const std::string& why) {
      result = ec;
      why_ = why;
    });
    EXPECT_TRUE(RunUntil(ioc_, [&] { return result.has_value(); }));
    if (!result || *result) return nullptr;
    return connection;
  }

  Result<redis::Reply> Call(redis::RedisConnection& connection, std::vector<std::string> argv) {
    std::optional<Result<redis::Reply>> reply;
    connection.Command(argv, [&](Result<redis::Reply> r) { reply = std::move(r); });
    EXPECT_TRUE(RunUntil(ioc_, [&] { return reply.has_value(); }));
    if (!reply) return make_error_code(Errc::kShuttingDown);
    return std::move(*reply);
  }

  RedisServer server_;
  boost::asio::io_context ioc_;
  std::string why_;
};

}  // namespace pushy::broker::testing
