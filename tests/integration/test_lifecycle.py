"""A stream's life: heartbeats on idle streams, the token-expiry warning and clean end."""

import threading
import time
import unittest

import harness
from harness import token_for


def wall(t_monotonic):
    """Converts a time.monotonic() stamp into Unix time."""
    return time.time() - (time.monotonic() - t_monotonic)


class HeartbeatTest(harness.ServerTestCase):
    SERVER_ENV = {"HEARTBEAT_INTERVAL": 1}

    def test_idle_stream_gets_comments_every_interval(self):
        with self.server.stream("hb.idle") as s:
            items = s.collect(4.6)
        comments = [i for i in items if i.kind == "comment"]
        self.assertFalse([i for i in items if i.kind == "event"], items)
        self.assertGreaterEqual(len(comments), 3, items)
        first = comments[0].t - s.opened_at
        self.assertTrue(0.8 <= first <= 2.5, "first heartbeat after %.2fs" % first)
        gaps = [b.t - a.t for a, b in zip(comments, comments[1:])]
        for gap in gaps:
            self.assertTrue(0.5 <= gap <= 2.0, "heartbeat gaps %r" % gaps)
        self.assertEqual(s.ended, None)

    def test_no_heartbeat_while_events_flow(self):
        stop = threading.Event()

        def pump():
            while not stop.is_set():
                self.server.publish("hb.busy", 1)
                stop.wait(0.2)

        with self.server.stream("hb.busy") as s:
            t = threading.Thread(target=pump, daemon=True)
            t.start()
            try:
                items = s.collect(3.5)
            finally:
                stop.set()
                t.join(5)
        events = [i for i in items if i.kind == "event"]
        comments = [i for i in items if i.kind == "comment"]
        self.assertGreaterEqual(len(events), 10)
        self.assertLessEqual(len(comments), 1, "heartbeats on a busy stream: %r" % comments)

    def test_heartbeat_does_not_break_events(self):
        with self.server.stream("hb.mix") as s:
            time.sleep(1.3)
            eid = self.server.publish("hb.mix", "x")
            ev = s.next_event(3)
        self.assertEqual(ev.id, eid)
        self.assertEqual(len(ev.lines), 3, ev.lines)


class TokenExpiryTest(harness.ServerTestCase):
    def check_expiry(self, token, exp, channel):
        opened = time.time()
        with self.server.stream(channel, token=token) as s:
            self.assertEqual(s.status, 200)
            eid = self.server.publish(channel, "before-expiry")
            items = s.wait_end(timeout=exp - time.time() + 3.0)
            ended_wall = wall(s.ended_at)
            self.assertEqual(s.ended, "clean", "stream not ended with the final chunk")
            pending, block = s.parser.partial()
            self.assertEqual((pending, block), (b"", []), "stream ended mid-event")
        events = [i for i in items if i.kind == "event"]
        self.assertEqual(events[0].id, eid)
        warnings = [e for e in events if e.event == "pushy.token_expiring"]
        self.assertEqual(len(warnings), 1, events)
        w = warnings[0]
        self.assertIsNone(w.id, "pushy.token_expiring must not carry an id: %r" % w.lines)
        self.assertEqual(w.json(), {"expires_at": exp})
        remaining = exp - opened
        expected = exp - min(60.0, remaining / 10.0)
        self.assertAlmostEqual(wall(w.t), expected, delta=0.5,
                               msg="warning at %.2f, expected %.2f (exp %d)" % (
                                   wall(w.t), expected, exp))
        self.assertLess(wall(w.t), exp + 0.05)
        self.assertTrue(exp - 0.3 <= ended_wall <= exp + 1.5,
                        "ended at %.2f, exp %d" % (ended_wall, exp))
        return events

    def test_minted_ttl3_token_warns_then_ends(self):
        token = self.server.mint(["te.a"], ttl=3)
        exp = harness.decode_jwt(token)[1]["exp"]
        self.check_expiry(token, exp, "te.a")

    def test_elsewhere_token_warning_offset_scales(self):
        exp = int(time.time()) + 7
        token = harness.mint_jwt(harness.claims(["te.b"], ttl=None, exp=exp))
        self.check_expiry(token, exp, "te.b")

    def test_reconnect_with_fresh_token_loses_nothing(self):
        token = self.server.mint(["te.c"], ttl=2)
        with self.server.stream("te.c", token=token) as s:
            first = self.server.publish("te.c", 1)
            s.wait_end(timeout=5)
        missed = [self.server.publish("te.c", i) for i in range(3)]
        fresh = self.server.mint(["te.c"], ttl=60)
        with self.server.stream("te.c", token=fresh, last_event_id=first) as s:
            got = s.read_events(3)
        self.assertEqual([e.id for e in got], missed)

    def test_token_without_exp_does_not_end(self):
        token = token_for(["te.d"], ttl=None)
        with self.server.stream("te.d", token=token) as s:
            items = s.collect(1.5)
            self.assertIsNone(s.ended)
        self.assertFalse([i for i in items if i.kind == "event"])

    def test_token_expired_at_open_is_refused(self):
        exp = int(time.time()) - 1
        token = harness.mint_jwt(harness.claims(["te.e"], ttl=None, exp=exp))
        with self.server.stream("te.e", token=token) as s:
            self.assertEqual(s.status, 401)


if __name__ == "__main__":
    unittest.main()
