#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <unordered_map>

#include "auth/secure_compare.h"
#include "broker/broker.h"
#include "config/config.h"
#include "core/clock.h"

namespace pushy::server {

// Node-wide state the handlers of every loop share. Everything here is either immutable after
// start, atomic, or behind a mutex that is only taken when streams open and close (never per
// event).
class Services {
 public:
  Services(config::Config config, broker::Broker& broker, const Clock& clock,
           std::size_t max_connections);

  const config::Config& config() const { return config_; }
  broker::Broker& broker() const { return broker_; }
  const Clock& clock() const { return clock_; }
  const auth::PublisherCredentials& credentials() const { return credentials_; }
  std::size_t max_connections() const { return max_connections_; }

  // Reserves a stream slot under MAX_CONNECTIONS; false when full.
  bool TryOpenStream();
  void CloseStream();

  // Counts local subscribers per entry across loops and tells the broker about the first and
  // the last one.
  void AddInterest(const std::string& entry);
  void RemoveInterest(const std::string& entry);

  bool draining() const { return draining_.load(std::memory_order_acquire); }
  void BeginDrain() { draining_.store(true, std::memory_order_release); }
  bool ready() const { return !draining() && broker_.Healthy(); }

  // Set once by the node before the loops start: renders every loop's counters.
  void SetMetricsRenderer(std::function<std::string()> render) {
    render_metrics_ = std::move(render);
  }
  std::string RenderMetrics() const { return render_metrics_ ? render_metrics_() : std::string(); }

 private:
  const config::Config config_;
  broker::Broker& broker_;
  const Clock& clock_;
  const auth::PublisherCredentials credentials_;
  const std::size_t max_connections_;
  std::atomic<std::size_t> open_streams_{0};
  std::atomic<bool> draining_{false};
  std::mutex interest_mutex_;
  std::unordered_map<std::string, std::size_t> interest_;  // guarded by interest_mutex_
  std::function<std::string()> render_metrics_;
};

}  // namespace pushy::server
