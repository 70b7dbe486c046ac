#pragma once

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "sse/stream.h"

// A Stream over a real loopback TCP connection, everything on one io_context that the test
// drives by hand: no threads, no sleeps, every wait bounded by a deadline.
namespace pushy::sse::test_util {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

inline constexpr std::int64_t kT0 = 1'700'000'000'000;
inline const std::string kHead = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";

// Runs `ioc` until `done()` holds or `timeout` passes; returns whether `done()` held.
inline bool RunUntil(asio::io_context& ioc, const std::function<bool()>& done,
                     std::chrono::milliseconds timeout = std::chrono::milliseconds(3000)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    if (ioc.stopped()) ioc.restart();
    ioc.run_one_for(std::chrono::milliseconds(10));
  }
  return true;
}

class RecordingObserver : public StreamObserver {
 public:
  void OnStreamClosed(Stream& /*stream*/, CloseReason reason) override {
    reasons.push_back(reason);
  }
  std::vector<CloseReason> reasons;
};

// Both ends of one loopback connection. `rcvbuf`/`sndbuf` shrink the client's receive and the
// server's send buffers (0 keeps the defaults) so that a peer that does not read stalls writes.
struct SocketPair {
  explicit SocketPair(asio::io_context& ioc, int rcvbuf = 0, int sndbuf = 0)
      : server(ioc), client(ioc) {
    tcp::acceptor acceptor(ioc, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
    client.open(tcp::v4());
    if (rcvbuf > 0) client.set_option(asio::socket_base::receive_buffer_size(rcvbuf));
    client.connect(acceptor.local_endpoint());  // completes from the backlog
    server = acceptor.accept();
    if (sndbuf > 0) server.set_option(asio::socket_base::send_buffer_size(sndbuf));
  }
  tcp::socket server;
  tcp::socket client;
};

// Reads everything the client end receives into `data` until EOF or an error.
class ClientReader {
 public:
  explicit ClientReader(tcp::socket& socket) : socket_(socket) {}
  void Start() {
    socket_.async_read_some(asio::buffer(buffer_),
                            [this](const boost::system::error_code& ec, std::size_t n) {
                              data.append(buffer_.data(), n);
                              if (ec) {
                                ended = true;
                                error = ec;
                                return;
                              }
                              Start();
                            });
  }
  std::string data;
  bool ended = false;
  boost::system::error_code error;

 private:
  tcp::socket& socket_;
  std::array<char, 4096> buffer_{};
};

// One stream under test with its connection, observer and reader.
struct Harness {
  explicit Harness(Stream::Options options, int rcvbuf = 0, int sndbuf = 0)
      : sockets(ioc, rcvbuf, sndbuf), reader(sockets.client) {
    stream = std::make_shared<Stream>(std::move(sockets.server), options, observer, flush_queue);
  }
  ~Harness() {
    // Let cancelled operations finish so their handlers (which own the stream) go away before
    // the observer does.
    boost::system::error_code ignored;
    sockets.client.close(ignored);
    if (!stream->closed()) stream->End(CloseReason::kDrained);
    RunUntil(ioc, [&] { return stream->closed(); });
    ioc.poll();
  }
  // Waits until every queued byte has been handed to the kernel.
  bool Flush() {
    return RunUntil(ioc, [&] { return stream->closed() || stream->pending_bytes() == 0; });
  }
  // Waits until the client has received at least `size` bytes.
  bool ReceiveAtLeast(std::size_t size) {
    return RunUntil(ioc, [&] { return reader.ended || reader.data.size() >= size; });
  }
  bool ReceiveUntilEnd() {
    return RunUntil(ioc, [&] { return reader.ended; });
  }

  asio::io_context ioc;
  FlushQueue flush_queue{ioc.get_executor()};
  RecordingObserver observer;
  SocketPair sockets;
  ClientReader reader;
  std::shared_ptr<Stream> stream;
};

inline FramePtr Text(const std::string& text) { return Chunk(text); }

}  // namespace pushy::sse::test_util
