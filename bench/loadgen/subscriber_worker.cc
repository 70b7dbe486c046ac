#include "subscriber_worker.h"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <vector>

#include "net.h"
#include "stream_parser.h"
#include "wire.h"

namespace pushy::bench {
namespace {

enum class Phase : std::uint8_t { kWaiting, kConnecting, kHead, kOpen, kClosed, kFailed };

// One SSE subscriber. `seen` has one bit per event the stream should get (its local index).
struct Conn {
  StreamParser parser;
  std::vector<std::uint64_t> seen;
  std::uint32_t unique = 0;
  std::uint32_t expected = 0;
  std::uint32_t channel = 0;
  int fd = -1;
  int index = 0;
  Phase phase = Phase::kWaiting;
  bool complete = false;
};

class Worker {
 public:
  Worker(const Options& o, const std::string& token, int first, int count, int ctl_in,
         int report_out);
  int Run();

 private:
  void Open();
  bool StartConnect(Conn& c);
  void OnWritable(Conn& c);
  void OnReadable(Conn& c);
  void Fail(Conn& c, std::uint32_t EstablishedMsg::*counter, int err);
  void EndStream(Conn& c);
  void Accept(Conn& c, const StreamParser::Sample& s, std::int64_t now_ns);
  void Poll(int timeout_ms);
  bool ReadControl();
  void StartDrain(const PublishDoneMsg& done, const std::vector<std::uint64_t>& failed);
  void Report();
  void CloseAll();
  std::uint32_t LocalIndex(std::uint64_t seq) const;

  const Options& o_;
  const std::string& token_;
  std::vector<Conn> conns_;
  sockaddr_in server_{};
  int epoll_ = -1;
  int ctl_in_;
  int report_out_;
  int pending_ = 0;     // connecting or waiting for the response head
  int incomplete_ = 0;  // open streams still missing events, once the drain started
  bool draining_ = false;
  bool close_asked_ = false;
  EstablishedMsg established_;
  ResultMsg result_;
  std::vector<char> buffer_ = std::vector<char>(256 * 1024);
};

Worker::Worker(const Options& o, const std::string& token, int first, int count, int ctl_in,
               int report_out)
    : o_(o),
      token_(token),
      conns_(static_cast<std::size_t>(count)),
      ctl_in_(ctl_in),
      report_out_(report_out) {
  ParseAddress(o.host, o.port, server_);
  const bool pattern = o.scheme == Scheme::kPattern;
  const std::uint64_t c = static_cast<std::uint64_t>(o.channels);
  const std::uint64_t bits = pattern ? o.events : (o.events + c - 1) / c;
  for (int i = 0; i < count; ++i) {
    Conn& conn = conns_[static_cast<std::size_t>(i)];
    conn.index = first + i;
    conn.channel = pattern ? 0 : static_cast<std::uint32_t>(conn.index % o.channels);
    conn.seen.assign((bits + 63) / 64, 0);
  }
}

std::uint32_t Worker::LocalIndex(std::uint64_t seq) const {
  if (o_.scheme == Scheme::kPattern) return static_cast<std::uint32_t>(seq);
  return static_cast<std::uint32_t>(seq / static_cast<std::uint64_t>(o_.channels));
}

bool Worker::StartConnect(Conn& c) {
  c.fd = ConnectFrom(LoopbackSource(o_.src_offset + c.index / o_.per_source), server_);
  if (c.fd < 0) return false;
  epoll_event ev{EPOLLOUT, {.ptr = &c}};
  epoll_ctl(epoll_, EPOLL_CTL_ADD, c.fd, &ev);
  c.phase = Phase::kConnecting;
  ++pending_;
  return true;
}

void Worker::Fail(Conn& c, std::uint32_t EstablishedMsg::*counter, int err) {
  if (c.fd >= 0) CloseAbortive(c.fd);
  c.fd = -1;
  c.phase = Phase::kFailed;
  --pending_;
  ++(established_.*counter);
  if (err != 0) established_.last_errno = err;
}

void Worker::OnWritable(Conn& c) {
  int err = 0;
  socklen_t len = sizeof err;
  getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
  if (err != 0) return Fail(c, &EstablishedMsg::failed_connect, err);
  std::string path = o_.sub_path;
  if (const std::size_t at = path.find("{c}"); at != std::string::npos) {
    path.replace(at, 3, o_.StreamEntry(c.index));
  }
  std::string request = "GET " + path + " HTTP/1.1\r\nHost: " + o_.host +
                        "\r\nAccept: text/event-stream\r\nCache-Control: no-cache\r\n";
  if (!token_.empty()) request += "Authorization: Bearer " + token_ + "\r\n";
  request += "\r\n";
  if (write(c.fd, request.data(), request.size()) != static_cast<ssize_t>(request.size())) {
    return Fail(c, &EstablishedMsg::failed_connect, errno);
  }
  epoll_event ev{EPOLLIN | EPOLLRDHUP, {.ptr = &c}};
  epoll_ctl(epoll_, EPOLL_CTL_MOD, c.fd, &ev);
  c.phase = Phase::kHead;
}

void Worker::EndStream(Conn& c) {
  if (c.phase == Phase::kHead) return Fail(c, &EstablishedMsg::failed_connect, ECONNRESET);
  CloseAbortive(c.fd);
  c.fd = -1;
  c.phase = Phase::kClosed;
  ++result_.streams_closed_early;
  if (draining_ && !c.complete) {
    c.complete = true;  // it will get nothing more: stop waiting for it
    --incomplete_;
  }
}

void Worker::Accept(Conn& c, const StreamParser::Sample& s, std::int64_t now_ns) {
  ++result_.received;
  const bool pattern = o_.scheme == Scheme::kPattern;
  const std::uint32_t local = LocalIndex(s.seq);
  if ((!pattern && s.seq % static_cast<std::uint64_t>(o_.channels) != c.channel) ||
      local / 64 >= c.seen.size()) {
    ++result_.unexpected;
    return;
  }
  std::uint64_t& word = c.seen[local / 64];
  const std::uint64_t bit = std::uint64_t{1} << (local % 64);
  if (word & bit) {
    ++result_.duplicated;
    return;
  }
  word |= bit;
  ++c.unique;
  result_.latency.Record((now_ns - s.sent_ns) / 1000);
  if (result_.first_recv_ns == 0) result_.first_recv_ns = now_ns;
  result_.last_recv_ns = std::max(result_.last_recv_ns, now_ns);
  if (draining_ && !c.complete && c.unique >= c.expected) {
    c.complete = true;
    --incomplete_;
  }
}

void Worker::OnReadable(Conn& c) {
  for (;;) {
    const ssize_t n = read(c.fd, buffer_.data(), buffer_.size());
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) return EndStream(c);
    if (n < 0) return;
    const std::int64_t now = RealtimeNs();
    const auto state = c.parser.Feed(buffer_.data(), static_cast<std::size_t>(n),
                                     [&](const StreamParser::Sample& s) { Accept(c, s, now); });
    if (c.phase == Phase::kHead && state != StreamParser::State::kHead) {
      if (state == StreamParser::State::kError) {
        established_.last_bad_status = c.parser.status();
        return Fail(c, &EstablishedMsg::failed_status, 0);
      }
      c.phase = Phase::kOpen;
      --pending_;
      ++established_.ok;
    }
    if (state == StreamParser::State::kEnded || state == StreamParser::State::kError) {
      return EndStream(c);
    }
    if (static_cast<std::size_t>(n) < buffer_.size()) return;
  }
}

void Worker::Poll(int timeout_ms) {
  epoll_event events[512];
  const int n = epoll_wait(epoll_, events, 512, timeout_ms);
  for (int i = 0; i < n; ++i) {
    if (events[i].data.ptr == nullptr) {
      if (!ReadControl()) close_asked_ = true;
      continue;
    }
    Conn& c = *static_cast<Conn*>(events[i].data.ptr);
    if (c.fd < 0) continue;  // closed earlier in this batch
    if (c.phase == Phase::kConnecting) {
      OnWritable(c);
    } else if (events[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
      OnReadable(c);
    }
  }
}

// Opens every stream, keeping at most --connect-window handshakes in flight so the server's
// accept backlog never overflows (a dropped SYN costs a one-second retransmit).
void Worker::Open() {
  const std::int64_t deadline = MonotonicNs() + static_cast<std::int64_t>(o_.connect_timeout * 1e9);
  std::size_t next = 0;
  while ((next < conns_.size() || pending_ > 0) && MonotonicNs() < deadline) {
    while (next < conns_.size() && pending_ < o_.connect_window) {
      Conn& c = conns_[next++];
      if (!StartConnect(c)) {
        ++pending_;  // Fail() takes it back
        Fail(c, &EstablishedMsg::failed_connect, errno);
      }
    }
    Poll(50);
  }
  for (Conn& c : conns_) {
    if (c.phase == Phase::kWaiting || c.phase == Phase::kConnecting || c.phase == Phase::kHead) {
      if (c.phase == Phase::kWaiting) ++pending_;
      Fail(c, &EstablishedMsg::failed_timeout, 0);
    }
  }
}

// False when the coordinator is gone or asked to close.
bool Worker::ReadControl() {
  MsgHeader header{};
  if (!ReadAll(ctl_in_, &header, sizeof header)) return false;
  if (header.type != MsgType::kPublishDone) return false;
  PublishDoneMsg done;
  if (!ReadAll(ctl_in_, &done, sizeof done)) return false;
  std::vector<std::uint64_t> failed(done.failed_count);
  if (!failed.empty() && !ReadAll(ctl_in_, failed.data(), failed.size() * sizeof failed[0])) {
    return false;
  }
  StartDrain(done, failed);
  return true;
}

// Now that the published events are known, works out what each stream should have.
void Worker::StartDrain(const PublishDoneMsg& done, const std::vector<std::uint64_t>& failed) {
  const bool pattern = o_.scheme == Scheme::kPattern;
  const std::uint64_t channels = static_cast<std::uint64_t>(o_.channels);
  std::vector<std::uint32_t> lost(pattern ? 1 : channels, 0);
  for (const std::uint64_t seq : failed) ++lost[pattern ? 0 : seq % channels];
  draining_ = true;
  incomplete_ = 0;
  for (Conn& c : conns_) {
    if (c.phase != Phase::kOpen && c.phase != Phase::kClosed) continue;
    const std::uint64_t k = c.channel;
    const std::uint64_t all = pattern           ? done.events
                              : done.events > k ? (done.events - 1 - k) / channels + 1
                                                : 0;
    c.expected = static_cast<std::uint32_t>(all - lost[pattern ? 0 : k]);
    result_.expected += c.expected;
    c.complete = c.phase == Phase::kClosed || c.unique >= c.expected;
    if (!c.complete) ++incomplete_;
  }
}

void Worker::Report() {
  for (const Conn& c : conns_) {
    result_.unique += c.unique;
    if (c.phase == Phase::kOpen && c.unique >= c.expected) ++result_.streams_complete;
  }
  const MsgHeader header{MsgType::kResult, sizeof result_};
  WriteAll(report_out_, &header, sizeof header);
  WriteAll(report_out_, &result_, sizeof result_);
}

void Worker::CloseAll() {
  for (Conn& c : conns_) {
    if (c.fd >= 0) CloseAbortive(c.fd);
    c.fd = -1;
  }
}

int Worker::Run() {
  epoll_ = epoll_create1(EPOLL_CLOEXEC);
  Open();
  const MsgHeader header{MsgType::kEstablished, sizeof established_};
  if (!WriteAll(report_out_, &header, sizeof header) ||
      !WriteAll(report_out_, &established_, sizeof established_)) {
    return 1;
  }
  epoll_event ev{EPOLLIN, {.ptr = nullptr}};
  epoll_ctl(epoll_, EPOLL_CTL_ADD, ctl_in_, &ev);
  while (!draining_ && !close_asked_) Poll(200);
  const std::int64_t deadline = MonotonicNs() + static_cast<std::int64_t>(o_.drain_timeout * 1e9);
  while (!close_asked_ && incomplete_ > 0 && MonotonicNs() < deadline) Poll(20);
  if (draining_) Report();
  // Streams stay open until every worker reported, so the server sees no closes mid-run.
  epoll_ctl(epoll_, EPOLL_CTL_DEL, ctl_in_, nullptr);
  MsgHeader close_msg{};
  ReadAll(ctl_in_, &close_msg, sizeof close_msg);
  CloseAll();
  close(epoll_);
  return 0;
}

}  // namespace

int RunSubscriberWorker(const Options& options, const std::string& token, int first, int count,
                        int ctl_in, int report_out) {
  Worker worker(options, token, first, count, ctl_in, report_out);
  return worker.Run();
}

}  // namespace pushy::bench
