#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "broker/redis/redis_reply.h"

namespace pushy::broker::testing {

// A redis-server of the test's own: started from PATH on a free loopback port, without
// persistence, and stopped by its PID (never by name). Not thread-safe; one test thread.
class RedisServer {
 public:
  RedisServer() = default;
  ~RedisServer() { Stop(); }
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  // The redis-server binary on PATH, or nullopt.
  static std::optional<std::string> FindBinary();

  // Starts on a free port (or the port of the previous Start, after Stop: a restart) and waits
  // until it answers PING. `extra` is appended to the command line. False with error() set
  // when redis-server is missing or does not come up within a few seconds.
  bool Start(std::vector<std::string> extra = {});
  // SIGTERM, then SIGKILL if it lingers; waits for the process. Idempotent.
  void Stop();
  bool running() const { return pid_ > 0; }

  std::uint16_t port() const { return port_; }
  const std::string& error() const { return error_; }

 private:
  bool Spawn(const std::string& binary);
  bool WaitForPing(std::chrono::milliseconds timeout);

  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
  std::vector<std::string> extra_;
  std::string error_;
};

// Runs one command on a fresh blocking connection (tests only; 5 s socket timeout).
// nullopt when the connection or the exchange fails.
std::optional<redis::Reply> RunCommand(std::uint16_t port, const std::vector<std::string>& argv,
                                       std::uint32_t db = 0);

// A free TCP port on 127.0.0.1 at the time of the call.
std::uint16_t FreePort();

// A temporary directory removed by its destructor.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Runs a program (argv[0] looked up on PATH) and waits for it; its exit status, -1 on failure.
int RunProgram(const std::vector<std::string>& argv);

}  // namespace pushy::broker::testing
