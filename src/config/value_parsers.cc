#include "config/value_parsers.h"

#include <algorithm>
#include <boost/url/ipv4_address.hpp>
#include <boost/url/ipv6_address.hpp>
#include <charconv>
#include <cstdio>

namespace pushy::config {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

char ToLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string Lowercase(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), ToLower);
  return out;
}

bool IsIpv4(std::string_view text) { return boost::urls::parse_ipv4_address(text).has_value(); }

bool IsIpv6(std::string_view text) { return boost::urls::parse_ipv6_address(text).has_value(); }

bool IsValidLabel(std::string_view label) {
  if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
    return false;
  }
  return std::all_of(label.begin(), label.end(), [](char c) {
    return IsDigit(c) || (ToLower(c) >= 'a' && ToLower(c) <= 'z') || c == '-' || c == '_';
  });
}

std::string_view Trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t");
  return text.substr(first, last - first + 1);
}

struct HostPort {
  std::string_view host;
  std::optional<std::string_view> port;  // set when a ':' follows the host, even if empty
  bool ipv6 = false;                     // host was written in [ ]
};

// Splits `host[:port]` or `[ipv6][:port]`; nullopt when the brackets are malformed.
std::optional<HostPort> SplitHostPort(std::string_view authority) {
  HostPort out{authority, std::nullopt, false};
  std::string_view after;
  if (authority.starts_with('[')) {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    out = {authority.substr(1, close - 1), std::nullopt, true};
    after = authority.substr(close + 1);
    if (!after.empty() && !after.starts_with(':')) return std::nullopt;
  } else if (const auto colon = authority.find(':'); colon != std::string_view::npos) {
    out.host = authority.substr(0, colon);
    after = authority.substr(colon);
  }
  if (!after.empty()) out.port = after.substr(1);
  return out;
}

// One origin, normalised, or why it is not one. Origins are public, so the problem quotes it.
Parsed<std::string> ParseOrigin(std::string_view text) {
  const auto fail = [&](std::string_view why) {
    return Parsed<std::string>::Fail("origin " + QuoteForMessage(text) + " " + std::string(why));
  };
  const auto sep = text.find("://");
  if (sep == std::string_view::npos) return fail("must look like https://host[:port]");
  const std::string scheme = Lowercase(text.substr(0, sep));
  if (scheme != "http" && scheme != "https") return fail("must use http or https");
  std::string_view rest = text.substr(sep + 3);
  if (rest.ends_with('/')) rest.remove_suffix(1);  // a common slip; browsers never send it
  if (rest.find_first_of("/?#@") != std::string_view::npos) {
    return fail("must not have a path, query or user info");
  }
  const std::optional<HostPort> parts = SplitHostPort(rest);
  if (!parts) return fail("has malformed [ ] around its host");
  const bool host_ok =
      parts->ipv6 ? IsIpv6(parts->host) : IsIpv4(parts->host) || IsValidHostname(parts->host);
  if (!host_ok) return fail("has an invalid host");
  std::optional<std::uint64_t> port;
  if (parts->port) {
    port = ParseDecimal(*parts->port);
    if (!port || *port < 1 || *port > 65535) {
      return fail("has a port that is not an integer between 1 and 65535");
    }
  }
  std::string out = scheme + "://";
  out += parts->ipv6 ? "[" + Lowercase(parts->host) + "]" : Lowercase(parts->host);
  const std::uint64_t default_port = scheme == "https" ? 443 : 80;
  if (port && *port != default_port) out += ":" + std::to_string(*port);
  return Parsed<std::string>::Ok(std::move(out));
}

}  // namespace

std::optional<std::uint64_t> ParseDecimal(std::string_view text) {
  if (text.empty() || !std::all_of(text.begin(), text.end(), IsDigit)) return std::nullopt;
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<bool> ParseBool(std::string_view text) {
  const std::string lower = Lowercase(text);
  if (lower == "1" || lower == "true" || lower == "yes") return true;
  if (lower == "0" || lower == "false" || lower == "no") return false;
  return std::nullopt;
}

bool IsValidHostname(std::string_view text) {
  if (text.ends_with('.')) text.remove_suffix(1);  // fully qualified form
  if (text.empty() || text.size() > 253) return false;
  std::string_view last;
  while (true) {
    const auto dot = text.find('.');
    last = text.substr(0, dot);
    if (!IsValidLabel(last)) return false;
    if (dot == std::string_view::npos) break;
    text.remove_prefix(dot + 1);
  }
  return !std::all_of(last.begin(), last.end(), IsDigit);
}

Parsed<std::string> ParseHost(std::string_view text) {
  if (text.empty()) return Parsed<std::string>::Fail("must not be empty");
  if (text.size() > 2 && text.starts_with('[') && text.ends_with(']')) {
    text = text.substr(1, text.size() - 2);
    if (IsIpv6(text)) return Parsed<std::string>::Ok(std::string(text));
    return Parsed<std::string>::Fail("must hold an IPv6 address inside [ ]");
  }
  if (IsIpv4(text) || IsIpv6(text) || IsValidHostname(text)) {
    return Parsed<std::string>::Ok(std::string(text));
  }
  return Parsed<std::string>::Fail("must be an IPv4 address, an IPv6 address or a hostname");
}

Parsed<std::vector<std::string>> ParseOrigins(std::string_view text) {
  using Result = Parsed<std::vector<std::string>>;
  std::vector<std::string> origins;
  bool wildcard = false;
  std::size_t entry = 0;
  while (true) {
    ++entry;
    const auto comma = text.find(',');
    const std::string_view item = Trim(text.substr(0, comma));
    if (item.empty()) {
      return Result::Fail("entry " + std::to_string(entry) +
                          " is empty (a stray comma, or no value at all)");
    }
    if (item == "*") {
      wildcard = true;
      origins.emplace_back(item);
    } else {
      Parsed<std::string> origin = ParseOrigin(item);
      if (!origin.value) return Result::Fail(std::move(origin.problem));
      origins.push_back(std::move(*origin.value));
    }
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  if (wildcard && origins.size() > 1) return Result::Fail("\"*\" must stand alone");
  return Result::Ok(std::move(origins));
}

std::string QuoteForMessage(std::string_view text) {
  constexpr std::size_t kMaxShown = 80;
  std::string out = "\"";
  for (const char c : text.substr(0, kMaxShown)) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (byte < 0x20 || byte == 0x7f) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\x%02x", byte);
      out += escaped;
    } else {
      out += c;
    }
  }
  if (text.size() > kMaxShown) out += "...";
  return out + "\"";
}

}  // namespace pushy::config
