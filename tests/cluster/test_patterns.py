"""Patterns and multi-channel streams across nodes, and Redis subscriptions that follow the
streams: a node subscribes at Redis only to what its own streams need."""

import unittest

import cluster_harness as ch
from cluster_harness import harness, wait_until


class PatternsAcrossNodes(ch.ClusterTestCase):

    def test_wildcard_and_multi_channel_streams_on_every_node(self):
        a, b, c = self.nodes
        base = self.channel()
        shapes = [
            (a, [base + ".*"]),
            (b, [base + ".**"]),
            (c, [base, base + ".x.*"]),
            (a, [base + ".*", base + ".a"]),        # overlapping entries: each event once
            (b, [base + ".*.y", base + ".a.**"]),
            (c, [base + ".a"]),
        ]
        mark = self.mark()
        streams = []
        try:
            for node, entries in shapes:
                if len(entries) == 1:   # /channels/{percent-encoded pattern}/stream
                    streams.append(self.open(node, entries[0], last_event_id=mark))
                else:
                    streams.append(self.open(node, "/stream?channels=" + ",".join(entries),
                                             channels_for_token=entries, last_event_id=mark))
            channels = [base, base + ".a", base + ".b", base + ".a.b", base + ".x.y",
                        base + ".x.y.z", base + "x.a", "other." + base, base + ".a.b.c.d"]
            published = {}
            for i, channel in enumerate(channels * 2):
                node = self.nodes[i % 3]
                published[node.publish(channel, {"i": i})] = (channel, {"i": i})
            for (node, entries), s in zip(shapes, streams):
                want = ch.expected_ids(published, entries)
                self.assertTrue(want, entries)
                got = s.read_events(len(want), timeout=5)
                s.expect_no_event(0.3)
                self.assertEqual([e.id for e in got], want, "%s on %s" % (entries, node.name))
                for e in got:
                    self.assertEqual((e.channel, e.payload), published[e.id])
        finally:
            for s in streams:
                s.close()

    def test_pattern_does_not_leak_to_deeper_channels(self):
        # `a.*` becomes the Redis glob `pushy:c:a.*`, which also matches `a.b.c`: the node must
        # filter exactly.
        a, b, _ = self.nodes
        base = self.channel()
        with self.open(a, base + ".*") as s:
            b.publish(base + ".b.c", "deep")
            b.publish(base + ".b.c.d", "deeper")
            ok = b.publish(base + ".b", "one segment")
            self.assertEqual(s.next_event().id, ok)
            s.expect_no_event(0.3)

    def numsub(self, channel):
        reply = self.redis.call("PUBSUB", "NUMSUB", "pushy:c:" + channel)
        return int(reply[1])

    def numpat(self):
        return int(self.redis.call("PUBSUB", "NUMPAT"))

    def test_redis_subscriptions_follow_the_streams(self):
        a, b, c = self.nodes
        channel = self.channel("interest")
        pattern = self.channel("interest") + ".*"
        self.assertEqual(self.numsub(channel), 0)
        pats_before = self.numpat()
        subs_c = c.metric("pushy_broker_subscriptions")

        s1 = self.open(a, channel)
        wait_until(lambda: self.numsub(channel) == 1, 5, message="A subscribed")
        s2 = self.open(a, channel)
        s3 = self.open(b, channel)
        wait_until(lambda: self.numsub(channel) == 2, 5, message="B subscribed")
        s4 = self.open(a, pattern)
        wait_until(lambda: self.numpat() == pats_before + 1, 5, message="A psubscribed")
        # One Redis subscription per node and entry, however many streams share it; none on C.
        self.assertEqual(self.numsub(channel), 2)
        self.assertEqual(c.metric("pushy_broker_subscriptions"), subs_c)
        self.assertGreaterEqual(a.metric("pushy_broker_subscriptions"), 2)

        event_id = c.publish(channel, "x")
        for s in (s1, s2, s3):
            self.assertEqual(s.next_event().id, event_id)

        s1.close()
        s3.close()
        wait_until(lambda: self.numsub(channel) == 1, 5, message="B unsubscribed")
        s2.close()
        s4.close()
        wait_until(lambda: self.numsub(channel) == 0, 5, message="A unsubscribed")
        wait_until(lambda: self.numpat() == pats_before, 5, message="A punsubscribed")

    def test_multi_channel_publish_reaches_streams_on_other_nodes(self):
        a, b, c = self.nodes
        base = self.channel()
        with self.open(a, base + ".one") as s1, self.open(
                b, "/stream?channels=%s.one,%s.two" % (base, base),
                channels_for_token=[base + ".one", base + ".two"]) as s2:
            r = c.publish_raw(None, {"channels": [base + ".one", base + ".two", base + ".three"],
                                     "event": "batch", "data": {"k": 1}})
            self.assertEqual(r.status, 200, r)
            ids = r.json()["ids"]
            seqs = [harness.seq_of(i) for i in ids]
            self.assertEqual(seqs, list(range(seqs[0], seqs[0] + 3)), "one script: consecutive")
            self.assertEqual([e.id for e in s1.read_events(1)], ids[:1])
            got = s2.read_events(2)
            self.assertEqual([(e.id, e.channel, e.event) for e in got],
                             [(ids[0], base + ".one", "batch"), (ids[1], base + ".two", "batch")])
            s1.expect_no_event(0.2)
            s2.expect_no_event(0.2)


if __name__ == "__main__":
    unittest.main()
