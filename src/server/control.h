#pragma once

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <vector>

#include "broker/broker.h"
#include "server/loop.h"
#include "server/services.h"

namespace pushy::server {

// The node's control thread: housekeeping ticks, SIGTERM/SIGINT, and the graceful drain.
// Shutdown is a sequence, not ioc.stop(): not ready (readyz 503, new streams 503) while still
// listening for a moment so that load balancers see it, then listeners close and streams end
// spread over half of SHUTDOWN_TIMEOUT, then the loops run out of work and exit; only a drain
// that overruns SHUTDOWN_TIMEOUT (or a second signal) stops the loops by force.
class Control {
 public:
  Control(Services& services, broker::Broker& broker, std::vector<std::unique_ptr<Loop>>& loops);

  // Starts the loop threads and runs until every loop has exited.
  void Run();

 private:
  void ScheduleTick();
  void WaitForSignal();
  void OnSignal(int signo);
  void OnLoopExited();

  Services& services_;
  broker::Broker& broker_;
  std::vector<std::unique_ptr<Loop>>& loops_;
  boost::asio::io_context ioc_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_;
  boost::asio::signal_set signals_;
  boost::asio::steady_timer tick_;
  boost::asio::steady_timer drain_start_;
  boost::asio::steady_timer deadline_;
  std::atomic<std::size_t> running_{0};
  bool draining_ = false;
  bool stopping_ = false;  // every loop has exited
};

}  // namespace pushy::server
