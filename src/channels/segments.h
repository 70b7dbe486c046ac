#pragma once

#include <string_view>

namespace pushy::channels {

// Walks the dot-separated segments of a name or pattern without allocating. Any string (even an
// invalid one) is safe to walk: "" yields one empty segment, "a." yields "a" then "".
// A value type; any thread.
class SegmentCursor {
 public:
  explicit SegmentCursor(std::string_view s) : rest_(s) {}

  // Stores the next segment in `segment`; false once every segment has been returned.
  bool Next(std::string_view& segment) {
    if (done_) return false;
    const auto dot = rest_.find('.');
    if (dot == std::string_view::npos) {
      segment = rest_;
      done_ = true;
    } else {
      segment = rest_.substr(0, dot);
      rest_.remove_prefix(dot + 1);
    }
    return true;
  }

  bool done() const { return done_; }

 private:
  std::string_view rest_;
  bool done_ = false;
};

inline constexpr std::string_view kStar = "*";
inline constexpr std::string_view kStarStar = "**";

}  // namespace pushy::channels
