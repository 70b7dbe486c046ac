#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace pushy::broker::redis {

// One decoded Redis reply, owning its bytes, so that callers never touch hiredis types.
// A plain value type; any thread.
struct Reply {
  enum class Type { kString, kStatus, kError, kInteger, kNil, kArray };

  Type type = Type::kNil;
  std::string str;  // kString, kStatus (e.g. "OK") and kError (the error line)
  std::int64_t integer = 0;
  std::vector<Reply> elements;  // kArray

  bool is_error() const { return type == Type::kError; }
  bool is_array() const { return type == Type::kArray; }
  // True for a bulk or simple string equal to `text`.
  bool Is(std::string_view text) const {
    return (type == Type::kString || type == Type::kStatus) && str == text;
  }

  static Reply String(std::string s) { return {Type::kString, std::move(s), 0, {}}; }
  static Reply Status(std::string s) { return {Type::kStatus, std::move(s), 0, {}}; }
  static Reply Error(std::string s) { return {Type::kError, std::move(s), 0, {}}; }
  static Reply Integer(std::int64_t i) { return {Type::kInteger, {}, i, {}}; }
  static Reply Nil() { return {}; }
  static Reply Array(std::vector<Reply> e) { return {Type::kArray, {}, 0, std::move(e)}; }
};

// Encodes one command in the Redis protocol (through hiredis' formatter).
std::string FormatCommand(const std::vector<std::string>& argv);

// Incremental decoder of a reply stream (hiredis' redisReader underneath). Feed bytes as they
// arrive, then take complete replies until Next() returns false. Not thread-safe.
class ReplyDecoder {
 public:
  ReplyDecoder();
  ~ReplyDecoder();
  ReplyDecoder(const ReplyDecoder&) = delete;
  ReplyDecoder& operator=(const ReplyDecoder&) = delete;

  // False when the stream is corrupt (the connection must then be dropped).
  bool Feed(const char* data, std::size_t size);
  // Stores the next complete reply in `reply` and returns true; false when none is complete
  // yet, or on a protocol error (then error() is non-empty).
  bool Next(Reply& reply);
  const std::string& error() const { return error_; }

 private:
  void* reader_;  // redisReader*, kept opaque so this header does not pull in hiredis
  std::string error_;
};

}  // namespace pushy::broker::redis
