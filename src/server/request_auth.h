#pragma once

#include <boost/url/url_view.hpp>
#include <optional>
#include <string_view>

#include "auth/jwt.h"
#include "core/error.h"
#include "http/types.h"
#include "server/services.h"

namespace pushy::server {

// Who is asking, as far as publishing is concerned.
struct Caller {
  bool trusted = false;                // publisher credentials: may publish anywhere
  std::optional<auth::Claims> claims;  // a client token: may publish where it is granted
};

// X-Client-ID / X-Client-Secret, checked in constant time. nullopt when neither header is sent.
std::optional<boost::system::error_code> CheckPublisherHeaders(const Services& services,
                                                               const http::Request& req);

// The token of a client: `Authorization: Bearer` first, then the `token` query parameter when
// `query` is given (browsers' EventSource cannot send headers).
Result<auth::Claims> AuthenticateClient(const Services& services, const http::Request& req,
                                        const boost::urls::url_view* query);

// Publisher credentials when present, else a client token from Authorization.
Result<Caller> AuthenticatePublisher(const Services& services, const http::Request& req);

// 415 unless the body is declared as JSON (a missing Content-Type, or curl's default form type,
// is taken as JSON).
boost::system::error_code RequireJsonBody(const http::Request& req);

}  // namespace pushy::server
