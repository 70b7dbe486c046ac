#include "auth/jwt.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <cassert>
#include <cmath>
#include <cstdlib>
#include <limits>

#include "auth/base64url.h"
#include "auth/hs512.h"

namespace pushy::auth {
namespace {

namespace json = boost::json;

constexpr std::string_view kHeaderJson = R"({"alg":"HS512","typ":"JWT"})";

struct Segments {
  std::string_view header;
  std::string_view payload;
  std::string_view signature;
  std::string_view signing_input;  // "<header>.<payload>" exactly as received
};

// Exactly two dots, with non-empty header and payload. An empty signature is left for the
// signature check to refuse, so that an unsigned token reports the algorithm it claims.
std::optional<Segments> Split(std::string_view token) {
  const std::size_t first = token.find('.');
  if (first == std::string_view::npos) return std::nullopt;
  const std::size_t second = token.find('.', first + 1);
  if (second == std::string_view::npos) return std::nullopt;
  if (token.find('.', second + 1) != std::string_view::npos) return std::nullopt;
  if (first == 0 || second == first + 1) return std::nullopt;
  return Segments{token.substr(0, first), token.substr(first + 1, second - first - 1),
                  token.substr(second + 1), token.substr(0, second)};
}

std::optional<json::object> ParseObject(std::string_view text) {
  json::parse_options options;
  options.max_depth = kMaxTokenJsonDepth;
  json::error_code ec;
  json::value value = json::parse(text, ec, {}, options);
  if (ec || !value.is_object()) return std::nullopt;
  return std::move(value.get_object());
}

bool EqualsIgnoreAsciiCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

Errc CheckHeader(const json::object& header) {
  const json::value* alg = header.if_contains("alg");
  if (alg == nullptr || !alg->is_string() || alg->get_string() != "HS512") {
    return Errc::kTokenAlgorithm;
  }
  if (const json::value* typ = header.if_contains("typ")) {
    if (!typ->is_string() || !EqualsIgnoreAsciiCase(typ->get_string(), "JWT")) {
      return Errc::kTokenMalformed;
    }
  }
  // RFC 7515 §4.1.11: extensions named critical must be understood, and we understand none.
  if (header.contains("crit")) return Errc::kTokenMalformed;
  return Errc::kOk;
}

// Boost.JSON types a number by its spelling (1700000000, 1.7e9, 18446744073709551615); any of
// them is a valid NumericDate when its value is integral and fits in int64.
std::optional<std::int64_t> IntegralValue(const json::value& value) {
  if (value.is_int64()) return value.get_int64();
  if (value.is_uint64()) {
    if (value.get_uint64() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      return std::nullopt;
    }
    return static_cast<std::int64_t>(value.get_uint64());
  }
  if (value.is_double()) {
    const double d = value.get_double();
    constexpr double kTwoPow63 = 9223372036854775808.0;
    if (!std::isfinite(d) || std::trunc(d) != d || d < -kTwoPow63 || d >= kTwoPow63) {
      return std::nullopt;
    }
    return static_cast<std::int64_t>(d);
  }
  return std::nullopt;
}

// Reads an optional NumericDate claim; false when present but not one.
bool ReadTime(const json::object& payload, std::string_view key, std::optional<std::int64_t>& out) {
  const json::value* value = payload.if_contains(key);
  if (value == nullptr) return true;
  out = IntegralValue(*value);
  return out.has_value();
}

bool ReadChannels(const json::object& payload, std::vector<std::string>& out) {
  const json::value* value = payload.if_contains("channels");
  if (value == nullptr || !value->is_array()) return false;
  out.reserve(value->get_array().size());
  for (const json::value& entry : value->get_array()) {
    if (!entry.is_string()) return false;
    out.emplace_back(entry.get_string());
  }
  return true;
}

Result<Claims> ReadClaims(const json::object& payload) {
  Claims claims;
  if (!ReadChannels(payload, claims.channels)) return Errc::kTokenClaims;
  if (const json::value* sub = payload.if_contains("sub")) {
    if (!sub->is_string()) return Errc::kTokenClaims;
    claims.sub = sub->get_string();
  }
  if (const json::value* meta = payload.if_contains("meta")) {
    if (!meta->is_object()) return Errc::kTokenClaims;
    claims.meta_json = json::serialize(*meta);
  }
  if (!ReadTime(payload, "iat", claims.iat) || !ReadTime(payload, "exp", claims.exp) ||
      !ReadTime(payload, "nbf", claims.nbf)) {
    return Errc::kTokenClaims;
  }
  return claims;
}

Errc CheckTimes(const Claims& claims, std::int64_t now_seconds) {
  if (claims.exp && now_seconds >= *claims.exp) return Errc::kTokenExpired;
  if (claims.nbf && *claims.nbf > now_seconds) return Errc::kTokenNotYetValid;
  return Errc::kOk;
}

json::object PayloadFor(const Claims& claims) {
  assert(!claims.sub.empty() && "a minted token names its subject");
  json::object payload;
  payload.emplace("sub", claims.sub);
  json::array channels;
  for (const std::string& channel : claims.channels) channels.emplace_back(channel);
  payload.emplace("channels", std::move(channels));
  if (claims.meta_json) {
    std::optional<json::object> meta = ParseObject(*claims.meta_json);
    assert(meta && "meta_json must be the text of a JSON object");
    if (meta) payload.emplace("meta", std::move(*meta));
  }
  if (claims.iat) payload.emplace("iat", *claims.iat);
  if (claims.exp) payload.emplace("exp", *claims.exp);
  if (claims.nbf) payload.emplace("nbf", *claims.nbf);
  return payload;
}

}  // namespace

std::string MintToken(const Claims& claims, std::string_view key) {
  std::string token = Base64UrlEncode(kHeaderJson);
  token += '.';
  token += Base64UrlEncode(json::serialize(PayloadFor(claims)));
  const std::optional<Hs512Mac> mac = Hs512(key, token);
  // Only a broken libcrypto fails here; an unsigned token must never leave.
  if (!mac) std::abort();
  token += '.';
  token += Base64UrlEncode({reinterpret_cast<const char*>(mac->data()), mac->size()});
  return token;
}

Result<Claims> VerifyToken(std::string_view token, std::string_view key, std::int64_t now_seconds) {
  if (token.size() > kMaxTokenBytes) return Errc::kTokenMalformed;
  const std::optional<Segments> segments = Split(token);
  if (!segments) return Errc::kTokenMalformed;
  const std::optional<std::string> header_json = Base64UrlDecode(segments->header);
  const std::optional<std::string> payload_json = Base64UrlDecode(segments->payload);
  const std::optional<std::string> signature = Base64UrlDecode(segments->signature);
  if (!header_json || !payload_json || !signature) return Errc::kTokenMalformed;

  const std::optional<json::object> header = ParseObject(*header_json);
  if (!header) return Errc::kTokenMalformed;
  if (const Errc e = CheckHeader(*header); e != Errc::kOk) return e;
  // Nothing the payload says is looked at until the key vouches for it.
  if (!Hs512Matches(key, segments->signing_input, *signature)) return Errc::kTokenSignature;

  const std::optional<json::object> payload = ParseObject(*payload_json);
  if (!payload) return Errc::kTokenMalformed;
  Result<Claims> claims = ReadClaims(*payload);
  if (!claims) return claims;
  if (const Errc e = CheckTimes(*claims, now_seconds); e != Errc::kOk) return e;
  return claims;
}

}  // namespace pushy::auth
