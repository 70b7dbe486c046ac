#include "http/responses.h"

#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>

namespace pushy::http {

Status StatusFor(const boost::system::error_code& ec) {
  if (ec.category() != PushyCategory()) return Status::internal_server_error;
  switch (static_cast<Errc>(ec.value())) {
    case Errc::kOk:
      return Status::ok;
    case Errc::kMalformedJson:
    case Errc::kInvalidBody:
    case Errc::kMissingData:
    case Errc::kInvalidChannel:
    case Errc::kNoChannels:
    case Errc::kTooManyChannels:
    case Errc::kPatternNotPublishable:
    case Errc::kInvalidEventName:
    case Errc::kTtlTooLarge:
    case Errc::kTokenTooLarge:
    case Errc::kBadFraming:
    case Errc::kInvalidTarget:
      return Status::bad_request;
    case Errc::kUnsupportedMediaType:
      return Status::unsupported_media_type;
    case Errc::kPayloadTooLarge:
      return Status::payload_too_large;
    case Errc::kUriTooLong:
      return Status::uri_too_long;
    case Errc::kHeadersTooLarge:
      return Status::request_header_fields_too_large;
    case Errc::kRequestTimeout:
      return Status::request_timeout;
    case Errc::kHttpVersion:
      return Status::http_version_not_supported;
    case Errc::kNotFound:
      return Status::not_found;
    case Errc::kMethodNotAllowed:
      return Status::method_not_allowed;
    case Errc::kMissingCredentials:
    case Errc::kBadCredentials:
    case Errc::kMissingToken:
    case Errc::kUnsupportedAuthScheme:
    case Errc::kTokenMalformed:
    case Errc::kTokenAlgorithm:
    case Errc::kTokenSignature:
    case Errc::kTokenExpired:
    case Errc::kTokenNotYetValid:
    case Errc::kTokenClaims:
      return Status::unauthorized;
    case Errc::kNotGranted:
      return Status::forbidden;
    case Errc::kTooManyConnections:
    case Errc::kBrokerUnavailable:
    case Errc::kSubscriptionRefused:
    case Errc::kShuttingDown:
      return Status::service_unavailable;
  }
  return Status::internal_server_error;
}

std::string JsonEscape(std::string_view text) {
  // Boost.JSON serialises a string with its quotes; the caller wants the inside only.
  const std::string quoted = boost::json::serialize(boost::json::string(text));
  return quoted.substr(1, quoted.size() - 2);
}

Response JsonResponse(Status status, std::string body, unsigned version) {
  Response res{status, version};
  res.set(beast_http::field::content_type, "application/json");
  res.set(beast_http::field::cache_control, "no-store");
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

Response ErrorResponse(Status status, std::string_view message, unsigned version) {
  return JsonResponse(status, "{\"error\":\"" + JsonEscape(message) + "\"}", version);
}

Response ErrorResponse(const boost::system::error_code& ec, unsigned version) {
  const Status status = StatusFor(ec);
  Response res = ErrorResponse(
      status, ec.category() == PushyCategory() ? ec.message() : "internal error", version);
  if (status == Status::service_unavailable) res.set(beast_http::field::retry_after, "5");
  if (status == Status::unauthorized) res.set(beast_http::field::www_authenticate, "Bearer");
  return res;
}

}  // namespace pushy::http
