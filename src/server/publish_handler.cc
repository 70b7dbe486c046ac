#include <boost/asio/dispatch.hpp>

#include "channels/grant.h"
#include "http/responses.h"
#include "server/handlers.h"
#include "server/loop.h"
#include "server/publish_body.h"
#include "server/request_auth.h"

namespace pushy::server {
namespace {

void Publish(Services& services, Loop& loop, const http::Exchange& exchange, bool batch,
             std::vector<PublishRequest> requests) {
  const unsigned version = exchange.request().version();
  const std::size_t count = requests.size();
  services.broker().Publish(std::move(requests), [&loop, exchange, batch, version,
                                                  count](Result<std::vector<EventId>> ids) {
    // The broker may answer from its own thread: the exchange belongs to the loop.
    boost::asio::dispatch(
        loop.ioc(), [&loop, exchange, batch, version, count, ids = std::move(ids)] {
          if (!ids) {
            loop.metrics().publish_failed.Add(count);
            return exchange.Respond(http::ErrorResponse(Errc::kBrokerUnavailable, version));
          }
          loop.metrics().events_published.Add(ids->size());
          std::string body = batch ? "{\"ids\":[" : "{\"id\":";
          for (std::size_t i = 0; i < ids->size(); ++i) {
            if (i != 0) body.push_back(',');
            body.append("\"").append(FormatEventId((*ids)[i])).append("\"");
          }
          body.append(batch ? "]}" : "}");
          exchange.Respond(http::JsonResponse(http::Status::ok, std::move(body), version));
        });
  });
}

// Authenticates, parses and authorises; on failure answers and returns nullopt.
std::optional<PublishBody> Admit(Services& services, const http::Exchange& exchange, bool batch,
                                 std::string_view path_channel) {
  const http::Request& req = exchange.request();
  const auto fail = [&](const boost::system::error_code& ec) {
    exchange.Respond(http::ErrorResponse(ec, req.version()));
    return std::nullopt;
  };
  auto caller = AuthenticatePublisher(services, req);
  if (!caller) return fail(caller.error());
  if (!batch) {
    if (auto ec = CheckPublishChannel(path_channel)) return fail(ec);
  }
  if (auto ec = RequireJsonBody(req)) return fail(ec);
  auto body = ParsePublishBody(req.body(), batch);
  if (!body) return fail(body.error());
  if (!batch) body->channels = {std::string(path_channel)};
  if (!caller->trusted) {
    for (const std::string& channel : body->channels) {
      if (!channels::MayPublish(caller->claims->channels, channel)) {
        return fail(Errc::kNotGranted);
      }
    }
  }
  if (!services.broker().Healthy()) return fail(Errc::kBrokerUnavailable);
  return std::move(*body);
}

std::vector<PublishRequest> ToRequests(PublishBody body) {
  std::vector<PublishRequest> requests;
  requests.reserve(body.channels.size());
  for (std::size_t i = 0; i < body.channels.size(); ++i) {
    const bool last = i + 1 == body.channels.size();
    requests.push_back(PublishRequest{std::move(body.channels[i]), body.event,
                                      last ? std::move(body.data) : body.data});
  }
  return requests;
}

}  // namespace

void HandlePublish(Services& services, Loop& loop, const http::Exchange& exchange,
                   std::string_view channel) {
  auto body = Admit(services, exchange, false, channel);
  if (body) Publish(services, loop, exchange, false, ToRequests(std::move(*body)));
}

void HandlePublishBatch(Services& services, Loop& loop, const http::Exchange& exchange) {
  auto body = Admit(services, exchange, true, {});
  if (body) Publish(services, loop, exchange, true, ToRequests(std::move(*body)));
}

}  // namespace pushy::server
