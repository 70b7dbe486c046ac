#include "core/error.h"

#include <string>

namespace pushy {
namespace {

const char* MessageFor(Errc e) {
  switch (e) {
    case Errc::kOk:
      return "ok";
    case Errc::kMalformedJson:
      return "request body is not valid JSON";
    case Errc::kInvalidBody:
      return "request body does not have the expected shape";
    case Errc::kMissingData:
      return "\"data\" is required";
    case Errc::kNoChannels:
      return "no channel requested: use channels=a,b or channel=a";
    case Errc::kTooManyChannels:
      return "too many channels in one request (at most 100)";
    case Errc::kHttpVersion:
      return "streams need HTTP/1.1 (behind nginx, set proxy_http_version 1.1)";
    case Errc::kInvalidChannel:
      return "invalid channel name";
    case Errc::kPatternNotPublishable:
      return "cannot publish to a channel pattern";
    case Errc::kInvalidEventName:
      return "invalid event name: 1-64 characters of A-Z a-z 0-9 _ . : -, not starting with "
             "the reserved \"pushy.\"";
    case Errc::kTtlTooLarge:
      return "ttl exceeds the largest token lifetime (MAX_TOKEN_TTL)";
    case Errc::kTokenTooLarge:
      return "token would exceed 8 KiB: grant fewer channels or send less meta";
    case Errc::kUnsupportedMediaType:
      return "Content-Type must be application/json";
    case Errc::kPayloadTooLarge:
      return "request body too large";
    case Errc::kUriTooLong:
      return "request line too long";
    case Errc::kHeadersTooLarge:
      return "request headers too large";
    case Errc::kRequestTimeout:
      return "request not received in time";
    case Errc::kBadFraming:
      return "ambiguous or malformed request framing";
    case Errc::kInvalidTarget:
      return "invalid request target";
    case Errc::kNotFound:
      return "not found";
    case Errc::kMethodNotAllowed:
      return "method not allowed";
    case Errc::kMissingCredentials:
      return "missing X-Client-ID / X-Client-Secret";
    case Errc::kBadCredentials:
      return "invalid publisher credentials";
    case Errc::kMissingToken:
      return "missing token";
    case Errc::kUnsupportedAuthScheme:
      return "Authorization scheme must be Bearer";
    case Errc::kTokenMalformed:
      return "malformed token";
    case Errc::kTokenAlgorithm:
      return "token algorithm must be HS512";
    case Errc::kTokenSignature:
      return "invalid token signature";
    case Errc::kTokenExpired:
      return "token expired";
    case Errc::kTokenNotYetValid:
      return "token not yet valid";
    case Errc::kTokenClaims:
      return "token claims are invalid";
    case Errc::kNotGranted:
      return "channel not granted by token";
    case Errc::kTooManyConnections:
      return "too many connections";
    case Errc::kBrokerUnavailable:
      return "broker unavailable";
    case Errc::kSubscriptionRefused:
      return "the message broker refused a subscription for this stream";
    case Errc::kShuttingDown:
      return "server is shutting down";
  }
  return "unknown error";
}

// Boost's error_category has a protected non-virtual destructor by design (categories are
// never deleted through a base pointer).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnon-virtual-dtor"
class Category final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "pushy"; }
  std::string message(int ev) const override { return MessageFor(static_cast<Errc>(ev)); }
};
#pragma GCC diagnostic pop

}  // namespace

const boost::system::error_category& PushyCategory() noexcept {
  static const Category category;
  return category;
}

}  // namespace pushy
