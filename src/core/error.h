#pragma once

#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>
#include <type_traits>

namespace pushy {

// The one error vocabulary of Pushy. Untrusted input that is rejected becomes one of these;
// `http::StatusFor()` maps each to its HTTP status and `message()` is the text a client sees
// (never containing a token or secret).
enum class Errc {
  kOk = 0,
  // Request shape (400 unless noted).
  kMalformedJson,          // body is not JSON, or nests too deep
  kInvalidBody,            // JSON, but not the object the endpoint takes
  kMissingData,            // publish body without "data"
  kInvalidChannel,         // channel name or pattern breaks the naming rules
  kNoChannels,             // a stream that names no channel
  kTooManyChannels,        // more channels in one request than allowed
  kHttpVersion,            // 505: streams need HTTP/1.1 chunked encoding
  kPatternNotPublishable,  // publish to a pattern
  kInvalidEventName,       // event name breaks the naming rules
  kTtlTooLarge,            // ttl over MAX_TOKEN_TTL
  kTokenTooLarge,          // the claims asked for make a token over the verifiable size
  kUnsupportedMediaType,   // 415
  kPayloadTooLarge,        // 413
  kUriTooLong,             // 414
  kHeadersTooLarge,        // 431
  kRequestTimeout,         // 408
  kBadFraming,             // smuggling shapes: conflicting lengths, CL with TE (400 + close)
  kInvalidTarget,          // request target is not a valid origin-form URL
  kNotFound,               // 404
  kMethodNotAllowed,       // 405
  // Authentication (401) and authorisation (403).
  kMissingCredentials,
  kBadCredentials,
  kMissingToken,
  kUnsupportedAuthScheme,
  kTokenMalformed,
  kTokenAlgorithm,
  kTokenSignature,
  kTokenExpired,
  kTokenNotYetValid,
  kTokenClaims,
  kNotGranted,  // 403
  // Capacity and availability (503).
  kTooManyConnections,
  kBrokerUnavailable,
  kSubscriptionRefused,  // the broker refused to route a channel to this node (Redis ACL)
  kShuttingDown,
};

const boost::system::error_category& PushyCategory() noexcept;

inline boost::system::error_code make_error_code(Errc e) noexcept {  // NOLINT: ADL hook name
  return {static_cast<int>(e), PushyCategory()};
}

template <typename T>
using Result = boost::system::result<T, boost::system::error_code>;

}  // namespace pushy

template <>
struct boost::system::is_error_code_enum<pushy::Errc> : std::true_type {};
