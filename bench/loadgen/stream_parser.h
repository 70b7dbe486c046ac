#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace pushy::bench {

// Incremental reader of one SSE response: HTTP/1.1 status line and headers, then the body
// either de-chunked (Transfer-Encoding: chunked, as Pushy sends it) or raw until close (as
// nchan sends it), split into lines. For each `data:` line holding `"seq":<n>` it reports the
// sequence number and the `"t":<ns>` send time found next to it; every other line (ids, event
// names, comments, retry hints) is skipped without copying. Bytes may arrive split anywhere.
// Owned by one connection of one worker thread.
class StreamParser {
 public:
  enum class State : std::uint8_t { kHead, kBody, kEnded, kError };

  struct Sample {
    std::uint64_t seq;
    std::int64_t sent_ns;  // 0 when the line had no "t"
  };

  // Feeds bytes; calls on_sample(Sample) for each complete data line with a seq. Returns the
  // state after these bytes: kEnded once the final chunk arrived, kError on a malformed
  // response (bad status line, non-200 status, bad chunk size).
  template <typename F>
  State Feed(const char* data, std::size_t n, F&& on_sample);

  State state() const { return state_; }
  int status() const { return status_; }

  // Test seam: scans one line (without its '\n'); true and fills `out` for a data line with
  // a seq.
  static bool ParseDataLine(std::string_view line, Sample& out);

 private:
  enum class Chunk : std::uint8_t { kSize, kExtension, kData, kDataCr, kDataLf, kTrailer };

  std::size_t FeedHead(const char* data, std::size_t n);
  bool ParseHead(std::string_view head);
  // Consumes raw body bytes into `payload` spans and hands them to Lines(); returns consumed.
  template <typename F>
  void FeedChunked(const char* data, std::size_t n, F& on_sample);
  template <typename F>
  void Lines(const char* data, std::size_t n, F& on_sample);

  std::string carry_;  // partial head, or partial line of the body
  std::uint64_t chunk_left_ = 0;
  State state_ = State::kHead;
  Chunk chunk_ = Chunk::kSize;
  bool chunked_ = false;
  bool size_digits_ = false;
  int status_ = 0;
};

template <typename F>
StreamParser::State StreamParser::Feed(const char* data, std::size_t n, F&& on_sample) {
  if (state_ == State::kHead) {
    const std::size_t used = FeedHead(data, n);
    data += used;
    n -= used;
  }
  if (state_ != State::kBody || n == 0) return state_;
  if (chunked_) {
    FeedChunked(data, n, on_sample);
  } else {
    Lines(data, n, on_sample);
  }
  return state_;
}

template <typename F>
void StreamParser::FeedChunked(const char* data, std::size_t n, F& on_sample) {
  std::size_t i = 0;
  while (i < n && state_ == State::kBody) {
    const char c = data[i];
    switch (chunk_) {
      case Chunk::kData: {
        const std::size_t take = static_cast<std::size_t>(
            std::min<std::uint64_t>(chunk_left_, static_cast<std::uint64_t>(n - i)));
        Lines(data + i, take, on_sample);
        i += take;
        chunk_left_ -= take;
        if (chunk_left_ == 0) chunk_ = Chunk::kDataCr;
        continue;
      }
      case Chunk::kSize: {
        int digit = -1;
        if (c >= '0' && c <= '9') digit = c - '0';
        if (c >= 'a' && c <= 'f') digit = c - 'a' + 10;
        if (c >= 'A' && c <= 'F') digit = c - 'A' + 10;
        if (digit >= 0 && chunk_left_ < (std::uint64_t{1} << 40)) {
          chunk_left_ = chunk_left_ * 16 + static_cast<std::uint64_t>(digit);
          size_digits_ = true;
        } else if (c == ';') {
          chunk_ = Chunk::kExtension;
        } else if (c == '\n' && size_digits_) {
          size_digits_ = false;
          chunk_ = chunk_left_ == 0 ? Chunk::kTrailer : Chunk::kData;
        } else if (c != '\r') {
          state_ = State::kError;
        }
        break;
      }
      case Chunk::kExtension:
        if (c == '\n') chunk_ = chunk_left_ == 0 ? Chunk::kTrailer : Chunk::kData;
        break;
      case Chunk::kDataCr:
        chunk_ = Chunk::kDataLf;
        if (c != '\r') state_ = State::kError;
        break;
      case Chunk::kDataLf:
        chunk_ = Chunk::kSize;
        if (c != '\n') state_ = State::kError;
        break;
      case Chunk::kTrailer:
        state_ = State::kEnded;  // the last chunk: the server ended this stream
        break;
    }
    ++i;
  }
}

template <typename F>
void StreamParser::Lines(const char* data, std::size_t n, F& on_sample) {
  std::string_view rest(data, n);
  Sample sample{};
  if (!carry_.empty()) {
    const std::size_t nl = rest.find('\n');
    if (nl == std::string_view::npos) {
      carry_.append(rest);
      return;
    }
    carry_.append(rest.substr(0, nl));
    if (ParseDataLine(carry_, sample)) on_sample(sample);
    carry_.clear();
    rest.remove_prefix(nl + 1);
  }
  for (std::size_t nl = rest.find('\n'); nl != std::string_view::npos; nl = rest.find('\n')) {
    if (ParseDataLine(rest.substr(0, nl), sample)) on_sample(sample);
    rest.remove_prefix(nl + 1);
  }
  if (!rest.empty()) carry_.assign(rest);
}

}  // namespace pushy::bench
