"""docs/deployment.md, tested: its nginx configuration, run by Debian's nginx in front of the real
pushy binary, and its systemd unit, checked by systemd-analyze.

The configuration is read out of the document (the ```nginx block that names this file), and
only addresses, ports, certificate and log paths are replaced, each replacement asserted, so
the document cannot drift from what is tested. nginx runs in the foreground from a temporary
prefix with its own pid, logs and temp paths (never /etc/nginx's instance) and is stopped by PID.

Standard library only, plus the `nginx`, `openssl` and `curl` commands (skipped when absent).
"""

import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
DOC = os.path.join(ROOT, "docs", "deployment.md")
PUBLISHER = {"X-Client-ID": "publisher_id", "X-Client-Secret": "publisher_secret"}
SETTINGS = ["AUTH_SECRET_KEY", "PUBLISHER_CLIENT_ID", "PUBLISHER_CLIENT_SECRET", "PORT", "HOST",
            "REDIS_URL", "HEARTBEAT_INTERVAL", "MAX_CONNECTIONS", "THREADS", "PUSHY_DEMO",
            "SHUTDOWN_TIMEOUT", "ALLOWED_ORIGINS"]
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def pushy_binary():
    if os.environ.get("PUSHY_BIN"):
        return os.environ["PUSHY_BIN"]
    for preset in ("ci", "dev", "release"):
        candidate = os.path.join(ROOT, "build", preset, "src", "server", "pushy")
        if os.path.exists(candidate):
            return candidate
    raise unittest.SkipTest("set PUSHY_BIN to the pushy binary")


def doc_block(language, marker):
    with open(DOC, encoding="utf-8") as f:
        text = f.read()
    for block in re.findall(r"```%s\n(.*?)```" % language, text, re.S):
        if marker in block:
            return block
    raise AssertionError("docs/deployment.md has no ```%s block naming %s" % (language, marker))


def substitute(text, old, new, count):
    """Replaces `old` (a regex) exactly `count` times, or fails: the doc changed shape."""
    result, n = re.subn(old, new, text)
    if n != count:
        raise AssertionError("expected %d of /%s/ in the documented config, found %d" % (count, old, n))
    return result


def read(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.02)
    raise AssertionError("nothing listens on port %d" % port)


class Pushy:
    def __init__(self, heartbeat):
        env = {k: v for k, v in os.environ.items() if k not in SETTINGS}
        env.update(THREADS="2", SHUTDOWN_TIMEOUT="2", HEARTBEAT_INTERVAL=str(heartbeat))
        self.log = tempfile.TemporaryFile("w+")
        self.proc = subprocess.Popen([pushy_binary(), "--demo", "--port", "0"], env=env,
                                     stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while True:
            self.log.seek(0)
            match = re.search(r"listening on 127\.0\.0\.1:(\d+)", self.log.read())
            if match:
                self.port = int(match.group(1))
                return
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise AssertionError("pushy did not start")
            time.sleep(0.02)

    def output(self):
        if self.log.closed:
            return ""
        self.log.seek(0)
        return self.log.read()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


class Nginx:
    """The documented configuration with local ports, a self-signed certificate and temp paths;
    `read_timeout` replaces the stream location's proxy_read_timeout."""

    def __init__(self, upstream_port, read_timeout):
        self.dir = tempfile.mkdtemp(prefix="pushy-nginx-")
        os.chmod(self.dir, 0o755)  # workers run as an unprivileged user when started as root
        self.tls_port, self.http_port = free_port(), free_port()
        cert, key = os.path.join(self.dir, "cert.pem"), os.path.join(self.dir, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                        "-subj", "/CN=localhost", "-keyout", key, "-out", cert],
                       check=True, capture_output=True, timeout=60)
        conf = doc_block("nginx", "tests/deployment/test_nginx.py")
        conf = substitute(conf, r"server 127\.0\.0\.1:4000;", "server 127.0.0.1:%d;" % upstream_port, 1)
        conf = substitute(conf, r"listen 443 ssl http2;", "listen 127.0.0.1:%d ssl http2;" % self.tls_port, 1)
        conf = substitute(conf, r"listen 80;", "listen 127.0.0.1:%d;" % self.http_port, 1)
        conf = substitute(conf, r"\n *listen \[::\]:(443 ssl http2|80);", "", 2)
        conf = substitute(conf, r"/etc/ssl/pushy/fullchain\.pem", cert, 1)
        conf = substitute(conf, r"/etc/ssl/pushy/privkey\.pem", key, 1)
        conf = substitute(conf, r"/var/log/nginx/", self.dir + "/", 1)
        conf = substitute(conf, r"proxy_read_timeout 1h;", "proxy_read_timeout %s;" % read_timeout, 1)
        # Test-only locations: nginx's defaults (buffering on) to see X-Accel-Buffering work, the
        # same with the header ignored (the control), and HTTP/1.0 to the upstream to see why
        # proxy_http_version 1.1 is needed.
        extra = """
    location /defaults/ {
        proxy_pass http://pushy/;
        proxy_http_version 1.1;
        proxy_set_header Connection '';
    }
    location /ignored/ {
        proxy_pass http://pushy/;
        proxy_http_version 1.1;
        proxy_set_header Connection '';
        proxy_ignore_headers X-Accel-Buffering;
    }
    location /http10/ {
        proxy_pass http://pushy/;
    }
"""
        conf = substitute(conf, r"\n    # Tokens, publishes", extra + "\n    # Tokens, publishes", 1)
        self.access_log = os.path.join(self.dir, "pushy.access.log")
        temp = {name: os.path.join(self.dir, name) for name in
                ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")}
        with open(os.path.join(self.dir, "nginx.conf"), "w") as f:
            f.write("""worker_processes 1;
pid %(dir)s/nginx.pid;
error_log %(dir)s/error.log info;
events { worker_connections 256; }
http {
    access_log off;
    client_body_temp_path %(client_body)s;
    proxy_temp_path %(proxy)s;
    fastcgi_temp_path %(fastcgi)s;
    uwsgi_temp_path %(uwsgi)s;
    scgi_temp_path %(scgi)s;
%(conf)s
}
""" % dict(temp, dir=self.dir, conf=conf))
        self.proc = subprocess.Popen(
            [NGINX, "-p", self.dir, "-c", os.path.join(self.dir, "nginx.conf"), "-e",
             os.path.join(self.dir, "error.log"), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            wait_port(self.tls_port)
            wait_port(self.http_port)
        except AssertionError:
            self.stop()
            raise AssertionError("nginx did not start: %s" % self.error_log())
        self.base = "https://127.0.0.1:%d" % self.tls_port

    def error_log(self):
        path = os.path.join(self.dir, "error.log")
        return read(path) if os.path.exists(path) else ""

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)  # graceful; streams are cut by then anyway
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stderr.close()
        shutil.rmtree(self.dir, ignore_errors=True)


TLS = ssl.create_default_context()
TLS.check_hostname = False
TLS.verify_mode = ssl.CERT_NONE


def request(base, method, path, body=None, headers=None):
    req = urllib.request.Request(base + path, method=method, headers=dict(headers or {}),
                                 data=None if body is None else json.dumps(body).encode())
    if body is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=5, context=TLS) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers, err.read()


class Stream:
    """An SSE stream over TLS (HTTP/1.1); a thread timestamps every line as it arrives."""

    def __init__(self, port, path, token=None, query_token=None):
        self.lines = []  # (monotonic time, line)
        self.ended = None  # monotonic time the connection ended
        self.sock = TLS.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=30))
        if query_token:
            path += ("&" if "?" in path else "?") + "token=" + query_token
        auth = "Authorization: Bearer %s\r\n" % token if token else ""
        self.sock.sendall(("GET %s HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n"
                           "%s\r\n" % (path, auth)).encode())
        self.file = self.sock.makefile("rb")
        self.status = int(self.file.readline().split()[1])
        self.headers = {}
        while True:
            line = self.file.readline().decode().rstrip("\r\n")
            if not line:
                break
            name, _, value = line.partition(":")
            self.headers[name.strip().lower()] = value.strip()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        # The body is chunked: chunk-size lines, then data; keep the SSE lines only.
        try:
            while True:
                size_line = self.file.readline()
                if not size_line:
                    break
                size = int(size_line.split(b";")[0], 16)
                if size == 0:
                    break
                data = self.file.read(size + 2)[:-2]
                now = time.monotonic()
                for line in data.decode().split("\n"):
                    self.lines.append((now, line))
        except (OSError, ValueError):
            pass
        self.ended = time.monotonic()

    def wait_line(self, pattern, timeout=5):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for when, line in list(self.lines):
                if re.search(pattern, line):
                    return when
            if self.ended:
                break
            time.sleep(0.005)
        raise AssertionError("no line /%s/ on the stream: %r" % (pattern, [l for _, l in self.lines]))

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def mint(base, channels, ttl=600):
    status, _, body = request(base, "POST", "/token", {"sub": "nginx-test", "channels": channels,
                                                       "ttl": ttl}, PUBLISHER)
    assert status == 200, body
    return json.loads(body)["token"]


def publish(base, channel, data):
    status, _, body = request(base, "POST", "/publish/" + channel, {"data": data}, PUBLISHER)
    assert status == 200, body
    return json.loads(body)["id"]


@unittest.skipUnless(os.path.exists(NGINX) and shutil.which("openssl"), "needs nginx and openssl")
class BehindNginx(unittest.TestCase):
    """pushy with HEARTBEAT_INTERVAL=1 behind the documented nginx with proxy_read_timeout 3s."""

    @classmethod
    def setUpClass(cls):
        cls.pushy = Pushy(heartbeat=1)
        try:
            cls.nginx = Nginx(cls.pushy.port, read_timeout="3s")
        except Exception:
            cls.pushy.stop()
            raise
        cls.base = cls.nginx.base
        cls.token = mint(cls.base, ["news", "news.*"])

    @classmethod
    def tearDownClass(cls):
        cls.nginx.stop()
        cls.pushy.stop()

    def open(self, path="/channels/news/stream", **kwargs):
        stream = Stream(self.nginx.tls_port, path, **kwargs)
        self.addCleanup(stream.close)
        self.assertEqual(stream.status, 200)
        stream.wait_line(r"^retry: \d+$")
        return stream

    def test_events_flow_through_promptly(self):
        stream = self.open(token=self.token)
        self.assertEqual(stream.headers["content-type"], "text/event-stream")
        self.assertEqual(stream.headers.get("transfer-encoding"), "chunked")
        self.assertNotIn("content-length", stream.headers)
        delays = []
        for n in range(10):
            sent = time.monotonic()
            event_id = publish(self.base, "news", {"n": n})
            arrived = stream.wait_line(r"^id: %s$" % event_id, timeout=2)
            delays.append(arrived - sent)
            time.sleep(0.05)
        self.assertLess(max(delays), 0.2, "publish-to-delivery through nginx: %s" % delays)

    def test_x_accel_buffering_is_honoured_where_buffering_is_on(self):
        stream = self.open("/defaults/channels/news/stream", token=self.token)
        sent = time.monotonic()
        event_id = publish(self.base, "news", "through a buffered location")
        self.assertLess(stream.wait_line(r"^id: %s$" % event_id) - sent, 0.2)

    def test_control_buffering_holds_events_back_when_the_header_is_ignored(self):
        sock = TLS.wrap_socket(socket.create_connection(("127.0.0.1", self.nginx.tls_port), timeout=5))
        self.addCleanup(sock.close)
        sock.sendall(("GET /ignored/channels/news/stream HTTP/1.1\r\nHost: localhost\r\n"
                      "Authorization: Bearer %s\r\n\r\n" % self.token).encode())
        time.sleep(0.3)
        publish(self.base, "news", "held back")
        sock.settimeout(1.0)
        with self.assertRaises(TimeoutError, msg="nginx passed a buffered stream through"):
            sock.recv(4096)  # not even the headers: nginx waits to fill its buffer

    def test_heartbeats_keep_an_idle_stream_open_past_the_read_timeout(self):
        stream = self.open("/stream?channels=news.*", token=self.token)
        time.sleep(4.5)  # nginx would close a silent upstream after 3 s
        self.assertIsNone(stream.ended, "nginx closed the stream")
        beats = [l for _, l in stream.lines if l == ": heartbeat"]
        self.assertGreaterEqual(len(beats), 3)
        event_id = publish(self.base, "news.late", "still here")
        stream.wait_line(r"^id: %s$" % event_id)

    def test_http2_to_the_client(self):
        if not shutil.which("curl"):
            self.skipTest("needs curl")
        out = tempfile.NamedTemporaryFile("w+")
        self.addCleanup(out.close)
        curl = subprocess.Popen(
            ["curl", "-skN", "--http2", "--max-time", "10", "-D", "-",
             "-H", "Authorization: Bearer " + self.token, self.base + "/channels/news/stream"],
            stdout=out, stderr=subprocess.DEVNULL)
        self.addCleanup(lambda: curl.poll() is None and (curl.kill(), curl.wait()))
        deadline = time.monotonic() + 3
        while "retry:" not in read(out.name):
            self.assertLess(time.monotonic(), deadline, "no stream over HTTP/2")
            time.sleep(0.02)
        event_id = publish(self.base, "news", "over h2")
        while "id: %s\n" % event_id not in read(out.name):
            self.assertLess(time.monotonic(), deadline + 2, "no event over HTTP/2: " + read(out.name))
            time.sleep(0.02)
        self.assertTrue(read(out.name).startswith("HTTP/2 200"), read(out.name)[:40])

    def test_upstream_over_http10_is_refused(self):
        status, _, body = request(self.base, "GET", "/http10/channels/news/stream",
                                  headers={"Authorization": "Bearer " + self.token})
        self.assertEqual(status, 505, body)

    def test_plain_http_redirects_to_https(self):
        conn = socket.create_connection(("127.0.0.1", self.nginx.http_port), timeout=5)
        conn.sendall(b"GET /stream?channels=news HTTP/1.1\r\nHost: push.example.com\r\nConnection: close\r\n\r\n")
        answer = b""
        while chunk := conn.recv(4096):
            answer += chunk
        conn.close()
        self.assertTrue(answer.startswith(b"HTTP/1.1 301"), answer[:80])
        self.assertIn(b"Location: https://push.example.com/stream?channels=news", answer)

    def test_query_tokens_stay_out_of_the_access_log(self):
        stream = self.open("/channels/news/stream", query_token=self.token)
        event_id = publish(self.base, "news", "logged?")
        stream.wait_line(r"^id: %s$" % event_id)
        stream.close()
        deadline = time.monotonic() + 5
        while "/channels/news/stream" not in read(self.nginx.access_log):
            self.assertLess(time.monotonic(), deadline, "the stream was never logged")
            time.sleep(0.05)
        log = read(self.nginx.access_log)
        self.assertNotIn(self.token, log)
        self.assertNotIn(self.token.rsplit(".", 1)[1], log)
        self.assertNotIn("token=", log)
        self.assertNotIn(self.token, self.pushy.output())


@unittest.skipUnless(os.path.exists(NGINX) and shutil.which("openssl"), "needs nginx and openssl")
class WithoutHeartbeats(unittest.TestCase):
    """The control: heartbeats rarer than proxy_read_timeout, and nginx does cut idle streams."""

    def test_nginx_cuts_a_silent_stream_at_its_read_timeout(self):
        pushy = Pushy(heartbeat=30)
        self.addCleanup(pushy.stop)
        nginx = Nginx(pushy.port, read_timeout="2s")
        self.addCleanup(nginx.stop)
        token = mint(nginx.base, ["news"])
        stream = Stream(nginx.tls_port, "/channels/news/stream", token=token)
        self.addCleanup(stream.close)
        opened = stream.wait_line(r"^retry: \d+$")
        deadline = time.monotonic() + 6
        while stream.ended is None and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertIsNotNone(stream.ended, "nginx kept a silent stream open past its timeout")
        self.assertGreater(stream.ended - opened, 1.5)


SYSTEMD_ANALYZE = shutil.which("systemd-analyze")


@unittest.skipUnless(SYSTEMD_ANALYZE, "needs systemd-analyze")
class SystemdUnit(unittest.TestCase):
    def test_documented_unit_verifies(self):
        unit = doc_block("ini", "pushy.service")
        self.assertRegex(unit, r"(?m)^LimitNOFILE=\d+$")
        self.assertRegex(unit, r"(?m)^Restart=on-failure$")
        self.assertRegex(unit, r"(?m)^EnvironmentFile=/etc/pushy/pushy.env$")
        with tempfile.TemporaryDirectory() as d:
            env_file = os.path.join(d, "pushy.env")
            with open(env_file, "w") as f:
                f.write("AUTH_SECRET_KEY=x\n")
            unit = substitute(unit, r"/usr/local/bin/pushy", pushy_binary(), 1)
            unit = substitute(unit, r"/etc/pushy/pushy\.env", env_file, 1)
            path = os.path.join(d, "pushy.service")
            with open(path, "w") as f:
                f.write(unit)
            result = subprocess.run([SYSTEMD_ANALYZE, "verify", path], capture_output=True,
                                    text=True, timeout=60)
            problems = [l for l in result.stderr.splitlines() if "pushy.service" in l]
            self.assertEqual(result.returncode, 0, result.stderr)
            self.assertEqual(problems, [], result.stderr)


if __name__ == "__main__":
    unittest.main()
