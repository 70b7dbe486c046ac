"""Fixtures for Pushy's cluster tests: a real redis-server and several real `pushy` nodes.

Builds on tests/integration/harness.py (imported, not copied): its Server, SSE clients, HTTP
helpers and HS512 signer. Added here:

- RedisServer: redis-server on a free loopback port (no persistence, own temp dir, a password),
  stopped or killed by PID, restartable on the same port; a small RESP client for commands.
- Node: a harness Server with REDIS_URL that waits until /readyz says the broker is connected.
- ClusterTestCase: one Redis and NODES nodes per test class, checked after every test.
- Pattern matching and expectation helpers shared by the tests.
"""

import atexit
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
# Appended, not prepended: tests/integration has test files of the same names as ours.
sys.path.append(os.path.normpath(os.path.join(HERE, "..", "integration")))

import harness  # noqa: E402  (needs the path above)
from harness import HOST, free_port, register_sensitive, wait_until  # noqa: E402,F401

REDIS_SERVER = os.environ.get("REDIS_SERVER") or shutil.which("redis-server") or \
    "/usr/bin/redis-server"


# --------------------------------------------------------------------------------------------
# Redis
# --------------------------------------------------------------------------------------------

class RedisError(Exception):
    pass


def _encode_command(args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


class RedisClient:
    """A blocking RESP2 client for test commands (CLIENT KILL, PUBSUB, INFO, ...)."""

    def __init__(self, port, password=None, user=None, timeout=5.0, tls_ca=None):
        self.sock = socket.create_connection((HOST, port), timeout=timeout)
        if tls_ca is not None:
            self.sock = ssl.create_default_context(cafile=tls_ca).wrap_socket(
                self.sock, server_hostname="localhost")
        self.file = self.sock.makefile("rb")
        if password is not None:
            self.call(*(("AUTH", password) if user is None else ("AUTH", user, password)))

    def call(self, *args):
        self.sock.sendall(_encode_command(args))
        reply = self._read()
        if isinstance(reply, RedisError):
            raise reply
        return reply

    def _read(self):
        line = self.file.readline()
        if not line.endswith(b"\r\n"):
            raise ConnectionError("redis closed the connection")
        kind, rest = line[:1], line[1:-2]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            return RedisError(rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            if n < 0:
                return None
            data = self.file.read(n + 2)
            return data[:-2].decode("utf-8", "replace")
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self._read() for _ in range(n)]
        raise ConnectionError("unexpected RESP reply %r" % line)

    def close(self):
        try:
            self.file.close()
            self.sock.close()
        except OSError:
            pass


# The least a node needs (docs/clustering.md): its keys, every pub/sub channel (PSUBSCRIBE
# patterns are checked literally against channel rules, so `&pushy:*` would refuse them), the
# commands it sends and those its Lua scripts call. The tests' own commands need more.
ACL_RULES = (
    "~pushy:*", "&*", "-@all",
    "+auth", "+select", "+ping", "+mget", "+eval", "+evalsha", "+script|load",
    "+subscribe", "+psubscribe", "+unsubscribe", "+punsubscribe",
    "+get", "+set", "+incr", "+time", "+exists", "+publish", "+hmget", "+hset", "+pexpire",
    "+sadd", "+srem", "+srandmember", "+sscan", "+zadd", "+zrangebyscore", "+zrevrange",
    "+zremrangebyscore", "+xadd", "+xrange", "+xtrim", "+xlen",
    # for the tests only
    "+client", "+pubsub", "+info", "+dbsize", "+keys", "+type", "+ttl", "+pttl",
)

_live_redis = set()


@atexit.register
def _kill_leftover_redis():
    for r in list(_live_redis):
        r.kill()
        r.cleanup()


class RedisServer:
    """One redis-server on a loopback port, with a password (registered as a secret the nodes
    must never log). After kill(), start() starts it again on the same port with no data."""

    def __init__(self, password=None, acl_user=None, extra_args=(), tls=None, start=True,
                 acl_rules=ACL_RULES):
        if not os.path.exists(REDIS_SERVER):
            raise AssertionError("redis-server not found (scripts/install-deps installs it, or "
                                 "set REDIS_SERVER)")
        self.password = password or "redis-pw-" + os.urandom(12).hex()
        register_sensitive(self.password)
        self.user = acl_user
        if acl_user is None:
            auth_args = ["--requirepass", self.password]
        else:
            # The default user is off: only the ACL user the nodes log in with exists.
            auth_args = ["--user", "default", "off",
                         "--user", acl_user, "on", ">" + self.password] + list(acl_rules)
        # tls: {"cert", "key", "ca"} PEM paths; Redis then listens with TLS only.
        self.tls = tls
        self.extra_args = auth_args + list(extra_args)
        self.dir = tempfile.mkdtemp(prefix="pushy-cluster-redis-")
        self.port = None
        self.proc = None
        self.starts = 0
        if start:
            self.start()

    @property
    def url(self):
        return self.url_for("localhost" if self.tls else HOST)

    def url_for(self, host):
        return "%s://%s:%s@%s:%d" % ("rediss" if self.tls else "redis", self.user or "",
                                     self.password, host, self.port)

    def _listen_args(self):
        if not self.tls:
            return ["--port", str(self.port)]
        return ["--port", "0", "--tls-port", str(self.port), "--tls-cert-file", self.tls["cert"],
                "--tls-key-file", self.tls["key"], "--tls-ca-cert-file", self.tls["ca"],
                "--tls-auth-clients", "no"]

    def start(self, timeout=10.0):
        fixed_port = self.port is not None
        for _ in range(1 if fixed_port else 3):
            if not fixed_port:
                self.port = free_port()
            self.starts += 1
            log = open(os.path.join(self.dir, "redis-%d.log" % self.starts), "wb")
            self.proc = subprocess.Popen(
                [REDIS_SERVER] + self._listen_args() + ["--bind", HOST, "--save", "",
                 "--appendonly", "no", "--dir", self.dir, "--daemonize", "no"] +
                self.extra_args,
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
            log.close()
            _live_redis.add(self)
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and self.proc.poll() is None:
                try:
                    c = RedisClient(self.port, self.password, self.user, timeout=1.0,
                                    tls_ca=self.tls and self.tls["ca"])
                    try:
                        if c.call("PING") == "PONG":
                            return self
                    finally:
                        c.close()
                except (OSError, ConnectionError, RedisError):  # ssl.SSLError is an OSError
                    time.sleep(0.05)
            self.kill()
        raise AssertionError("redis-server did not start on port %d:\n%s" % (
            self.port, self.log_tail()))

    def log_tail(self, n=20):
        path = os.path.join(self.dir, "redis-%d.log" % self.starts)
        try:
            with open(path, "rb") as f:
                return b"\n".join(f.read().splitlines()[-n:]).decode("utf-8", "replace")
        except OSError:
            return ""

    def client(self):
        return RedisClient(self.port, self.password, self.user,
                           tls_ca=self.tls and self.tls["ca"])

    def call(self, *args):
        c = self.client()
        try:
            return c.call(*args)
        finally:
            c.close()

    def kill(self, sig=signal.SIGKILL):
        """Stops the server by its PID (SIGKILL by default: a crash) and waits for it."""
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, sig)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        _live_redis.discard(self)

    def stop(self):
        self.kill(signal.SIGTERM)

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)


# --------------------------------------------------------------------------------------------
# Nodes
# --------------------------------------------------------------------------------------------

class Node(harness.Server):
    """A pushy node joined to `redis`; start() returns once /readyz is 200."""

    def __init__(self, redis, name, env=None, **kw):
        self.name = name
        self.redis = redis
        merged = {"REDIS_URL": redis.url}
        merged.update(env or {})
        super().__init__(env=merged, **kw)

    def start(self, timeout=10.0):
        super().start(timeout)
        self.wait_ready(timeout)
        return self

    def ready_status(self):
        try:
            return self.get("/readyz", timeout=2.0).status
        except (OSError, TimeoutError, harness.ConnectionClosed):
            return None

    def wait_ready(self, timeout=10.0):
        wait_until(lambda: self.ready_status() == 200, timeout,
                   message="node %s ready (broker connected)" % self.name)

    def __repr__(self):
        return "<Node %s :%s>" % (self.name, self.port)


class ClusterTestCase(unittest.TestCase):
    """One Redis and NODES nodes per test class. After every test each node must be alive,
    healthy and ready, with clean logs; the class ends with graceful stops (exit 0)."""

    NODES = 3
    NODE_ENV = {}
    REDIS_ACL_USER = None   # a name: nodes log in as this ACL user (ACL_RULES), not default
    REDIS_ACL_RULES = ACL_RULES  # that user's rules

    redis = None
    nodes = []

    @classmethod
    def setUpClass(cls):
        cls.redis = cls.make_redis()
        cls.nodes = []
        try:
            for i in range(cls.NODES):
                cls.nodes.append(Node(cls.redis, "ABCDEFGH"[i], env=cls.NODE_ENV))
        except BaseException:
            cls._teardown_cluster()
            raise

    @classmethod
    def make_redis(cls):
        return RedisServer(acl_user=cls.REDIS_ACL_USER, acl_rules=cls.REDIS_ACL_RULES)

    @classmethod
    def tearDownClass(cls):
        cls._teardown_cluster(check=True)

    @classmethod
    def _teardown_cluster(cls, check=False):
        errors = []
        for node in cls.nodes:
            try:
                if check:
                    node.stop_and_check()
                else:
                    node.kill()
            except AssertionError as e:
                errors.append("%r: %s" % (node, e))
        cls.nodes = []
        if cls.redis is not None:
            cls.redis.stop()
            cls.redis.cleanup()
            cls.redis = None
        if errors:
            raise AssertionError("\n".join(errors))

    def tearDown(self):
        for node in self.nodes:
            if node.proc.poll() is not None:
                raise AssertionError("node %r died (exit %s):\n%s" % (
                    node, node.proc.returncode, node.log_tail()))
            node.assert_alive()
            node.assert_logs_clean()
            node.wait_ready(10.0)

    def start_node(self, name, env=None):
        """An extra node for one test; killed (if still running) at cleanup."""
        merged = dict(self.NODE_ENV)
        merged.update(env or {})
        node = Node(self.redis, name, env=merged)
        self.addCleanup(node.kill)
        return node

    def mark(self):
        """The id of a fresh event on a channel no test streams: a position "now".

        A stream opened without Last-Event-ID starts at the head Redis has when the node's
        replay runs, which may be after the client saw the stream open (KNOWN_BUG_FRESH in
        test_cross_node_delivery.py); resuming from a mark taken before opening covers that
        window, so the tests that are about something else do not depend on it."""
        return self.nodes[0].publish("marker." + self.channel(), None)

    def open(self, node, channel_or_path, last_event_id=None, **kw):
        """node.stream(...) from `last_event_id`, or from a fresh mark."""
        if last_event_id is None:
            last_event_id = self.mark()
        return node.stream(channel_or_path, last_event_id=last_event_id, **kw)

    def channel(self, suffix=""):
        """A channel prefix unique to the running test, so tests sharing a cluster never see
        each other's events."""
        base = self.id().rsplit(".", 1)[-1].replace("test_", "t")[:40]
        return base + ("." + suffix if suffix else "")


# --------------------------------------------------------------------------------------------
# Channel patterns and expectations
# --------------------------------------------------------------------------------------------

def entry_matches(entry, channel):
    """The contract's rule: `*` is exactly one segment, a final `**` one or more."""
    e = entry.split(".")
    c = channel.split(".")
    if e and e[-1] == "**":
        if len(c) < len(e):
            return False
        e, c = e[:-1], c[:len(e) - 1]
    elif len(e) != len(c):
        return False
    return all(a == "*" or a == b for a, b in zip(e, c))


def covers(entries, channel):
    return any(entry_matches(e, channel) for e in entries)


def expected_ids(published, entries):
    """published: {event id: (channel, data)}. The ids a stream on `entries` must get, in
    order (ascending seq: the cluster's one total order)."""
    ids = [i for i, (ch, _) in published.items() if covers(entries, ch)]
    return sorted(ids, key=harness.seq_of)


def describe_mismatch(got, want):
    """A short explanation of how two id lists differ (missing, extra, duplicates, order)."""
    got_set, want_set = set(got), set(want)
    dups = sorted({i for i in got if got.count(i) > 1}, key=harness.seq_of) if \
        len(got) != len(got_set) else []
    missing = sorted(want_set - got_set, key=harness.seq_of)
    extra = sorted(got_set - want_set, key=harness.seq_of)
    return "got %d, want %d; missing %d %s; extra %d %s; duplicates %s; in order: %s" % (
        len(got), len(want), len(missing), missing[:5], len(extra), extra[:5], dups[:5],
        got == sorted(got, key=harness.seq_of))


class PublishLoop(threading.Thread):
    """Publishes `count` events from one node (publisher credentials, one keep-alive
    connection), recording each acknowledged id; a non-200 answer is recorded, not raised."""

    def __init__(self, node, channels, count, tag, pause=0.0, stop=None):
        super().__init__(daemon=True)
        self.node = node
        self.channels = channels
        self.count = count
        self.tag = tag
        self.pause = pause
        self.stop_event = stop
        self.acked = {}          # id -> (channel, data), in publish order
        self.failures = []       # (n, exception text)

    def run(self):
        pub = harness.Publisher(self.node)
        try:
            for n in range(self.count):
                if self.stop_event is not None and self.stop_event.is_set():
                    break
                channel = self.channels[(n * 7 + len(self.tag)) % len(self.channels)]
                data = {"p": self.tag, "n": n}
                try:
                    self.acked[pub.publish(channel, data)] = (channel, data)
                except (AssertionError, OSError, TimeoutError, harness.ConnectionClosed) as e:
                    self.failures.append((n, str(e)[:200]))
                    pub.close()
                if self.pause:
                    time.sleep(self.pause)
        finally:
            pub.close()
