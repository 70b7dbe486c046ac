// libFuzzer target for the channel rules (src/channels). Not wired into CMake; build with e.g.
//   clang++-14 -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -I src \
//     fuzz/channel_match_fuzz.cc src/channels/name.cc src/channels/grant.cc -o channel_match_fuzz
//
// The input is split at its first '\n' into a grant and an entry (either may hold any other
// byte). Besides "no crash", it checks the meaning of Covers(): whenever the grant covers the
// entry, the grant matches channels the entry matches. Those channels are made from the entry
// by filling each `*` with one segment and a trailing `**` with one or two.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "channels/grant.h"
#include "channels/name.h"

namespace {

using pushy::channels::Classify;
using pushy::channels::Covers;
using pushy::channels::EntryKind;
using pushy::channels::Matches;

void Check(bool condition) {
  if (!condition) std::abort();
}

// A concrete channel matched by `entry`: `*` becomes "x"; `**` becomes "x" or "x.y".
std::string Instantiate(std::string_view entry, bool long_tail) {
  std::string out;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = entry.find('.', start);
    const std::string_view segment = entry.substr(start, dot - start);
    if (!out.empty()) out += '.';
    if (segment == "*") {
      out += "x";
    } else if (segment == "**") {
      out += long_tail ? "x.y" : "x";
    } else {
      out += segment;
    }
    if (dot == std::string_view::npos) return out;
    start = dot + 1;
  }
}

void CheckPair(std::string_view grant, std::string_view entry) {
  const EntryKind grant_kind = Classify(grant);
  const EntryKind entry_kind = Classify(entry);
  const bool covers = Covers(grant, entry);
  if (grant_kind == EntryKind::kInvalid || entry_kind == EntryKind::kInvalid) {
    Check(!covers);
    return;
  }
  Check(Covers(entry, entry));  // reflexive
  Check(Covers("**", entry));   // `**` covers everything
  if (entry_kind == EntryKind::kName) {
    Check(Matches(entry, entry));
    Check(covers == Matches(grant, entry));  // covering a name is matching it
  }
  for (const bool long_tail : {false, true}) {
    const std::string channel = Instantiate(entry, long_tail);
    if (Classify(channel) != EntryKind::kName) continue;  // grew past 255 bytes
    Check(Matches(entry, channel));
    if (covers) Check(Matches(grant, channel));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  // The whole input as one string exercises the classifier and matcher on any bytes.
  (void)Classify(input);
  (void)Matches(input, input);
  const std::size_t newline = input.find('\n');
  const std::string_view grant = input.substr(0, newline);
  const std::string_view entry =
      newline == std::string_view::npos ? std::string_view() : input.substr(newline + 1);
  (void)Matches(grant, entry);
  CheckPair(grant, entry);
  CheckPair(entry, grant);
  return 0;
}
