#include "core/event_id.h"

#include <charconv>
#include <random>

namespace pushy {

std::string FormatEventId(EventId id) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(12, '0');
  std::uint64_t epoch = id.epoch & kEpochMask;
  for (int i = 11; i >= 0; --i) {
    out[static_cast<std::size_t>(i)] = kHex[epoch & 0xF];
    epoch >>= 4;
  }
  out.push_back('-');
  out += std::to_string(id.seq);
  return out;
}

std::optional<EventId> ParseEventId(std::string_view text) {
  if (text.size() < 14 || text.size() > 12 + 1 + 20 || text[12] != '-') return std::nullopt;
  EventId id;
  const char* first = text.data();
  for (int i = 0; i < 12; ++i) {
    const char c = first[i];
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return std::nullopt;
  }
  auto [end_epoch, ec1] = std::from_chars(first, first + 12, id.epoch, 16);
  if (ec1 != std::errc{} || end_epoch != first + 12) return std::nullopt;
  std::string_view seq = text.substr(13);
  if (seq.empty() || (seq.size() > 1 && seq[0] == '0')) return std::nullopt;
  auto [end_seq, ec2] = std::from_chars(seq.data(), seq.data() + seq.size(), id.seq, 10);
  if (ec2 != std::errc{} || end_seq != seq.data() + seq.size()) return std::nullopt;
  return id;
}

std::uint64_t NewEpoch() {
  std::random_device rd;
  std::uint64_t e = 0;
  while (e == 0) e = ((std::uint64_t{rd()} << 32) ^ rd()) & kEpochMask;
  return e;
}

}  // namespace pushy
