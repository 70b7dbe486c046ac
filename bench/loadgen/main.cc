// pushy-loadgen: the coordinator. Forks subscriber workers, waits for their streams to open,
// samples the server's memory, publishes (in this process), waits for the workers' results,
// samples the server's CPU, and reports. See bench/README.md.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "net.h"
#include "options.h"
#include "proc_stats.h"
#include "publisher.h"
#include "report.h"
#include "subscriber_worker.h"
#include "wire.h"

namespace pushy::bench {
namespace {

struct WorkerHandle {
  pid_t pid = -1;
  int ctl_out = -1;    // coordinator -> worker
  int report_in = -1;  // worker -> coordinator
};

// Pushy streams need a token; one token granting `**` serves every stream of the run.
std::string MintToken(const Options& o) {
  sockaddr_in to{};
  ParseAddress(o.host, o.port, to);
  const std::string body = R"({"sub":"pushy-loadgen","channels":["**"],"ttl":7200})";
  const std::string request = "POST /token HTTP/1.1\r\nHost: " + o.host +
                              "\r\nContent-Type: application/json\r\nX-Client-ID: " + o.client_id +
                              "\r\nX-Client-Secret: " + o.client_secret +
                              "\r\nContent-Length: " + std::to_string(body.size()) +
                              "\r\nConnection: close\r\n\r\n" + body;
  std::string response;
  const int status = BlockingRequest(to, request, response, 10);
  const std::string key = "\"token\":\"";
  const std::size_t at = response.find(key);
  if (status != 200 || at == std::string::npos) {
    std::fprintf(stderr, "pushy-loadgen: POST /token answered %d\n", status);
    return "";
  }
  const std::size_t start = at + key.size();
  return response.substr(start, response.find('"', start) - start);
}

// Reads one message of `type` with a payload of exactly `size` bytes, waiting up to
// `timeout_s`; false on timeout, EOF or a different message.
bool ReadMsg(int fd, MsgType type, void* payload, std::size_t size, double timeout_s) {
  pollfd pfd{fd, POLLIN, 0};
  if (poll(&pfd, 1, static_cast<int>(timeout_s * 1000)) != 1) return false;
  MsgHeader header{};
  if (!ReadAll(fd, &header, sizeof header)) return false;
  if (header.type != type || header.size != size) return false;
  return ReadAll(fd, payload, size);
}

std::vector<WorkerHandle> ForkWorkers(const Options& o, const std::string& token) {
  std::vector<WorkerHandle> workers;
  if (o.streams == 0) return workers;
  const int per = (o.streams + o.workers - 1) / o.workers;
  for (int w = 0, first = 0; w < o.workers && first < o.streams; ++w, first += per) {
    int ctl[2], rep[2];
    if (pipe2(ctl, O_CLOEXEC) != 0 || pipe2(rep, O_CLOEXEC) != 0) break;
    const int count = std::min(per, o.streams - first);
    const pid_t pid = fork();
    if (pid == 0) {
      for (const WorkerHandle& h : workers) close(h.ctl_out), close(h.report_in);
      close(ctl[1]);
      close(rep[0]);
      std::fflush(stdout);
      _exit(RunSubscriberWorker(o, token, first, count, ctl[0], rep[1]));
    }
    close(ctl[0]);
    close(rep[1]);
    workers.push_back({pid, ctl[1], rep[0]});
  }
  return workers;
}

void AddEstablished(EstablishedMsg& sum, const EstablishedMsg& e) {
  sum.ok += e.ok;
  sum.failed_connect += e.failed_connect;
  sum.failed_status += e.failed_status;
  sum.failed_timeout += e.failed_timeout;
  if (e.last_bad_status != 0) sum.last_bad_status = e.last_bad_status;
  if (e.last_errno != 0) sum.last_errno = e.last_errno;
}

void AddResult(ResultMsg& sum, const ResultMsg& r) {
  sum.expected += r.expected;
  sum.received += r.received;
  sum.unique += r.unique;
  sum.duplicated += r.duplicated;
  sum.unexpected += r.unexpected;
  sum.streams_complete += r.streams_complete;
  sum.streams_closed_early += r.streams_closed_early;
  if (r.first_recv_ns != 0 && (sum.first_recv_ns == 0 || r.first_recv_ns < sum.first_recv_ns)) {
    sum.first_recv_ns = r.first_recv_ns;
  }
  sum.last_recv_ns = std::max(sum.last_recv_ns, r.last_recv_ns);
  sum.latency.Merge(r.latency);
}

void SendPublishDone(const std::vector<WorkerHandle>& workers, const PublishStats& p) {
  const PublishDoneMsg done{p.attempted, p.failed.size()};
  const MsgHeader header{MsgType::kPublishDone,
                         static_cast<std::uint32_t>(sizeof done + p.failed.size() * 8)};
  for (const WorkerHandle& w : workers) {
    WriteAll(w.ctl_out, &header, sizeof header);
    WriteAll(w.ctl_out, &done, sizeof done);
    if (!p.failed.empty()) WriteAll(w.ctl_out, p.failed.data(), p.failed.size() * 8);
  }
}

// Tells every worker to close its streams, then reaps it; a worker that does not exit in
// time is killed (only our own children, by pid).
void StopWorkers(std::vector<WorkerHandle>& workers) {
  const MsgHeader close_msg{MsgType::kClose, 0};
  for (const WorkerHandle& w : workers) WriteAll(w.ctl_out, &close_msg, sizeof close_msg);
  for (WorkerHandle& w : workers) {
    int status = 0;
    for (int i = 0; i < 100 && waitpid(w.pid, &status, WNOHANG) == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      if (i == 99) {
        kill(w.pid, SIGKILL);
        waitpid(w.pid, &status, 0);
      }
    }
    close(w.ctl_out);
    close(w.report_in);
  }
}

void Sleep(double seconds) { std::this_thread::sleep_for(std::chrono::duration<double>(seconds)); }

int Run(const Options& o) {
  const std::string token =
      o.target == Target::kPushy && o.streams > 0 && o.token.empty() ? MintToken(o) : o.token;
  if (o.target == Target::kPushy && o.streams > 0 && token.empty()) return 2;
  const std::vector<pid_t> pids = WithDescendants(o.server_pids);
  RunReport r;
  r.base = SampleProcesses(pids);
  const std::int64_t open_start = MonotonicNs();
  std::vector<WorkerHandle> workers = ForkWorkers(o, token);
  for (const WorkerHandle& w : workers) {
    EstablishedMsg e;
    if (ReadMsg(w.report_in, MsgType::kEstablished, &e, sizeof e, o.connect_timeout + 30)) {
      AddEstablished(r.established, e);
    }
  }
  r.open_seconds = static_cast<double>(MonotonicNs() - open_start) / 1e9;
  if (o.streams > 0) Sleep(o.settle);
  r.idle = SampleProcesses(pids);
  r.pub_before = r.idle;
  if (o.events > 0 || o.duration > 0) {
    r.published = true;
    r.publish = RunPublisher(o);
  }
  SendPublishDone(workers, r.publish);
  for (const WorkerHandle& w : workers) {
    ResultMsg res;
    if (ReadMsg(w.report_in, MsgType::kResult, &res, sizeof res, o.drain_timeout + 30)) {
      AddResult(r.result, res);
    }
  }
  r.pub_after = SampleProcesses(pids);
  StopWorkers(workers);
  if (!o.quiet) PrintTable(o, r);
  std::printf("%s\n", JsonLine(o, r).c_str());
  return 0;
}

}  // namespace
}  // namespace pushy::bench

int main(int argc, char** argv) {
  const auto options = pushy::bench::ParseOptions(argc - 1, argv + 1);
  if (!options) {
    pushy::bench::PrintUsage();
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  rlimit nofile{};
  getrlimit(RLIMIT_NOFILE, &nofile);
  nofile.rlim_cur = nofile.rlim_max;  // every worker needs up to 15,000 sockets
  setrlimit(RLIMIT_NOFILE, &nofile);
  return pushy::bench::Run(*options);
}
