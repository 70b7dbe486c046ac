#pragma once

#include <string_view>

#include "http/router.h"
#include "server/services.h"

namespace pushy::server {

class Loop;

// The routes of the HTTP contract, bound to one loop's services.
http::Router BuildRouter(Services& services, Loop& loop);

void HandleToken(const Services& services, const http::Exchange& exchange);
// The body of POST /token after the caller is trusted: parses the claims and answers the token.
void MintFromRequest(const Services& services, const http::Exchange& exchange);
// Demo mode only: the page, the JS client, and tokens for the page without credentials.
void HandleDemoAsset(const http::Exchange& exchange, std::string_view content_type,
                     std::string_view body);
void HandlePublish(Services& services, Loop& loop, const http::Exchange& exchange,
                   std::string_view channel);
void HandlePublishBatch(Services& services, Loop& loop, const http::Exchange& exchange);
void HandleStream(Services& services, Loop& loop, const http::Exchange& exchange,
                  std::string_view channel);
void HandleHealthz(const http::Exchange& exchange);
void HandleReadyz(const Services& services, const http::Exchange& exchange);
void HandleMetrics(const Services& services, const http::Exchange& exchange);

}  // namespace pushy::server
