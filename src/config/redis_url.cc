#include "config/redis_url.h"

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>
#include <limits>

namespace pushy::config {
namespace {

constexpr std::string_view kFormProblem =
    "must be a URL of the form redis[s]://[[user]:password@]host[:port][/db] (percent-encode "
    "reserved characters in the password)";

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if ((a[i] | 0x20) != (b[i] | 0x20)) return false;  // ASCII letters only: schemes are
  }
  return true;
}

// The host, if Boost.URL parsed one that a Redis client can connect to.
std::optional<std::string> HostOf(const boost::urls::url_view& url) {
  switch (url.host_type()) {
    case boost::urls::host_type::ipv4:
      return url.host_ipv4_address().to_string();
    case boost::urls::host_type::ipv6:
      return url.host_ipv6_address().to_string();
    case boost::urls::host_type::name:
      if (IsValidHostname(url.host_name())) return url.host_name();
      return std::nullopt;
    default:
      return std::nullopt;
  }
}

// The database number from the path: "" or "/" mean 0.
std::optional<std::uint32_t> DbOf(std::string_view path) {
  if (path.empty() || path == "/") return 0;
  if (!path.starts_with('/')) return std::nullopt;
  const auto db = ParseDecimal(path.substr(1));
  // Redis keeps the index in an int.
  if (!db || *db > static_cast<std::uint64_t>(std::numeric_limits<std::int32_t>::max())) {
    return std::nullopt;
  }
  return static_cast<std::uint32_t>(*db);
}

}  // namespace

Parsed<RedisUrl> ParseRedisUrl(std::string_view text) {
  using Result = Parsed<RedisUrl>;
  const auto parsed = boost::urls::parse_uri(text);
  if (!parsed) return Result::Fail(std::string(kFormProblem));
  const boost::urls::url_view& url = *parsed;
  RedisUrl out;
  out.tls = EqualsIgnoreCase(url.scheme(), "rediss");
  if (!out.tls && !EqualsIgnoreCase(url.scheme(), "redis")) {
    return Result::Fail("must start with redis:// or rediss://");
  }
  // Boost.URL 1.81 backtracks on a bad authority ("host:abc", ":p@ss@host") and reads the
  // rest as a rootless path; a real path after an authority always starts with '/'.
  if (url.has_authority() && !url.encoded_path().empty() && !url.encoded_path().starts_with('/')) {
    return Result::Fail(std::string(kFormProblem));
  }
  if (url.has_query() || url.has_fragment()) {
    return Result::Fail("must not have a query (?) or fragment (#)");
  }
  if (url.has_userinfo()) {
    if (!url.has_password() || url.password().empty()) {
      return Result::Fail("must give a password after ':' in [user]:password@");
    }
    out.user = url.user();
    out.password = url.password();
  }
  std::optional<std::string> host = HostOf(url);
  if (!host) return Result::Fail("must name a host (hostname or IP address)");
  out.host = std::move(*host);
  if (url.has_port()) {
    const auto port = ParseDecimal(url.port());
    if (!port || *port < 1 || *port > 65535) {
      return Result::Fail("must have a port between 1 and 65535");
    }
    out.port = static_cast<std::uint16_t>(*port);
  }
  const auto db = DbOf(url.encoded_path());
  if (!db) return Result::Fail("must have a non-negative integer database number after /");
  out.db = *db;
  return Result::Ok(std::move(out));
}

std::string RedactRedisUrl(std::string_view text) {
  const auto scheme_end = text.find("://");
  const std::size_t start = scheme_end == std::string_view::npos ? 0 : scheme_end + 3;
  // The last '@': a password holding an unencoded '@' is still covered.
  const auto at = text.rfind('@');
  if (at == std::string_view::npos || at < start) return std::string(text);
  const auto colon = text.find(':', start);
  const std::size_t secret_start =
      (colon != std::string_view::npos && colon < at) ? colon + 1 : start;
  std::string out(text.substr(0, secret_start));
  out += "***";
  out += text.substr(at);
  return out;
}

}  // namespace pushy::config
