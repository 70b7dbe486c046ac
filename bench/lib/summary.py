"""Turns the run records of bench/run into ranges, ratios, target checks and a Markdown table."""

import statistics

# Per scenario, the figures worth comparing: (key, label, unit, better).
FIGURES = {
    "idle": [
        ("rss_per_stream_bytes", "server RSS per idle stream", "B", "lower"),
        ("pss_per_stream_bytes", "server PSS per idle stream", "B", "lower"),
        ("streams_not_open", "streams that failed to open", "", "lower"),
        ("open_seconds", "time to open every stream", "s", "lower"),
    ],
    "fanout": [
        ("missing_or_duplicated", "missing + duplicated", "", "lower"),
        ("events_not_published", "events not accepted in time", "", "lower"),
        ("publishes_per_s", "publishes/s achieved (asked: 50)", "/s", "higher"),
        ("latency_p50", "end-to-end p50", "ms", "lower"),
        ("latency_p99", "end-to-end p99", "ms", "lower"),
        ("latency_max", "end-to-end max", "ms", "lower"),
        ("cpu_s_per_million", "server CPU-s per million deliveries", "s", "lower"),
    ],
    "fanout-burst": [
        ("missing_or_duplicated", "missing + duplicated", "", "lower"),
        ("events_not_published", "events not accepted in time", "", "lower"),
        ("deliveries_per_s", "deliveries/s", "/s", "higher"),
        ("publishes_per_s", "publishes/s", "/s", "higher"),
        ("latency_p99", "end-to-end p99", "ms", "lower"),
        ("cpu_s_per_million", "server CPU-s per million deliveries", "s", "lower"),
    ],
    "many-channels": [
        ("missing_or_duplicated", "missing + duplicated", "", "lower"),
        ("events_not_published", "events not accepted in time", "", "lower"),
        ("publishes_per_s", "publishes/s achieved (asked: 2,000)", "/s", "higher"),
        ("latency_p50", "end-to-end p50", "ms", "lower"),
        ("latency_p99", "end-to-end p99", "ms", "lower"),
        ("cpu_s_per_million", "server CPU-s per million deliveries", "s", "lower"),
    ],
    "publish-rate": [
        ("publishes_per_s", "publishes/s (pushy-loadgen, 4 conns)", "/s", "higher"),
        ("cpu_s_per_million", "server CPU-s per million publishes", "s", "lower"),
        ("publish_latency_p99", "publish p99", "ms", "lower"),
        ("wrk_publishes_per_s", "publishes/s (wrk, 4 conns)", "/s", "higher"),
        ("wrk_cpu_s_per_million", "server CPU-s per million publishes (wrk)", "s", "lower"),
    ],
    "wildcard": [
        ("missing_or_duplicated", "missing + duplicated", "", "lower"),
        ("events_not_published", "events not accepted in time", "", "lower"),
        ("publishes_per_s", "publishes/s achieved (asked: 50)", "/s", "higher"),
        ("latency_p99", "end-to-end p99", "ms", "lower"),
        ("cpu_s_per_million", "server CPU-s per million deliveries", "s", "lower"),
    ],
    "cluster": [
        ("missing_or_duplicated", "missing + duplicated (subs on A, publish on B)", "", "lower"),
        ("events_not_published", "events not accepted in time", "", "lower"),
        ("latency_p99", "end-to-end p99 across nodes", "ms", "lower"),
        ("cpu_s_per_million", "CPU-s per million deliveries (2 nodes + Redis)", "s", "lower"),
        ("redis_publishes_per_s", "publishes/s through Redis", "/s", "higher"),
        ("redis_cpu_s_per_million", "CPU-s per million publishes (Redis included)", "s",
         "lower"),
    ],
}


def values(records, scenario, target, key):
    return [r["figures"][key] for r in records
            if r["scenario"] == scenario and r["target"] == target and r["status"] == "ok"
            and key in r["figures"]]


def status_of(records, scenario, target):
    statuses = {r["status"] for r in records if r["scenario"] == scenario
                and r["target"] == target}
    for s in ("ok", "pending", "n/a", "error"):
        if s in statuses:
            return s
    return "not run"


def advantage(pushy, nchan, better):
    """How many times better Pushy is (> 1: Pushy better), from the medians; None if unknown."""
    if not pushy or not nchan:
        return None
    p, n = statistics.median(pushy), statistics.median(nchan)
    if p == n:
        return 1.0
    if better == "lower":
        return n / p if p > 0 else float("inf")
    return p / n if n > 0 else float("inf")


def summarize(records, scenarios):
    out = {}
    for scenario in scenarios:
        rows = {}
        for key, label, unit, better in FIGURES.get(scenario, []):
            row = {"label": label, "unit": unit, "better": better}
            for target in ("pushy", "nchan"):
                v = values(records, scenario, target, key)
                row[target] = {"min": min(v), "max": max(v), "runs": len(v)} if v else None
                row[target + "_status"] = status_of(records, scenario, target)
            row["pushy_advantage"] = advantage(values(records, scenario, "pushy", key),
                                               values(records, scenario, "nchan", key), better)
            rows[key] = row
        out[scenario] = rows
    return out


def fmt(v, unit):
    if unit == "B":
        return f"{v / 1024:.2f} KiB"
    if unit == "/s":
        return f"{v:,.0f}"
    if unit == "":
        return f"{v:,.0f}"
    return f"{v:.2f}" if v < 100 else f"{v:,.0f}"


def cell(row, target):
    r = row[target]
    if r is None:
        return row[target + "_status"]
    lo, hi = fmt(r["min"], row["unit"]), fmt(r["max"], row["unit"])
    unit = "" if row["unit"] in ("B", "", "/s") else " " + row["unit"]
    return (lo if lo == hi else f"{lo} – {hi}") + unit


def markdown(summary):
    lines = ["| scenario | figure | Pushy | nchan | Pushy advantage |",
             "|---|---|---|---|---|"]
    for scenario, rows in summary.items():
        for key, row in rows.items():
            adv = row["pushy_advantage"]
            if adv is None:
                adv_text = "—"
            elif adv == float("inf"):
                adv_text = "∞ (Pushy 0)"
            else:
                adv_text = "=" if adv == 1.0 else f"{adv:.2f}×"
            lines.append(f"| {scenario} | {row['label']} | {cell(row, 'pushy')} | "
                         f"{cell(row, 'nchan')} | {adv_text} |")
    lines.append("")
    lines.append("Ranges are min – max over the runs of each side. Advantage: the ratio of "
                 "medians, oriented so that > 1× means Pushy is better (less memory, CPU or "
                 "latency; more throughput).")
    return "\n".join(lines)


def worst(summary, scenario, key, target="pushy", high=True):
    row = summary.get(scenario, {}).get(key)
    if not row or not row.get(target):
        return None
    return row[target]["max" if high else "min"]


def target_checks(summary):
    """The issue's targets, each as (target, measured text, met: True/False/None)."""
    checks = []

    def add(name, value, ok, text):
        checks.append({"target": name, "measured": text if value is not None else "not measured",
                       "met": None if value is None else ok})

    rss = worst(summary, "idle", "rss_per_stream_bytes")
    add("RSS per idle stream <= 2 KB", rss, rss is not None and rss <= 2048,
        f"{rss / 1024:.2f} KiB (worst run)" if rss is not None else "")
    cpu = worst(summary, "fanout-burst", "cpu_s_per_million")
    add("fanout-burst CPU-s per million deliveries <= 2.0", cpu, cpu is not None and cpu <= 2.0,
        f"{cpu:.2f} (worst run)" if cpu is not None else "")
    p99 = worst(summary, "fanout", "latency_p99")
    rate = worst(summary, "fanout", "publishes_per_s", high=False)
    add("fanout 50/s to all streams, p99 <= 20 ms", p99,
        p99 is not None and p99 <= 20 and rate is not None and rate >= 49,
        f"p99 {p99:.1f} ms, {rate:.1f} publishes/s (worst runs)" if p99 is not None else "")
    row = summary.get("publish-rate", {}).get("publishes_per_s")
    adv = row.get("pushy_advantage") if row else None
    cpu_pub = worst(summary, "publish-rate", "cpu_s_per_million")
    add("publishes/s >= 1.5x nchan and <= 5 CPU-s per million", adv,
        adv is not None and adv >= 1.5 and cpu_pub is not None and cpu_pub <= 5,
        f"{adv:.2f}x nchan, {cpu_pub:.2f} CPU-s per million" if adv is not None else "")
    redis_rate = worst(summary, "cluster", "redis_publishes_per_s", high=False)
    redis_cpu = worst(summary, "cluster", "redis_cpu_s_per_million")
    add("publishes/s through Redis >= 50k and <= 20 CPU-s per million", redis_rate,
        redis_rate is not None and redis_rate >= 50000 and redis_cpu <= 20,
        f"{redis_rate:,.0f}/s, {redis_cpu:.1f} CPU-s per million" if redis_rate else "")
    lost = [worst(summary, s, "missing_or_duplicated") for s in summary]
    lost = [v for v in lost if v is not None]
    unpublished = [worst(summary, s, "events_not_published") for s in summary]
    unpublished = max([v for v in unpublished if v is not None], default=0)
    add("0 missing or duplicated, any scenario", lost[0] if lost else None,
        bool(lost) and max(lost) == 0 and unpublished == 0,
        f"{max(lost):.0f} (worst run); {unpublished:.0f} events not accepted in time"
        if lost else "")
    return checks


def checks_markdown(checks):
    lines = ["| target | Pushy measured | met |", "|---|---|---|"]
    for c in checks:
        met = {True: "yes", False: "**no**", None: "—"}[c["met"]]
        lines.append(f"| {c['target']} | {c['measured']} | {met} |")
    return "\n".join(lines)
