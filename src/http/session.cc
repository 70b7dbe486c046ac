#include "http/session.h"

#include <array>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <vector>

#include "core/error.h"
#include "http/responses.h"

namespace pushy::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
using boost::system::error_code;

const Request& Exchange::request() const { return session_->request_; }
void Exchange::Respond(Response response) const { session_->Respond(std::move(response)); }
asio::ip::tcp::socket Exchange::TakeSocket() const { return session_->TakeSocket(); }
const CorsPolicy& Exchange::cors() const { return session_->cors_; }

void SessionSet::ShutdownAll() {
  // Shutdown may end a session and remove it from the set: iterate over a copy.
  const std::vector<Session*> sessions(sessions_.begin(), sessions_.end());
  for (Session* s : sessions) {
    if (sessions_.count(s) != 0) s->Shutdown();
  }
}

std::string SerializeResponse(Response& response) {
  // Every answer has a complete body in memory: frame it by its length.
  if (response.count(beast_http::field::content_length) == 0 && !response.chunked()) {
    response.prepare_payload();
  }
  // One string in one write. Beast's serializer walks generic buffer sequences and cost about a
  // tenth of the CPU of a small publish; the message is already complete, so it is only text.
  const std::string_view reason = response.reason();
  std::size_t size = 16 + reason.size() + response.body().size();
  for (const auto& field : response) size += field.name_string().size() + field.value().size() + 4;
  std::string wire;
  wire.reserve(size);
  wire.append(response.version() == 10 ? "HTTP/1.0 " : "HTTP/1.1 ");
  wire.append(std::to_string(response.result_int())).append(" ").append(reason).append("\r\n");
  for (const auto& field : response) {
    wire.append(field.name_string()).append(": ").append(field.value()).append("\r\n");
  }
  wire.append("\r\n").append(response.body());
  return wire;
}

Session::Session(asio::ip::tcp::socket socket, const Limits& limits, const CorsPolicy& cors,
                 RequestHandler& handler, SessionSet& set)
    : socket_(std::move(socket)),
      deadline_(socket_.get_executor()),
      limits_(limits),
      cors_(cors),
      handler_(handler),
      set_(set) {
  set_.Add(this);
  // Answers are first written without waiting (see Write); reads and async writes are unaffected.
  error_code ignored;
  socket_.non_blocking(true, ignored);
}

Session::~Session() { set_.Remove(this); }

void Session::Start() { ReadHeader(); }

void Session::Shutdown() {
  closing_ = true;
  if (!busy_ && !taken_) {
    error_code ignored;
    socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    socket_.cancel(ignored);
  }
}

void Session::ReadHeader() {
  if (closing_) return LingerAndClose();
  busy_ = false;
  parser_.emplace();
  parser_->header_limit(static_cast<std::uint32_t>(limits_.max_header_bytes));
  parser_->body_limit(limits_.max_body_bytes);
  ArmDeadline(limits_.request_timeout);
  beast_http::async_read_header(
      socket_, buffer_, *parser_,
      [self = shared_from_this()](const error_code& ec, std::size_t) { self->OnHeader(ec); });
}

void Session::OnHeader(const error_code& ec) {
  busy_ = true;
  if (ec) return OnReadError(ec);
  const auto& header = parser_->get();
  if (header.target().size() > limits_.max_request_line) return Reject(Errc::kUriTooLong);
  // A message with both framings is how requests get smuggled past proxies: refuse it.
  if (header.count(beast_http::field::content_length) != 0 &&
      header.count(beast_http::field::transfer_encoding) != 0) {
    return Reject(Errc::kBadFraming);
  }
  if (parser_->is_done()) return Dispatch();
  const auto expect = header[beast_http::field::expect];
  if (beast::iequals(expect, "100-continue")) {
    static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
    return asio::async_write(socket_, asio::buffer(kContinue),
                             [self = shared_from_this()](const error_code& wec, std::size_t) {
                               if (wec) return self->OnReadError(wec);
                               self->ReadBody();
                             });
  }
  ReadBody();
}

void Session::ReadBody() {
  beast_http::async_read(
      socket_, buffer_, *parser_,
      [self = shared_from_this()](const error_code& ec, std::size_t) { self->OnBody(ec); });
}

void Session::OnBody(const error_code& ec) {
  if (ec) return OnReadError(ec);
  Dispatch();
}

void Session::ArmDeadline(std::chrono::milliseconds timeout) {
  // One timer for a request's arrival, a stuck answer and the lingering close. When it fires the
  // socket's operations are cancelled (not the socket closed): a stalled request deserves a 408.
  deadline_.expires_after(timeout);
  deadline_.async_wait([weak = weak_from_this()](const error_code& ec) {
    auto self = weak.lock();
    if (ec || !self) return;
    self->timed_out_ = true;
    error_code ignored;
    self->socket_.cancel(ignored);
  });
}

void Session::Dispatch() {
  deadline_.cancel();
  request_ = parser_->release();
  parser_.reset();
  handler_.Handle(Exchange(shared_from_this()));
}

void Session::OnReadError(const error_code& ec) {
  if (timed_out_) {
    // Idle keep-alive connections just close; a request that started and stalled gets a 408.
    if (buffer_.size() == 0 && !parser_->got_some()) return LingerAndClose();
    return Reject(Errc::kRequestTimeout);
  }
  if (ec == beast_http::error::end_of_stream || ec == asio::error::eof ||
      ec == asio::error::connection_reset || ec == asio::error::operation_aborted) {
    return LingerAndClose();
  }
  if (ec == beast_http::error::header_limit) {
    // The parser may already have taken the request line out of the buffer: ask it first.
    const std::string_view target = parser_->get().target();
    bool line_too_long = target.size() > limits_.max_request_line;
    if (target.empty()) {
      const std::string_view seen(static_cast<const char*>(buffer_.data().data()),
                                  buffer_.data().size());
      const auto line_end = seen.find("\r\n");
      line_too_long = line_end == std::string_view::npos || line_end > limits_.max_request_line;
    }
    return Reject(line_too_long ? Errc::kUriTooLong : Errc::kHeadersTooLarge);
  }
  if (ec == beast_http::error::body_limit) return Reject(Errc::kPayloadTooLarge);
  Reject(Errc::kBadFraming);
}

void Session::Reject(const error_code& ec) {
  closing_ = true;
  Response res = ErrorResponse(ec);
  // A page's script can read why its request was refused only with the CORS headers.
  if (parser_) cors_.Apply(parser_->get()[beast_http::field::origin], res);
  Write(std::move(res), false);
}

void Session::Respond(Response response) {
  const bool keep_alive = !closing_ && request_.keep_alive();
  cors_.Apply(request_[beast_http::field::origin], response);
  if (request_.method() == beast_http::verb::head) {
    // The headers a GET would get, Content-Length included, and no body.
    if (response.count(beast_http::field::content_length) == 0) response.prepare_payload();
    response.body().clear();
  }
  Write(std::move(response), keep_alive);
}

void Session::Write(Response response, bool keep_alive) {
  handler_.OnResponse(response.result_int());
  response.keep_alive(keep_alive);
  if (!keep_alive) closing_ = true;
  wire_ = SerializeResponse(response);
  // A small answer almost always fits the socket buffer: written now, with no timer and no
  // wait for the reactor. Only the rest of a partial write waits, under the deadline.
  error_code ec;
  const std::size_t written = socket_.write_some(asio::buffer(wire_), ec);
  if (ec && ec != asio::error::would_block) {
    wire_ = {};
    return LingerAndClose();
  }
  if (written == wire_.size()) {
    wire_ = {};
    // Posted, not called: the handler that answered may still be on the stack.
    return asio::post(socket_.get_executor(), [self = shared_from_this()] { self->ReadHeader(); });
  }
  ArmDeadline(limits_.request_timeout);
  asio::async_write(socket_, asio::buffer(wire_) + written,
                    [self = shared_from_this()](const error_code& wec, std::size_t) {
                      self->wire_ = {};
                      self->deadline_.cancel();
                      if (wec) return self->LingerAndClose();
                      self->ReadHeader();
                    });
}

void Session::LingerAndClose() {
  deadline_.cancel();
  // Half-close, then read what the peer still sends (briefly) so that our last response is not
  // destroyed by a reset when unread request bytes remain in our receive buffer.
  error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
  if (!socket_.is_open()) return;
  ArmDeadline(std::chrono::seconds(1));
  DiscardUntilClosed();
}

void Session::DiscardUntilClosed() {
  // The bytes are thrown away, so every session of this loop thread can share one scratch buffer.
  thread_local std::array<char, 2048> scratch;
  socket_.async_read_some(asio::buffer(scratch),
                          [self = shared_from_this()](const error_code& ec, std::size_t) {
                            if (!ec) return self->DiscardUntilClosed();
                            error_code ignored;
                            self->deadline_.cancel();
                            self->socket_.close(ignored);
                          });
}

asio::ip::tcp::socket Session::TakeSocket() {
  taken_ = true;
  deadline_.cancel();
  return std::move(socket_);
}

}  // namespace pushy::http
