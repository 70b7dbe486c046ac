"""Cross-node delivery: three nodes and one Redis, publishes on every node, subscribers spread
over all nodes get every acknowledged event on their channels exactly once, in one order."""

import asyncio
import os
import threading
import time
import unittest
import urllib.parse

import cluster_harness as ch
from cluster_harness import harness

PUBLISHERS = 3
EVENTS_PER_PUBLISHER = 1000
SUBSCRIBERS = 50

# Regression: a stream used to send its head before the broker's answer, so an event acked after
# the client saw the head could fall between the SUBSCRIBE round trip and the head read (fixed:
# the head now waits for the answer).


class CrossNodeDelivery(ch.ClusterTestCase):

    def test_publish_on_one_node_reaches_every_node_once(self):
        channel = self.channel("news")
        mark = self.mark()
        streams = [self.open(n, channel, last_event_id=mark) for n in self.nodes]
        try:
            for origin in self.nodes:
                event_id = origin.publish(channel, {"from": origin.name})
                for node, s in zip(self.nodes, streams):
                    ev = s.next_event(timeout=5)
                    self.assertEqual(ev.id, event_id, "on node %s" % node.name)
                    self.assertEqual(ev.event, "message")
                    self.assertEqual(ev.json()["channel"], channel)
                    self.assertEqual(ev.payload, {"from": origin.name})
            for s in streams:
                s.expect_no_event(0.3)
        finally:
            for s in streams:
                s.close()

    def test_ids_share_one_epoch_and_one_sequence(self):
        channel = self.channel("seq")
        ids = []
        for i in range(9):
            ids.append(self.nodes[i % 3].publish(channel, i))
        epochs = {harness.parse_id(i)[0] for i in ids}
        self.assertEqual(len(epochs), 1, ids)
        seqs = [harness.seq_of(i) for i in ids]
        self.assertEqual(seqs, sorted(set(seqs)), "one strictly increasing seq across nodes")

    def test_fresh_stream_gets_every_event_acked_after_it_opened(self):
        """The contract: a 2xx means every current subscriber gets the event. A stream whose
        head and `retry:` arrived is current, also on a node that just joined."""
        lost = []
        for i in range(24):
            fresh = self.start_node("F%d" % i)
            channel = self.channel("fresh%d" % i)
            with fresh.stream(channel) as s:
                event_id = (fresh if i % 2 else self.nodes[i % 3]).publish(channel, i)
                try:
                    self.assertEqual(s.next_event(timeout=3).id, event_id)
                except TimeoutError:
                    lost.append(event_id)
            fresh.stop_and_check()
        self.assertEqual(lost, [], "acknowledged events a fresh stream never got")

    def test_concurrent_publishers_on_all_nodes_exactly_once_in_order(self):
        base = self.channel()
        channels = ["%s.c%d" % (base, i) for i in range(6)] + [base + ".deep.x"]
        # Stream shapes, cycled over the subscribers: a name, patterns, several channels,
        # and entries that overlap (each event must still come once).
        shapes = [
            [channels[0]],
            [base + ".*"],
            [channels[1], channels[3]],
            [base + ".*", channels[2]],
            [base + ".**"],
            [channels[4], base + ".deep.*"],
            [channels[5]],
        ]
        subs = [(self.nodes[i % len(self.nodes)], shapes[i % len(shapes)])
                for i in range(SUBSCRIBERS)]
        publishers = [ch.PublishLoop(self.nodes[p], channels, EVENTS_PER_PUBLISHER, "p%d" % p)
                      for p in range(PUBLISHERS)]
        results = asyncio.run(self._run(subs, publishers, self.mark()))

        published = {}
        for p in publishers:
            self.assertEqual(p.failures, [], "publishes from %r failed" % p.node)
            self.assertEqual(len(p.acked), EVENTS_PER_PUBLISHER)
            own = [harness.seq_of(i) for i in p.acked]
            self.assertEqual(own, sorted(own), "one publisher's ids ascend")
            published.update(p.acked)
        self.assertEqual(len(published), PUBLISHERS * EVENTS_PER_PUBLISHER, "ids are unique")
        self.assertEqual(len({harness.parse_id(i)[0] for i in published}), 1, "one epoch")

        total = 0
        for (node, entries), events in zip(subs, results):
            want = ch.expected_ids(published, entries)
            got = [e.id for e in events]
            self.assertEqual(got, want, "stream %s on node %s: %s" % (
                entries, node.name, ch.describe_mismatch(got, want)))
            for e in events:
                channel, data = published[e.id]
                body = e.json()
                self.assertEqual((body["channel"], body["data"]), (channel, data), e.id)
            total += len(got)
        self.assertGreater(total, SUBSCRIBERS * EVENTS_PER_PUBLISHER, "enough fan-out")

    async def _run(self, subs, publishers, mark):
        streams = []
        for node, entries in subs:
            path = "/stream?channels=" + urllib.parse.quote(",".join(entries), safe=",")
            s = await harness.AsyncSseStream.open(node.port, path, last_event_id=mark,
                                                  token=harness.token_for(entries))
            self.assertEqual(s.status, 200, "%s on %s" % (entries, node.name))
            streams.append(s)
        done = threading.Event()

        def publish_all():
            for p in publishers:
                p.start()
            for p in publishers:
                p.join(90)
            done.set()

        threading.Thread(target=publish_all, daemon=True).start()
        deadline = time.monotonic() + 100
        try:
            collected = await asyncio.gather(*(self._drain(s, done, deadline) for s in streams))
        finally:
            for s in streams:
                s.close()
        self.assertTrue(done.is_set(), "publishers did not finish in time")
        return collected

    @staticmethod
    async def _drain(stream, done, deadline):
        """Reads until the publishers are done and the stream has been idle for a moment."""
        out = []
        while time.monotonic() < deadline:
            finished = done.is_set()
            got = await stream.collect(1 << 30, idle_timeout=0.5, deadline=deadline)
            out.extend(got)
            if stream.ended is not None or (finished and not got):
                break
        return out


if __name__ == "__main__":
    unittest.main()
