#include "redis_server.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <thread>

extern char** environ;

namespace pushy::broker::testing {
namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

std::vector<char*> Argv(std::vector<std::string>& args) {
  std::vector<char*> out;
  for (std::string& arg : args) out.push_back(arg.data());
  out.push_back(nullptr);
  return out;
}

bool Exited(pid_t pid, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    int status = 0;
    const pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid || (r < 0 && errno == ECHILD)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return false;
}

}  // namespace

std::optional<std::string> RedisServer::FindBinary() {
  const char* path = std::getenv("PATH");
  if (path == nullptr) return std::nullopt;
  std::string_view rest = path;
  while (!rest.empty()) {
    const std::size_t colon = rest.find(':');
    const std::string dir(rest.substr(0, colon));
    rest = colon == std::string_view::npos ? std::string_view{} : rest.substr(colon + 1);
    const std::string candidate = (dir.empty() ? std::string(".") : dir) + "/redis-server";
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return std::nullopt;
}

bool RedisServer::Start(std::vector<std::string> extra) {
  const std::optional<std::string> binary = FindBinary();
  if (!binary) {
    error_ = "redis-server not found on PATH: install it (scripts/install-deps does)";
    return false;
  }
  if (!extra.empty()) extra_ = std::move(extra);
  const bool restart = port_ != 0;
  for (int attempt = 0; attempt < 3; ++attempt) {
    if (!restart) port_ = FreePort();
    if (Spawn(*binary) && WaitForPing(std::chrono::seconds(5))) return true;
    Stop();
  }
  error_ = "redis-server did not answer PING on port " + std::to_string(port_);
  return false;
}

bool RedisServer::Spawn(const std::string& binary) {
  std::vector<std::string> args{binary,
                                "--port",
                                std::to_string(port_),
                                "--bind",
                                "127.0.0.1",
                                "--save",
                                "",
                                "--appendonly",
                                "no",
                                "--loglevel",
                                "warning",
                                "--dir",
                                std::filesystem::temp_directory_path().string()};
  args.insert(args.end(), extra_.begin(), extra_.end());
  std::vector<char*> argv = Argv(args);
  const pid_t parent = getpid();
  pid_ = fork();
  if (pid_ < 0) return false;
  if (pid_ == 0) {
    // Only async-signal-safe calls here. A test program that dies takes its Redis along.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    const int devnull = open("/dev/null", O_RDWR);
    if (devnull >= 0) {
      dup2(devnull, STDIN_FILENO);
      dup2(devnull, STDOUT_FILENO);
    }
    execv(binary.c_str(), argv.data());
    _exit(127);
  }
  return true;
}

bool RedisServer::WaitForPing(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;  // exited: port taken, or bad arguments
      return false;
    }
    const std::optional<redis::Reply> pong = RunCommand(port_, {"PING"});
    if (pong && pong->Is("PONG")) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

void RedisServer::Stop() {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  if (!Exited(pid_, std::chrono::seconds(5))) {
    kill(pid_, SIGKILL);
    Exited(pid_, std::chrono::seconds(5));
  }
  pid_ = -1;
}

std::optional<redis::Reply> RunCommand(std::uint16_t port, const std::vector<std::string>& argv,
                                       std::uint32_t db) {
  asio::io_context ioc;
  asio::ip::tcp::socket socket(ioc);
  boost::system::error_code ec;
  socket.connect({asio::ip::make_address("127.0.0.1"), port}, ec);
  if (ec) return std::nullopt;
  timeval timeout{5, 0};
  setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  std::string request;
  if (db != 0) request += redis::FormatCommand({"SELECT", std::to_string(db)});
  request += redis::FormatCommand(argv);
  asio::write(socket, asio::buffer(request), ec);
  if (ec) return std::nullopt;
  redis::ReplyDecoder decoder;
  redis::Reply reply;
  int wanted = db != 0 ? 2 : 1;
  char buffer[16 * 1024];
  while (wanted > 0) {
    if (decoder.Next(reply)) {
      --wanted;
      continue;
    }
    if (!decoder.error().empty()) return std::nullopt;
    const std::size_t n = socket.read_some(asio::buffer(buffer), ec);
    if (ec || !decoder.Feed(buffer, n)) return std::nullopt;
  }
  return reply;
}

std::uint16_t FreePort() {
  asio::io_context ioc;
  asio::ip::tcp::acceptor acceptor(ioc, {asio::ip::make_address("127.0.0.1"), 0});
  return acceptor.local_endpoint().port();
}

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "pushy-test-XXXXXX").string();
  if (mkdtemp(pattern.data()) != nullptr) path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  if (!path_.empty()) std::filesystem::remove_all(path_, ec);
}

int RunProgram(const std::vector<std::string>& command) {
  std::vector<std::string> args = command;
  std::vector<char*> argv = Argv(args);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  pid_t pid = -1;
  const int rc = posix_spawnp(&pid, args[0].c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return -1;
  int status = 0;
  if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) return -1;
  return WEXITSTATUS(status);
}

}  // namespace pushy::broker::testing
