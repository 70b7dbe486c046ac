#include "publisher.h"

#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "net.h"

namespace pushy::bench {
namespace {

struct PubConn {
  int fd = -1;
  bool busy = false;
  bool connected = false;
  std::uint64_t seq = 0;
  std::int64_t sent_ns = 0;  // monotonic
  std::string in;
};

// Where one HTTP response ends in `in`: 0 while incomplete, else its length. `close` is set
// when the server will close the connection after it.
std::size_t ResponseLength(const std::string& in, int& status, bool& close) {
  const std::size_t head_end = in.find("\r\n\r\n");
  if (head_end == std::string::npos) return 0;
  status = in.compare(0, 5, "HTTP/") == 0 ? std::atoi(in.c_str() + in.find(' ') + 1) : 0;
  std::string head = in.substr(0, head_end + 2);
  for (char& ch : head) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  close = head.find("\r\nconnection: close") != std::string::npos;
  const std::size_t body = head_end + 4;
  if (head.find("\r\ntransfer-encoding: chunked") != std::string::npos) {
    const std::size_t end = in.find("\r\n0\r\n\r\n", head_end);
    if (in.compare(body, 5, "0\r\n\r\n") == 0) return body + 5;
    return end == std::string::npos ? 0 : end + 7;
  }
  const std::size_t cl = head.find("\r\ncontent-length:");
  const std::size_t length =
      cl == std::string::npos ? 0 : std::strtoul(head.c_str() + cl + 17, nullptr, 10);
  return in.size() >= body + length ? body + length : 0;
}

class Publisher {
 public:
  explicit Publisher(const Options& o) : o_(o), conns_(static_cast<std::size_t>(o.pub_conns)) {
    ParseAddress(o.pub_host, o.pub_port, server_);
    // Fixed-size padding keeps every payload near --payload-bytes (seq and t vary by a few).
    const int base = static_cast<int>(std::string(R"({"data":{"seq":0,"t":)").size()) + 19 +
                     static_cast<int>(std::string(R"(,"pad":""}})").size());
    pad_.assign(static_cast<std::size_t>(std::max(0, o.payload_bytes - base)), 'x');
  }
  PublishStats Run();

 private:
  bool Connect(PubConn& c);
  void Send(PubConn& c, std::uint64_t seq);
  void OnReadable(PubConn& c);
  void Finish(PubConn& c, int status);
  bool MoreToSend(std::int64_t now) const;
  std::int64_t DueNs(std::uint64_t seq) const;

  const Options& o_;
  std::vector<PubConn> conns_;
  sockaddr_in server_{};
  std::string pad_;
  int epoll_ = -1;
  std::uint64_t next_ = 0;
  int busy_ = 0;
  std::int64_t start_ns_ = 0;
  std::int64_t last_answer_ns_ = 0;
  PublishStats stats_;
};

bool Publisher::Connect(PubConn& c) {
  if (c.fd >= 0) close(c.fd);
  c = PubConn{};
  c.fd = ConnectFrom(LoopbackSource(249), server_);  // 127.0.0.251: away from subscribers
  if (c.fd < 0) return false;
  pollfd pfd{c.fd, POLLOUT, 0};  // a request must not race the handshake
  int err = 0;
  socklen_t len = sizeof err;
  if (poll(&pfd, 1, 5000) != 1 || getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 ||
      err != 0) {
    close(c.fd);
    c.fd = -1;
    return false;
  }
  epoll_event ev{EPOLLIN | EPOLLRDHUP, {.ptr = &c}};
  epoll_ctl(epoll_, EPOLL_CTL_ADD, c.fd, &ev);
  return true;
}

void Publisher::Send(PubConn& c, std::uint64_t seq) {
  const std::string channel = o_.ChannelName(o_.ChannelOf(seq));
  std::string path = o_.pub_path;
  if (const std::size_t at = path.find("{c}"); at != std::string::npos)
    path.replace(at, 3, channel);
  c.sent_ns = MonotonicNs();
  char body[256];
  const int body_len = std::snprintf(
      body, sizeof body, R"({"data":{"seq":%llu,"t":%lld,"pad":"%s"}})",
      static_cast<unsigned long long>(seq), static_cast<long long>(RealtimeNs()), pad_.c_str());
  std::string req = "POST " + path + " HTTP/1.1\r\nHost: " + o_.pub_host +
                    "\r\nContent-Type: application/json\r\n";
  if (o_.target == Target::kPushy) {
    req += "X-Client-ID: " + o_.client_id + "\r\nX-Client-Secret: " + o_.client_secret + "\r\n";
  }
  req += "Content-Length: " + std::to_string(body_len) + "\r\n\r\n";
  req.append(body, static_cast<std::size_t>(std::min<int>(body_len, sizeof body - 1)));
  c.busy = true;
  c.seq = seq;
  ++busy_;
  ++stats_.attempted;
  // A socket with an empty send buffer takes a few hundred bytes at once; WriteAll only polls
  // in the odd case it does not.
  if (!WriteAll(c.fd, req.data(), req.size())) Finish(c, 0);
}

void Publisher::Finish(PubConn& c, int status) {
  const std::int64_t now = MonotonicNs();
  if (status >= 200 && status < 300) {
    ++stats_.accepted;
    stats_.latency.Record((now - c.sent_ns) / 1000);
  } else {
    stats_.failed.push_back(c.seq);
    ++stats_.statuses[status];
  }
  last_answer_ns_ = now;
  c.busy = false;
  --busy_;
}

void Publisher::OnReadable(PubConn& c) {
  char buf[16384];
  for (;;) {
    const ssize_t n = read(c.fd, buf, sizeof buf);
    if (n > 0) c.in.append(buf, static_cast<std::size_t>(n));
    if (n > 0 && static_cast<std::size_t>(n) == sizeof buf) continue;
    const bool gone = n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR);
    int status = 0;
    bool close_after = false;
    const std::size_t length = ResponseLength(c.in, status, close_after);
    if (length > 0 && c.busy) {
      c.in.erase(0, length);
      Finish(c, status);
    }
    if (gone || close_after) {
      if (c.busy) Finish(c, 0);
      ++stats_.reconnects;
      Connect(c);
    }
    return;
  }
}

std::int64_t Publisher::DueNs(std::uint64_t seq) const {
  if (o_.rate <= 0) return start_ns_;
  return start_ns_ + static_cast<std::int64_t>(static_cast<double>(seq) * 1e9 / o_.rate);
}

bool Publisher::MoreToSend(std::int64_t now) const {
  if (o_.events > 0) return next_ < o_.events;
  return now < start_ns_ + static_cast<std::int64_t>(o_.duration * 1e9);
}

PublishStats Publisher::Run() {
  epoll_ = epoll_create1(EPOLL_CLOEXEC);
  for (PubConn& c : conns_) Connect(c);
  start_ns_ = MonotonicNs();
  stats_.start_realtime_ns = RealtimeNs();
  // Paced or timed runs get a minute beyond their plan; a burst gets --publish-timeout.
  const double planned =
      o_.events > 0 && o_.rate > 0 ? static_cast<double>(o_.events) / o_.rate : o_.duration;
  const double bound = o_.events > 0 && o_.rate <= 0 ? o_.publish_timeout : planned + 60;
  const std::int64_t deadline = start_ns_ + static_cast<std::int64_t>(bound * 1e9);
  std::int64_t now = start_ns_;
  while ((MoreToSend(now) || busy_ > 0) && now < deadline) {
    if (std::none_of(conns_.begin(), conns_.end(), [](const PubConn& c) { return c.fd >= 0; })) {
      std::fprintf(stderr, "pushy-loadgen: no publisher connection to %s:%d\n", o_.pub_host.c_str(),
                   o_.pub_port);
      break;
    }
    for (PubConn& c : conns_) {
      if (!c.busy && c.fd >= 0 && MoreToSend(now) && DueNs(next_) <= now) Send(c, next_++);
    }
    int timeout_ms = 100;
    if (MoreToSend(now) && busy_ < o_.pub_conns) {
      timeout_ms =
          static_cast<int>(std::clamp<std::int64_t>((DueNs(next_) - now) / 1000000, 0, 100));
    }
    epoll_event events[64];
    const int n = epoll_wait(epoll_, events, 64, timeout_ms);
    for (int i = 0; i < n; ++i) OnReadable(*static_cast<PubConn*>(events[i].data.ptr));
    now = MonotonicNs();
  }
  for (PubConn& c : conns_) {
    if (c.busy) Finish(c, 0);  // no answer before the deadline
    if (c.fd >= 0) close(c.fd);
  }
  close(epoll_);
  stats_.seconds = static_cast<double>(std::max(last_answer_ns_, start_ns_) - start_ns_) / 1e9;
  return std::move(stats_);
}

}  // namespace

PublishStats RunPublisher(const Options& options) {
  Publisher publisher(options);
  return publisher.Run();
}

}  // namespace pushy::bench
