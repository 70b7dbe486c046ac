#include "http/responses.h"
#include "server/handlers.h"

namespace pushy::server {

void HandleDemoAsset(const http::Exchange& exchange, std::string_view content_type,
                     std::string_view body) {
  http::Response res{http::Status::ok, exchange.request().version()};
  res.set(http::beast_http::field::content_type, content_type);
  res.set(http::beast_http::field::cache_control, "no-cache");
  res.body() = std::string(body);
  res.prepare_payload();
  exchange.Respond(std::move(res));
}

}  // namespace pushy::server
