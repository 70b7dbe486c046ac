"""`CLIENT KILL TYPE pubsub` during a publish burst from other nodes: the node whose Redis
subscription connection is cut reconnects, resubscribes and catches up from history, so its
subscribers lose nothing and see no reset; their streams stay open throughout."""

import os
import signal
import threading
import time
import unittest

import cluster_harness as ch
from cluster_harness import harness, wait_until

EVENTS_PER_PUBLISHER = 700
KILLS = 4


class PubSubConnectionKilled(ch.ClusterTestCase):

    # The output-buffer test catches up 10 MB at once: more than the default 1 MiB a stream
    # may have pending before it is cut as a slow consumer.
    NODE_ENV = {"STREAM_BUFFER_BYTES": str(32 << 20)}

    def test_kill_pubsub_connection_during_burst_loses_nothing(self):
        a, b, c = self.nodes
        base = self.channel()
        channels = ["%s.c%d" % (base, i) for i in range(4)] + [base + ".deep.x"]
        shapes = [[channels[0]], [base + ".*"], [base + ".**"], [channels[1], channels[2]],
                  [base + ".*", channels[3]], [base + ".deep.*", channels[0]]]
        # Only A has streams, so only A's subscription connection is in pub/sub mode and
        # CLIENT KILL TYPE pubsub cuts exactly A's; B and C keep publishing meanwhile.
        mark = self.mark()
        streams = [self.open(a, "/stream?channels=" + ",".join(e), channels_for_token=e,
                             last_event_id=mark) for e in shapes]
        # Streams of other tests are gone once their nodes unsubscribed.
        wait_until(lambda: len(self.pubsub_clients()) == 1, 5, message="only A subscribed")
        before = a.metric("pushy_broker_reconnects_total")
        lost_before = a.metric("pushy_broker_history_lost_total")
        catchup_before = a.metric("pushy_broker_catchup_events_total")
        others = {n.name: n.metric("pushy_broker_reconnects_total") for n in (b, c)}

        pubs = [ch.PublishLoop(n, channels, EVENTS_PER_PUBLISHER, "p" + n.name, pause=0.002)
                for n in (b, c)]
        readers = [Reader(s) for s in streams]
        for t in readers + pubs:
            t.start()
        killed = []
        try:
            time.sleep(0.3)
            for _ in range(KILLS):
                killed.append(int(self.redis.call("CLIENT", "KILL", "TYPE", "pubsub")))
                # Let A come back (and catch up) before cutting it again.
                wait_until(lambda: a.ready_status() == 200 and len(self.pubsub_clients()) == 1,
                           10, interval=0.02, message="A resubscribed")
                time.sleep(0.2)
            self.assertTrue(any(p.is_alive() for p in pubs), "burst ended before the kills")
        finally:
            for p in pubs:
                p.join(60)
            for r in readers:
                r.finish(idle=0.7)
                r.join(30)
            for s in streams:
                s.close()

        self.assertEqual(killed, [1] * KILLS, "each kill cut A's subscription connection")
        published = {}
        for p in pubs:
            self.assertEqual(p.failures, [], "publishes on %r failed" % p.node)
            published.update(p.acked)
        for entries, r in zip(shapes, readers):
            self.assertIsNone(r.error, entries)
            self.assertIsNone(r.stream.ended, "stream %s ended" % entries)
            resets = [e for e in r.events if e.event == "pushy.reset"]
            self.assertEqual(resets, [], entries)
            want = ch.expected_ids(published, entries)
            got = [e.id for e in r.events]
            self.assertEqual(got, want, "%s: %s" % (entries, ch.describe_mismatch(got, want)))
        if harness.VERBOSE:
            print("kills %s, events per stream %s, catch-up %s" % (
                killed, [len(r.events) for r in readers],
                a.metric("pushy_broker_catchup_events_total") - catchup_before))
        self.assertGreaterEqual(a.metric("pushy_broker_reconnects_total") - before, KILLS)
        self.assertGreater(a.metric("pushy_broker_catchup_events_total") - catchup_before, 0,
                           "events published while A was away came from history")
        self.assertEqual(a.metric("pushy_broker_history_lost_total"), lost_before)
        for n in (b, c):
            self.assertEqual(n.metric("pushy_broker_reconnects_total"), others[n.name], n)

    def test_every_connection_cut_during_burst_is_at_least_once_and_ordered(self):
        """A network blip on every node: publishes in flight when their connection dies
        answer 503 though Redis may have run them (at-least-once); every acknowledged event
        still reaches every stream once, in order, with no reset (Redis kept its data)."""
        base = self.channel()
        channels = ["%s.c%d" % (base, i) for i in range(3)]
        shapes = [[base + ".*"], [channels[0]], [channels[1], channels[2]]]
        mark = self.mark()
        streams = [(n, e, self.open(n, "/stream?channels=" + ",".join(e), channels_for_token=e,
                                    last_event_id=mark))
                   for n in self.nodes for e in shapes]
        before = {n.name: (n.metric("pushy_broker_reconnects_total"),
                           n.metric("pushy_broker_history_lost_total")) for n in self.nodes}
        pubs = [ch.PublishLoop(n, channels, 400, "q" + n.name, pause=0.003) for n in self.nodes]
        readers = [Reader(s) for _, _, s in streams]
        for t in readers + pubs:
            t.start()
        try:
            for _ in range(3):
                time.sleep(0.3)
                self.redis.call("CLIENT", "KILL", "TYPE", "normal")   # SKIPME yes by default
                self.redis.call("CLIENT", "KILL", "TYPE", "pubsub")
                for n in self.nodes:
                    n.wait_ready(10)
        finally:
            for p in pubs:
                p.join(60)
            for r in readers:
                r.finish(idle=0.7)
                r.join(30)
            for _, _, s in streams:
                s.close()

        acked, failed = {}, set()
        for p in pubs:
            acked.update(p.acked)
            failed.update((p.tag, n) for n, _ in p.failures)
        self.assertGreater(len(failed), 0, "some publishes met a cut connection")
        for (node, entries, _), r in zip(streams, readers):
            where = "%s on %s" % (entries, node.name)
            self.assertIsNone(r.error, where)
            self.assertIsNone(r.stream.ended, where)
            self.assertEqual([e for e in r.events if e.event == "pushy.reset"], [], where)
            got = [e.id for e in r.events]
            seqs = [harness.seq_of(i) for i in got]
            self.assertEqual(seqs, sorted(set(seqs)), "once and in order: " + where)
            missing = [i for i in ch.expected_ids(acked, entries) if i not in set(got)]
            self.assertEqual(missing, [], "acknowledged events missing: " + where)
            for e in r.events:
                if e.id not in acked:   # only a publish that answered 503 may show up unacked
                    self.assertIn((e.payload["p"], e.payload["n"]), failed, where)
                    self.assertTrue(ch.covers(entries, e.channel), where)
        if harness.VERBOSE:
            print("failed publishes %d, of which delivered anyway: %d" % (len(failed), len({
                (e.payload["p"], e.payload["n"]) for r in readers for e in r.events
                if e.id not in acked})))
        for n in self.nodes:
            self.assertGreaterEqual(n.metric("pushy_broker_reconnects_total") -
                                    before[n.name][0], 3, n)
            self.assertEqual(n.metric("pushy_broker_history_lost_total"), before[n.name][1], n)

    def test_node_over_the_pubsub_output_buffer_limit_catches_up(self):
        """Redis disconnects a subscriber that does not read (client-output-buffer-limit
        pubsub); the node reconnects and takes what it missed from history."""
        a, b, _ = self.nodes
        channel = self.channel("big")
        limit = self.redis.call("CONFIG", "GET", "client-output-buffer-limit")[1]
        self.redis.call("CONFIG", "SET", "client-output-buffer-limit", "pubsub 128kb 32kb 1")
        self.addCleanup(self.redis.call, "CONFIG", "SET", "client-output-buffer-limit", limit)
        before = a.metric("pushy_broker_reconnects_total")
        blob = "x" * 40000
        with self.open(a, channel) as s:
            wait_until(lambda: len(self.pubsub_clients()) == 1, 5, message="only A subscribed")
            a_sub = self.pubsub_clients()[0].split()[0]   # "id=N"
            os.kill(a.proc.pid, signal.SIGSTOP)   # A stops reading its Redis connections
            try:
                # Until Redis gives up on A: once the sockets' buffers are full, Redis queues
                # and cuts A at the hard limit (a few MB on loopback; bounded at 40 MB).
                ids = []
                while len(ids) < 1000 and any(
                        c.split()[0] == a_sub for c in self.pubsub_clients()):
                    ids.append(b.publish(channel, {"n": len(ids), "blob": blob}))
                self.assertLess(len(ids), 1000, "Redis never disconnected A")
                ids += [b.publish(channel, {"n": len(ids) + n}) for n in range(5)]
            finally:
                os.kill(a.proc.pid, signal.SIGCONT)
            got = s.read_events(len(ids), timeout=15)
            self.assertEqual([e.id for e in got], ids)
            self.assertEqual([e.payload["n"] for e in got], list(range(len(ids))))
            s.expect_no_event(0.2)
        self.assertGreaterEqual(a.metric("pushy_broker_reconnects_total"), before + 1)
        self.assertEqual(a.metric("pushy_broker_history_lost_total"), 0)
        with open(os.path.join(self.redis.dir, "redis-%d.log" % self.redis.starts)) as f:
            self.assertIn("output buffer limits", f.read())

    def pubsub_clients(self):
        text = self.redis.call("CLIENT", "LIST", "TYPE", "pubsub")
        return [line for line in text.splitlines() if line.strip()]


class Reader(threading.Thread):
    """Reads one blocking SSE stream into `events` until finish() and an idle period."""

    def __init__(self, stream):
        super().__init__(daemon=True)
        self.stream = stream
        self.events = []
        self.error = None
        self._finish = threading.Event()
        self._idle = 0.5

    def finish(self, idle):
        self._idle = idle
        self._finish.set()

    def run(self):
        deadline = time.monotonic() + 90
        try:
            while time.monotonic() < deadline:
                finishing = self._finish.is_set()
                got = [i for i in self.stream.collect(self._idle if finishing else 0.2)
                       if i.kind == "event"]
                self.events.extend(got)
                if self.stream.ended is not None or (finishing and not got):
                    return
        except (AssertionError, OSError, harness.ProtocolError) as e:
            self.error = e


if __name__ == "__main__":
    unittest.main()
