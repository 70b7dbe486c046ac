#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "auth/jwt.h"
#include "channels/name.h"
#include "http/responses.h"
#include "server/handlers.h"
#include "server/publish_body.h"
#include "server/request_auth.h"

namespace pushy::server {
namespace {

Result<auth::Claims> ParseTokenRequest(const Services& services, std::string_view body,
                                       std::int64_t& ttl) {
  boost::system::error_code ec;
  boost::json::parse_options options;
  options.max_depth = kMaxJsonDepth;
  const boost::json::value parsed = boost::json::parse(body, ec, {}, options);
  if (ec) return make_error_code(Errc::kMalformedJson);
  const auto* object = parsed.if_object();
  if (object == nullptr) return make_error_code(Errc::kInvalidBody);
  auth::Claims claims;
  const auto* sub = object->if_contains("sub");
  if (sub == nullptr || !sub->is_string() || sub->get_string().empty()) {
    return make_error_code(Errc::kInvalidBody);
  }
  claims.sub = std::string(sub->get_string());
  const auto* grants = object->if_contains("channels");
  if (grants == nullptr || !grants->is_array() || grants->get_array().empty()) {
    return make_error_code(Errc::kInvalidBody);
  }
  for (const auto& grant : grants->get_array()) {
    if (!grant.is_string()) return make_error_code(Errc::kInvalidBody);
    if (channels::Classify(grant.get_string()) == channels::EntryKind::kInvalid) {
      return make_error_code(Errc::kInvalidChannel);
    }
    claims.channels.emplace_back(grant.get_string());
  }
  if (const auto* meta = object->if_contains("meta"); meta != nullptr && !meta->is_null()) {
    if (!meta->is_object()) return make_error_code(Errc::kInvalidBody);
    claims.meta_json = boost::json::serialize(*meta);
  }
  ttl = std::chrono::seconds(services.config().token_ttl).count();
  if (const auto* requested = object->if_contains("ttl")) {
    if (!requested->is_int64() && !requested->is_uint64()) {
      return make_error_code(Errc::kInvalidBody);
    }
    if (requested->is_int64() && requested->get_int64() <= 0) {
      return make_error_code(Errc::kInvalidBody);
    }
    const auto max_ttl = std::chrono::seconds(services.config().max_token_ttl).count();
    if (requested->is_uint64() || requested->get_int64() > max_ttl) {
      return make_error_code(Errc::kTtlTooLarge);
    }
    ttl = requested->get_int64();
  }
  return claims;
}

}  // namespace

void HandleToken(const Services& services, const http::Exchange& exchange) {
  const auto publisher = CheckPublisherHeaders(services, exchange.request());
  const unsigned version = exchange.request().version();
  if (!publisher) return exchange.Respond(http::ErrorResponse(Errc::kMissingCredentials, version));
  if (*publisher) return exchange.Respond(http::ErrorResponse(*publisher, version));
  MintFromRequest(services, exchange);
}

void MintFromRequest(const Services& services, const http::Exchange& exchange) {
  const http::Request& req = exchange.request();
  const auto respond_error = [&](const boost::system::error_code& ec) {
    exchange.Respond(http::ErrorResponse(ec, req.version()));
  };
  if (auto ec = RequireJsonBody(req)) return respond_error(ec);
  std::int64_t ttl = 0;
  auto claims = ParseTokenRequest(services, req.body(), ttl);
  if (!claims) return respond_error(claims.error());
  const std::int64_t now = services.clock().NowSeconds();
  claims->iat = now;
  claims->exp = now + ttl;
  const std::string token = auth::MintToken(*claims, services.config().auth_secret_key);
  // A token we would refuse to verify must not be handed out.
  if (token.size() > auth::kMaxTokenBytes) return respond_error(Errc::kTokenTooLarge);
  exchange.Respond(http::JsonResponse(
      http::Status::ok,
      "{\"token\":\"" + token + "\",\"expires_at\":" + std::to_string(*claims->exp) + "}",
      req.version()));
}

}  // namespace pushy::server
