"""SIGTERM draining and the MAX_CONNECTIONS stream limit."""

import signal
import socket
import threading
import time
import unittest

import harness
from harness import SseStream, token_for


class DrainTest(unittest.TestCase):
    SHUTDOWN = 4
    STREAMS = 20

    def test_sigterm_drains_streams_and_exits_zero(self):
        server = harness.Server(shutdown_timeout=self.SHUTDOWN)
        self.addCleanup(server.kill)
        streams = [server.stream("sd.x") for _ in range(self.STREAMS)]
        for s in streams:
            self.addCleanup(s.close)
        results = {}

        def drain(i, s):
            try:
                results[i] = s.wait_end(self.SHUTDOWN + 4)
            except BaseException as e:  # reported below, never lost in the thread
                results[i] = e

        threads = [threading.Thread(target=drain, args=(i, s), daemon=True)
                   for i, s in enumerate(streams)]
        for t in threads:
            t.start()
        self.addCleanup(lambda: [t.join(self.SHUTDOWN + 5) for t in threads])
        # A request in progress when the signal comes: it is answered, and readyz says 503.
        busy = harness.HttpConn(server.port)
        self.addCleanup(busy.close)
        self.assertEqual(busy.request("GET", "/readyz").status, 200)
        busy.send(b"GET /readyz HTTP/1.1\r\nHost: t\r\n")

        pub = harness.Publisher(server)
        acked = [pub.publish("sd.x", i) for i in range(50)]
        pub.close()
        t_sig = time.monotonic()
        server.signal(signal.SIGTERM)

        time.sleep(0.2)
        try:
            busy.send(b"\r\n")
            ready = busy.read_response(timeout=2).status
        except (harness.ConnectionClosed, OSError, TimeoutError) as e:
            ready = "closed (%s)" % type(e).__name__

        def refused():
            try:
                harness.request(server.port, "GET", "/healthz", timeout=0.5)
                return False
            except (ConnectionRefusedError, ConnectionResetError, harness.ConnectionClosed):
                return True
            except (OSError, TimeoutError):
                return False
        listener_closed = True
        try:
            harness.wait_until(refused, 2, message="listener closed after SIGTERM")
        except AssertionError:
            listener_closed = False

        rc = server.wait(self.SHUTDOWN + 3)
        exited = time.monotonic() - t_sig
        for t in threads:
            t.join(2)
        self.assertEqual(rc, 0, server.log_tail())
        self.assertLessEqual(exited, self.SHUTDOWN + 0.5, "exit took %.2fs" % exited)
        server.assert_logs_clean()
        self.assertTrue(listener_closed, "new connections still accepted during the drain")

        end_times = []
        for i, s in enumerate(streams):
            with self.subTest(stream=i):
                items = results.get(i)
                self.assertIsInstance(items, list, items)
                ids = [x.id for x in items if x.kind == "event"]
                self.assertEqual(ids, acked, "acknowledged events not all delivered")
                self.assertEqual(s.ended, "clean", "stream %d not ended with the final chunk" % i)
                self.assertEqual(s.parser.partial(), (b"", []), "ended mid-event")
                end_times.append(s.ended_at - t_sig)
        self.assertEqual(len(end_times), self.STREAMS)
        spread = max(end_times) - min(end_times)
        self.assertGreaterEqual(spread, 0.2 * self.SHUTDOWN,
                                "stream ends not spread: %r" % sorted(end_times))
        self.assertLessEqual(max(end_times), self.SHUTDOWN, sorted(end_times))
        self.assertEqual(ready, 503, "readyz requested during the drain")

    def test_sigterm_idle_exits_quickly(self):
        server = harness.Server(shutdown_timeout=10)
        self.addCleanup(server.kill)
        t0 = time.monotonic()
        server.signal(signal.SIGTERM)
        self.assertEqual(server.wait(12), 0, server.log_tail())
        self.assertLess(time.monotonic() - t0, 3.0, "idle server took long to exit")
        server.assert_logs_clean()


class MaxConnectionsTest(harness.ServerTestCase):
    SERVER_ENV = {"MAX_CONNECTIONS": 3}

    def test_streams_beyond_limit_get_503(self):
        token = token_for(["mx.**"])
        streams = [self.server.stream("mx.a", token=token) for _ in range(3)]
        try:
            self.assertEqual([s.status for s in streams], [200] * 3)
            for path in ("/channels/mx.a/stream", "/stream?channels=mx.a"):
                with self.subTest(path=path):
                    with SseStream(self.server.port, path, token=token) as extra:
                        self.assertEqual(extra.status, 503, extra.body)
                        retry_after = extra.header("Retry-After")
                        self.assertIsNotNone(retry_after, extra.headers)
                        self.assertTrue(retry_after.isdigit() and int(retry_after) >= 1,
                                        retry_after)
                        self.assertIsInstance(extra.json().get("error"), str)
            # The limit is about streams: publishing and probes still work.
            eid = self.server.publish("mx.a", 1)
            for s in streams:
                self.assertEqual(s.next_event().id, eid)
            self.server.assert_alive()
        finally:
            streams[0].close()

        def reopened():
            s = self.server.stream("mx.a", token=token)
            s.close()
            return s.status == 200
        harness.wait_until(reopened, 5, interval=0.2, message="a slot freed after a close")
        for s in streams[1:]:
            s.close()


if __name__ == "__main__":
    unittest.main()
