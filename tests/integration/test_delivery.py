"""Live delivery: names, patterns, multi-channel streams, overlap, order, fan-out to several
subscribers."""

import unittest

import harness
from harness import token_for, seq_of


class DeliveryTest(harness.ServerTestCase):
    def publish_all(self, channels):
        return [self.server.publish(c, {"c": c, "i": i}) for i, c in enumerate(channels)]

    def assertOnly(self, stream, expected_ids, sentinel_channel):
        """The stream gets exactly `expected_ids` (in order), then the sentinel."""
        sentinel = self.server.publish(sentinel_channel, "sentinel")
        got = stream.read_until(lambda e: e.id == sentinel)
        self.assertEqual([e.id for e in got], expected_ids + [sentinel])

    def test_name_stream(self):
        with self.server.stream("d.n") as s:
            ids = self.publish_all(["d.n", "d.other", "d.n.sub", "d", "d.n"])
            self.assertOnly(s, [ids[0], ids[4]], "d.n")

    def test_single_segment_wildcard(self):
        with self.server.stream("w.*") as s:
            ids = self.publish_all(["w.a", "w", "w.a.b", "x.a", "w.b", "ww.a"])
            self.assertOnly(s, [ids[0], ids[4]], "w.z")

    def test_inner_wildcard(self):
        with self.server.stream("iw.*.live") as s:
            ids = self.publish_all(["iw.a.live", "iw.a.dead", "iw.live", "iw.b.live",
                                    "iw.a.b.live"])
            self.assertOnly(s, [ids[0], ids[3]], "iw.z.live")

    def test_multi_segment_wildcard(self):
        with self.server.stream("m.**") as s:
            ids = self.publish_all(["m.a", "m", "m.a.b.c", "n.a", "mm.a"])
            self.assertOnly(s, [ids[0], ids[2]], "m.z")

    def test_event_channel_is_concrete(self):
        with self.server.stream("cc.*") as s:
            self.server.publish("cc.x", 1)
            self.assertEqual(s.next_event().channel, "cc.x")

    def test_multi_channel_stream(self):
        token = token_for(["mc.**"])
        with self.server.stream("/stream?channels=mc.a,mc.b.*", token=token) as s:
            self.assertEqual(s.status, 200)
            ids = self.publish_all(["mc.a", "mc.b.x", "mc.c", "mc.b", "mc.a", "mc.b.y.z",
                                    "mc.b.q"])
            self.assertOnly(s, [ids[0], ids[1], ids[4], ids[6]], "mc.a")

    def test_repeated_channel_parameter(self):
        token = token_for(["rp.**"])
        with self.server.stream("/stream?channel=rp.a&channel=rp.b.*", token=token) as s:
            self.assertEqual(s.status, 200)
            ids = self.publish_all(["rp.a", "rp.b.x", "rp.c"])
            self.assertOnly(s, ids[:2], "rp.a")

    def test_percent_encoded_list(self):
        token = token_for(["pl.**"])
        with self.server.stream("/stream?channels=pl.a%2Cpl.%2A", token=token) as s:
            self.assertEqual(s.status, 200)
            ids = self.publish_all(["pl.a", "pl.b", "pl.a.b"])
            self.assertOnly(s, ids[:2], "pl.c")

    def test_overlapping_entries_deliver_once(self):
        token = token_for(["ov.**"])
        for path, covers_y in (("/stream?channels=ov.*,ov.x", True),
                               ("/stream?channels=ov.x,ov.x", False),
                               ("/stream?channels=ov.**,ov.*,ov.x", True),
                               ("/stream?channel=ov.x&channel=ov.*", True)):
            with self.subTest(path=path):
                with self.server.stream(path, token=token) as s:
                    self.assertEqual(s.status, 200)
                    ids = self.publish_all(["ov.x", "ov.y"])
                    self.assertOnly(s, ids if covers_y else ids[:1], "ov.x")

    def test_per_channel_order(self):
        n = 300
        with self.server.stream("ord.x") as s:
            pub = harness.Publisher(self.server)
            try:
                ids = [pub.publish("ord.x", i) for i in range(n)]
            finally:
                pub.close()
            got = s.read_events(n, timeout=20)
        self.assertEqual([e.id for e in got], ids)
        self.assertEqual([e.payload for e in got], list(range(n)))

    def test_multi_channel_order_follows_publish_order(self):
        token = token_for(["mo.*"])
        with self.server.stream("/stream?channels=mo.*", token=token) as s:
            ids = self.publish_all(["mo.a", "mo.b", "mo.c"] * 20)
            got = s.read_events(len(ids))
        self.assertEqual([e.id for e in got], ids)
        seqs = [seq_of(e.id) for e in got]
        self.assertEqual(seqs, sorted(seqs))

    def test_every_subscriber_gets_every_event(self):
        streams = [self.server.stream(c) for c in ("fan.x", "fan.x", "fan.*", "fan.**")]
        try:
            ids = self.publish_all(["fan.x"] * 10)
            for i, s in enumerate(streams):
                with self.subTest(stream=i):
                    self.assertEqual([e.id for e in s.read_events(10)], ids)
        finally:
            for s in streams:
                s.close()

    def test_publishes_from_many_connections(self):
        # Each publish on a fresh connection, so consecutive events enter the server on
        # different I/O threads; every subscriber must still get every one, in order.
        streams = [self.server.stream("mcx.x") for _ in range(4)]
        try:
            ids = [self.server.publish("mcx.x", i) for i in range(150)]
            for i, s in enumerate(streams):
                with self.subTest(stream=i):
                    got = [e.id for e in s.collect(1.0) if e.kind == "event"]
                    self.assertEqual(sorted(set(ids) - set(got), key=seq_of), [],
                                     "events lost")
                    self.assertEqual(got, ids)
        finally:
            for s in streams:
                s.close()

    def test_closed_subscriber_does_not_disturb_others(self):
        a = self.server.stream("cl.x")
        with self.server.stream("cl.x") as b:
            a.close()
            ids = self.publish_all(["cl.x"] * 5)
            self.assertEqual([e.id for e in b.read_events(5)], ids)
        self.server.assert_alive()

    def test_client_published_event_reaches_subscribers(self):
        token = token_for(["cp.room"])
        with self.server.stream("cp.room") as s:
            eid = self.server.publish("cp.room", {"from": "client"}, token=token)
            ev = s.next_event()
        self.assertEqual((ev.id, ev.payload), (eid, {"from": "client"}))

    def test_streams_and_subscriptions_metrics(self):
        def gauge(name):
            return self.server.metric(name)
        base_streams, base_subs = gauge("pushy_streams_open"), gauge("pushy_subscriptions")
        token = token_for(["gm.**"])
        s = self.server.stream("/stream?channels=gm.a,gm.b.*", token=token)
        try:
            harness.wait_until(lambda: gauge("pushy_streams_open") == base_streams + 1, 3,
                               message="pushy_streams_open +1")
            self.assertGreaterEqual(gauge("pushy_subscriptions"), base_subs + 1)
            delivered = gauge("pushy_events_delivered_total")
            published = gauge("pushy_events_published_total")
            self.publish_all(["gm.a", "gm.b.c"])
            s.read_events(2)
            self.assertEqual(gauge("pushy_events_published_total"), published + 2)
            harness.wait_until(
                lambda: gauge("pushy_events_delivered_total") >= delivered + 2, 3,
                message="pushy_events_delivered_total +2")
        finally:
            s.close()
        harness.wait_until(lambda: gauge("pushy_streams_open") == base_streams, 5,
                           message="pushy_streams_open back to base after close")
        harness.wait_until(lambda: gauge("pushy_subscriptions") == base_subs, 5,
                           message="pushy_subscriptions back to base after close")


if __name__ == "__main__":
    unittest.main()
