#include "server/services.h"

namespace pushy::server {

Services::Services(config::Config config, broker::Broker& broker, const Clock& clock,
                   std::size_t max_connections)
    : config_(std::move(config)),
      broker_(broker),
      clock_(clock),
      credentials_(config_.publisher_client_id, config_.publisher_client_secret),
      max_connections_(max_connections) {}

bool Services::TryOpenStream() {
  std::size_t open = open_streams_.load(std::memory_order_relaxed);
  do {
    if (open >= max_connections_) return false;
  } while (!open_streams_.compare_exchange_weak(open, open + 1, std::memory_order_relaxed));
  return true;
}

void Services::CloseStream() { open_streams_.fetch_sub(1, std::memory_order_relaxed); }

void Services::AddInterest(const std::string& entry) {
  std::lock_guard lock(interest_mutex_);
  if (interest_[entry]++ == 0) broker_.AddInterest(entry);
}

void Services::RemoveInterest(const std::string& entry) {
  std::lock_guard lock(interest_mutex_);
  auto it = interest_.find(entry);
  if (it == interest_.end()) return;
  if (--it->second == 0) {
    interest_.erase(it);
    broker_.RemoveInterest(entry);
  }
}

}  // namespace pushy::server
