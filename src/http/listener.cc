#include "http/listener.h"

#include <boost/asio/socket_base.hpp>
#include <string>

#include "core/log.h"

namespace pushy::http {

namespace asio = boost::asio;
using boost::system::error_code;

Listener::Listener(asio::io_context& ioc, const Limits& limits, const CorsPolicy& cors,
                   RequestHandler& handler, SessionSet& sessions)
    : acceptor_(ioc),
      backoff_(ioc),
      limits_(limits),
      cors_(cors),
      handler_(handler),
      sessions_(sessions) {}

error_code Listener::Open(const asio::ip::tcp::endpoint& endpoint) {
  error_code ec;
  acceptor_.open(endpoint.protocol(), ec);
  if (ec) return ec;
  acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (ec) return ec;
  using ReusePort = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;
  acceptor_.set_option(ReusePort(true), ec);
  if (ec) return ec;
  acceptor_.bind(endpoint, ec);
  if (ec) return ec;
  acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  return ec;
}

asio::ip::tcp::endpoint Listener::local_endpoint() const {
  error_code ec;
  return acceptor_.local_endpoint(ec);
}

void Listener::Start() { Accept(); }

void Listener::Stop() {
  stopped_ = true;
  error_code ignored;
  acceptor_.close(ignored);
  backoff_.cancel();
  sessions_.ShutdownAll();
}

void Listener::Accept() {
  acceptor_.async_accept([this](const error_code& ec, asio::ip::tcp::socket socket) {
    if (stopped_) return;
    if (ec) {
      // Out of file descriptors (or a transient error): pause rather than spin.
      log::Warn("accept failed: " + ec.message());
      backoff_.expires_after(std::chrono::milliseconds(100));
      backoff_.async_wait([this](const error_code& wait_ec) {
        if (!wait_ec && !stopped_) Accept();
      });
      return;
    }
    error_code ignored;
    socket.set_option(asio::ip::tcp::no_delay(true), ignored);
    std::make_shared<Session>(std::move(socket), limits_, cors_, handler_, sessions_)->Start();
    Accept();
  });
}

}  // namespace pushy::http
