#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>

#include "http/cors.h"
#include "http/session.h"
#include "http/types.h"

namespace pushy::http {

// Accepts connections for one event loop. Every loop has its own listener bound to the same
// port with SO_REUSEPORT, so the kernel spreads connections and no socket crosses threads.
// Loop thread only.
class Listener {
 public:
  // `sessions` must outlive `ioc`: handlers still queued when the io_context is destroyed own
  // sessions, which leave the set as they go.
  Listener(boost::asio::io_context& ioc, const Limits& limits, const CorsPolicy& cors,
           RequestHandler& handler, SessionSet& sessions);

  boost::system::error_code Open(const boost::asio::ip::tcp::endpoint& endpoint);
  boost::asio::ip::tcp::endpoint local_endpoint() const;
  void Start();
  // Stops accepting and asks every HTTP session (not streams) to finish.
  void Stop();
  std::size_t session_count() const { return sessions_.size(); }

 private:
  void Accept();

  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer backoff_;
  const Limits& limits_;
  const CorsPolicy& cors_;
  RequestHandler& handler_;
  SessionSet& sessions_;
  bool stopped_ = false;
};

}  // namespace pushy::http
