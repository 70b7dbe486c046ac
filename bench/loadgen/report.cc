#include "report.h"

#include <algorithm>
#include <cstdio>
#include <string_view>

namespace pushy::bench {
namespace {

// The figures derived from the raw counts, computed once for the table and the JSON.
struct Figures {
  std::uint64_t missing = 0;
  double rss_per_stream = 0;  // bytes
  double pss_per_stream = 0;
  double cpu_s = 0;
  double cpu_per_million = 0;  // per million deliveries, or publishes without subscribers
  double deliveries_per_s = 0;
  double publishes_per_s = 0;
  double delivery_seconds = 0;
};

Figures Compute(const Options& o, const RunReport& r) {
  Figures f;
  const ResultMsg& res = r.result;
  f.missing = res.expected > res.unique ? res.expected - res.unique : 0;
  if (r.established.ok > 0) {
    f.rss_per_stream = static_cast<double>(r.idle.rss_kb - r.base.rss_kb) * 1024 / r.established.ok;
    f.pss_per_stream = static_cast<double>(r.idle.pss_kb - r.base.pss_kb) * 1024 / r.established.ok;
  }
  f.cpu_s = r.pub_after.cpu_s - r.pub_before.cpu_s;
  const double work =
      o.streams > 0 ? static_cast<double>(res.received) : static_cast<double>(r.publish.accepted);
  if (work > 0) f.cpu_per_million = f.cpu_s / (work / 1e6);
  if (res.last_recv_ns > r.publish.start_realtime_ns && r.publish.start_realtime_ns > 0) {
    f.delivery_seconds = static_cast<double>(res.last_recv_ns - r.publish.start_realtime_ns) / 1e9;
    f.deliveries_per_s = static_cast<double>(res.received) / f.delivery_seconds;
  }
  if (r.publish.seconds > 0) {
    f.publishes_per_s = static_cast<double>(r.publish.accepted) / r.publish.seconds;
  }
  return f;
}

double Ms(std::int64_t us) { return static_cast<double>(us) / 1000.0; }

std::string Percentiles(const Histogram& h) {
  char buf[256];
  std::snprintf(buf, sizeof buf,
                R"({"count":%llu,"p50":%.3f,"p90":%.3f,"p99":%.3f,"p99.9":%.3f,"max":%.3f})",
                static_cast<unsigned long long>(h.count()), Ms(h.Quantile(0.5)),
                Ms(h.Quantile(0.9)), Ms(h.Quantile(0.99)), Ms(h.Quantile(0.999)), Ms(h.max()));
  return buf;
}

const char* SchemeName(Scheme s) {
  switch (s) {
    case Scheme::kOne:
      return "one";
    case Scheme::kEach:
      return "each";
    case Scheme::kSpread:
      return "spread";
    case Scheme::kPattern:
      return "pattern";
  }
  return "?";
}

void Row(const char* name, const std::string& value) {
  std::printf("  %-34s %s\n", name, value.c_str());
}

std::string Fmt(const char* format, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

std::string LatencyRow(const Histogram& h) {
  char buf[160];
  std::snprintf(buf, sizeof buf, "p50 %.2f  p90 %.2f  p99 %.2f  p99.9 %.2f  max %.2f ms (n=%llu)",
                Ms(h.Quantile(0.5)), Ms(h.Quantile(0.9)), Ms(h.Quantile(0.99)),
                Ms(h.Quantile(0.999)), Ms(h.max()), static_cast<unsigned long long>(h.count()));
  return buf;
}

}  // namespace

void PrintTable(const Options& o, const RunReport& r) {
  const Figures f = Compute(o, r);
  const EstablishedMsg& e = r.established;
  const ResultMsg& res = r.result;
  std::printf("pushy-loadgen %s: target %s, %d streams (%s, %d channels), %d workers\n",
              o.label.c_str(), o.target == Target::kPushy ? "pushy" : "nchan", o.streams,
              SchemeName(o.scheme), o.channels, o.workers);
  Row("streams established", std::to_string(e.ok) + " of " + std::to_string(o.streams) + " in " +
                                 Fmt("%.2f s", r.open_seconds) + " (failed: connect " +
                                 std::to_string(e.failed_connect) + ", status " +
                                 std::to_string(e.failed_status) + ", timeout " +
                                 std::to_string(e.failed_timeout) + ")");
  Row("server RSS before / open (KiB)",
      std::to_string(r.base.rss_kb) + " / " + std::to_string(r.idle.rss_kb));
  Row("server RSS per stream",
      Fmt("%.0f bytes", f.rss_per_stream) + Fmt(" (PSS %.0f bytes)", f.pss_per_stream));
  if (!r.published) return;
  Row("events published / accepted",
      std::to_string(r.publish.attempted) + " / " + std::to_string(r.publish.accepted) +
          Fmt(" in %.2f s", r.publish.seconds) + Fmt(" (%.0f/s)", f.publishes_per_s));
  Row("publish latency", LatencyRow(r.publish.latency));
  if (o.streams > 0) {
    Row("deliveries expected / received",
        std::to_string(res.expected) + " / " + std::to_string(res.received));
    Row("missing / duplicated / unexpected", std::to_string(f.missing) + " / " +
                                                 std::to_string(res.duplicated) + " / " +
                                                 std::to_string(res.unexpected));
    Row("streams complete / closed early",
        std::to_string(res.streams_complete) + " / " + std::to_string(res.streams_closed_early));
    Row("deliveries per second", Fmt("%.0f", f.deliveries_per_s));
    Row("end-to-end latency", LatencyRow(res.latency));
  }
  Row("server CPU (utime+stime)",
      Fmt("%.2f s", f.cpu_s) + Fmt(o.streams > 0 ? " = %.2f s per million deliveries"
                                                 : " = %.2f s per million publishes",
                                   f.cpu_per_million));
}

std::string JsonLine(const Options& o, const RunReport& r) {
  const Figures f = Compute(o, r);
  const EstablishedMsg& e = r.established;
  const ResultMsg& res = r.result;
  std::string failed_statuses = "{";
  for (const auto& [status, count] : r.publish.statuses) {
    if (failed_statuses.size() > 1) failed_statuses += ",";
    failed_statuses += "\"" + std::to_string(status) + "\":" + std::to_string(count);
  }
  failed_statuses += "}";
  char buf[2048];
  std::snprintf(
      buf, sizeof buf,
      R"({"label":"%s","target":"%s","scheme":"%s","channels":%d,"workers":%d,)"
      R"("streams_requested":%d,"streams_established":%u,"streams_failed":%u,)"
      R"("last_bad_status":%d,"last_errno":%d,"open_seconds":%.3f,)"
      R"("server_rss_before_kb":%lld,"server_rss_open_kb":%lld,"rss_per_stream_bytes":%.1f,)"
      R"("pss_per_stream_bytes":%.1f,"server_processes":%d,"events_requested":%llu,)"
      R"("events_attempted":%llu,"events_published":%llu,"publish_failed":%zu,)"
      R"("publish_failed_statuses":%s,"publish_seconds":%.3f,"publishes_per_s":%.1f,)"
      R"("publish_latency_ms":%s,"events_expected":%llu,"events_received":%llu,)"
      R"("missing":%llu,"duplicated":%llu,"unexpected":%llu,"streams_complete":%u,)"
      R"("streams_closed_early":%u,"delivery_seconds":%.3f,"deliveries_per_s":%.1f,)"
      R"("latency_ms":%s,"server_cpu_s":%.3f,"cpu_s_per_million":%.3f})",
      o.label.c_str(), o.target == Target::kPushy ? "pushy" : "nchan", SchemeName(o.scheme),
      o.channels, o.workers, o.streams, e.ok, e.failed_connect + e.failed_status + e.failed_timeout,
      e.last_bad_status, e.last_errno, r.open_seconds, static_cast<long long>(r.base.rss_kb),
      static_cast<long long>(r.idle.rss_kb), f.rss_per_stream, f.pss_per_stream, r.base.processes,
      static_cast<unsigned long long>(o.events),
      static_cast<unsigned long long>(r.publish.attempted),
      static_cast<unsigned long long>(r.publish.accepted), r.publish.failed.size(),
      failed_statuses.c_str(), r.publish.seconds, f.publishes_per_s,
      Percentiles(r.publish.latency).c_str(), static_cast<unsigned long long>(res.expected),
      static_cast<unsigned long long>(res.received), static_cast<unsigned long long>(f.missing),
      static_cast<unsigned long long>(res.duplicated),
      static_cast<unsigned long long>(res.unexpected), res.streams_complete,
      res.streams_closed_early, f.delivery_seconds, f.deliveries_per_s,
      Percentiles(res.latency).c_str(), f.cpu_s, f.cpu_per_million);
  return buf;
}

}  // namespace pushy::bench
