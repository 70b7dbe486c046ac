"""Shared fixtures for Pushy's integration tests: the real binary over raw sockets.

Only the Python standard library is used. Everything that waits takes a timeout, so a broken
server makes a test fail, never hang.

- Server: starts `pushy` on a free loopback port with a test environment, waits for /healthz,
  captures stderr/stdout, stops it with SIGTERM and checks the exit code and that no secret or
  token ever reached the logs.
- HttpConn / request(): raw HTTP/1.1 requests (keep-alive, pipelining, malformed bytes).
- SseStream / AsyncSseStream: de-chunk, then parse SSE (blocking and asyncio variants).
- mint_jwt(): an independent HS512 signer, for tokens "minted elsewhere".
"""

import asyncio
import atexit
import base64
import collections
import faulthandler
import hashlib
import hmac
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import threading
import time
import unittest
import urllib.parse

# Last line of defence against a hang: dump every thread's stack and exit.
faulthandler.dump_traceback_later(float(os.environ.get("PUSHY_TEST_WATCHDOG", "280")), exit=True)

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_BIN = os.path.normpath(os.path.join(HERE, "..", "..", "build", "dev", "src", "server",
                                            "pushy"))
PUSHY_BIN = os.environ.get("PUSHY_BIN") or DEFAULT_BIN
HOST = "127.0.0.1"
VERBOSE = bool(os.environ.get("PUSHY_TEST_VERBOSE"))

# Unique per test process, so a leaked value can be traced to its run. 64+ bytes: no warning.
SECRET = "itest-key-" + secrets.token_hex(40)
CLIENT_ID = "itest-publisher"
CLIENT_SECRET = "itest-pub-secret-" + secrets.token_hex(16)
PUB_HEADERS = {"X-Client-ID": CLIENT_ID, "X-Client-Secret": CLIENT_SECRET}

# Every variable the contract names (plus the server's documented extras): scrubbed from the
# inherited environment so the developer's shell cannot change what a test sees.
CONTRACT_VARS = [
    "AUTH_SECRET_KEY", "PUBLISHER_CLIENT_ID", "PUBLISHER_CLIENT_SECRET", "PORT", "HOST",
    "REDIS_URL", "HEARTBEAT_INTERVAL", "MAX_MESSAGE_BYTES", "HISTORY_SIZE", "HISTORY_TTL",
    "TOKEN_TTL", "MAX_TOKEN_TTL", "ALLOWED_ORIGINS", "MAX_CONNECTIONS", "THREADS",
]
EXTRA_VARS = ["SHUTDOWN_TIMEOUT", "REQUEST_TIMEOUT", "STREAM_BUFFER_BYTES", "LOG_LEVEL",
              "PUSHY_DEMO"]

ID_RE = re.compile(r"^[0-9a-f]{12}-[0-9]+$")

# Tokens and secrets that must never appear in a server's output.
_sensitive_lock = threading.Lock()
_sensitive = {SECRET, CLIENT_SECRET}


def register_sensitive(value):
    if value:
        with _sensitive_lock:
            _sensitive.add(value)
            if value.count(".") == 2 and len(value.rsplit(".", 1)[1]) >= 16:
                _sensitive.add(value.rsplit(".", 1)[1])  # the signature alone is secret too


def sensitive_values():
    with _sensitive_lock:
        return set(_sensitive)


def parse_id(event_id):
    """'<12 hex>-<seq>' -> (epoch, seq); asserts the documented shape."""
    if not isinstance(event_id, str) or not ID_RE.match(event_id):
        raise AssertionError("malformed event id %r" % (event_id,))
    epoch, seq = event_id.split("-")
    return epoch, int(seq)


def seq_of(event_id):
    return parse_id(event_id)[1]


def sanitized_binary():
    """True when PUSHY_BIN was built with ASan/TSan (memory figures mean little then)."""
    try:
        with open(PUSHY_BIN, "rb") as f:
            data = f.read()
    except OSError:
        return False
    return b"__asan_init" in data or b"__tsan_init" in data


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def compact(value):
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def wait_until(predicate, timeout, interval=0.05, message="condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError("timed out after %.1fs waiting for %s" % (timeout, message))
        time.sleep(interval)


# --------------------------------------------------------------------------------------------
# JWT minted "elsewhere"
# --------------------------------------------------------------------------------------------

def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def mint_jwt(claims, key=None, alg="HS512", header=None, raw_header=None):
    """Signs `claims` like any standard JWT library would. `alg` none/HS256/HS512/RS256;
    RS256 gets a junk signature (we only need the server to refuse it)."""
    key = (SECRET if key is None else key)
    key = key.encode() if isinstance(key, str) else key
    if raw_header is None:
        header = header if header is not None else {"alg": alg, "typ": "JWT"}
        raw_header = compact(header).encode()
    signing_input = "%s.%s" % (b64url(raw_header), b64url(compact(claims).encode()))
    if alg == "HS512":
        sig = hmac.new(key, signing_input.encode(), hashlib.sha512).digest()
    elif alg == "HS256":
        sig = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    elif alg == "none":
        sig = b""
    else:
        sig = secrets.token_bytes(256)
    token = "%s.%s" % (signing_input, b64url(sig))
    register_sensitive(token)
    return token


def decode_jwt(token, key=None):
    """Returns (header, claims) after checking the HS512 signature with the shared key."""
    key = (SECRET if key is None else key).encode()
    h, p, s = token.split(".")
    expected = hmac.new(key, ("%s.%s" % (h, p)).encode(), hashlib.sha512).digest()
    if not hmac.compare_digest(expected, b64url_decode(s)):
        raise AssertionError("token signature does not verify with AUTH_SECRET_KEY")
    return json.loads(b64url_decode(h)), json.loads(b64url_decode(p))


def claims(channels, sub="elsewhere", ttl=3600, **extra):
    now = int(time.time())
    out = {"sub": sub, "channels": channels, "iat": now}
    if ttl is not None:
        out["exp"] = now + ttl
    out.update(extra)
    return out


def token_for(channels, ttl=3600, **extra):
    """A valid HS512 token minted elsewhere with the shared key."""
    return mint_jwt(claims(channels, ttl=ttl, **extra))


# --------------------------------------------------------------------------------------------
# Raw HTTP
# --------------------------------------------------------------------------------------------

class ConnectionClosed(Exception):
    pass


class Response:
    def __init__(self, status, reason, headers, body, version):
        self.status = status
        self.reason = reason
        self.headers = headers  # list of (name, value), in order
        self.body = body
        self.version = version

    def header(self, name, default=None):
        name = name.lower()
        for k, v in self.headers:
            if k.lower() == name:
                return v
        return default

    def header_all(self, name):
        name = name.lower()
        return [v for k, v in self.headers if k.lower() == name]

    def json(self):
        try:
            return json.loads(self.body)
        except ValueError as e:
            raise AssertionError("response body is not JSON (%s): %r" % (e, self.body[:300]))

    def __repr__(self):
        return "<Response %d %r %r>" % (self.status, self.headers, self.body[:300])


def header_items(headers):
    if headers is None:
        return []
    if isinstance(headers, dict):
        return list(headers.items())
    return list(headers)


def build_request(method, path, headers=None, body=None, version="HTTP/1.1", host=True):
    items = header_items(headers)
    names = {k.lower() for k, _ in items}
    if host and "host" not in names:
        items.insert(0, ("Host", "%s" % HOST))
    if body is not None:
        if isinstance(body, str):
            body = body.encode()
        if "content-length" not in names and "transfer-encoding" not in names:
            items.append(("Content-Length", str(len(body))))
    head = "%s %s %s\r\n" % (method, path, version)
    head += "".join("%s: %s\r\n" % (k, v) for k, v in items) + "\r\n"
    return head.encode("latin-1") + (body or b"")


class HttpConn:
    """One client connection; reads responses framed by Content-Length or chunked encoding."""

    def __init__(self, port, timeout=5.0, rcvbuf=None, connect_timeout=5.0):
        self.port = port
        self.timeout = timeout
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf is not None:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(connect_timeout)
        try:
            self.sock.connect((HOST, port))
        except OSError:
            self.sock.close()
            raise
        self.sock.settimeout(timeout)
        self.buf = bytearray()
        self.eof = False

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def send(self, data):
        self.sock.sendall(data)

    def _recv(self, deadline):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("no data from server in time")
        self.sock.settimeout(remaining)
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            raise TimeoutError("no data from server in time")
        except ConnectionResetError:
            data = b""
        if not data:
            self.eof = True
        return data

    def _fill(self, deadline):
        data = self._recv(deadline)
        if not data:
            raise ConnectionClosed("connection closed by server")
        self.buf += data

    def read_head(self, timeout=None):
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            end = self.buf.find(b"\r\n\r\n")
            if end >= 0:
                break
            if len(self.buf) > (1 << 20):
                raise AssertionError("response head larger than 1 MiB")
            self._fill(deadline)
        head = bytes(self.buf[:end]).decode("latin-1")
        del self.buf[:end + 4]
        lines = head.split("\r\n")
        parts = lines[0].split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/"):
            raise AssertionError("bad status line %r" % lines[0])
        headers = []
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers.append((name.strip(), value.strip()))
        return Response(int(parts[1]), parts[2] if len(parts) > 2 else "", headers, b"",
                        parts[0])

    def read_exact(self, n, deadline):
        while len(self.buf) < n:
            self._fill(deadline)
        out = bytes(self.buf[:n])
        del self.buf[:n]
        return out

    def read_response(self, method="GET", timeout=None):
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            resp = self.read_head(timeout=max(0.01, deadline - time.monotonic()))
            if not 100 <= resp.status < 200:
                break
        if method == "HEAD" or resp.status in (204, 304):
            return resp
        te = (resp.header("Transfer-Encoding") or "").lower()
        cl = resp.header("Content-Length")
        if "chunked" in te:
            dech = Dechunker()
            out = bytearray(dech.feed(bytes(self.buf)))
            self.buf.clear()
            while not dech.done:
                data = self._recv(deadline)
                if not data:
                    raise ConnectionClosed("closed inside chunked body")
                out += dech.feed(data)
            self.buf += dech.leftover()
            resp.body = bytes(out)
        elif cl is not None:
            resp.body = self.read_exact(int(cl), deadline)
        else:
            out = bytearray(self.buf)
            self.buf.clear()
            while True:
                data = self._recv(deadline)
                if not data:
                    break
                out += data
            resp.body = bytes(out)
        return resp

    def request(self, method, path, headers=None, body=None, json_body=None, timeout=None):
        if json_body is not None:
            body = json.dumps(json_body).encode()
            items = header_items(headers)
            if "content-type" not in {k.lower() for k, _ in items}:
                items.append(("Content-Type", "application/json"))
            headers = items
        self.send(build_request(method, path, headers, body))
        return self.read_response(method, timeout)

    def wait_closed(self, timeout):
        """True when the server closes within `timeout` (data before the close is kept in
        self.buf); False when the connection is still open then."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                data = self._recv(deadline)
            except TimeoutError:
                return False
            if not data:
                return True
            self.buf += data


def exchange(port, raw, timeout=5.0, method="GET"):
    """Sends raw bytes (tolerating the server closing early) and reads one response.
    Returns (response or None if closed without one, conn); the caller closes conn."""
    conn = HttpConn(port, timeout=timeout)
    try:
        for i in range(0, len(raw), 65536):
            conn.send(raw[i:i + 65536])
    except (BrokenPipeError, ConnectionResetError):
        pass
    try:
        return conn.read_response(method, timeout), conn
    except ConnectionClosed:
        return None, conn


def request(port, method, path, headers=None, body=None, json_body=None, timeout=5.0):
    """One request on a fresh connection."""
    with HttpConn(port, timeout=timeout) as c:
        return c.request(method, path, headers, body, json_body, timeout)


# --------------------------------------------------------------------------------------------
# De-chunking and SSE parsing (incremental, shared by the blocking and asyncio clients)
# --------------------------------------------------------------------------------------------

class ProtocolError(AssertionError):
    pass


class Dechunker:
    """Incremental decoder of an HTTP/1.1 chunked body; strict about framing."""

    def __init__(self):
        self.buf = bytearray()
        self.state = "size"
        self.remaining = 0
        self.done = False
        self.chunks = 0

    def feed(self, data):
        self.buf += data
        out = bytearray()
        pos = 0
        buf = self.buf
        while not self.done:
            if self.state == "size":
                end = buf.find(b"\r\n", pos)
                if end < 0:
                    if len(buf) - pos > 4096:
                        raise ProtocolError("chunk-size line too long")
                    break
                line = bytes(buf[pos:end]).split(b";", 1)[0].strip()
                try:
                    size = int(line, 16)
                except ValueError:
                    raise ProtocolError("bad chunk-size line %r" % bytes(buf[pos:end + 2]))
                pos = end + 2
                if size == 0:
                    self.state = "trailer"
                else:
                    self.chunks += 1
                    self.remaining = size
                    self.state = "data"
            elif self.state == "data":
                take = min(self.remaining, len(buf) - pos)
                if take == 0:
                    break
                out += buf[pos:pos + take]
                pos += take
                self.remaining -= take
                if self.remaining == 0:
                    self.state = "crlf"
            elif self.state == "crlf":
                if len(buf) - pos < 2:
                    break
                if buf[pos:pos + 2] != b"\r\n":
                    raise ProtocolError("chunk data not followed by CRLF")
                pos += 2
                self.state = "size"
            elif self.state == "trailer":
                end = buf.find(b"\r\n", pos)
                if end < 0:
                    break
                if end == pos:
                    self.done = True
                pos = end + 2
        del buf[:pos]
        return bytes(out)

    def leftover(self):
        out = bytes(self.buf)
        self.buf.clear()
        return out


class SseEvent:
    kind = "event"

    def __init__(self, fields, lines, t):
        self.id = fields.get("id")          # None when the block had no id line
        self.event = fields.get("event")    # None when the block had no event line
        self.data = fields.get("data")      # lines joined with \n
        self.retry = fields.get("retry")
        self.lines = lines                  # raw lines of the block, for exact-format checks
        self.t = t                          # time.monotonic() when the blank line arrived

    def json(self):
        try:
            return json.loads(self.data)
        except (TypeError, ValueError) as e:
            raise AssertionError("event data is not JSON (%s): %r" % (e, self.data))

    @property
    def channel(self):
        return self.json()["channel"]

    @property
    def payload(self):
        return self.json()["data"]

    def __repr__(self):
        return "<SseEvent %r>" % (self.lines,)


class SseComment:
    kind = "comment"

    def __init__(self, text, t):
        self.text = text
        self.t = t

    def __repr__(self):
        return "<SseComment %r>" % self.text


class SseRetry:
    kind = "retry"

    def __init__(self, value, t):
        self.value = value
        self.t = t

    def __repr__(self):
        return "<SseRetry %r>" % self.value


class SseParser:
    """Line-based SSE parser; emits SseComment per comment line, SseEvent per block with an
    id/event/data field, SseRetry per block holding only a retry field."""

    def __init__(self):
        self.pending = b""
        self.fields = {}
        self.lines = []

    def feed(self, data, t):
        if not data:
            return []
        data = self.pending + data
        parts = data.split(b"\n")
        self.pending = parts.pop()
        out = []
        for raw in parts:
            if raw.endswith(b"\r"):
                raw = raw[:-1]
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise ProtocolError("SSE line is not UTF-8: %r" % raw)
            if not line:
                self._dispatch(out, t)
                continue
            if line[0] == ":":
                out.append(SseComment(line[1:], t))
                continue
            self.lines.append(line)
            name, sep, value = line.partition(":")
            if sep and value.startswith(" "):
                value = value[1:]
            if name == "data":
                self.fields["data"] = (self.fields["data"] + "\n" + value
                                       if "data" in self.fields else value)
            elif name in ("id", "event"):
                self.fields[name] = value
            elif name == "retry":
                self.fields["retry"] = value
            else:
                self.fields.setdefault("unknown", []).append(line)
        return out

    def _dispatch(self, out, t):
        if not self.lines:
            return
        f = self.fields
        if "id" in f or "event" in f or "data" in f or "unknown" in f:
            out.append(SseEvent(f, self.lines, t))
        elif "retry" in f:
            out.append(SseRetry(f["retry"], t))
        self.fields = {}
        self.lines = []

    def partial(self):
        """Bytes of an unfinished line plus lines of an unfinished block."""
        return self.pending, list(self.lines)


class StreamEnded(Exception):
    pass


def stream_headers(token=None, last_event_id=None, origin=None, headers=None):
    items = [("Accept", "text/event-stream")]
    if token is not None:
        items.append(("Authorization", "Bearer " + token))
    if last_event_id is not None:
        items.append(("Last-Event-ID", last_event_id))
    if origin is not None:
        items.append(("Origin", origin))
    items += header_items(headers)
    return items


class SseStream:
    """A blocking SSE subscriber. When the server answers 200 the stream waits (by default)
    until the opening `retry:` field arrived, so a following publish is certain to happen
    after the server finished opening the stream."""

    def __init__(self, port, path, token=None, last_event_id=None, origin=None, headers=None,
                 timeout=5.0, rcvbuf=None, wait_ready=True):
        self.conn = HttpConn(port, timeout=timeout, rcvbuf=rcvbuf)
        self.path = path
        self.opened_at = time.monotonic()
        self.conn.send(build_request("GET", path, stream_headers(token, last_event_id, origin,
                                                                 headers)))
        head = self.conn.read_head(timeout)
        self.response = head
        self.status = head.status
        self.headers = head.headers
        self.items = collections.deque()
        self.history = []            # every item ever parsed, in order
        self.ended = None            # None, "clean" (final chunk) or "eof" (closed without it)
        self.ended_at = None
        self.retry = None
        self.chunked = "chunked" in (head.header("Transfer-Encoding") or "").lower()
        self.parser = SseParser()
        self.dechunker = Dechunker() if self.chunked else None
        self.raw = bytearray()       # de-chunked body bytes, for exact-format checks
        if self.status != 200:
            body_resp = head
            try:
                cl = head.header("Content-Length")
                if self.chunked or cl is not None:
                    # Re-read the body with the ordinary framing rules.
                    if self.chunked:
                        d = Dechunker()
                        body = bytearray(d.feed(bytes(self.conn.buf)))
                        self.conn.buf.clear()
                        deadline = time.monotonic() + timeout
                        while not d.done:
                            data = self.conn._recv(deadline)
                            if not data:
                                break
                            body += d.feed(data)
                        body_resp.body = bytes(body)
                    else:
                        body_resp.body = self.conn.read_exact(
                            int(cl), time.monotonic() + timeout)
                else:
                    self.conn.wait_closed(timeout)
                    body_resp.body = bytes(self.conn.buf)
            except (TimeoutError, ConnectionClosed):
                pass
            self.body = body_resp.body
            self.conn.close()
            return
        self.body = None
        pending = bytes(self.conn.buf)
        self.conn.buf.clear()
        self._consume(pending)
        if wait_ready:
            deadline = time.monotonic() + timeout
            while self.retry is None and self.ended is None:
                self._pump(deadline)

    # -- internals

    def header(self, name, default=None):
        return self.response.header(name, default)

    def json(self):
        return Response(self.status, "", self.headers, self.body or b"", "").json()

    def _consume(self, data):
        now = time.monotonic()
        if self.chunked:
            decoded = self.dechunker.feed(data)
        else:
            decoded = data
        self.raw += decoded
        for item in self.parser.feed(decoded, now):
            if item.kind == "retry" and self.retry is None:
                self.retry = item.value
            if item.kind == "event" and item.retry is not None and self.retry is None:
                self.retry = item.retry
            self.items.append(item)
            self.history.append(item)
        if self.chunked and self.dechunker.done and self.ended is None:
            self.ended = "clean"
            self.ended_at = now

    def _pump(self, deadline):
        if self.ended is not None:
            raise StreamEnded(self.ended)
        data = self.conn._recv(deadline)
        if not data:
            self.ended = "eof" if not (self.chunked and self.dechunker.done) else "clean"
            self.ended_at = time.monotonic()
            self.conn.close()
            return
        self._consume(data)

    # -- public API

    def next_item(self, timeout=5.0):
        deadline = time.monotonic() + timeout
        while not self.items:
            self._pump(deadline)
        return self.items.popleft()

    def next_event(self, timeout=5.0):
        """Next event block, skipping comments and bare retry blocks."""
        deadline = time.monotonic() + timeout
        while True:
            item = self.next_item(max(0.0, deadline - time.monotonic()) or 0.001)
            if item.kind == "event":
                return item

    def read_events(self, n, timeout=10.0):
        deadline = time.monotonic() + timeout
        out = []
        while len(out) < n:
            try:
                out.append(self.next_event(max(0.001, deadline - time.monotonic())))
            except TimeoutError:
                raise AssertionError("got %d of %d events within %.1fs: %r" % (
                    len(out), n, timeout, [e.id for e in out][-5:]))
            except StreamEnded as e:
                raise AssertionError("stream ended (%s) after %d of %d events" % (e, len(out), n))
        return out

    def read_until(self, predicate, timeout=10.0):
        """Events up to and including the first that satisfies predicate."""
        deadline = time.monotonic() + timeout
        out = []
        while True:
            try:
                ev = self.next_event(max(0.001, deadline - time.monotonic()))
            except TimeoutError:
                raise AssertionError("condition not met within %.1fs; got %d events, last %r"
                                     % (timeout, len(out), out[-3:]))
            out.append(ev)
            if predicate(ev):
                return out

    def collect(self, seconds):
        """All items arriving within `seconds` (stops early if the stream ends)."""
        deadline = time.monotonic() + seconds
        out = []
        while True:
            while self.items:
                out.append(self.items.popleft())
            if self.ended is not None or time.monotonic() >= deadline:
                return out
            try:
                self._pump(deadline)
            except TimeoutError:
                return out
            except StreamEnded:
                return out

    def expect_no_event(self, seconds):
        events = [i for i in self.collect(seconds) if i.kind == "event"]
        if events:
            raise AssertionError("unexpected events: %r" % events)

    def wait_end(self, timeout):
        """Waits for the server to end the stream; returns the items that came before."""
        deadline = time.monotonic() + timeout
        out = []
        while self.ended is None:
            while self.items:
                out.append(self.items.popleft())
            try:
                self._pump(deadline)
            except TimeoutError:
                raise AssertionError("stream still open after %.1fs" % timeout)
        out.extend(self.items)
        self.items.clear()
        return out

    def comments(self):
        return [i for i in self.history if i.kind == "comment"]

    def close(self):
        self.conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class AsyncSseStream:
    """asyncio SSE subscriber for tests with many concurrent streams."""

    def __init__(self):
        self.reader = None
        self.writer = None
        self.status = None
        self.headers = []
        self.parser = SseParser()
        self.dechunker = None
        self.items = collections.deque()
        self.ended = None
        self.retry = None

    @classmethod
    async def open(cls, port, path, token=None, last_event_id=None, timeout=10.0):
        self = cls()
        self.reader, self.writer = await asyncio.wait_for(
            asyncio.open_connection(HOST, port, limit=1 << 20), timeout)
        self.writer.write(build_request("GET", path, stream_headers(token, last_event_id)))
        head = await asyncio.wait_for(self.reader.readuntil(b"\r\n\r\n"), timeout)
        lines = head.decode("latin-1").split("\r\n")
        self.status = int(lines[0].split(" ")[1])
        for line in lines[1:]:
            if line:
                k, _, v = line.partition(":")
                self.headers.append((k.strip().lower(), v.strip()))
        if self.status != 200:
            self.writer.close()
            return self
        if "chunked" in dict(self.headers).get("transfer-encoding", "").lower():
            self.dechunker = Dechunker()
        deadline = time.monotonic() + timeout
        while self.retry is None:
            await self._pump(deadline)
        return self

    async def _pump(self, deadline):
        if self.ended is not None:
            raise StreamEnded(self.ended)
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("no data in time")
        try:
            data = await asyncio.wait_for(self.reader.read(262144), remaining)
        except asyncio.TimeoutError:
            raise TimeoutError("no data in time")
        except ConnectionError:
            data = b""
        now = time.monotonic()
        if not data:
            self.ended = "clean" if (self.dechunker and self.dechunker.done) else "eof"
            return
        if self.dechunker is not None:
            data = self.dechunker.feed(data)
            if self.dechunker.done:
                self.ended = "clean"
        for item in self.parser.feed(data, now):
            if item.kind == "retry" and self.retry is None:
                self.retry = item.value
            elif item.kind == "event":
                if item.retry is not None and self.retry is None:
                    self.retry = item.retry
                self.items.append(item)

    async def read_events(self, n, timeout):
        deadline = time.monotonic() + timeout
        out = []
        while len(out) < n:
            while self.items and len(out) < n:
                out.append(self.items.popleft())
            if len(out) < n:
                try:
                    await self._pump(deadline)
                except (TimeoutError, StreamEnded) as e:
                    raise AssertionError("got %d of %d events: %s" % (len(out), n, e))
        return out

    async def collect(self, n, idle_timeout, deadline):
        """Up to n events; stops early (returning what it has) after `idle_timeout` seconds
        without data, at `deadline` (time.monotonic()), or when the stream ends."""
        out = []
        while len(out) < n:
            while self.items and len(out) < n:
                out.append(self.items.popleft())
            if len(out) >= n:
                break
            try:
                await self._pump(min(deadline, time.monotonic() + idle_timeout))
            except (TimeoutError, StreamEnded):
                break
        return out

    def close(self):
        if self.writer is not None:
            self.writer.close()


# --------------------------------------------------------------------------------------------
# Metrics
# --------------------------------------------------------------------------------------------

_METRIC_RE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)(\s+\S+)?$")
_LABEL_RE = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse_metrics(text):
    """Prometheus text -> {name: [(labels dict, value)]}; asserts every sample line parses."""
    out = collections.defaultdict(list)
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        m = _METRIC_RE.match(line)
        if not m:
            raise AssertionError("unparseable metrics line %r" % line)
        labels = dict(_LABEL_RE.findall(m.group(2) or ""))
        out[m.group(1)].append((labels, float(m.group(3))))
    return out


# --------------------------------------------------------------------------------------------
# The server process
# --------------------------------------------------------------------------------------------

_live_servers = set()


@atexit.register
def _kill_leftovers():
    for s in list(_live_servers):
        s.kill()


class Server:
    """One `pushy` process on a free loopback port."""

    def __init__(self, env=None, args=None, shutdown_timeout=3, start=True):
        self.extra_env = dict(env or {})
        self.args = list(args or [])
        self.shutdown_timeout = shutdown_timeout
        self.proc = None
        self.port = None
        self.output = []            # (stream name, line) from stderr and stdout
        self._out_lock = threading.Lock()
        self._readers = []
        self.returncode = None
        if start:
            self.start()

    # -- lifecycle

    def env(self):
        env = {k: v for k, v in os.environ.items() if k not in CONTRACT_VARS + EXTRA_VARS}
        env.update({
            "AUTH_SECRET_KEY": SECRET,
            "PUBLISHER_CLIENT_ID": CLIENT_ID,
            "PUBLISHER_CLIENT_SECRET": CLIENT_SECRET,
            "HOST": HOST,
            "PORT": str(self.port),
            "THREADS": "2",
            "LOG_LEVEL": "debug",
            "SHUTDOWN_TIMEOUT": str(self.shutdown_timeout),
        })
        env.update({k: str(v) for k, v in self.extra_env.items()})
        return env

    def start(self, timeout=10.0):
        if not os.path.exists(PUSHY_BIN):
            raise AssertionError("pushy binary not found at %s (set PUSHY_BIN)" % PUSHY_BIN)
        last_error = None
        for _ in range(3):  # a free port may be taken between probe and bind: retry
            self.port = free_port()
            self.output = []
            self.proc = subprocess.Popen([PUSHY_BIN] + self.args, env=self.env(),
                                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                         stderr=subprocess.PIPE)
            _live_servers.add(self)
            self._readers = [threading.Thread(target=self._read, args=(self.proc.stderr, "err"),
                                              daemon=True),
                             threading.Thread(target=self._read, args=(self.proc.stdout, "out"),
                                              daemon=True)]
            for t in self._readers:
                t.start()
            try:
                self._wait_healthy(timeout)
                return self
            except AssertionError as e:
                last_error = e
                if self.proc.poll() is None:
                    self.kill()
                    raise
                self.proc.wait()
                _live_servers.discard(self)
        raise last_error

    def _read(self, pipe, name):
        for raw in iter(pipe.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip("\n")
            with self._out_lock:
                self.output.append((name, line))
            if VERBOSE:
                print("[pushy:%d %s] %s" % (self.port, name, line), flush=True)
        pipe.close()

    def _wait_healthy(self, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                for t in self._readers:
                    t.join(2)
                raise AssertionError("pushy exited with %s during start:\n%s" % (
                    self.proc.returncode, self.log_tail()))
            try:
                if request(self.port, "GET", "/healthz", timeout=1.0).status == 200:
                    return
            except (OSError, TimeoutError, ConnectionClosed, AssertionError):
                pass
            time.sleep(0.05)
        raise AssertionError("pushy not healthy within %.0fs:\n%s" % (timeout, self.log_tail()))

    def signal(self, sig):
        self.proc.send_signal(sig)

    def wait(self, timeout):
        try:
            self.returncode = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None
        for t in self._readers:
            t.join(2)
        _live_servers.discard(self)
        return self.returncode

    def stop(self, timeout=None):
        """SIGTERM, wait; returns the exit code (None if it had to be killed)."""
        if self.proc is None or self.proc.poll() is not None:
            if self.proc is not None:
                self.wait(1)
            return self.returncode
        timeout = self.shutdown_timeout + 3 if timeout is None else timeout
        self.proc.send_signal(signal.SIGTERM)
        rc = self.wait(timeout)
        if rc is None:
            self.kill()
        return rc

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                pass
        _live_servers.discard(self)

    def stop_and_check(self, testcase=None):
        """Graceful stop; asserts exit code 0 and clean logs."""
        rc = self.stop()
        if rc != 0:
            raise AssertionError("pushy exit code %r after SIGTERM (expected 0):\n%s" % (
                rc, self.log_tail()))
        self.assert_logs_clean()

    # -- logs

    def log_text(self):
        with self._out_lock:
            return "\n".join(line for _, line in self.output)

    def log_tail(self, n=40):
        with self._out_lock:
            return "\n".join("%s: %s" % x for x in self.output[-n:])

    def assert_logs_clean(self):
        text = self.log_text()
        for marker in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                       "WARNING: ThreadSanitizer"):
            if marker in text:
                raise AssertionError("sanitizer report in the server output:\n%s" % text[
                    text.index(marker):][:4000])
        leaked = [v for v in sensitive_values() if v and v in text]
        if leaked:
            raise AssertionError("a secret or token appears in the server output: %s" % [
                v[:12] + "..." for v in leaked])

    # -- HTTP helpers

    def request(self, method, path, headers=None, body=None, json_body=None, timeout=5.0):
        return request(self.port, method, path, headers, body, json_body, timeout)

    def get(self, path, headers=None, timeout=5.0):
        return self.request("GET", path, headers, timeout=timeout)

    def mint(self, channels, sub="u1", ttl=None, meta=None):
        body = {"sub": sub, "channels": channels}
        if ttl is not None:
            body["ttl"] = ttl
        if meta is not None:
            body["meta"] = meta
        r = self.request("POST", "/token", PUB_HEADERS, json_body=body)
        if r.status != 200:
            raise AssertionError("POST /token failed: %r" % r)
        token = r.json()["token"]
        register_sensitive(token)
        return token

    def publish_raw(self, channel, body, token=None, headers=None):
        h = dict(PUB_HEADERS) if token is None else {"Authorization": "Bearer " + token}
        h.update(headers or {})
        path = "/publish" if channel is None else "/publish/" + urllib.parse.quote(channel, "")
        return self.request("POST", path, h, json_body=body)

    def publish(self, channel, data, event=None, token=None):
        body = {"data": data}
        if event is not None:
            body["event"] = event
        r = self.publish_raw(channel, body, token)
        if r.status != 200:
            raise AssertionError("publish to %r failed: %r" % (channel, r))
        event_id = r.json()["id"]
        parse_id(event_id)
        return event_id

    def stream(self, channel_or_path, token=None, channels_for_token=None, **kw):
        """Opens /channels/{c}/stream (or a path starting with '/'). Without a token, one
        granting `channels_for_token` (default: the channel itself) is minted elsewhere."""
        if channel_or_path.startswith("/"):
            path = channel_or_path
            grant = channels_for_token
        else:
            path = "/channels/%s/stream" % urllib.parse.quote(channel_or_path, "")
            grant = channels_for_token or [channel_or_path]
        if token is None:
            if grant is None:
                raise ValueError("a path stream needs token= or channels_for_token=")
            token = token_for(grant)
        return SseStream(self.port, path, token=token, **kw)

    def metrics(self):
        r = self.get("/metrics")
        if r.status != 200:
            raise AssertionError("/metrics answered %r" % r)
        return parse_metrics(r.body.decode())

    def metric(self, name, **labels):
        """Sum of the samples of `name` whose labels include `labels` (None if absent)."""
        samples = self.metrics().get(name)
        if samples is None:
            return None
        return sum(v for l, v in samples if all(l.get(k) == w for k, w in labels.items()))

    def assert_alive(self):
        r = self.get("/healthz")
        if r.status != 200:
            raise AssertionError("server not healthy: %r" % r)


class Publisher:
    """Publishes over one keep-alive connection, reconnecting if the server closes it."""

    def __init__(self, server, token=None):
        self.server = server
        self.token = token
        self.conn = None

    def publish(self, channel, data, event=None):
        body = {"data": data}
        if event is not None:
            body["event"] = event
        h = dict(PUB_HEADERS) if self.token is None else {"Authorization": "Bearer " + self.token}
        h["Content-Type"] = "application/json"
        payload = build_request("POST", "/publish/" + urllib.parse.quote(channel, ""), h,
                                json.dumps(body).encode())
        for attempt in range(2):
            if self.conn is None:
                self.conn = HttpConn(self.server.port, timeout=10.0)
            try:
                self.conn.send(payload)
                r = self.conn.read_response("POST")
                break
            except (ConnectionClosed, BrokenPipeError, ConnectionResetError):
                # The server may close an idle keep-alive connection; only retry when it
                # did so before reading this request (no partial publish is possible then).
                self.conn.close()
                self.conn = None
                if attempt:
                    raise
        if (r.header("Connection") or "").lower() == "close":
            self.conn.close()
            self.conn = None
        if r.status != 200:
            raise AssertionError("publish failed: %r" % r)
        event_id = r.json()["id"]
        parse_id(event_id)
        return event_id

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


class ServerTestCase(unittest.TestCase):
    """One shared server per test class; subclasses set SERVER_ENV. Each test ends by checking
    the server is still healthy; the class ends with a graceful stop and a log check."""

    SERVER_ENV = {}
    server = None

    @classmethod
    def setUpClass(cls):
        cls.server = Server(env=cls.SERVER_ENV)

    @classmethod
    def tearDownClass(cls):
        if cls.server is not None:
            cls.server.stop_and_check()

    def tearDown(self):
        # Checked after every test, so a leak or crash is blamed on the test that caused it.
        if self.server is not None:
            if self.server.proc.poll() is not None:
                raise AssertionError("pushy died (exit %s):\n%s" % (
                    self.server.proc.returncode, self.server.log_tail()))
            self.server.assert_alive()
            self.server.assert_logs_clean()

    def new_server(self, env=None, **kw):
        """A dedicated server for one test, stopped (exit 0, clean logs) at cleanup."""
        s = Server(env=env, **kw)
        self.addCleanup(s.stop_and_check)
        return s

    def assertError(self, resp, status, msg=None):
        """A contract error response: status, JSON content type, {"error": str}."""
        self.assertEqual(resp.status, status, msg or repr(resp))
        ctype = (resp.header("Content-Type") or "").lower()
        self.assertTrue(ctype.startswith("application/json"), "error content type %r: %r" % (
            ctype, resp))
        body = resp.json()
        self.assertIsInstance(body, dict, repr(resp))
        self.assertIsInstance(body.get("error"), str, repr(resp))
        self.assertTrue(body["error"], repr(resp))
        for secret in sensitive_values():
            self.assertNotIn(secret.encode(), resp.body, "secret echoed in error body")
