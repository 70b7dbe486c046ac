"""HTTP plumbing: routing errors, operations endpoints, keep-alive and pipelining, limits,
timeouts and malformed or hostile input. After every test the server must still answer a
normal request on a new connection (checked in tearDown)."""

import json
import socket
import time
import unittest

import harness
from harness import PUB_HEADERS, HttpConn, build_request, exchange, token_for

REQUEST_TIMEOUT = 2

PUB = ("X-Client-ID: %s\r\nX-Client-Secret: %s\r\n" % (harness.CLIENT_ID, harness.CLIENT_SECRET)
       ).encode()


def publish_request(channel, body, extra=b""):
    return (b"POST /publish/%s HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n%s%s"
            b"Content-Length: %d\r\n\r\n%s" % (channel.encode(), PUB, extra, len(body), body))


class RoutingTest(harness.ServerTestCase):
    SERVER_ENV = {"REQUEST_TIMEOUT": REQUEST_TIMEOUT}

    def test_unknown_paths_404(self):
        for path in ("/", "/nope", "/channels/a", "/channels/a/streams", "/channels//stream/x",
                     "/healthz/x", "/publishx/a", "/streams", "/token/x", "/metrics/x"):
            with self.subTest(path=path):
                self.assertError(self.server.get(path), 404)

    def test_wrong_method_405_with_allow(self):
        for method, path, allowed in (("POST", "/healthz", "GET"), ("POST", "/readyz", "GET"),
                                      ("DELETE", "/metrics", "GET"), ("PUT", "/publish/a", "POST"),
                                      ("PATCH", "/token", "POST"), ("PUT", "/stream", "GET")):
            with self.subTest(method=method, path=path):
                r = self.server.request(method, path, body=b"{}")
                self.assertError(r, 405)
                allow = [m.strip().upper() for m in r.header("Allow", "").split(",")]
                self.assertIn(allowed, allow, r)

    def head_then_get(self, path):
        """HEAD then GET (Connection: close) pipelined on one connection; returns all bytes."""
        with HttpConn(self.server.port) as c:
            c.send(build_request("HEAD", path) +
                   build_request("GET", path, {"Connection": "close"}))
            data = b""
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                chunk = c.sock.recv(65536)
                if not chunk:
                    break
                data += chunk
            return data

    def test_head_on_plain_resources_has_headers_and_no_body(self):
        # The GET's status line must follow the HEAD's blank line directly, and the HEAD's
        # Content-Length must be what a GET's body would be.
        for path in ("/healthz", "/readyz"):
            with self.subTest(path=path):
                data = self.head_then_get(path)
                head, rest = data.split(b"\r\n\r\n", 1)
                self.assertTrue(head.startswith(b"HTTP/1.1 200"), head)
                self.assertTrue(rest.startswith(b"HTTP/1.1 200"), rest[:80])
                get_head, get_body = rest.split(b"\r\n\r\n", 1)
                lengths = [ln.split(b":")[1].strip() for ln in head.split(b"\r\n")
                           if ln.lower().startswith(b"content-length:")]
                self.assertEqual(lengths, [str(len(get_body)).encode()], head)

    def test_head_on_a_stream_is_405_without_body(self):
        data = self.head_then_get("/stream?channels=a")
        head, rest = data.split(b"\r\n\r\n", 1)
        self.assertTrue(head.startswith(b"HTTP/1.1 405"), head)
        self.assertIn(b"\r\nAllow: GET, OPTIONS", head)
        self.assertTrue(rest.startswith(b"HTTP/1.1 401"), rest[:80])  # the GET, no token

    def test_health_and_readiness(self):
        self.assertEqual(self.server.get("/healthz").status, 200)
        self.assertEqual(self.server.get("/readyz").status, 200)

    def test_metrics(self):
        r = self.server.get("/metrics")
        self.assertEqual(r.status, 200)
        self.assertTrue(r.header("Content-Type", "").startswith("text/plain"), r.headers)
        text = r.body.decode()
        metrics = harness.parse_metrics(text)
        for name in ("pushy_streams_open", "pushy_subscriptions", "pushy_events_published_total",
                     "pushy_events_delivered_total", "pushy_slow_consumers_dropped_total",
                     "pushy_broker_up", "pushy_http_requests_total"):
            with self.subTest(metric=name):
                self.assertIn(name, metrics)
                family = name[:-len("_total")] if name.endswith("_total") else name
                self.assertRegex(text, r"(?m)^# TYPE (%s|%s) (counter|gauge)$" % (name, family))
        self.assertEqual(self.server.metric("pushy_broker_up"), 1)

    def test_status_counters(self):
        before = self.server.metric("pushy_http_requests_total", status="404") or 0
        for _ in range(3):
            self.server.get("/definitely-not-here")
        after = self.server.metric("pushy_http_requests_total", status="404")
        self.assertEqual(after, before + 3)
        published = self.server.metric("pushy_events_published_total")
        self.server.publish("m.x", 1)
        self.server.publish("m.y", 2)
        self.assertEqual(self.server.metric("pushy_events_published_total"), published + 2)


class ConnectionTest(harness.ServerTestCase):
    SERVER_ENV = {"REQUEST_TIMEOUT": REQUEST_TIMEOUT}

    def test_keep_alive(self):
        with HttpConn(self.server.port) as c:
            self.assertEqual(c.request("GET", "/healthz").status, 200)
            r = c.request("POST", "/publish/ka.x", PUB_HEADERS, json_body={"data": 1})
            self.assertEqual(r.status, 200, r)
            self.assertError(c.request("GET", "/nope"), 404)
            self.assertError(c.request("POST", "/publish/ka.x", PUB_HEADERS, body=b"{bad"), 400)
            r = c.request("POST", "/token", PUB_HEADERS, json_body={"sub": "u", "channels": ["a"]})
            self.assertEqual(r.status, 200)
            harness.register_sensitive(r.json()["token"])
            self.assertEqual(c.request("GET", "/metrics").status, 200)
            self.assertEqual(c.request("GET", "/readyz").status, 200)

    def test_pipelined_requests_answered_in_order(self):
        raw = (build_request("GET", "/healthz")
               + publish_request("pl.x", b'{"data": 1}')
               + build_request("GET", "/nope")
               + publish_request("pl.x", b'{"data": 2}')
               + build_request("PUT", "/healthz", body=b"")
               + publish_request("pl.x", b'{"data": 3}'))
        with self.server.stream("pl.x") as s, HttpConn(self.server.port) as c:
            c.send(raw)
            rs = [c.read_response(m) for m in ("GET", "POST", "GET", "POST", "PUT", "POST")]
            self.assertEqual([r.status for r in rs], [200, 200, 404, 200, 405, 200])
            ids = [rs[i].json()["id"] for i in (1, 3, 5)]
            self.assertEqual([e.id for e in s.read_events(3)], ids)
            self.assertEqual(c.request("GET", "/healthz").status, 200)

    def test_pipeline_split_at_odd_places(self):
        raw = build_request("GET", "/healthz") * 3
        with HttpConn(self.server.port) as c:
            for i in range(0, len(raw), 7):
                c.send(raw[i:i + 7])
                time.sleep(0.002)
            self.assertEqual([c.read_response().status for _ in range(3)], [200] * 3)

    def test_connection_close_is_honoured(self):
        with HttpConn(self.server.port) as c:
            r = c.request("GET", "/healthz", {"Connection": "close"})
            self.assertEqual(r.status, 200)
            self.assertTrue(c.wait_closed(2), "server kept the connection after Connection: close")

    def test_http10(self):
        with HttpConn(self.server.port) as c:
            c.send(b"GET /healthz HTTP/1.0\r\n\r\n")
            r = c.read_response()
            self.assertEqual(r.status, 200)
            self.assertTrue(c.wait_closed(2), "HTTP/1.0 connection not closed")

    def test_idle_connection_is_cut(self):
        with HttpConn(self.server.port) as c:
            t0 = time.monotonic()
            self.assertTrue(c.wait_closed(REQUEST_TIMEOUT + 2), "idle connection never cut")
            self.assertGreater(time.monotonic() - t0, REQUEST_TIMEOUT * 0.5)

    def test_idle_keep_alive_connection_is_cut(self):
        with HttpConn(self.server.port) as c:
            self.assertEqual(c.request("GET", "/healthz").status, 200)
            self.assertTrue(c.wait_closed(REQUEST_TIMEOUT + 2) or c.eof,
                            "idle keep-alive connection never cut")

    def test_trickled_request_is_cut(self):
        t0 = time.monotonic()
        with HttpConn(self.server.port) as c:
            c.send(b"GET /healthz HTTP/1.1\r\nHost: t\r\nX-Slow: ")
            closed_at = None
            while time.monotonic() - t0 < REQUEST_TIMEOUT + 3:
                try:
                    c.send(b"a")
                except (BrokenPipeError, ConnectionResetError):
                    closed_at = time.monotonic()
                    break
                if c.wait_closed(0.2):
                    closed_at = time.monotonic()
                    break
            self.assertIsNotNone(closed_at, "trickling request never cut")
            elapsed = closed_at - t0
            self.assertTrue(REQUEST_TIMEOUT * 0.5 <= elapsed <= REQUEST_TIMEOUT + 1.5, elapsed)
            if c.buf:
                self.assertTrue(bytes(c.buf).startswith(b"HTTP/1.1 408"), bytes(c.buf[:100]))

    def test_trickled_body_is_cut(self):
        t0 = time.monotonic()
        with HttpConn(self.server.port) as c:
            c.send(b"POST /publish/tr.x HTTP/1.1\r\nHost: t\r\n" + PUB +
                   b"Content-Type: application/json\r\nContent-Length: 200\r\n\r\n{\"data\": \"")
            closed = False
            while time.monotonic() - t0 < REQUEST_TIMEOUT + 3:
                try:
                    c.send(b"a")
                except (BrokenPipeError, ConnectionResetError):
                    closed = True
                    break
                if c.wait_closed(0.25):
                    closed = True
                    break
            self.assertTrue(closed, "trickling body never cut")
            self.assertLessEqual(time.monotonic() - t0, REQUEST_TIMEOUT + 1.5)

    def test_truncated_body_then_close(self):
        with self.server.stream("tb.x") as s:
            with HttpConn(self.server.port) as c:
                c.send(b"POST /publish/tb.x HTTP/1.1\r\nHost: t\r\n" + PUB +
                       b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n"
                       b'{"data": 1}')
                c.sock.shutdown(socket.SHUT_WR)
                self.assertTrue(c.wait_closed(REQUEST_TIMEOUT + 2))
                if c.buf:
                    self.assertFalse(bytes(c.buf).startswith(b"HTTP/1.1 2"), bytes(c.buf))
            sentinel = self.server.publish("tb.x", "sentinel")
            self.assertEqual(s.next_event().id, sentinel, "the truncated publish was delivered")


class MalformedTest(harness.ServerTestCase):
    SERVER_ENV = {"REQUEST_TIMEOUT": REQUEST_TIMEOUT}

    def assertRejectedAndClosed(self, raw, statuses=(400,), must_close=True):
        r, conn = exchange(self.server.port, raw)
        try:
            self.assertIsNotNone(r, "connection closed without a response")
            self.assertIn(r.status, statuses, r)
            if r.status >= 400:
                self.assertError(r, r.status)
            if must_close:
                self.assertTrue(conn.wait_closed(3), "connection left open after %d" % r.status)
                self.assertEqual(bytes(conn.buf), b"", "a second response followed: %r" %
                                 bytes(conn.buf[:200]))
        finally:
            conn.close()
        return r

    def test_huge_header_431(self):
        raw = b"GET /healthz HTTP/1.1\r\nHost: t\r\nX-Big: " + b"a" * 65536 + b"\r\n\r\n"
        self.assertRejectedAndClosed(raw, (431,))

    def test_many_headers_431(self):
        raw = (b"GET /healthz HTTP/1.1\r\nHost: t\r\n" +
               b"".join(b"X-H%d: %s\r\n" % (i, b"v" * 40) for i in range(2000)) + b"\r\n")
        self.assertRejectedAndClosed(raw, (431,))

    def test_huge_request_line_414(self):
        raw = b"GET /channels/" + b"a" * 100000 + b"/stream HTTP/1.1\r\nHost: t\r\n\r\n"
        self.assertRejectedAndClosed(raw, (414,))

    def test_content_length_and_transfer_encoding(self):
        smuggled = b"GET /nope HTTP/1.1\r\nHost: t\r\n\r\n"
        body = b'0\r\n\r\n' + smuggled
        raw = (b"POST /publish/sm.x HTTP/1.1\r\nHost: t\r\n" + PUB +
               b"Content-Type: application/json\r\nContent-Length: %d\r\n"
               b"Transfer-Encoding: chunked\r\n\r\n" % len(body)) + body
        self.assertRejectedAndClosed(raw)
        raw = (b"POST /publish/sm.x HTTP/1.1\r\nHost: t\r\n" + PUB +
               b"Transfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n") + body
        self.assertRejectedAndClosed(raw)

    def test_conflicting_content_lengths(self):
        body = b'{"data": 1}' + b"GET /nope HTTP/1.1\r\nHost: t\r\n\r\n"
        for cls in ((b"11", b"44"), (b"11, 44",), (b"44", b"11")):
            with self.subTest(cls=cls):
                headers = b"".join(b"Content-Length: %s\r\n" % v for v in cls)
                raw = (b"POST /publish/sm.x HTTP/1.1\r\nHost: t\r\n" + PUB +
                       b"Content-Type: application/json\r\n" + headers + b"\r\n" + body)
                self.assertRejectedAndClosed(raw)

    def test_bad_content_length_values(self):
        for value in (b"-1", b"abc", b"+11", b"1 1", b"0x0b", b"99999999999999999999999"):
            with self.subTest(value=value):
                raw = (b"POST /publish/sm.x HTTP/1.1\r\nHost: t\r\n" + PUB +
                       b"Content-Length: " + value + b"\r\n\r\n" + b'{"data": 1}')
                self.assertRejectedAndClosed(raw, (400, 413))

    def test_space_before_colon(self):
        raw = (b"POST /publish/sm.x HTTP/1.1\r\nHost: t\r\n" + PUB +
               b"Content-Length : 11\r\n\r\n" + b'{"data": 1}')
        self.assertRejectedAndClosed(raw)

    def test_garbage_request_lines(self):
        for raw in (b"HELLO\r\n\r\n", b"GET\r\n\r\n", b"GET /healthz HTTP/9.9\r\n\r\n",
                    b"GET /healthz XTTP/1.1\r\n\r\n", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\r\n\r\n",
                    b"GET /heal\x00thz HTTP/1.1\r\nHost: t\r\n\r\n",
                    b"GET /healthz HTTP/1.1\r\nHost: t\r\nX-Nul: a\x00b\r\n\r\n",
                    b"GET /healthz HTTP/1.1\r\nBad Header Name: x\r\n\r\n"):
            with self.subTest(raw=raw[:40]):
                r, conn = exchange(self.server.port, raw)
                try:
                    if r is not None:
                        self.assertIn(r.status, (400, 505), r)
                    self.assertTrue(conn.wait_closed(3), "connection left open")
                finally:
                    conn.close()

    def test_invalid_bytes_in_channel_names(self):
        token = token_for(["**"])
        auth = b"Authorization: Bearer " + token.encode() + b"\r\n"
        for target in (b"/channels/%ff/stream", b"/channels/\xff/stream",
                       b"/channels/a%00b/stream", b"/channels/%c3%28/stream",
                       b"/stream?channels=%ff", b"/stream?channels=a%00", b"/channels/a%/stream"):
            with self.subTest(target=target):
                raw = b"GET " + target + b" HTTP/1.1\r\nHost: t\r\n" + auth + b"\r\n"
                r, conn = exchange(self.server.port, raw)
                conn.close()
                self.assertIsNotNone(r, "closed without a response")
                self.assertError(r, 400)
        for target in (b"/publish/%ff", b"/publish/\xff", b"/publish/a%00", b"/publish/%e2%82"):
            with self.subTest(target=target):
                body = b'{"data": 1}'
                raw = (b"POST " + target + b" HTTP/1.1\r\nHost: t\r\n" + PUB +
                       b"Content-Type: application/json\r\nContent-Length: 11\r\n\r\n" + body)
                r, conn = exchange(self.server.port, raw)
                conn.close()
                self.assertIsNotNone(r, "closed without a response")
                self.assertError(r, 400)
        r = self.server.publish_raw(None, {"channels": ["ok.x", "bad\u00ff"], "data": 1})
        self.assertError(r, 400)

    def test_nul_in_json(self):
        r, conn = exchange(self.server.port, publish_request("nul.x", b'{"data": "a\x00b"}'),
                           method="POST")
        conn.close()
        self.assertError(r, 400)
        with self.server.stream("nul.x") as s:
            eid = self.server.publish("nul.x", "a\u0000b")  # escaped NUL is valid JSON
            ev = s.next_event()
        self.assertEqual((ev.id, ev.payload), (eid, "a\u0000b"))
        self.assertNotIn("\x00", ev.data)

    def test_deeply_nested_json(self):
        for path, body in (("/publish/dn.x", b'{"data": ' + b"[" * 10000),
                           ("/token", b'{"sub": "u", "channels": ' + b"[" * 10000),
                           ("/publish", b'{"channels": ["dn.x"], "data": ' + b"{\"a\":" * 5000)):
            with self.subTest(path=path):
                r = self.server.request("POST", path, dict(PUB_HEADERS, **{
                    "Content-Type": "application/json"}), body=body)
                self.assertError(r, 400)
        body = b'{"data": ' + b"[" * 10000 + b"]" * 10000 + b"}"
        r = self.server.request("POST", "/publish/dn.x", dict(PUB_HEADERS, **{
            "Content-Type": "application/json"}), body=body)
        self.assertIn(r.status, (200, 400), r)

    def test_random_binary_garbage(self):
        import random
        rnd = random.Random(1234)
        for i in range(10):
            with self.subTest(i=i):
                garbage = bytes(rnd.getrandbits(8) for _ in range(rnd.randint(1, 3000)))
                r, conn = exchange(self.server.port, garbage + b"\r\n\r\n", timeout=4)
                try:
                    if r is not None:
                        self.assertGreaterEqual(r.status, 400, r)
                finally:
                    conn.close()
        self.server.assert_alive()


if __name__ == "__main__":
    unittest.main()
