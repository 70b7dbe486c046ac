#include "server/json_text.h"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

namespace pushy::server {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

void SkipSpace(std::string_view text, std::size_t& i) {
  while (i < text.size() && IsSpace(text[i])) ++i;
}

// `i` at an opening quote; leaves it one past the closing quote.
void SkipString(std::string_view text, std::size_t& i) {
  for (++i; i < text.size(); ++i) {
    if (text[i] == '\\') {
      ++i;
    } else if (text[i] == '"') {
      ++i;
      return;
    }
  }
}

// `i` at the first byte of a value; leaves it one past the value.
void SkipValue(std::string_view text, std::size_t& i) {
  if (text[i] == '"') return SkipString(text, i);
  if (text[i] != '{' && text[i] != '[') {
    while (i < text.size() && !IsSpace(text[i]) && text[i] != ',' && text[i] != '}' &&
           text[i] != ']') {
      ++i;
    }
    return;
  }
  int depth = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (c == '"') {
      SkipString(text, i);
      continue;
    }
    if (c == '{' || c == '[') ++depth;
    if (c == '}' || c == ']') --depth;
    ++i;
    if (depth == 0) return;
  }
}

// Decodes a raw key (escapes allowed) so that `"d\u0061ta"` is found as `data` too.
std::string KeyText(std::string_view raw_with_quotes) {
  boost::system::error_code ec;
  const boost::json::value v = boost::json::parse(raw_with_quotes, ec);
  if (ec || !v.is_string()) return {};
  return std::string(v.get_string());
}

}  // namespace

std::string CompactJson(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    if (text[i] == '"') {
      const std::size_t start = i;
      SkipString(text, i);
      out.append(text.substr(start, i - start));
    } else {
      if (!IsSpace(text[i])) out.push_back(text[i]);
      ++i;
    }
  }
  return out;
}

std::optional<std::string> CompactMemberText(std::string_view object_text, std::string_view key) {
  std::size_t i = 0;
  SkipSpace(object_text, i);
  if (i >= object_text.size() || object_text[i] != '{') return std::nullopt;
  ++i;
  std::optional<std::string> found;
  while (true) {
    SkipSpace(object_text, i);
    if (i >= object_text.size() || object_text[i] != '"') return found;
    const std::size_t key_start = i;
    SkipString(object_text, i);
    const std::string_view raw_key = object_text.substr(key_start, i - key_start);
    SkipSpace(object_text, i);
    ++i;  // ':'
    SkipSpace(object_text, i);
    const std::size_t value_start = i;
    SkipValue(object_text, i);
    const bool match = raw_key.find('\\') == std::string_view::npos
                           ? raw_key.substr(1, raw_key.size() - 2) == key
                           : KeyText(raw_key) == key;
    if (match) found = CompactJson(object_text.substr(value_start, i - value_start));
    SkipSpace(object_text, i);
    if (i >= object_text.size() || object_text[i] != ',') return found;
    ++i;
  }
}

}  // namespace pushy::server
