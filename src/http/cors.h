#pragma once

#include <boost/beast/http/fields.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace pushy::http {

// ALLOWED_ORIGINS applied to a response. With `*` every origin is allowed and answered with
// `*`; with a list, an allowed origin is echoed exactly (with `Vary: Origin`) and any other
// origin gets no CORS headers, so the browser blocks it.
class CorsPolicy {
 public:
  explicit CorsPolicy(std::vector<std::string> allowed_origins);

  void Apply(std::string_view request_origin, boost::beast::http::fields& headers) const;
  // Preflight extras: which methods and headers the browser may use.
  void ApplyPreflight(std::string_view request_origin, std::string_view allowed_methods,
                      boost::beast::http::fields& headers) const;

 private:
  bool any_ = false;
  std::vector<std::string> origins_;
};

}  // namespace pushy::http
