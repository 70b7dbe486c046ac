"""Resume across nodes: a stream left on one node resumes on another with Last-Event-ID and
gets exactly what it missed, then live events, with no gap or duplicate at the seam. The nodes
log in to Redis as an ACL user with only the rights docs/clustering.md lists."""

import random
import time
import unittest

import cluster_harness as ch
from cluster_harness import harness

HISTORY_SIZE = 100


class ResumeAcrossNodes(ch.ClusterTestCase):

    NODE_ENV = {"HISTORY_SIZE": str(HISTORY_SIZE)}
    REDIS_ACL_USER = "pushy-node"

    def test_missed_events_then_live_on_another_node(self):
        a, b, c = self.nodes
        channel = self.channel("news")
        with self.open(a, channel) as s:
            first = a.publish(channel, {"n": 0})
            self.assertEqual(s.next_event().id, first)
        missed = [b.publish(channel, {"n": n}) for n in (1, 2, 3)]
        with c.stream(channel, last_event_id=first) as s:
            got = s.read_events(3, timeout=5)
            self.assertEqual([e.id for e in got], missed)
            self.assertEqual([e.payload for e in got], [{"n": 1}, {"n": 2}, {"n": 3}])
            live = a.publish(channel, {"n": 4})
            ev = s.next_event(timeout=5)
            self.assertEqual((ev.id, ev.payload), (live, {"n": 4}))
            s.expect_no_event(0.3)

    def test_every_node_replays_the_same_history(self):
        base = self.channel()
        published = {}
        names = [base + ".a", base + ".b", base + ".x.y", base + ".c"]
        for i in range(12):
            node = self.nodes[i % 3]
            channel = names[i % len(names)]
            published[node.publish(channel, {"i": i}, event="ev%d" % (i % 2))] = (channel, i)
        start = min(published, key=harness.seq_of)
        for entries in ([base + ".a"], [base + ".*"], [base + ".a", base + ".x.*"],
                        [base + ".**"], [base + ".b", base + ".*"]):
            want = [i for i in ch.expected_ids(published, entries) if i != start]
            replays = []
            for node in self.nodes:
                with node.stream("/stream?channels=" + ",".join(entries),
                                 channels_for_token=entries, last_event_id=start) as s:
                    events = s.read_events(len(want), timeout=5) if want else []
                    s.expect_no_event(0.2)
                    replays.append([e.lines for e in events])
                    self.assertEqual([e.id for e in events], want, "%s on %s" % (
                        entries, node.name))
            self.assertEqual(replays[0], replays[1], "same bytes on A and B for %s" % entries)
            self.assertEqual(replays[0], replays[2], "same bytes on A and C for %s" % entries)

    def test_patterns_and_several_channels_resume_on_another_node(self):
        a, b, c = self.nodes
        base = self.channel()
        entries = [base + ".orders", base + ".chat.*"]
        path = "/stream?channels=" + ",".join(entries)
        with self.open(a, path, channels_for_token=entries) as s:
            first = b.publish(base + ".chat.room1", "hello")
            self.assertEqual(s.next_event().id, first)
        expected = []
        for channel, data in [(base + ".orders", 1), (base + ".chat.room2", 2),
                              (base + ".chat", 3), (base + ".chat.room1.deep", 4),
                              (base + ".other", 5), (base + ".orders", 6)]:
            event_id = b.publish(channel, data)
            if ch.covers(entries, channel):
                expected.append((event_id, channel, data))
        with c.stream(path, channels_for_token=entries, last_event_id=first) as s:
            got = s.read_events(len(expected), timeout=5)
            self.assertEqual([(e.id, e.channel, e.payload) for e in got], expected)
            live = a.publish(base + ".chat.room9", "live")
            self.assertEqual(s.next_event(timeout=5).id, live)
            s.expect_no_event(0.3)

    def test_client_hopping_nodes_during_a_burst_loses_nothing(self):
        """A publisher keeps publishing on B while a client reads a few events, drops the
        connection and resumes on the next node, over and over: the seam on every node."""
        base = self.channel()
        channels = [base + ".a", base + ".b", base + ".c"]
        entries = [base + ".a", base + ".b"]
        path = "/stream?channels=" + ",".join(entries)
        token = harness.token_for(entries)
        # Events on the two channels of the stream stay within HISTORY_SIZE per channel
        # between two hops, so a resume never falls off history.
        pub = ch.PublishLoop(self.nodes[1], channels, 600, "hop", pause=0.002)
        rng = random.Random(7)
        got = []
        last = self.mark()
        hops = 0
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline:
            node = self.nodes[hops % 3]
            with node.stream(path, token=token, last_event_id=last) as s:
                self.assertEqual(s.status, 200)
                if hops == 0:
                    pub.start()  # the first stream is open: it must see every event
                want = rng.randint(5, 30)
                for _ in range(want):
                    try:
                        ev = s.next_event(timeout=1.5 if not pub.is_alive() else 5)
                    except TimeoutError:
                        break
                    self.assertNotEqual(ev.event, "pushy.reset", "hop %d: %r" % (hops, ev))
                    got.append(ev.id)
                    last = ev.id
            hops += 1
            if not pub.is_alive():
                # One final resume must bring nothing new once everything was read.
                pub.join()
                expected = ch.expected_ids(pub.acked, entries)
                if len(got) >= len(expected):
                    break
        pub.join(5)
        self.assertEqual(pub.failures, [])
        expected = ch.expected_ids(pub.acked, entries)
        self.assertEqual(got, expected, ch.describe_mismatch(got, expected))
        self.assertGreater(hops, 10)

    def test_resume_from_before_history_gets_a_reset_on_any_node(self):
        a, b, c = self.nodes
        channel = self.channel("busy")
        first = a.publish(channel, 0)
        ids = [b.publish(channel, n) for n in range(1, HISTORY_SIZE + 5)]
        with c.stream(channel, last_event_id=first) as s:
            ev = s.next_event()
            self.assertEqual(ev.event, "pushy.reset")
            self.assertEqual(ev.json()["reason"], "history_gap")
            self.assertEqual(ev.id, ids[-1], "the reset carries the head to resume from")
            live = a.publish(channel, "live")
            self.assertEqual(s.next_event().id, live)
        # Still within history: the last HISTORY_SIZE events replay in full on another node.
        with a.stream(channel, last_event_id=ids[-HISTORY_SIZE]) as s:
            got = s.read_events(HISTORY_SIZE, timeout=5)
            self.assertEqual([e.id for e in got], ids[-HISTORY_SIZE + 1:] + [live])

    def test_id_from_another_history_is_never_a_position(self):
        a = self.nodes[0]
        channel = self.channel("foreign")
        real = a.publish(channel, 1)
        epoch, seq = harness.parse_id(real)
        foreign_epoch = "%012x" % ((int(epoch, 16) + 1) % (1 << 48))
        for node in self.nodes:
            with node.stream(channel, last_event_id="%s-%d" % (foreign_epoch, seq - 1)) as s:
                ev = s.next_event()
                self.assertEqual(ev.event, "pushy.reset")
                self.assertEqual(ev.json()["reason"], "unknown_history")
                s.expect_no_event(0.2)

    def test_node_started_later_joins_the_same_history(self):
        channel = self.channel("late")
        first = self.nodes[0].publish(channel, 1)
        second = self.nodes[1].publish(channel, 2)
        late = self.start_node("D")
        with late.stream(channel, last_event_id=first) as s:
            self.assertEqual(s.next_event().id, second)
            live = late.publish(channel, 3)
            self.assertEqual(s.next_event().id, live)
        self.assertEqual(harness.parse_id(live)[0], harness.parse_id(first)[0])
        self.assertEqual(late.stop(), 0)
        late.assert_logs_clean()


if __name__ == "__main__":
    unittest.main()
