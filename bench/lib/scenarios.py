"""The benchmark's scenarios (issue 5), each run against Pushy and nginx+nchan.

A scenario function takes a Context and a target ("pushy" or "nchan"), starts fresh servers,
drives them with pushy-loadgen (and wrk), stops the servers by PID, and returns a dict of
figures (flat, numeric), or raises Skip for "n/a" / "pending". Every step has a timeout.
"""

import math
import os
import re
import shutil
import subprocess
import time

import benchlib as b


class Skip(Exception):
    """A scenario that does not apply to a target: status is "n/a" or "pending"."""

    def __init__(self, status, reason):
        super().__init__(reason)
        self.status = status
        self.reason = reason


class Context:
    def __init__(self, pushy_bin, loadgen, workdir, streams, publish_seconds, log_path,
                 client_workers=0):
        self.pushy_bin = pushy_bin
        self.loadgen = loadgen
        self.workdir = workdir
        self.streams = streams
        self.publish_seconds = publish_seconds
        self.log_path = log_path
        self.client_workers = client_workers
        self._src_offset = 0

    def next_src_offset(self):
        """Fresh source addresses for every run, so no 4-tuple of a previous run is reused."""
        offset = self._src_offset
        self._src_offset = (offset + math.ceil(max(self.streams, 1) / 5000) + 1) % 240
        return offset


def flatten(result):
    """pushy-loadgen's JSON -> the flat figures the summary compares."""
    out = {k: v for k, v in result.items() if isinstance(v, (int, float))}
    for prefix, key in (("latency", "latency_ms"), ("publish_latency", "publish_latency_ms")):
        for q, v in result.get(key, {}).items():
            out[f"{prefix}_{q}"] = v
    out["missing_or_duplicated"] = (result.get("missing", 0) + result.get("duplicated", 0)
                                    + result.get("unexpected", 0))
    if result.get("events_requested", 0) > 0:
        out["events_not_published"] = result["events_requested"] - result.get(
            "events_published", 0)
    out["streams_not_open"] = result.get("streams_requested", 0) - result.get(
        "streams_established", 0)
    return out


def loadgen(ctx, target, port, pids, label, args, pub_port=None, timeout=300):
    argv = ["--target", target, "--port", port, "--label", label,
            "--src-offset", ctx.next_src_offset(), "--quiet"]
    if pub_port:
        argv += ["--pub-port", pub_port]
    if ctx.client_workers and "--streams" in args:
        argv += ["--workers", ctx.client_workers]
    for pid in pids:
        argv += ["--server-pid", pid]
    argv += ["--client-id", b.CLIENT_ID, "--client-secret", b.CLIENT_SECRET] + args
    result, _ = b.run_loadgen(ctx.loadgen, argv, timeout=timeout, log_path=ctx.log_path)
    return flatten(result)


class Servers:
    """The servers of one run; stop() ends them all, by PID, in reverse start order."""

    def __init__(self):
        self.procs = []

    def add(self, proc):
        self.procs.append(proc)
        return proc

    def stop(self):
        for proc in reversed(self.procs):
            proc.stop(15)
        self.procs = []


def start_single(ctx, target, servers):
    if target == "pushy":
        proc, port = b.start_pushy(ctx.pushy_bin, ctx.workdir)
    else:
        proc, port = b.start_nchan(ctx.workdir)
    servers.add(proc)
    return port, [proc.pid]


def streams_scenario(ctx, target, label, args, timeout=300):
    servers = Servers()
    try:
        port, pids = start_single(ctx, target, servers)
        return loadgen(ctx, target, port, pids, label, ["--streams", ctx.streams] + args,
                       timeout=timeout)
    finally:
        servers.stop()


def idle(ctx, target):
    return streams_scenario(ctx, target, "idle", ["--settle", 3])


def fanout(ctx, target):
    return streams_scenario(ctx, target, "fanout",
                            ["--scheme", "one", "--events", 200, "--rate", 50])


def fanout_burst(ctx, target):
    return streams_scenario(ctx, target, "fanout-burst",
                            ["--scheme", "one", "--events", 2000, "--rate", 0,
                             "--publish-timeout", 600, "--drain-timeout", 60], timeout=900)


def many_channels(ctx, target):
    return streams_scenario(ctx, target, "many-channels",
                            ["--scheme", "each", "--events", ctx.streams, "--rate", 2000])


def wildcard(ctx, target):
    if target == "nchan":
        raise Skip("n/a", "nchan has no wildcard subscriptions")
    return streams_scenario(ctx, target, "wildcard",
                            ["--scheme", "pattern", "--prefix", "t.", "--channels", 100,
                             "--events", 500, "--rate", 50])


WRK_LUA = os.path.join(b.BENCH_DIR, "wrk", "publish.lua")


def run_wrk(ctx, target, port, pids, connections=4):
    """wrk with a Lua script POSTing events; returns requests/s and server CPU per million."""
    wrk = shutil.which("wrk")
    if not wrk:
        return {}
    path = "/publish/w0" if target == "pushy" else "/pub/w0"
    env = dict(os.environ, BENCH_TARGET=target, BENCH_CLIENT_ID=b.CLIENT_ID,
               BENCH_CLIENT_SECRET=b.CLIENT_SECRET)
    cpu_before = b.cpu_seconds(pids)
    done = subprocess.run([wrk, "-t1", f"-c{connections}", f"-d{ctx.publish_seconds}s",
                           "-s", WRK_LUA, f"http://127.0.0.1:{port}{path}"],
                          capture_output=True, text=True, env=env,
                          timeout=ctx.publish_seconds + 30)
    cpu = b.cpu_seconds(pids) - cpu_before
    with open(ctx.log_path, "a") as f:
        f.write(f"wrk {target}:\n{done.stdout}{done.stderr}\n")
    rps = re.search(r"Requests/sec:\s+([\d.]+)", done.stdout)
    total = re.search(r"(\d+) requests in", done.stdout)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", done.stdout)
    out = {"wrk_publishes_per_s": float(rps.group(1)) if rps else 0.0,
           "wrk_non_2xx": int(non2xx.group(1)) if non2xx else 0,
           "wrk_server_cpu_s": round(cpu, 3)}
    if total and int(total.group(1)) > 0:
        out["wrk_cpu_s_per_million"] = cpu / (int(total.group(1)) / 1e6)
    return out


def publish_rate(ctx, target):
    servers = Servers()
    try:
        port, pids = start_single(ctx, target, servers)
        figures = loadgen(ctx, target, port, pids, "publish-rate",
                          ["--duration", ctx.publish_seconds, "--pub-conns", 4])
        figures.update(run_wrk(ctx, target, port, pids))
        return figures
    finally:
        servers.stop()


def cluster(ctx, target):
    """Two nodes sharing one redis-server: subscribers on A, publishes on B; then the publish
    rate through Redis. CPU includes both nodes and Redis."""
    servers = Servers()
    try:
        redis, redis_port = b.start_redis(ctx.workdir)
        servers.add(redis)
        url = f"redis://127.0.0.1:{redis_port}"
        if target == "pushy":
            if b.pushy_refuses_redis(ctx.pushy_bin, ctx.workdir, url):
                raise Skip("pending", "this Pushy refuses REDIS_URL (no cluster mode yet)")
            a, port_a = b.start_pushy(ctx.pushy_bin, ctx.workdir, url, name="pushy-a")
            servers.add(a)
            node_b, port_b = b.start_pushy(ctx.pushy_bin, ctx.workdir, url, name="pushy-b")
            servers.add(node_b)
        else:
            a, port_a = b.start_nchan(ctx.workdir, url, name="nchan-a")
            servers.add(a)
            node_b, port_b = b.start_nchan(ctx.workdir, url, name="nchan-b")
            servers.add(node_b)
        pids = [a.pid, node_b.pid, redis.pid]
        figures = loadgen(ctx, target, port_a, pids, "cluster-fanout",
                          ["--streams", ctx.streams, "--scheme", "one", "--events", 200,
                           "--rate", 50, "--drain-timeout", 60], pub_port=port_b)
        rate = loadgen(ctx, target, port_b, pids, "cluster-publish",
                       ["--duration", ctx.publish_seconds, "--pub-conns", 4])
        for key in ("publishes_per_s", "cpu_s_per_million", "publish_latency_p50",
                    "publish_latency_p99", "publish_failed"):
            figures["redis_" + key] = rate.get(key, 0)
        return figures
    finally:
        servers.stop()


SCENARIOS = {
    "idle": idle,
    "fanout": fanout,
    "fanout-burst": fanout_burst,
    "many-channels": many_channels,
    "publish-rate": publish_rate,
    "wildcard": wildcard,
    "cluster": cluster,
}


def run_one(ctx, scenario, target):
    """One scenario against one target: a record with status ok/error/n/a/pending."""
    start = time.monotonic()
    record = {"scenario": scenario, "target": target, "load_average": b.load_average()}
    try:
        record["figures"] = SCENARIOS[scenario](ctx, target)
        record["status"] = "ok"
    except Skip as e:
        record.update(status=e.status, reason=e.reason)
    except (b.BenchError, subprocess.TimeoutExpired, OSError) as e:
        record.update(status="error", reason=str(e))
    record["seconds"] = round(time.monotonic() - start, 1)
    return record
