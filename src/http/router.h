#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "http/session.h"
#include "http/types.h"

namespace pushy::http {

// Maps request paths to handlers. Answers 404 for unknown paths, 405 with `Allow` for known
// paths with another method, and CORS preflight (OPTIONS) for every known path itself.
// Built once at start, then read-only: safe to share between loops.
class Router {
 public:
  // `param` is the percent-decoded value of the pattern's `{}` segment (empty when it has none).
  using Handler = std::function<void(const Exchange&, std::string_view param)>;

  // `pattern` is a path such as "/publish/{}" with at most one `{}` segment.
  void Add(std::string pattern, std::vector<Verb> methods, Handler handler);
  void Route(const Exchange& exchange) const;

 private:
  struct Route_ {
    std::vector<std::string> segments;  // "{}" marks the captured one
    std::vector<Verb> methods;
    std::string allow;  // "GET, OPTIONS"
    Handler handler;
  };
  const Route_* Match(const std::vector<std::string_view>& segments, std::string& param,
                      bool& bad_encoding) const;

  std::vector<Route_> routes_;
};

}  // namespace pushy::http
