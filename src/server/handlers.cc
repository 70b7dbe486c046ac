#include "server/handlers.h"

#include "server/demo_assets.h"
#include "server/loop.h"

namespace pushy::server {

namespace {

// Only a demo node serves the page and mints tokens without credentials: its credentials are
// public anyway, and a production node must not hand out tokens to anyone who asks.
void AddDemoRoutes(const Services& services, http::Router& router) {
  using http::Verb;
  const auto page = [](const http::Exchange& ex, std::string_view) {
    HandleDemoAsset(ex, "text/html; charset=utf-8", DemoPageHtml());
  };
  router.Add("/demo", {Verb::get, Verb::head}, page);
  router.Add("/demo/", {Verb::get, Verb::head}, page);
  router.Add("/demo/pushy.js", {Verb::get, Verb::head},
             [](const http::Exchange& ex, std::string_view) {
               HandleDemoAsset(ex, "text/javascript; charset=utf-8", DemoClientJs());
             });
  router.Add("/demo/token", {Verb::post}, [&services](const http::Exchange& ex, std::string_view) {
    MintFromRequest(services, ex);
  });
}

}  // namespace

// HEAD is answered on the plain GET resources (monitors and load balancers probe with it), not on
// streams: a HEAD must not subscribe.
http::Router BuildRouter(Services& services, Loop& loop) {
  using http::Verb;
  http::Router router;
  router.Add("/token", {Verb::post}, [&services](const http::Exchange& ex, std::string_view) {
    HandleToken(services, ex);
  });
  router.Add("/publish/{}", {Verb::post},
             [&services, &loop](const http::Exchange& ex, std::string_view channel) {
               HandlePublish(services, loop, ex, channel);
             });
  router.Add("/publish", {Verb::post},
             [&services, &loop](const http::Exchange& ex, std::string_view) {
               HandlePublishBatch(services, loop, ex);
             });
  router.Add("/channels/{}/stream", {Verb::get},
             [&services, &loop](const http::Exchange& ex, std::string_view channel) {
               HandleStream(services, loop, ex, channel);
             });
  router.Add("/stream", {Verb::get},
             [&services, &loop](const http::Exchange& ex, std::string_view) {
               HandleStream(services, loop, ex, {});
             });
  router.Add("/healthz", {Verb::get, Verb::head},
             [](const http::Exchange& ex, std::string_view) { HandleHealthz(ex); });
  router.Add(
      "/readyz", {Verb::get, Verb::head},
      [&services](const http::Exchange& ex, std::string_view) { HandleReadyz(services, ex); });
  router.Add(
      "/metrics", {Verb::get, Verb::head},
      [&services](const http::Exchange& ex, std::string_view) { HandleMetrics(services, ex); });
  if (services.config().demo) AddDemoRoutes(services, router);
  return router;
}

}  // namespace pushy::server
