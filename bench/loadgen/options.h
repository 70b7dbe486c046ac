#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace pushy::bench {

enum class Target { kPushy, kNchan };

// How streams map to channels. Channel j is named `<prefix><j>`.
//   kOne:     every stream on channel 0; events all go there.
//   kEach:    stream i on its own channel i; event n goes to channel n % streams.
//   kSpread:  stream i on channel i % C; event n goes to channel n % C.
//   kPattern: every stream on one pattern (`t.*`); event n goes to channel n % C.
enum class Scheme { kOne, kEach, kSpread, kPattern };

// Everything one run of the load generator needs; filled from the command line.
struct Options {
  Target target = Target::kPushy;
  std::string host = "127.0.0.1";
  int port = 4000;
  std::string pub_host;  // defaults to host
  int pub_port = 0;      // defaults to port (a cluster run publishes on another node)
  std::string sub_path;  // template with {c}; the target's default when empty
  std::string pub_path;
  std::string client_id = "bench-publisher";
  std::string client_secret = "bench-publisher-secret";
  std::string token;  // Pushy: minted with POST /token when empty

  int streams = 0;
  int workers = 0;  // 0: ceil(streams / kMaxStreamsPerWorker)
  Scheme scheme = Scheme::kOne;
  int channels = 1;  // C for kSpread/kPattern (set from scheme for the others)
  std::string prefix = "c";
  std::string pattern;  // kPattern: defaults to prefix + "*"

  std::uint64_t events = 0;  // 0 with duration > 0: publish until the duration ends
  double rate = 0;           // events per second, 0 = as fast as the connections allow
  int pub_conns = 4;
  double duration = 0;  // seconds of publishing when events == 0
  int payload_bytes = 100;

  std::vector<pid_t> server_pids;  // the server under test (descendants are added)
  double connect_timeout = 60;
  double settle = 1;             // seconds between the last stream opening and the RSS reading
  double drain_timeout = 15;     // seconds to wait for deliveries after the last publish answer
  double publish_timeout = 600;  // bound on the publishing phase (a burst waits for answers)
  int src_offset = 0;            // first source address: 127.0.0.(2 + offset)
  int per_source = 5000;         // streams per source address (ephemeral ports are ~28k each)
  int connect_window = 256;      // connections being opened at once, per worker
  std::string label;
  bool quiet = false;

  // Channel name of index j, and what stream i subscribes to.
  std::string ChannelName(std::uint64_t j) const;
  std::string StreamEntry(int stream) const;
  // Channel index of event n.
  std::uint64_t ChannelOf(std::uint64_t n) const {
    return n % static_cast<std::uint64_t>(channels);
  }
};

inline constexpr int kMaxStreamsPerWorker = 15000;

// Parses argv (after the program name); on error prints why and returns nullopt.
std::optional<Options> ParseOptions(int argc, char** argv);
void PrintUsage();

}  // namespace pushy::bench
