#include "http/cors.h"

#include <algorithm>

namespace pushy::http {

namespace beast_http = boost::beast::http;

CorsPolicy::CorsPolicy(std::vector<std::string> allowed_origins)
    : origins_(std::move(allowed_origins)) {
  any_ = std::find(origins_.begin(), origins_.end(), "*") != origins_.end();
}

void CorsPolicy::Apply(std::string_view request_origin, beast_http::fields& headers) const {
  if (any_) {
    headers.set(beast_http::field::access_control_allow_origin, "*");
    return;
  }
  headers.set(beast_http::field::vary, "Origin");
  if (request_origin.empty()) return;
  if (std::find(origins_.begin(), origins_.end(), request_origin) == origins_.end()) return;
  headers.set(beast_http::field::access_control_allow_origin, request_origin);
}

void CorsPolicy::ApplyPreflight(std::string_view request_origin, std::string_view allowed_methods,
                                beast_http::fields& headers) const {
  Apply(request_origin, headers);
  headers.set(beast_http::field::access_control_allow_methods, allowed_methods);
  headers.set(beast_http::field::access_control_allow_headers,
              "Authorization, Content-Type, Last-Event-ID, X-Client-ID, X-Client-Secret");
  headers.set(beast_http::field::access_control_max_age, "600");
}

}  // namespace pushy::http
