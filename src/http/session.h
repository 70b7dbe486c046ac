#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <unordered_set>

#include "http/cors.h"
#include "http/types.h"

namespace pushy::http {

class Session;

// One request being answered. Cheap to copy; keeps its connection alive until answered.
// Every method must be called on the connection's event loop.
class Exchange {
 public:
  explicit Exchange(std::shared_ptr<Session> session) : session_(std::move(session)) {}
  const Request& request() const;
  // Sends `response` (CORS headers added) and goes on with the next request on the connection.
  void Respond(Response response) const;
  // Ends HTTP on this connection and hands its socket to the caller (an SSE stream).
  boost::asio::ip::tcp::socket TakeSocket() const;
  const CorsPolicy& cors() const;

 private:
  std::shared_ptr<Session> session_;
};

// What the connection does with a complete request, and whom it tells about answers.
class RequestHandler {
 public:
  virtual ~RequestHandler() = default;
  virtual void Handle(const Exchange& exchange) = 0;
  virtual void OnResponse(unsigned status) = 0;
};

class SessionSet;

// One HTTP/1.1 connection, owned by its own async chain (Beast's model). Reads one request at a
// time (pipelined requests wait in the buffer and are answered in order).
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(boost::asio::ip::tcp::socket socket, const Limits& limits, const CorsPolicy& cors,
          RequestHandler& handler, SessionSet& set);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  void Start();
  // Drain: an idle connection closes now, a busy one after its current answer.
  void Shutdown();

 private:
  friend class Exchange;

  void ReadHeader();
  void OnHeader(const boost::system::error_code& ec);
  void ReadBody();
  void OnBody(const boost::system::error_code& ec);
  void ArmDeadline(std::chrono::milliseconds timeout);
  void Dispatch();
  void Respond(Response response);
  void OnReadError(const boost::system::error_code& ec);
  void Reject(const boost::system::error_code& ec);
  void Write(Response response, bool keep_alive);
  void LingerAndClose();
  void DiscardUntilClosed();
  boost::asio::ip::tcp::socket TakeSocket();

  boost::asio::ip::tcp::socket socket_;
  boost::asio::steady_timer deadline_;  // request arrival, a stuck answer, the lingering close
  boost::beast::flat_buffer buffer_;
  std::optional<beast_http::request_parser<beast_http::string_body>> parser_;
  Request request_;
  std::string wire_;  // the response being written
  const Limits& limits_;
  const CorsPolicy& cors_;
  RequestHandler& handler_;
  SessionSet& set_;
  bool busy_ = false;       // a request is being handled or answered
  bool closing_ = false;    // no more requests after the current one
  bool taken_ = false;      // socket handed to a stream
  bool timed_out_ = false;  // the deadline fired while reading a request
};

// The bytes of a complete response: status line, fields, blank line, body (a Content-Length is
// added when the response has neither it nor chunked framing).
std::string SerializeResponse(Response& response);

// The sessions of one event loop, so that a drain can reach them. Loop thread only.
class SessionSet {
 public:
  void Add(Session* s) { sessions_.insert(s); }
  void Remove(Session* s) { sessions_.erase(s); }
  void ShutdownAll();
  std::size_t size() const { return sessions_.size(); }

 private:
  std::unordered_set<Session*> sessions_;
};

}  // namespace pushy::http
