#include "options.h"

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <sstream>
#include <string_view>

namespace pushy::bench {
namespace {

using Setter = std::function<bool(Options&, const std::string&)>;

bool ToInt(const std::string& s, int& out, int lo, int hi) {
  char* end = nullptr;
  const long v = std::strtol(s.c_str(), &end, 10);
  if (s.empty() || *end != '\0' || v < lo || v > hi) return false;
  out = static_cast<int>(v);
  return true;
}

bool ToDouble(const std::string& s, double& out) {
  char* end = nullptr;
  out = std::strtod(s.c_str(), &end);
  return !s.empty() && *end == '\0' && out >= 0;
}

bool ToU64(const std::string& s, std::uint64_t& out) {
  char* end = nullptr;
  out = std::strtoull(s.c_str(), &end, 10);
  return !s.empty() && *end == '\0' && s[0] != '-';
}

bool AddPids(Options& o, const std::string& s) {
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ',')) {
    int pid = 0;
    if (!ToInt(item, pid, 1, 1 << 30)) return false;
    o.server_pids.push_back(static_cast<pid_t>(pid));
  }
  return true;
}

const std::map<std::string, Setter, std::less<>>& Setters() {
  static const std::map<std::string, Setter, std::less<>> setters = {
      {"--target",
       [](Options& o, const std::string& v) {
         o.target = v == "nchan" ? Target::kNchan : Target::kPushy;
         return v == "nchan" || v == "pushy";
       }},
      {"--host", [](Options& o, const std::string& v) { return o.host = v, true; }},
      {"--port", [](Options& o, const std::string& v) { return ToInt(v, o.port, 1, 65535); }},
      {"--pub-host", [](Options& o, const std::string& v) { return o.pub_host = v, true; }},
      {"--pub-port",
       [](Options& o, const std::string& v) { return ToInt(v, o.pub_port, 1, 65535); }},
      {"--sub-path", [](Options& o, const std::string& v) { return o.sub_path = v, true; }},
      {"--pub-path", [](Options& o, const std::string& v) { return o.pub_path = v, true; }},
      {"--client-id", [](Options& o, const std::string& v) { return o.client_id = v, true; }},
      {"--client-secret",
       [](Options& o, const std::string& v) { return o.client_secret = v, true; }},
      {"--token", [](Options& o, const std::string& v) { return o.token = v, true; }},
      {"--streams",
       [](Options& o, const std::string& v) { return ToInt(v, o.streams, 0, 1000000); }},
      {"--workers", [](Options& o, const std::string& v) { return ToInt(v, o.workers, 1, 64); }},
      {"--scheme",
       [](Options& o, const std::string& v) {
         static const std::map<std::string, Scheme, std::less<>> kSchemes = {
             {"one", Scheme::kOne},
             {"each", Scheme::kEach},
             {"spread", Scheme::kSpread},
             {"pattern", Scheme::kPattern}};
         const auto it = kSchemes.find(v);
         if (it != kSchemes.end()) o.scheme = it->second;
         return it != kSchemes.end();
       }},
      {"--channels",
       [](Options& o, const std::string& v) { return ToInt(v, o.channels, 1, 10000000); }},
      {"--prefix", [](Options& o, const std::string& v) { return o.prefix = v, !v.empty(); }},
      {"--pattern", [](Options& o, const std::string& v) { return o.pattern = v, !v.empty(); }},
      {"--events", [](Options& o, const std::string& v) { return ToU64(v, o.events); }},
      {"--rate", [](Options& o, const std::string& v) { return ToDouble(v, o.rate); }},
      {"--pub-conns",
       [](Options& o, const std::string& v) { return ToInt(v, o.pub_conns, 1, 1000); }},
      {"--duration", [](Options& o, const std::string& v) { return ToDouble(v, o.duration); }},
      {"--payload-bytes",
       [](Options& o, const std::string& v) { return ToInt(v, o.payload_bytes, 40, 60000); }},
      {"--server-pid", AddPids},
      {"--connect-timeout",
       [](Options& o, const std::string& v) { return ToDouble(v, o.connect_timeout); }},
      {"--settle", [](Options& o, const std::string& v) { return ToDouble(v, o.settle); }},
      {"--drain-timeout",
       [](Options& o, const std::string& v) { return ToDouble(v, o.drain_timeout); }},
      {"--publish-timeout",
       [](Options& o, const std::string& v) { return ToDouble(v, o.publish_timeout); }},
      {"--src-offset",
       [](Options& o, const std::string& v) { return ToInt(v, o.src_offset, 0, 100000); }},
      {"--per-source",
       [](Options& o, const std::string& v) { return ToInt(v, o.per_source, 1, 28000); }},
      {"--connect-window",
       [](Options& o, const std::string& v) { return ToInt(v, o.connect_window, 1, 10000); }},
      {"--label", [](Options& o, const std::string& v) { return o.label = v, true; }},
  };
  return setters;
}

// Fills in what depends on other flags; false (with a message) when they conflict.
bool Finish(Options& o) {
  if (o.pub_host.empty()) o.pub_host = o.host;
  if (o.pub_port == 0) o.pub_port = o.port;
  const bool pushy = o.target == Target::kPushy;
  if (o.sub_path.empty()) o.sub_path = pushy ? "/channels/{c}/stream" : "/sub/{c}";
  if (o.pub_path.empty()) o.pub_path = pushy ? "/publish/{c}" : "/pub/{c}";
  if (o.scheme == Scheme::kOne) o.channels = 1;
  if (o.scheme == Scheme::kEach) o.channels = o.streams > 0 ? o.streams : 1;
  if (o.scheme == Scheme::kPattern && o.pattern.empty()) o.pattern = o.prefix + "*";
  if (o.scheme == Scheme::kPattern && o.target == Target::kNchan) {
    std::fprintf(stderr, "pushy-loadgen: nchan has no pattern subscriptions\n");
    return false;
  }
  if (o.workers == 0) o.workers = (o.streams + kMaxStreamsPerWorker - 1) / kMaxStreamsPerWorker;
  if (o.workers == 0 && o.streams > 0) o.workers = 1;
  if (o.streams > 0 && o.streams > o.workers * kMaxStreamsPerWorker) {
    std::fprintf(stderr, "pushy-loadgen: at most %d streams per worker\n", kMaxStreamsPerWorker);
    return false;
  }
  // Streams need a known event count to tell missing from late; no events at all is an idle
  // run (open, measure, close).
  if (o.streams > 0 && o.events == 0 && o.duration > 0) {
    std::fprintf(stderr, "pushy-loadgen: with streams, give --events (not --duration)\n");
    return false;
  }
  return true;
}

}  // namespace

std::string Options::ChannelName(std::uint64_t j) const { return prefix + std::to_string(j); }

std::string Options::StreamEntry(int stream) const {
  if (scheme == Scheme::kPattern) return pattern;
  return ChannelName(static_cast<std::uint64_t>(stream % channels));
}

std::optional<Options> ParseOptions(int argc, char** argv) {
  Options o;
  for (int i = 0; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "run") continue;
    if (arg == "--quiet") {
      o.quiet = true;
      continue;
    }
    if (arg == "--help" || arg == "-h") return std::nullopt;
    std::string name(arg), value;
    if (const std::size_t eq = arg.find('='); eq != std::string_view::npos) {
      name = std::string(arg.substr(0, eq));
      value = std::string(arg.substr(eq + 1));
    } else if (i + 1 < argc) {
      value = argv[++i];
    }
    const auto it = Setters().find(name);
    if (it == Setters().end() || !it->second(o, value)) {
      std::fprintf(stderr, "pushy-loadgen: bad flag or value: %s %s\n", name.c_str(),
                   value.c_str());
      return std::nullopt;
    }
  }
  if (!Finish(o)) return std::nullopt;
  return o;
}

void PrintUsage() {
  std::fputs(
      "Usage: pushy-loadgen [run] [FLAG VALUE]...\n"
      "Opens SSE streams, publishes numbered events, reports delivery, latency and the\n"
      "server's memory and CPU. Target:  --target pushy|nchan  --host H --port P\n"
      "  [--pub-host H --pub-port P] [--sub-path /channels/{c}/stream --pub-path /publish/{c}]\n"
      "  [--client-id ID --client-secret S | --token JWT] (Pushy)\n"
      "Streams: --streams N [--workers K] --scheme one|each|spread|pattern [--channels C]\n"
      "  [--prefix c] [--pattern t.*] [--src-offset O] [--per-source 5000]\n"
      "Publishing: --events M [--rate R] [--pub-conns P] [--duration S] [--payload-bytes 100]\n"
      "Measuring: --server-pid PID[,PID] (repeatable; children are included)\n"
      "  [--settle S] [--connect-timeout S] [--drain-timeout S] [--publish-timeout S]\n"
      "  [--label TEXT] [--quiet]\n"
      "Prints a table, then one JSON line (the last line of stdout).\n",
      stderr);
}

}  // namespace pushy::bench
