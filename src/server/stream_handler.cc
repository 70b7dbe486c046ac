#include <algorithm>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/url/parse.hpp>
#include <random>
#include <sstream>

#include "channels/grant.h"
#include "channels/name.h"
#include "http/responses.h"
#include "server/handlers.h"
#include "server/loop.h"
#include "server/request_auth.h"
#include "sse/stream.h"

namespace pushy::server {
namespace {

namespace beast_http = boost::beast::http;
inline constexpr std::size_t kMaxStreamEntries = 100;

void AddCommaSeparated(std::string_view list, std::vector<std::string>& out) {
  while (true) {
    const auto comma = list.find(',');
    out.emplace_back(list.substr(0, comma));
    if (comma == std::string_view::npos) return;
    list.remove_prefix(comma + 1);
  }
}

// The stream's channels and patterns: the path's one, or `channels=a,b` / repeated `channel=`.
Result<std::vector<std::string>> StreamEntries(std::string_view path_channel,
                                               const boost::urls::url_view& url) {
  std::vector<std::string> entries;
  if (!path_channel.empty()) {
    entries.emplace_back(path_channel);
  } else {
    for (const auto& param : url.params()) {
      if (param.key == "channels") AddCommaSeparated(param.value, entries);
      if (param.key == "channel") entries.emplace_back(param.value);
    }
  }
  std::sort(entries.begin(), entries.end());
  entries.erase(std::unique(entries.begin(), entries.end()), entries.end());
  if (entries.empty()) return make_error_code(Errc::kNoChannels);
  if (entries.size() > kMaxStreamEntries) return make_error_code(Errc::kTooManyChannels);
  for (const std::string& entry : entries) {
    if (channels::Classify(entry) == channels::EntryKind::kInvalid) {
      return make_error_code(Errc::kInvalidChannel);
    }
  }
  return entries;
}

std::optional<std::string> LastEventId(const http::Request& req, const boost::urls::url_view& url) {
  // The header wins: a browser's own reconnect sends the newest id there while its URL keeps
  // the id the page was opened with.
  if (auto it = req.find("Last-Event-ID"); it != req.end() && !it->value().empty()) {
    return std::string(it->value());
  }
  if (auto it = url.params().find("lastEventId"); it != url.params().end()) {
    std::string value = (*it).value;
    if (!value.empty()) return value;
  }
  return std::nullopt;
}

std::string ResponseHead(const http::Exchange& exchange) {
  beast_http::response<beast_http::empty_body> head{beast_http::status::ok, 11};
  head.set(beast_http::field::content_type, "text/event-stream");
  head.set(beast_http::field::cache_control, "no-cache");
  head.set("X-Accel-Buffering", "no");
  head.chunked(true);
  exchange.cors().Apply(exchange.request()[beast_http::field::origin], head);
  std::ostringstream out;
  out << head.base();
  return out.str();
}

sse::Stream::Options StreamOptions(const Services& services, const auth::Claims& claims,
                                   std::int64_t now_ms) {
  const config::Config& config = services.config();
  sse::Stream::Options options;
  options.max_pending_bytes = config.stream_buffer_bytes;
  options.heartbeat_ms = std::chrono::milliseconds(config.heartbeat_interval).count();
  if (claims.exp) {
    const std::int64_t exp_ms = *claims.exp * 1000;
    // Warn min(60 s, R/10) ahead, R being what the token had left when the stream opened.
    const std::int64_t lead = std::min<std::int64_t>(60'000, (exp_ms - now_ms) / 10);
    options.expires_at_ms = exp_ms;
    options.warn_at_ms = exp_ms - lead;
  }
  return options;
}

std::int64_t RetryMs() {
  thread_local std::mt19937 rng(std::random_device{}());
  return std::uniform_int_distribution<std::int64_t>(1000, 4000)(rng);
}

}  // namespace

void HandleStream(Services& services, Loop& loop, const http::Exchange& exchange,
                  std::string_view channel) {
  const http::Request& req = exchange.request();
  const auto fail = [&](const boost::system::error_code& ec) {
    exchange.Respond(http::ErrorResponse(ec, req.version()));
  };
  if (req.version() < 11) return fail(Errc::kHttpVersion);
  const auto url = boost::urls::parse_origin_form(req.target());
  if (!url) return fail(Errc::kInvalidTarget);
  auto claims = AuthenticateClient(services, req, &*url);
  if (!claims) return fail(claims.error());
  auto entries = StreamEntries(channel, *url);
  if (!entries) return fail(entries.error());
  for (const std::string& entry : *entries) {
    if (!channels::MaySubscribe(claims->channels, entry)) return fail(Errc::kNotGranted);
  }
  if (services.draining()) return fail(Errc::kShuttingDown);
  if (!services.TryOpenStream()) {
    loop.metrics().streams_rejected_full.Add();
    return fail(Errc::kTooManyConnections);
  }
  const std::int64_t now_ms = services.clock().NowMs();
  std::string head = ResponseHead(exchange);
  std::optional<std::string> last_event_id = LastEventId(req, *url);
  loop.OnResponse(200);
  auto stream = std::make_shared<sse::Stream>(
      exchange.TakeSocket(), StreamOptions(services, *claims, now_ms), loop, loop.flush_queue());
  stream->Open(std::move(head), sse::RetryFrame(RetryMs()), now_ms);
  loop.AddStream(std::move(stream), std::move(*entries), std::move(last_event_id));
}

}  // namespace pushy::server
