#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "metrics/loop_metrics.h"

namespace pushy::metrics {

struct NodeGauges {
  bool broker_up = false;
  bool ready = false;
  std::uint64_t history_events = 0;
  std::uint64_t history_channels = 0;
  std::uint64_t max_connections = 0;
  // Cluster broker only (rendered when `remote`).
  bool remote = false;
  std::uint64_t broker_reconnects = 0;
  std::uint64_t broker_catchup_events = 0;
  std::uint64_t broker_history_lost = 0;
  std::uint64_t broker_subscriptions = 0;
  double broker_round_trip_ms = 0;
};

// Renders the whole scrape: every loop's counters summed, plus the node gauges.
std::string RenderPrometheus(std::span<const LoopMetrics* const> loops, const NodeGauges& node);

}  // namespace pushy::metrics
