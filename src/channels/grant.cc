#include "channels/grant.h"

#include <algorithm>

#include "channels/name.h"
#include "channels/segments.h"

namespace pushy::channels {
namespace {

// Covers() for inputs already known to be valid. Both sides are walked segment by segment:
// at each position the grant must allow every value the entry allows, and the lengths the entry
// allows must be lengths the grant allows.
bool CoversValid(std::string_view grant, std::string_view entry) {
  SegmentCursor g(grant);
  SegmentCursor e(entry);
  std::string_view want;
  std::string_view have;
  while (g.Next(want)) {
    // The grant accepts anything of one or more further segments; every entry segment, `**`
    // included, stands for at least one, so the entry only needs to have one left.
    if (want == kStarStar) return e.Next(have);
    if (!e.Next(have)) return false;  // the entry allows channels shorter than the grant's
    // An entry `**` here allows both "exactly one more" and "more than one more"; a single
    // grant segment cannot accept both, whatever follows it.
    if (have == kStarStar) return false;
    if (want != kStar && want != have) return false;  // entry `*` vs grant literal included
  }
  return e.done();  // the grant ends here, so the entry must end too
}

}  // namespace

bool Covers(std::string_view grant, std::string_view entry) {
  if (Classify(grant) == EntryKind::kInvalid) return false;
  if (Classify(entry) == EntryKind::kInvalid) return false;
  return CoversValid(grant, entry);
}

bool MaySubscribe(std::span<const std::string> grants, std::string_view entry) {
  if (Classify(entry) == EntryKind::kInvalid) return false;
  return std::any_of(grants.begin(), grants.end(), [entry](const std::string& grant) {
    return Classify(grant) != EntryKind::kInvalid && CoversValid(grant, entry);
  });
}

bool MayPublish(std::span<const std::string> grants, std::string_view channel) {
  if (!IsValidName(channel)) return false;
  return std::any_of(grants.begin(), grants.end(), [channel](const std::string& grant) {
    return Classify(grant) != EntryKind::kInvalid && Matches(grant, channel);
  });
}

}  // namespace pushy::channels
