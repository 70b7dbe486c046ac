#include "server/control.h"

#include <boost/asio/post.hpp>
#include <csignal>
#include <string>

#include "core/log.h"

namespace pushy::server {

namespace asio = boost::asio;
using boost::system::error_code;

Control::Control(Services& services, broker::Broker& broker,
                 std::vector<std::unique_ptr<Loop>>& loops)
    : services_(services),
      broker_(broker),
      loops_(loops),
      guard_(asio::make_work_guard(ioc_)),
      signals_(ioc_, SIGINT, SIGTERM),
      tick_(ioc_),
      drain_start_(ioc_),
      deadline_(ioc_) {}

void Control::Run() {
  running_ = loops_.size();
  for (auto& loop : loops_) loop->StartThread([this] { OnLoopExited(); });
  ScheduleTick();
  WaitForSignal();
  ioc_.run();
  for (auto& loop : loops_) loop->Join();
}

void Control::OnLoopExited() {
  // Called on each loop's thread as it ends; the last one releases the control thread.
  if (running_.fetch_sub(1) != 1) return;
  asio::post(ioc_, [this] {
    // A tick or signal completion may already be queued, beyond the reach of cancel(): the
    // flag keeps it from re-arming, so the control thread runs out of work and returns.
    stopping_ = true;
    error_code ignored;
    signals_.cancel(ignored);
    tick_.cancel();
    drain_start_.cancel();
    deadline_.cancel();
    guard_.reset();
  });
}

void Control::ScheduleTick() {
  tick_.expires_after(std::chrono::seconds(1));
  tick_.async_wait([this](const error_code& ec) {
    if (ec || stopping_) return;
    broker_.Tick();
    ScheduleTick();
  });
}

void Control::WaitForSignal() {
  signals_.async_wait([this](const error_code& ec, int signo) {
    if (ec || stopping_) return;
    OnSignal(signo);
    WaitForSignal();
  });
}

void Control::OnSignal(int signo) {
  if (draining_) {
    log::Warn("second signal: stopping without waiting for the drain");
    for (auto& loop : loops_) loop->ForceStop();
    return;
  }
  draining_ = true;
  log::Info("signal " + std::to_string(signo) + ": draining streams");
  services_.BeginDrain();
  const auto timeout = std::chrono::milliseconds(services_.config().shutdown_timeout);
  const auto grace = std::min<std::chrono::milliseconds>(std::chrono::seconds(1), timeout / 10);
  drain_start_.expires_after(grace);
  drain_start_.async_wait([this, window = timeout.count() / 2](const error_code& ec) {
    if (ec) return;
    for (auto& loop : loops_) loop->PostDrain(window);
  });
  deadline_.expires_after(timeout);
  deadline_.async_wait([this](const error_code& ec) {
    if (ec) return;
    log::Warn("drain did not finish within SHUTDOWN_TIMEOUT; stopping");
    for (auto& loop : loops_) loop->ForceStop();
  });
}

}  // namespace pushy::server
