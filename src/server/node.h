#pragma once

#include <memory>
#include <vector>

#include "broker/broker.h"
#include "config/config.h"
#include "http/cors.h"
#include "http/types.h"
#include "server/loop.h"
#include "server/services.h"

namespace pushy::server {

// One Pushy process: the broker, THREADS event loops, and the control thread (the caller of
// Run()) that handles signals and the graceful drain.
class Node final : public broker::EventSink {
 public:
  explicit Node(config::Config config);
  ~Node() override;
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // Serves until SIGTERM/SIGINT and a drain; returns the process exit code.
  int Run();

  // broker::EventSink: encodes the event once and hands it to every loop.
  void OnEvent(const EventPtr& event) override;
  void OnHistoryLost(EventId head) override;

 private:
  bool OpenListeners();
  void PrintBanner() const;
  std::string RenderMetrics() const;

  config::Config config_;
  std::unique_ptr<broker::Broker> broker_;
  std::unique_ptr<Services> services_;
  http::Limits limits_;
  std::unique_ptr<http::CorsPolicy> cors_;
  std::vector<std::unique_ptr<Loop>> loops_;
  unsigned short port_ = 0;
};

}  // namespace pushy::server
