"""A subscriber that stops reading is cut off once its pending output passes
STREAM_BUFFER_BYTES, without losing events mid-stream, while a fast one keeps every event."""

import threading
import unittest

import harness
from harness import SseStream, token_for

EVENTS = 2000
PAYLOAD = "x" * 2000  # ~2 KB per event: ~4 MB in all, far past a 64 KiB bound


class SlowConsumerTest(harness.ServerTestCase):
    SERVER_ENV = {"STREAM_BUFFER_BYTES": 65536, "HISTORY_SIZE": 5000}

    def test_slow_reader_is_cut_off_fast_reader_keeps_everything(self):
        token = token_for(["slow.x"])
        fast = self.server.stream("slow.x", token=token)
        self.addCleanup(fast.close)
        # A tiny receive window, and after the opening retry field nothing is read.
        slow = SseStream(self.server.port, "/channels/slow.x/stream", token=token, rcvbuf=4096)
        self.addCleanup(slow.close)
        self.assertEqual(slow.status, 200)
        dropped_before = self.server.metric("pushy_slow_consumers_dropped_total")
        self.assertIsNotNone(dropped_before, "metric pushy_slow_consumers_dropped_total missing")
        open_before = self.server.metric("pushy_streams_open")

        fast_result = {}

        def read_fast():
            try:
                fast_result["events"] = fast.read_events(EVENTS, timeout=60)
            except AssertionError as e:
                fast_result["error"] = e

        reader = threading.Thread(target=read_fast, daemon=True)
        reader.start()
        pub = harness.Publisher(self.server)
        try:
            acked = [pub.publish("slow.x", {"i": i, "pad": PAYLOAD}) for i in range(EVENTS)]
        finally:
            pub.close()
        reader.join(60)
        self.assertNotIn("error", fast_result, fast_result.get("error"))
        self.assertEqual([e.id for e in fast_result["events"]], acked)
        self.assertEqual([e.payload["i"] for e in fast_result["events"]], list(range(EVENTS)))

        harness.wait_until(
            lambda: self.server.metric("pushy_slow_consumers_dropped_total") >= dropped_before + 1,
            5, message="pushy_slow_consumers_dropped_total to increment")
        harness.wait_until(lambda: self.server.metric("pushy_streams_open") <= open_before - 1, 5,
                           message="pushy_streams_open to drop by the slow stream")

        # Now drain the slow socket: what it got must be a gap-free prefix, then the end.
        items = slow.wait_end(10)
        got = [e.id for e in items if e.kind == "event"]
        self.assertIsNotNone(slow.ended)
        self.assertLess(len(got), EVENTS, "the slow reader was never cut off")
        self.assertEqual(got, acked[:len(got)], "slow reader lost events mid-stream")
        if slow.ended == "clean":
            self.assertEqual(slow.parser.partial(), (b"", []), "final chunk inside an event")

        # It resumes with Last-Event-ID and gets exactly the rest.
        if got:
            with self.server.stream("slow.x", token=token, last_event_id=got[-1]) as again:
                rest = again.read_events(EVENTS - len(got), timeout=30)
            self.assertEqual([e.id for e in rest], acked[len(got):])

    @unittest.skipIf(harness.sanitized_binary(), "RSS is meaningless under ASan's quarantine")
    def test_memory_stays_bounded(self):
        # Twenty stalled readers must not make the server buffer the whole burst for each.
        token = token_for(["mem.x"])
        stalled = [SseStream(self.server.port, "/channels/mem.x/stream", token=token, rcvbuf=4096)
                   for _ in range(20)]
        for s in stalled:
            self.addCleanup(s.close)
        rss_before = rss_kib(self.server.proc.pid)
        pub = harness.Publisher(self.server)
        try:
            for i in range(1000):
                pub.publish("mem.x", {"i": i, "pad": PAYLOAD})
        finally:
            pub.close()
        growth_mib = (rss_kib(self.server.proc.pid) - rss_before) / 1024
        # 20 x 2 MB would be 40 MB unbounded; history (5000 x 2 KB) alone may take ~10 MB.
        self.assertLess(growth_mib, 30, "RSS grew by %.1f MiB" % growth_mib)


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


if __name__ == "__main__":
    unittest.main()
