#include "http/responses.h"
#include "server/handlers.h"

namespace pushy::server {

void HandleHealthz(const http::Exchange& exchange) {
  exchange.Respond(
      http::JsonResponse(http::Status::ok, "{\"status\":\"ok\"}", exchange.request().version()));
}

void HandleReadyz(const Services& services, const http::Exchange& exchange) {
  const unsigned version = exchange.request().version();
  if (services.draining()) {
    return exchange.Respond(http::ErrorResponse(Errc::kShuttingDown, version));
  }
  if (!services.broker().Healthy()) {
    return exchange.Respond(http::ErrorResponse(Errc::kBrokerUnavailable, version));
  }
  exchange.Respond(http::JsonResponse(http::Status::ok, "{\"status\":\"ready\"}", version));
}

void HandleMetrics(const Services& services, const http::Exchange& exchange) {
  http::Response res{http::Status::ok, exchange.request().version()};
  res.set(http::beast_http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
  res.body() = services.RenderMetrics();
  res.prepare_payload();
  exchange.Respond(std::move(res));
}

}  // namespace pushy::server
