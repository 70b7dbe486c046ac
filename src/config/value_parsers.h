#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

// Parsers for the kinds of text settings take. Pure functions; any thread.
namespace pushy::config {

// A parsed value, or why the text was refused. `problem` reads after "SETTING (--flag): " and
// never quotes a secret; the caller decides whether the raw text may be shown.
template <typename T>
struct Parsed {
  std::optional<T> value;
  std::string problem;

  static Parsed Ok(T v) { return {std::move(v), {}}; }
  static Parsed Fail(std::string why) { return {std::nullopt, std::move(why)}; }
};

// Strict decimal: digits only (no sign, space or suffix), no overflow of 64 bits.
std::optional<std::uint64_t> ParseDecimal(std::string_view text);

// 1/true/yes or 0/false/no, any case.
std::optional<bool> ParseBool(std::string_view text);

// A label-based hostname: labels of letters, digits, '-' and '_' (containers use it), 1-63
// bytes, not starting or ending with '-', 253 bytes in all, last label not all digits (so a
// broken IPv4 address such as 1.2.3.256 is not mistaken for a name).
bool IsValidHostname(std::string_view text);

// An IPv4 literal, IPv6 literal (brackets allowed and removed) or hostname.
Parsed<std::string> ParseHost(std::string_view text);

// "*" alone, or comma-separated origins `http[s]://host[:port]`, each trimmed of spaces and
// normalised the way a browser serialises the Origin header (lowercase, no default port, no
// trailing slash) so that the server can compare them byte for byte.
Parsed<std::vector<std::string>> ParseOrigins(std::string_view text);

// `text` in double quotes, escaped and cut to a readable length, for an error message.
std::string QuoteForMessage(std::string_view text);

}  // namespace pushy::config
