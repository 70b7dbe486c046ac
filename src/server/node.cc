#include "server/node.h"

#include <sys/resource.h>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <csignal>
#include <iostream>
#include <thread>

#include "broker/memory_broker.h"
#include "broker/redis/redis_broker.h"
#include "config/redis_url.h"
#include "core/log.h"
#include "metrics/prometheus.h"
#include "server/control.h"
#include "sse/frame.h"

namespace pushy::server {
namespace {

namespace asio = boost::asio;

// Streams need one descriptor each: take all the kernel allows, and keep some for HTTP
// requests, listeners and the broker.
std::size_t RaiseFileLimitAndDeriveMaxConnections(std::size_t configured) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
    getrlimit(RLIMIT_NOFILE, &limit);
  }
  if (configured != 0) return configured;
  const std::size_t files = limit.rlim_cur == RLIM_INFINITY ? 1'000'000 : limit.rlim_cur;
  constexpr std::size_t kReserved = 128;
  return files > kReserved * 2 ? files - kReserved : files / 2;
}

// The loops share their port with SO_REUSEPORT, which would also let a second Pushy process
// (same user) join it and silently split connections between two histories. A plain bind first
// fails while anyone listens there.
boost::system::error_code PortTaken(const asio::ip::tcp::endpoint& endpoint) {
  asio::io_context ioc;
  asio::ip::tcp::acceptor probe(ioc);
  boost::system::error_code ec;
  probe.open(endpoint.protocol(), ec);
  if (!ec) probe.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) probe.bind(endpoint, ec);
  return ec;
}

constexpr std::string_view kDemoPublisherSecret = "publisher_secret";

// REDIS_URL set: this node joins the cluster sharing that Redis; unset: one node on its own.
std::unique_ptr<broker::Broker> MakeBroker(const config::Config& config,
                                           const history::Options& history_options) {
  if (config.redis_url.empty()) {
    return std::make_unique<broker::MemoryBroker>(history_options, SystemClock::Instance());
  }
  broker::redis::RedisBrokerOptions options;
  // Load() validated the URL already.
  options.connection =
      broker::redis::ConnectionOptionsFrom(*config::ParseRedisUrl(config.redis_url).value);
  options.history = history_options;
  return std::make_unique<broker::redis::RedisBroker>(std::move(options));
}

unsigned ThreadCount(unsigned configured) {
  if (configured != 0) return configured;
  return std::max(1u, std::thread::hardware_concurrency());
}

}  // namespace

Node::Node(config::Config config) : config_(std::move(config)) {
  limits_.max_body_bytes = config_.max_message_bytes;
  limits_.request_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::seconds(config_.request_timeout));
  cors_ = std::make_unique<http::CorsPolicy>(config_.allowed_origins);
  history::Options history_options;
  history_options.max_events_per_channel = config_.history_size;
  history_options.ttl_ms = std::chrono::milliseconds(config_.history_ttl).count();
  broker_ = MakeBroker(config_, history_options);
  const std::size_t max_connections =
      RaiseFileLimitAndDeriveMaxConnections(config_.max_connections);
  services_ =
      std::make_unique<Services>(config_, *broker_, SystemClock::Instance(), max_connections);
  services_->SetMetricsRenderer([this] { return RenderMetrics(); });
  const unsigned threads = ThreadCount(config_.threads);
  for (unsigned i = 0; i < threads; ++i) {
    loops_.push_back(std::make_unique<Loop>(*services_, limits_, *cors_));
  }
}

Node::~Node() = default;

void Node::OnEvent(const EventPtr& event) {
  // Loops without subscribers are not woken at all: publishing to a node nobody listens to
  // costs no cross-thread wake-up.
  sse::FramePtr frame;
  for (auto& loop : loops_) {
    if (!loop->HasSubscriptions()) continue;
    if (!frame) frame = sse::EncodeEvent(*event);
    loop->PostEvent(event, frame);
  }
}

void Node::OnHistoryLost(EventId head) {
  const sse::FramePtr frame = sse::ResetFrame(
      head, "history_lost", "events may have been lost while the broker was unreachable");
  for (auto& loop : loops_) loop->PostRebase(frame, head.seq);
}

bool Node::OpenListeners() {
  boost::system::error_code ec;
  asio::ip::address address = asio::ip::make_address(config_.host, ec);
  if (ec) {
    // A host name: resolving it once at start, before any loop runs, may block.
    asio::io_context resolver_ioc;
    asio::ip::tcp::resolver resolver(resolver_ioc);
    auto results = resolver.resolve(config_.host, "", ec);
    if (ec || results.empty()) {
      log::Error("HOST: cannot resolve \"" + config_.host + "\": " + ec.message());
      return false;
    }
    address = results.begin()->endpoint().address();
  }
  port_ = config_.port;
  if (port_ != 0 && (ec = PortTaken({address, port_}))) {
    log::Error("cannot listen on " + config_.host + ":" + std::to_string(port_) + ": " +
               ec.message());
    return false;
  }
  for (auto& loop : loops_) {
    // With port 0 the first loop picks a free port and the others share it.
    if ((ec = loop->Listen({address, port_}))) {
      log::Error("cannot listen on " + config_.host + ":" + std::to_string(port_) + ": " +
                 ec.message());
      return false;
    }
    port_ = loop->local_endpoint().port();
  }
  return true;
}

int Node::Run() {
  std::signal(SIGPIPE, SIG_IGN);
  if (!OpenListeners()) return 1;
  broker_->Start(*this);
  const std::string broker = config_.redis_url.empty()
                                 ? "embedded broker"
                                 : "Redis broker at " + config::RedactRedisUrl(config_.redis_url);
  log::Info("pushy listening on " + config_.host + ":" + std::to_string(port_) + " with " +
            std::to_string(loops_.size()) + " threads, " + broker + ", max connections " +
            std::to_string(services_->max_connections()));
  if (config_.demo) PrintBanner();

  Control(*services_, *broker_, loops_).Run();
  broker_->Stop();
  log::Info("pushy stopped");
  return 0;
}

std::string Node::RenderMetrics() const {
  std::vector<const metrics::LoopMetrics*> views;
  for (const auto& loop : loops_) views.push_back(&loop->metrics());
  const broker::Broker::Stats stats = broker_->GetStats();
  metrics::NodeGauges gauges;
  gauges.broker_up = broker_->Healthy();
  gauges.ready = services_->ready();
  gauges.history_events = stats.history_events;
  gauges.history_channels = stats.history_channels;
  gauges.max_connections = services_->max_connections();
  gauges.remote = stats.remote;
  gauges.broker_reconnects = stats.reconnects;
  gauges.broker_catchup_events = stats.catchup_events;
  gauges.broker_history_lost = stats.history_lost;
  gauges.broker_subscriptions = stats.subscriptions;
  gauges.broker_round_trip_ms = stats.round_trip_ms;
  return metrics::RenderPrometheus(views, gauges);
}

void Node::PrintBanner() const {
  const std::string base = "http://" + config_.host + ":" + std::to_string(port_);
  // Only the public demo credentials are ever printed; configured ones are secrets.
  if (config_.publisher_client_secret != kDemoPublisherSecret) {
    std::cout << "\n  Pushy demo node on " << base << " with your configured credentials\n\n"
              << std::flush;
    return;
  }
  std::cout << "\n  Pushy demo node on " << base
            << (config_.redis_url.empty() ? " (embedded broker)\n" : " (Redis cluster member)\n")
            << "  Demo publisher credentials (public, for local use only):\n"
            << "    X-Client-ID:     " << config_.publisher_client_id << "\n"
            << "    X-Client-Secret: " << config_.publisher_client_secret << "\n\n"
            << "  Mint a token:\n"
            << "    curl -s -X POST " << base << "/token -H 'Content-Type: application/json' \\\n"
            << "      -H 'X-Client-ID: " << config_.publisher_client_id
            << "' -H 'X-Client-Secret: " << config_.publisher_client_secret << "' \\\n"
            << "      -d '{\"sub\":\"user123\",\"channels\":[\"news\",\"news.*\"]}'\n\n"
            << "  Or open the demo page: " << base << "/demo/\n\n"
            << std::flush;
}

}  // namespace pushy::server
