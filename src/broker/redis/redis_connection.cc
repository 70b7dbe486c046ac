#include "broker/redis/redis_connection.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/write.hpp>
#include <utility>

namespace pushy::broker::redis {
namespace asio = boost::asio;
using boost::system::error_code;

namespace {

constexpr std::size_t kReadChunk = 64 * 1024;

error_code Unavailable() { return make_error_code(Errc::kBrokerUnavailable); }

bool IsIpLiteral(const std::string& host) {
  error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

}  // namespace

std::shared_ptr<RedisConnection> RedisConnection::Create(asio::io_context& ioc,
                                                         ConnectionOptions options) {
  return std::shared_ptr<RedisConnection>(new RedisConnection(ioc, std::move(options)));
}

RedisConnection::RedisConnection(asio::io_context& ioc, ConnectionOptions options)
    : ioc_(ioc),
      options_(std::move(options)),
      resolver_(ioc),
      connect_timer_(ioc),
      plain_(ioc),
      read_buffer_(kReadChunk) {}

RedisConnection::~RedisConnection() = default;

void RedisConnection::Connect(std::function<void(error_code, const std::string&)> done) {
  if (state_ != State::kIdle) {
    asio::post(ioc_, [done = std::move(done)] { done(Unavailable(), "connection already used"); });
    return;
  }
  connect_done_ = std::move(done);
  state_ = State::kConnecting;
  if (options_.tls) {
    tls_context_.emplace(asio::ssl::context::tls_client);
    tls_context_->set_options(asio::ssl::context::default_workarounds |
                              asio::ssl::context::no_sslv2 | asio::ssl::context::no_sslv3 |
                              asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1);
    error_code ec;
    if (options_.tls_ca_file.empty()) {
      tls_context_->set_default_verify_paths(ec);
    } else {
      tls_context_->load_verify_file(options_.tls_ca_file, ec);
    }
    if (ec) {
      // Reported from the loop, like every other outcome: never inside Connect().
      asio::post(ioc_, [self = shared_from_this(), ec] {
        self->FinishConnect(ec, "cannot load TLS trust anchors: " + ec.message());
      });
      return;
    }
    tls_.emplace(ioc_, *tls_context_);
    if (options_.tls_verify) {
      tls_->set_verify_mode(asio::ssl::verify_peer);
      tls_->set_verify_callback(asio::ssl::host_name_verification(options_.host));
    }
    // SNI takes host names only.
    if (!IsIpLiteral(options_.host)) {
      // SSL_set_tlsext_host_name() spelled out: the macro hides a C-style cast.
      SSL_ctrl(tls_->native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
               const_cast<char*>(options_.host.c_str()));
    }
  }
  connect_timer_.expires_after(options_.connect_timeout);
  connect_timer_.async_wait([self = shared_from_this()](const error_code& ec) {
    if (ec || self->state_ != State::kConnecting) return;
    self->FinishConnect(asio::error::timed_out, "connect timed out");
  });
  resolver_.async_resolve(
      options_.host, std::to_string(options_.port),
      [self = shared_from_this()](const error_code& ec, Tcp::resolver::results_type results) {
        self->OnResolved(ec, std::move(results));
      });
}

void RedisConnection::OnResolved(const error_code& ec, Tcp::resolver::results_type results) {
  if (state_ != State::kConnecting) return;
  if (ec) return FinishConnect(ec, "cannot resolve host: " + ec.message());
  asio::async_connect(socket(), results,
                      [self = shared_from_this()](const error_code& e, const Tcp::endpoint&) {
                        self->OnConnected(e);
                      });
}

void RedisConnection::OnConnected(const error_code& ec) {
  if (state_ != State::kConnecting) return;
  if (ec) return FinishConnect(ec, "cannot connect: " + ec.message());
  error_code ignored;
  socket().set_option(Tcp::no_delay(true), ignored);
  socket().set_option(asio::socket_base::keep_alive(true), ignored);
  if (!tls_) return StartHandshakeCommands();
  tls_->async_handshake(asio::ssl::stream_base::client,
                        [self = shared_from_this()](const error_code& e) {
                          if (self->state_ != State::kConnecting) return;
                          if (e)
                            return self->FinishConnect(e, "TLS handshake failed: " + e.message());
                          self->StartHandshakeCommands();
                        });
}

// AUTH and SELECT go ahead of anything queued already; success is the last one's reply.
void RedisConnection::StartHandshakeCommands() {
  std::vector<std::vector<std::string>> commands;
  if (!options_.password.empty()) {
    if (options_.user.empty()) {
      commands.push_back({"AUTH", options_.password});
    } else {
      commands.push_back({"AUTH", options_.user, options_.password});
    }
  }
  if (options_.db != 0) commands.push_back({"SELECT", std::to_string(options_.db)});
  commands.push_back({"PING"});  // proves the server speaks Redis before we call it connected
  auto self = shared_from_this();
  auto failed = std::make_shared<bool>(false);
  for (std::size_t i = commands.size(); i-- > 0;) {
    const bool last = i + 1 == commands.size();
    const std::string what = commands[i][0];
    Pending pending{[self, failed, last, what](Result<Reply> reply) {
      if (*failed || self->state_ != State::kConnecting) return;
      if (!reply || reply->is_error()) {
        *failed = true;
        // The reply text of AUTH never echoes the password.
        const std::string why = reply ? reply->str : reply.error().message();
        return self->FinishConnect(Unavailable(), what + " failed: " + why);
      }
      if (last) self->FinishConnect({}, {});
    }};
    pending_.push_front(std::move(pending));
    outbox_.insert(outbox_.begin(), FormatCommand(commands[i]));
    ++unsent_;
  }
  transport_up_ = true;
  StartRead();
  StartWrite();
}

void RedisConnection::FinishConnect(const error_code& ec, const std::string& why) {
  auto done = std::exchange(connect_done_, nullptr);
  connect_timer_.cancel();
  if (ec) {
    closed_handler_ = nullptr;  // a failed connect reports through `done` only
    Fail(why);
  } else {
    state_ = State::kReady;
  }
  if (done) done(ec, why);
}

void RedisConnection::Close() {
  closed_handler_ = nullptr;
  connect_done_ = nullptr;
  Fail("closed");
}

void RedisConnection::Fail(const std::string& why) {
  if (state_ == State::kClosed) return;
  state_ = State::kClosed;
  error_code ignored;
  connect_timer_.cancel();
  resolver_.cancel();
  socket().shutdown(Tcp::socket::shutdown_both, ignored);
  socket().close(ignored);
  FailPending(Unavailable());
  // While connecting, the outcome goes to Connect()'s callback only.
  auto done = std::exchange(connect_done_, nullptr);
  auto closed = std::exchange(closed_handler_, nullptr);
  if (done) {
    done(Unavailable(), why);
  } else if (closed) {
    closed(why);
  }
}

void RedisConnection::FailPending(const error_code& ec) {
  std::deque<Pending> pending = std::exchange(pending_, {});
  unsent_ = 0;
  outbox_.clear();
  for (Pending& p : pending) {
    asio::post(ioc_, [done = std::move(p.done), ec] { done(ec); });
  }
}

void RedisConnection::Command(const std::vector<std::string>& argv, ReplyCallback done) {
  if (state_ == State::kClosed || pending_.size() >= options_.max_pending) {
    asio::post(ioc_, [done = std::move(done)] { done(Unavailable()); });
    return;
  }
  outbox_.push_back(FormatCommand(argv));
  pending_.push_back(Pending{std::move(done)});
  ++unsent_;
  StartWrite();
}

void RedisConnection::StartWrite() {
  // Handshake commands go out before kReady, but only once the transport is up.
  if (write_in_flight_ || outbox_.empty() || !transport_up_ || state_ == State::kClosed) return;
  writing_ = std::exchange(outbox_, {});
  const Clock::time_point now = Clock::now();
  for (std::size_t i = pending_.size() - unsent_; i < pending_.size(); ++i) {
    pending_[i].sent_at = now;
  }
  unsent_ = 0;
  std::vector<asio::const_buffer> buffers;
  buffers.reserve(writing_.size());
  for (const std::string& command : writing_) buffers.push_back(asio::buffer(command));
  write_in_flight_ = true;
  auto handler = [self = shared_from_this()](const error_code& ec, std::size_t) {
    self->OnWritten(ec);
  };
  if (tls_) {
    asio::async_write(*tls_, buffers, std::move(handler));
  } else {
    asio::async_write(plain_, buffers, std::move(handler));
  }
}

void RedisConnection::OnWritten(const error_code& ec) {
  write_in_flight_ = false;
  writing_.clear();
  if (state_ == State::kClosed) return;
  if (ec) return Fail("write failed: " + ec.message());
  StartWrite();
}

void RedisConnection::StartRead() {
  auto handler = [self = shared_from_this()](const error_code& ec, std::size_t bytes) {
    self->OnRead(ec, bytes);
  };
  if (tls_) {
    tls_->async_read_some(asio::buffer(read_buffer_), std::move(handler));
  } else {
    plain_.async_read_some(asio::buffer(read_buffer_), std::move(handler));
  }
}

void RedisConnection::OnRead(const error_code& ec, std::size_t bytes) {
  if (state_ == State::kClosed) return;
  if (ec) {
    return Fail(ec == asio::error::eof ? "connection closed by server"
                                       : "read failed: " + ec.message());
  }
  if (!decoder_.Feed(read_buffer_.data(), bytes))
    return Fail("protocol error: " + decoder_.error());
  Reply reply;
  while (decoder_.Next(reply)) {
    Dispatch(std::move(reply));
    if (state_ == State::kClosed) return;  // a callback closed us
  }
  if (!decoder_.error().empty()) return Fail("protocol error: " + decoder_.error());
  StartRead();
}

bool RedisConnection::IsPush(const Reply& reply) {
  if (!reply.is_array() || reply.elements.empty()) return false;
  const Reply& kind = reply.elements[0];
  return (kind.Is("message") && reply.elements.size() == 3) ||
         (kind.Is("pmessage") && reply.elements.size() == 4);
}

void RedisConnection::Dispatch(Reply reply) {
  if (push_handler_ && IsPush(reply)) return push_handler_(std::move(reply));
  if (pending_.empty() || pending_.size() == unsent_) {
    return Fail("reply without a command");
  }
  Pending pending = std::move(pending_.front());
  pending_.pop_front();
  last_round_trip_ms_ =
      std::chrono::duration<double, std::milli>(Clock::now() - pending.sent_at).count();
  pending.done(std::move(reply));
}

}  // namespace pushy::broker::redis
