#pragma once

#include <gtest/gtest.h>

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/parser.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "http/cors.h"
#include "http/listener.h"
#include "http/responses.h"
#include "http/router.h"
#include "http/session.h"

// A real http::Listener on 127.0.0.1:0 with a Router, and raw clients, all on one io_context
// that the test drives: no threads, no sleeps, every wait bounded by a deadline.
namespace pushy::http::test_util {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using std::chrono::milliseconds;

inline bool RunUntil(asio::io_context& ioc, const std::function<bool()>& done,
                     milliseconds timeout = milliseconds(3000)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    if (ioc.stopped()) ioc.restart();
    ioc.run_one_for(milliseconds(10));
  }
  return true;
}

// Complete responses at the front of `raw`, in order (a 1xx interim response counts as one).
inline std::vector<Response> ParseResponses(std::string_view raw) {
  std::vector<Response> out;
  while (!raw.empty()) {
    beast_http::response_parser<beast_http::string_body> parser;
    parser.eager(true);
    std::size_t used = 0;
    while (!parser.is_done()) {
      boost::system::error_code ec;
      const std::size_t n = parser.put(asio::buffer(raw.data() + used, raw.size() - used), ec);
      used += n;
      if (ec == beast_http::error::need_more && n > 0) continue;
      if (ec || n == 0) return out;
    }
    out.push_back(parser.release());
    raw.remove_prefix(used);
  }
  return out;
}

// Routes every request and records what the router's handlers saw.
class RoutingHandler : public RequestHandler {
 public:
  explicit RoutingHandler(const Router& router) : router_(router) {}
  void Handle(const Exchange& exchange) override { router_.Route(exchange); }
  void OnResponse(unsigned status) override { statuses.push_back(status); }
  std::vector<unsigned> statuses;

 private:
  const Router& router_;
};

struct Seen {
  std::string route;
  std::string param;
  std::string body;
};

class TestServer {
 public:
  explicit TestServer(Limits limits = {}, std::vector<std::string> origins = {"*"})
      : limits_(limits),
        cors_(std::move(origins)),
        handler_(router_),
        listener_(ioc, limits_, cors_, handler_, sessions_) {
    AddRoutes();
    const auto ec = listener_.Open(tcp::endpoint(asio::ip::address_v4::loopback(), 0));
    EXPECT_FALSE(ec) << ec.message();
    listener_.Start();
  }
  ~TestServer() {
    // Clients are gone by now; every session must wind down before its SessionSet does.
    listener_.Stop();
    EXPECT_TRUE(RunUntil(ioc, [&] { return listener_.session_count() == 0; }))
        << listener_.session_count() << " sessions left";
    ioc.restart();
    ioc.poll();
  }
  tcp::endpoint endpoint() const { return listener_.local_endpoint(); }
  const std::vector<unsigned>& statuses() const { return handler_.statuses; }
  std::size_t session_count() const { return listener_.session_count(); }
  void Stop() { listener_.Stop(); }

 private:
  // Declared before `ioc`: sessions still owned by queued handlers leave this set when the
  // io_context is destroyed.
  SessionSet sessions_;

 public:
  asio::io_context ioc;
  std::vector<Seen> seen;          // what the handlers got, in order
  std::vector<tcp::socket> taken;  // sockets handed over by /take

 private:
  void AddRoutes();

  Limits limits_;
  CorsPolicy cors_;
  Router router_;
  RoutingHandler handler_;
  Listener listener_;
};

inline void TestServer::AddRoutes() {
  auto record = [this](const char* route) {
    return [this, route](const Exchange& ex, std::string_view param) {
      seen.push_back({route, std::string(param), ex.request().body()});
      ex.Respond(JsonResponse(
          Status::ok,
          "{\"route\":\"" + std::string(route) + "\",\"param\":\"" + JsonEscape(param) + "\"}",
          ex.request().version()));
    };
  };
  router_.Add("/publish/{}", {Verb::post}, record("publish_one"));
  router_.Add("/publish", {Verb::post}, record("publish_batch"));
  router_.Add("/channels/{}/stream", {Verb::get}, record("stream"));
  router_.Add("/healthz", {Verb::get, Verb::head}, record("healthz"));
  router_.Add("/take", {Verb::get}, [this](const Exchange& ex, std::string_view) {
    taken.push_back(ex.TakeSocket());
    asio::write(taken.back(), asio::buffer(std::string_view("taken")));
    taken.back().shutdown(tcp::socket::shutdown_send);
  });
}

// A raw TCP client. Its state is shared with its pending operations so that they may finish
// after the client object is gone.
class RawClient {
 public:
  explicit RawClient(TestServer& server) : ioc_(server.ioc), state_(std::make_shared<State>(ioc_)) {
    state_->socket.connect(server.endpoint());
    Read(state_);
  }
  ~RawClient() {
    boost::system::error_code ignored;
    state_->socket.close(ignored);
  }
  void Send(std::string bytes) {
    auto buffer = std::make_shared<std::string>(std::move(bytes));
    asio::async_write(state_->socket, asio::buffer(*buffer),
                      [buffer](const boost::system::error_code&, std::size_t) {});
  }
  void ShutdownSend() {
    boost::system::error_code ignored;
    state_->socket.shutdown(tcp::socket::shutdown_send, ignored);
  }
  // Waits for `n` complete responses (or the end of the connection).
  std::vector<Response> Await(std::size_t n, milliseconds timeout = milliseconds(3000)) {
    RunUntil(
        ioc_, [&] { return state_->ended || ParseResponses(state_->data).size() >= n; }, timeout);
    return ParseResponses(state_->data);
  }
  bool AwaitBytes(std::size_t n) {
    return RunUntil(ioc_, [&] { return state_->ended || state_->data.size() >= n; });
  }
  // Waits for the server to end the connection; true for a clean EOF.
  bool AwaitEof(milliseconds timeout = milliseconds(3000)) {
    RunUntil(
        ioc_, [&] { return state_->ended; }, timeout);
    return state_->ended && state_->error == asio::error::eof;
  }
  const std::string& data() const { return state_->data; }
  bool ended() const { return state_->ended; }

 private:
  struct State {
    explicit State(asio::io_context& ioc) : socket(ioc) {}
    tcp::socket socket;
    std::string data;
    bool ended = false;
    boost::system::error_code error;
    std::array<char, 4096> buffer{};
  };
  static void Read(const std::shared_ptr<State>& state) {
    state->socket.async_read_some(asio::buffer(state->buffer),
                                  [state](const boost::system::error_code& ec, std::size_t n) {
                                    state->data.append(state->buffer.data(), n);
                                    if (ec) {
                                      state->ended = true;
                                      state->error = ec;
                                      return;
                                    }
                                    Read(state);
                                  });
  }

  asio::io_context& ioc_;
  std::shared_ptr<State> state_;
};

}  // namespace pushy::http::test_util
