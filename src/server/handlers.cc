#include "server/handlers.h"

#include "server/loop.h"

namespace pushy::server {

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
  router.Add("/healthz", {Verb::get},
             [](const http::Exchange& ex, std::string_view) { HandleHealthz(ex); });
  router.Add("/readyz", {Verb::get}, [&services](const http::Exchange& ex, std::string_view) {
    HandleReadyz(services, ex);
  });
  router.Add("/metrics", {Verb::get}, [&services](const http::Exchange& ex, std::string_view) {
    HandleMetrics(services, ex);
  });
  return router;
}

}  // namespace pushy::server
