#include "metrics/prometheus.h"

#include <string_view>

namespace pushy::metrics {
namespace {

void Emit(std::string& out, std::string_view name, std::string_view type, std::string_view help,
          std::uint64_t value) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
  out.append(name).append(" ").append(std::to_string(value)).append("\n");
}

template <typename Get>
std::uint64_t Sum(std::span<const LoopMetrics* const> loops, Get get) {
  std::uint64_t total = 0;
  for (const LoopMetrics* loop : loops) total += get(*loop);
  return total;
}

void EmitStatuses(std::string& out, std::span<const LoopMetrics* const> loops) {
  out.append("# HELP pushy_http_requests_total HTTP responses sent, by status code.\n");
  out.append("# TYPE pushy_http_requests_total counter\n");
  for (unsigned status = 100; status < 600; ++status) {
    const auto n = Sum(loops, [&](const LoopMetrics& m) { return m.http_status[status].Get(); });
    if (n == 0) continue;
    out.append("pushy_http_requests_total{status=\"").append(std::to_string(status));
    out.append("\"} ").append(std::to_string(n)).append("\n");
  }
}

void EmitRemote(std::string& out, const NodeGauges& node) {
  Emit(out, "pushy_broker_reconnects_total", "counter", "Redis connections re-established.",
       node.broker_reconnects);
  Emit(out, "pushy_broker_catchup_events_total", "counter",
       "Events recovered from history after a reconnect.", node.broker_catchup_events);
  Emit(out, "pushy_broker_history_lost_total", "counter",
       "Times events may have been lost for good (streams got pushy.reset).",
       node.broker_history_lost);
  Emit(out, "pushy_broker_subscriptions", "gauge", "Channels and patterns subscribed at Redis.",
       node.broker_subscriptions);
  out.append("# HELP pushy_broker_round_trip_seconds Latest Redis command round trip.\n");
  out.append("# TYPE pushy_broker_round_trip_seconds gauge\n");
  out.append("pushy_broker_round_trip_seconds ")
      .append(std::to_string(node.broker_round_trip_ms / 1000.0))
      .append("\n");
}

}  // namespace

std::string RenderPrometheus(std::span<const LoopMetrics* const> loops, const NodeGauges& node) {
  std::string out;
  out.reserve(4096);
  auto loop_sum = [&](LocalCounter LoopMetrics::*field) {
    return Sum(loops, [&](const LoopMetrics& m) { return (m.*field).Get(); });
  };
  Emit(out, "pushy_streams_open", "gauge", "Open SSE streams.",
       loop_sum(&LoopMetrics::streams_open));
  Emit(out, "pushy_subscriptions", "gauge", "Stream subscriptions (stream, channel or pattern).",
       loop_sum(&LoopMetrics::subscriptions));
  Emit(out, "pushy_streams_opened_total", "counter", "SSE streams accepted.",
       loop_sum(&LoopMetrics::streams_opened));
  Emit(out, "pushy_streams_rejected_total", "counter", "Streams refused at MAX_CONNECTIONS.",
       loop_sum(&LoopMetrics::streams_rejected_full));
  Emit(out, "pushy_events_published_total", "counter",
       "Events accepted by the broker from this node.", loop_sum(&LoopMetrics::events_published));
  Emit(out, "pushy_publish_failures_total", "counter",
       "Publishes refused because the broker failed.", loop_sum(&LoopMetrics::publish_failed));
  Emit(out, "pushy_events_delivered_total", "counter", "Live event frames queued to streams.",
       loop_sum(&LoopMetrics::events_delivered));
  Emit(out, "pushy_events_replayed_total", "counter", "Events replayed from history on resume.",
       loop_sum(&LoopMetrics::events_replayed));
  Emit(out, "pushy_resets_total", "counter", "pushy.reset events sent (resume impossible).",
       loop_sum(&LoopMetrics::resets_sent));
  Emit(out, "pushy_slow_consumers_dropped_total", "counter",
       "Streams cut off because their pending output passed STREAM_BUFFER_BYTES.",
       loop_sum(&LoopMetrics::slow_consumers_dropped));
  Emit(out, "pushy_streams_expired_total", "counter", "Streams ended at token expiry.",
       loop_sum(&LoopMetrics::streams_expired));
  EmitStatuses(out, loops);
  Emit(out, "pushy_broker_up", "gauge", "1 when the broker is connected.", node.broker_up ? 1 : 0);
  Emit(out, "pushy_ready", "gauge", "1 when the node accepts work (not draining).",
       node.ready ? 1 : 0);
  Emit(out, "pushy_history_events", "gauge", "Events held in history.", node.history_events);
  Emit(out, "pushy_history_channels", "gauge", "Channels with history.", node.history_channels);
  Emit(out, "pushy_max_connections", "gauge", "Stream limit (MAX_CONNECTIONS).",
       node.max_connections);
  if (node.remote) EmitRemote(out, node);
  return out;
}

}  // namespace pushy::metrics
