#include "server/request_auth.h"

#include <boost/beast/core/string.hpp>

namespace pushy::server {

namespace beast_http = boost::beast::http;

std::optional<boost::system::error_code> CheckPublisherHeaders(const Services& services,
                                                               const http::Request& req) {
  const auto id = req.find("X-Client-ID");
  const auto secret = req.find("X-Client-Secret");
  if (id == req.end() && secret == req.end()) return std::nullopt;
  if (id == req.end() || secret == req.end()) return make_error_code(Errc::kMissingCredentials);
  if (!services.credentials().Check(id->value(), secret->value())) {
    return make_error_code(Errc::kBadCredentials);
  }
  return boost::system::error_code{};
}

Result<auth::Claims> AuthenticateClient(const Services& services, const http::Request& req,
                                        const boost::urls::url_view* query) {
  std::string_view token;
  std::string query_token;
  const auto authorization = req.find(beast_http::field::authorization);
  if (authorization != req.end()) {
    const std::string_view value = authorization->value();
    const auto space = value.find(' ');
    if (space == std::string_view::npos ||
        !boost::beast::iequals(value.substr(0, space), "Bearer")) {
      return make_error_code(Errc::kUnsupportedAuthScheme);
    }
    token = value.substr(space + 1);
    while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  } else if (query != nullptr) {
    auto it = query->params().find("token");
    if (it != query->params().end()) {
      query_token = (*it).value;
      token = query_token;
    }
  }
  if (token.empty()) return make_error_code(Errc::kMissingToken);
  return auth::VerifyToken(token, services.config().auth_secret_key, services.clock().NowSeconds());
}

Result<Caller> AuthenticatePublisher(const Services& services, const http::Request& req) {
  if (auto publisher = CheckPublisherHeaders(services, req)) {
    if (*publisher) return *publisher;
    return Caller{true, std::nullopt};
  }
  if (req.find(beast_http::field::authorization) == req.end()) {
    return make_error_code(Errc::kMissingCredentials);
  }
  auto claims = AuthenticateClient(services, req, nullptr);
  if (!claims) return claims.error();
  return Caller{false, std::move(*claims)};
}

boost::system::error_code RequireJsonBody(const http::Request& req) {
  const auto it = req.find(beast_http::field::content_type);
  if (it == req.end()) return {};
  std::string_view type = it->value();
  type = type.substr(0, type.find(';'));
  while (!type.empty() && type.back() == ' ') type.remove_suffix(1);
  if (boost::beast::iequals(type, "application/json")) return {};
  // curl's -d sends this type unless told otherwise; the body is still parsed as JSON, so the
  // walk-through works with or without -H 'Content-Type: application/json'.
  if (boost::beast::iequals(type, "application/x-www-form-urlencoded")) return {};
  return make_error_code(Errc::kUnsupportedMediaType);
}

}  // namespace pushy::server
