#include "channels/name.h"

#include <array>

#include "channels/segments.h"

namespace pushy::channels {
namespace {

constexpr std::array<bool, 256> MakeSegmentByteTable() {
  std::array<bool, 256> table{};
  for (int c = 'A'; c <= 'Z'; ++c) table[c] = true;
  for (int c = 'a'; c <= 'z'; ++c) table[c] = true;
  for (int c = '0'; c <= '9'; ++c) table[c] = true;
  for (const char c : {'_', '-', ':', '@', '='}) table[static_cast<unsigned char>(c)] = true;
  return table;
}

constexpr std::array<bool, 256> kSegmentByte = MakeSegmentByteTable();

bool IsLiteralSegment(std::string_view segment) {
  if (segment.empty()) return false;
  for (const char c : segment) {
    if (!kSegmentByte[static_cast<unsigned char>(c)]) return false;
  }
  return true;
}

}  // namespace

EntryKind Classify(std::string_view entry) {
  if (entry.empty() || entry.size() > kMaxNameBytes) return EntryKind::kInvalid;
  SegmentCursor cursor(entry);
  std::string_view segment;
  bool wildcard = false;
  while (cursor.Next(segment)) {
    if (segment == kStar) {
      wildcard = true;
    } else if (segment == kStarStar) {
      if (!cursor.done()) return EntryKind::kInvalid;  // `**` only as the last segment
      wildcard = true;
    } else if (!IsLiteralSegment(segment)) {
      return EntryKind::kInvalid;
    }
  }
  return wildcard ? EntryKind::kPattern : EntryKind::kName;
}

bool IsValidName(std::string_view s) { return Classify(s) == EntryKind::kName; }

bool Matches(std::string_view entry, std::string_view channel) {
  SegmentCursor pattern(entry);
  SegmentCursor concrete(channel);
  std::string_view want;
  std::string_view have;
  while (pattern.Next(want)) {
    // `**` is last in a valid pattern: it takes whatever remains, as long as that is not nothing.
    if (want == kStarStar) return concrete.Next(have);
    if (!concrete.Next(have)) return false;
    if (want != kStar && want != have) return false;
  }
  return concrete.done();
}

}  // namespace pushy::channels
