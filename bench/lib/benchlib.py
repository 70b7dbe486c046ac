"""Shared pieces of bench/run and bench/smoke: starting and stopping the servers under test
(Pushy, nginx+nchan, redis-server) by PID, running pushy-loadgen, and reading /proc.

Only the Python standard library. Every wait has a timeout; every process started here is
stopped here, by its own PID (SIGTERM, then SIGKILL after a grace period), never by name.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

BENCH_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPO_DIR = os.path.dirname(BENCH_DIR)
NCHAN_TEMPLATE = os.path.join(BENCH_DIR, "nchan", "nginx.conf.in")
NCHAN_MODULE_DIRS = ["/usr/lib/nginx/modules", "/usr/share/nginx/modules"]

# Bench-only credentials: the servers listen on loopback and live for one scenario.
AUTH_SECRET_KEY = "bench-signing-key-" + "0123456789abcdef" * 4
CLIENT_ID = "bench-publisher"
CLIENT_SECRET = "bench-publisher-secret"


class BenchError(RuntimeError):
    pass


def log(message):
    print(time.strftime("%H:%M:%S"), message, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, timeout, proc=None):
    """Until something accepts on 127.0.0.1:port; raises when `proc` died or time ran out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise BenchError(f"{proc.name} exited with {proc.returncode} before listening")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise BenchError(f"nothing listens on port {port} after {timeout} s")


class Proc:
    """A child process we started; stop() ends it by PID and waits for it."""

    def __init__(self, name, argv, env=None, log_path=None, cwd=None):
        self.name = name
        self.log_path = log_path
        out = open(log_path, "wb") if log_path else subprocess.DEVNULL
        try:
            self.popen = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT,
                                          cwd=cwd, start_new_session=True)
        finally:
            if log_path:
                out.close()
        self.pid = self.popen.pid
        self.returncode = None

    def poll(self):
        self.returncode = self.popen.poll()
        return self.returncode

    def stop(self, grace=15.0):
        """SIGTERM, wait up to `grace` seconds, then SIGKILL. Returns (exit code, seconds)."""
        start = time.monotonic()
        if self.popen.poll() is None:
            try:
                os.kill(self.pid, signal.SIGTERM)
                self.popen.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                log(f"{self.name} (pid {self.pid}) ignored SIGTERM for {grace} s: SIGKILL")
                os.kill(self.pid, signal.SIGKILL)
                self.popen.wait(timeout=10)
            except ProcessLookupError:
                pass
        self.returncode = self.popen.returncode
        return self.returncode, time.monotonic() - start

    def log_tail(self, lines=5):
        if not self.log_path or not os.path.exists(self.log_path):
            return ""
        with open(self.log_path, "rb") as f:
            return b"\n".join(f.read().splitlines()[-lines:]).decode(errors="replace")


def pushy_env(port, redis_url=None, extra=None):
    env = {k: v for k, v in os.environ.items()
           if k not in ("REDIS_URL", "THREADS", "MAX_CONNECTIONS", "HISTORY_SIZE", "LOG_LEVEL",
                        "HEARTBEAT_INTERVAL", "STREAM_BUFFER_BYTES", "PUSHY_DEMO")}
    env.update({"AUTH_SECRET_KEY": AUTH_SECRET_KEY, "PUBLISHER_CLIENT_ID": CLIENT_ID,
                "PUBLISHER_CLIENT_SECRET": CLIENT_SECRET, "PORT": str(port),
                "HOST": "127.0.0.1"})
    if redis_url:
        env["REDIS_URL"] = redis_url
    env.update(extra or {})
    return env


def start_pushy(binary, workdir, redis_url=None, extra_env=None, name="pushy"):
    """Starts one Pushy node on a free loopback port; returns (Proc, port)."""
    port = free_port()
    proc = Proc(name, [binary], env=pushy_env(port, redis_url, extra_env),
                log_path=os.path.join(workdir, f"{name}-{port}.log"))
    try:
        wait_port(port, 15, proc)
    except BenchError:
        proc.stop(5)
        raise BenchError(f"{name} did not start (exit {proc.returncode}): {proc.log_tail(3)}")
    return proc, port


def pushy_refuses_redis(binary, workdir, redis_url):
    """True when this Pushy has no cluster mode yet (it refuses to start with REDIS_URL)."""
    port = free_port()
    proc = Proc("pushy-redis-probe", [binary], env=pushy_env(port, redis_url),
                log_path=os.path.join(workdir, "pushy-redis-probe.log"))
    try:
        wait_port(port, 10, proc)
    except BenchError:
        proc.stop(5)
        return True
    proc.stop(15)
    return False


def nchan_module():
    for d in NCHAN_MODULE_DIRS:
        path = os.path.join(d, "ngx_nchan_module.so")
        if os.path.exists(path):
            return path
    raise BenchError("ngx_nchan_module.so not found (apt-get install libnginx-mod-nchan)")


def render_nchan_conf(directory, port, redis_url=None):
    with open(NCHAN_TEMPLATE) as f:
        text = f.read()
    upstream, storage = "", ""
    if redis_url:
        upstream = ("  upstream bench_redis {\n"
                    f"    nchan_redis_server {redis_url};\n"
                    "  }\n")
        storage = "      nchan_redis_pass bench_redis;"
    text = (text.replace("@MODULE@", nchan_module()).replace("@DIR@", directory)
            .replace("@PORT@", str(port)).replace("@REDIS_UPSTREAM@", upstream)
            .replace("@STORAGE@", storage))
    for sub in ("tmp/body", "tmp/proxy", "tmp/fastcgi", "tmp/uwsgi", "tmp/scgi"):
        os.makedirs(os.path.join(directory, sub), exist_ok=True)
    conf = os.path.join(directory, "nginx.conf")
    with open(conf, "w") as f:
        f.write(text)
    return conf


def start_nchan(workdir, redis_url=None, name="nchan"):
    """nginx+nchan in the foreground with its own prefix under `workdir`; returns (Proc, port).

    The Proc's PID is the nginx master; its two workers are its children (pushy-loadgen adds
    descendants when it samples CPU and memory)."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    port = free_port()
    directory = tempfile.mkdtemp(prefix=f"{name}-", dir=workdir)
    os.chmod(directory, 0o755)
    conf = render_nchan_conf(directory, port, redis_url)
    proc = Proc(name, [nginx, "-p", directory, "-c", conf, "-e", os.path.join(directory,
                                                                              "error.log")],
                log_path=os.path.join(directory, "stdout.log"))
    try:
        wait_port(port, 15, proc)
    except BenchError:
        proc.stop(5)
        err = open(os.path.join(directory, "error.log")).read()[-500:] if os.path.exists(
            os.path.join(directory, "error.log")) else ""
        raise BenchError(f"nginx did not start: {proc.log_tail(3)} {err}")
    if redis_url:
        wait_nchan_redis(proc, port, 20)
    return proc, port


def wait_nchan_redis(proc, port, timeout):
    """nchan answers subscribers with an error until its Redis connection is up: wait for it."""
    deadline = time.monotonic() + timeout
    status = None
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
                s.sendall(b"GET /sub/bench-ready HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                          b"Accept: text/event-stream\r\n\r\n")
                status = s.recv(64).split(b" ")[1]
                if status == b"200":
                    return
        except (OSError, IndexError):
            pass
        time.sleep(0.2)
    proc.stop(5)
    raise BenchError(f"nchan did not reach Redis in {timeout} s (last status {status})")


def start_redis(workdir):
    redis = shutil.which("redis-server") or "/usr/bin/redis-server"
    port = free_port()
    directory = tempfile.mkdtemp(prefix="redis-", dir=workdir)
    proc = Proc("redis", [redis, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                          "--appendonly", "no", "--daemonize", "no", "--dir", directory,
                          "--maxclients", "10000", "--protected-mode", "no"],
                log_path=os.path.join(directory, "redis.log"))
    wait_port(port, 10, proc)
    return proc, port


def descendants(pids):
    """`pids` plus every live descendant (read from /proc)."""
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(entry))
            except (OSError, IndexError, ValueError):
                pass
    out = list(pids)
    for pid in out:
        out.extend(c for c in children.get(pid, []) if c not in out)
    return out


def cpu_seconds(pids):
    """utime + stime, summed over `pids` and their descendants."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in descendants(pids):
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks
        except (OSError, IndexError, ValueError):
            pass
    return total


def run_loadgen(loadgen, args, timeout, log_path=None):
    """Runs pushy-loadgen; returns the parsed JSON line (its last line of stdout)."""
    argv = [loadgen] + [str(a) for a in args]
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        raise BenchError(f"pushy-loadgen did not finish in {timeout} s") from e
    if log_path:
        with open(log_path, "a") as f:
            # Paths relative to the repository: the log is committed with the results.
            shown = [os.path.relpath(a, REPO_DIR) if a.startswith(REPO_DIR + os.sep) else a
                     for a in argv]
            f.write(" ".join(shown) + "\n" + done.stdout + done.stderr + "\n")
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        raise BenchError(f"pushy-loadgen failed ({done.returncode}): {done.stderr.strip()[-400:]}")
    return json.loads(lines[-1]), done.stdout


def load_average():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])
