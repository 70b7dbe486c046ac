#include "http/router.h"

#include <algorithm>
#include <boost/url/parse.hpp>
#include <boost/url/pct_string_view.hpp>

#include "core/error.h"
#include "http/responses.h"

namespace pushy::http {
namespace {

std::vector<std::string_view> SplitPath(std::string_view path) {
  std::vector<std::string_view> out;
  if (!path.empty() && path.front() == '/') path.remove_prefix(1);
  while (true) {
    const auto slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

}  // namespace

void Router::Add(std::string pattern, std::vector<Verb> methods, Handler handler) {
  Route_ route;
  for (std::string_view s : SplitPath(pattern)) route.segments.emplace_back(s);
  for (Verb v : methods) {
    route.allow.append(beast_http::to_string(v)).append(", ");
  }
  route.allow.append("OPTIONS");
  route.methods = std::move(methods);
  route.handler = std::move(handler);
  routes_.push_back(std::move(route));
}

const Router::Route_* Router::Match(const std::vector<std::string_view>& segments,
                                    std::string& param, bool& bad_encoding) const {
  for (const Route_& route : routes_) {
    if (route.segments.size() != segments.size()) continue;
    bool ok = true;
    for (std::size_t i = 0; i < segments.size() && ok; ++i) {
      if (route.segments[i] != "{}") {
        ok = route.segments[i] == segments[i];
        continue;
      }
      auto encoded = boost::urls::make_pct_string_view(segments[i]);
      if (!encoded) {
        bad_encoding = true;
        return nullptr;
      }
      param = encoded->decode();
      ok = !segments[i].empty();
    }
    if (ok) return &route;
  }
  return nullptr;
}

void Router::Route(const Exchange& exchange) const {
  const Request& req = exchange.request();
  auto target = boost::urls::parse_origin_form(req.target());
  if (!target) return exchange.Respond(ErrorResponse(Errc::kInvalidTarget, req.version()));
  std::string param;
  bool bad_encoding = false;
  const Route_* route = Match(SplitPath(target->encoded_path()), param, bad_encoding);
  if (bad_encoding) return exchange.Respond(ErrorResponse(Errc::kInvalidTarget, req.version()));
  if (route == nullptr) return exchange.Respond(ErrorResponse(Errc::kNotFound, req.version()));
  if (req.method() == Verb::options) {
    Response res{Status::no_content, req.version()};
    res.set(beast_http::field::allow, route->allow);
    exchange.cors().ApplyPreflight(req[beast_http::field::origin], route->allow, res);
    res.prepare_payload();
    return exchange.Respond(std::move(res));
  }
  if (std::find(route->methods.begin(), route->methods.end(), req.method()) ==
      route->methods.end()) {
    Response res = ErrorResponse(Errc::kMethodNotAllowed, req.version());
    res.set(beast_http::field::allow, route->allow);
    return exchange.Respond(std::move(res));
  }
  route->handler(exchange, param);
}

}  // namespace pushy::http
