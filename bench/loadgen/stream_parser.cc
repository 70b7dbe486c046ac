#include "stream_parser.h"

#include <algorithm>
#include <cctype>

namespace pushy::bench {
namespace {

constexpr std::size_t kMaxHeadBytes = 16 * 1024;

// Parses the decimal number right after `key` in `line`; false when absent.
bool NumberAfter(std::string_view line, std::string_view key, std::uint64_t& out) {
  const std::size_t at = line.find(key);
  if (at == std::string_view::npos) return false;
  std::size_t i = at + key.size();
  std::uint64_t v = 0;
  bool any = false;
  for (; i < line.size() && line[i] >= '0' && line[i] <= '9'; ++i) {
    v = v * 10 + static_cast<std::uint64_t>(line[i] - '0');
    any = true;
  }
  out = v;
  return any;
}

bool EqualsNoCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

bool ContainsNoCase(std::string_view hay, std::string_view needle) {
  for (std::size_t i = 0; i + needle.size() <= hay.size(); ++i) {
    if (EqualsNoCase(hay.substr(i, needle.size()), needle)) return true;
  }
  return false;
}

}  // namespace

bool StreamParser::ParseDataLine(std::string_view line, Sample& out) {
  if (line.size() < 5 || line.compare(0, 5, "data:") != 0) return false;
  std::uint64_t seq = 0;
  if (!NumberAfter(line, "\"seq\":", seq)) return false;
  std::uint64_t sent = 0;
  if (!NumberAfter(line, "\"t\":", sent)) sent = 0;
  out.seq = seq;
  out.sent_ns = static_cast<std::int64_t>(sent);
  return true;
}

std::size_t StreamParser::FeedHead(const char* data, std::size_t n) {
  // The head is short and arrives once, so copying it costs nothing that matters.
  const std::size_t before = carry_.size();
  carry_.append(data, n);
  const std::size_t end = carry_.find("\r\n\r\n");
  if (end == std::string::npos) {
    if (carry_.size() > kMaxHeadBytes) state_ = State::kError;
    return n;
  }
  const bool ok = ParseHead(std::string_view(carry_).substr(0, end));
  const std::size_t used = end + 4 - before;
  carry_.clear();
  carry_.shrink_to_fit();
  state_ = ok ? State::kBody : State::kError;
  return used;
}

bool StreamParser::ParseHead(std::string_view head) {
  // "HTTP/1.1 200 OK"
  if (head.size() < 12 || head.compare(0, 5, "HTTP/") != 0) return false;
  const std::size_t sp = head.find(' ');
  if (sp == std::string_view::npos || sp + 4 > head.size()) return false;
  status_ = 0;
  for (std::size_t i = sp + 1; i < sp + 4; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(head[i]))) return false;
    status_ = status_ * 10 + (head[i] - '0');
  }
  std::size_t pos = head.find("\r\n");
  while (pos != std::string_view::npos) {
    const std::size_t start = pos + 2;
    const std::size_t next = head.find("\r\n", start);
    const std::string_view line =
        head.substr(start, next == std::string_view::npos ? std::string_view::npos : next - start);
    const std::size_t colon = line.find(':');
    if (colon != std::string_view::npos &&
        EqualsNoCase(line.substr(0, colon), "transfer-encoding") &&
        ContainsNoCase(line.substr(colon + 1), "chunked")) {
      chunked_ = true;
    }
    pos = next;
  }
  return status_ == 200;
}

}  // namespace pushy::bench
