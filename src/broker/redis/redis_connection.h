#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/error_code.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "broker/redis/redis_reply.h"
#include "core/error.h"

namespace pushy::broker::redis {

// Where and how to connect: the parsed REDIS_URL plus transport knobs.
struct ConnectionOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 6379;
  bool tls = false;
  // PEM file of the CA(s) that sign the server certificate; empty: the system's trust store.
  std::string tls_ca_file;
  bool tls_verify = true;  // off only for experiments: anyone could then read the traffic
  std::string user;        // empty: AUTH with the password alone (the default user)
  std::string password;    // empty: no AUTH
  std::uint32_t db = 0;    // SELECT when not 0
  std::chrono::milliseconds connect_timeout{2000};
  // Commands accepted but not yet answered; past this a command fails at once.
  std::size_t max_pending = 10'000;
};

// One connection to Redis over plain TCP or TLS, driven by Boost.Asio; hiredis only encodes
// commands and decodes replies. Commands are pipelined: everything queued while a write is in
// flight goes out in one gathered write, and replies are matched to commands in FIFO order.
//
// Pub/sub: `message` and `pmessage` replies (which answer no command) go to the push handler;
// every other reply, including (un)subscribe confirmations, answers the oldest pending command.
// So a SUBSCRIBE naming one channel is one command with one reply, like any other.
//
// On any failure (I/O, protocol, timeout, Close()) every pending callback gets an error and the
// closed handler runs once. A connection is never reused after that: make a new one.
//
// Single-threaded: every call and every callback happens on the thread running `ioc`. Owned
// through shared_ptr so that completions in flight keep it alive after its owner let it go.
class RedisConnection : public std::enable_shared_from_this<RedisConnection> {
 public:
  using ReplyCallback = std::function<void(Result<Reply>)>;
  using PushHandler = std::function<void(Reply)>;
  using ClosedHandler = std::function<void(const std::string& why)>;

  static std::shared_ptr<RedisConnection> Create(boost::asio::io_context& ioc,
                                                 ConnectionOptions options);
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  // Resolves, connects, handshakes TLS, sends AUTH and SELECT; `done` gets success once all of
  // them answered, or the first failure (which also closes). Call once; set handlers first.
  void Connect(std::function<void(boost::system::error_code, const std::string& why)> done);

  // Queues one command; `done` gets its reply (which may be an error reply), or an error when
  // the connection fails first or max_pending is reached. May be called before Connect
  // completes: commands then go out right after the handshake. `done` never runs inline.
  void Command(const std::vector<std::string>& argv, ReplyCallback done);

  void SetPushHandler(PushHandler handler) { push_handler_ = std::move(handler); }
  // Runs once when the connection fails or closes after Connect succeeded.
  void SetClosedHandler(ClosedHandler handler) { closed_handler_ = std::move(handler); }

  // Fails everything pending and closes the socket. Idempotent; the closed handler does not run.
  void Close();

  bool open() const { return state_ == State::kReady; }
  std::size_t pending() const { return pending_.size(); }
  // Time from the write of the most recently answered command to its reply.
  double last_round_trip_ms() const { return last_round_trip_ms_; }

 private:
  enum class State { kIdle, kConnecting, kReady, kClosed };
  using Tcp = boost::asio::ip::tcp;
  using Clock = std::chrono::steady_clock;
  struct Pending {
    ReplyCallback done;
    Clock::time_point sent_at{};
  };

  RedisConnection(boost::asio::io_context& ioc, ConnectionOptions options);

  void OnResolved(const boost::system::error_code& ec, Tcp::resolver::results_type results);
  void OnConnected(const boost::system::error_code& ec);
  void StartHandshakeCommands();
  void FinishConnect(const boost::system::error_code& ec, const std::string& why);
  void Fail(const std::string& why);
  void StartRead();
  void OnRead(const boost::system::error_code& ec, std::size_t bytes);
  void Dispatch(Reply reply);
  void StartWrite();
  void OnWritten(const boost::system::error_code& ec);
  void FailPending(const boost::system::error_code& ec);
  static bool IsPush(const Reply& reply);
  Tcp::socket& socket() { return tls_ ? tls_->next_layer() : plain_; }

  boost::asio::io_context& ioc_;
  const ConnectionOptions options_;
  Tcp::resolver resolver_;
  boost::asio::steady_timer connect_timer_;
  std::optional<boost::asio::ssl::context> tls_context_;
  Tcp::socket plain_;                                         // used without TLS
  std::optional<boost::asio::ssl::stream<Tcp::socket>> tls_;  // owns its own socket
  State state_ = State::kIdle;
  std::function<void(boost::system::error_code, const std::string&)> connect_done_;
  PushHandler push_handler_;
  ClosedHandler closed_handler_;

  ReplyDecoder decoder_;
  std::vector<char> read_buffer_;
  std::deque<Pending> pending_;  // in send order; the last `unsent_` are not written yet
  std::size_t unsent_ = 0;
  std::vector<std::string> outbox_;   // formatted commands waiting for the next write
  std::vector<std::string> writing_;  // the batch in flight
  bool write_in_flight_ = false;
  bool transport_up_ = false;  // TCP (and TLS) established: writes may start
  double last_round_trip_ms_ = 0;
};

}  // namespace pushy::broker::redis
