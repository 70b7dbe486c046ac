"""Redis restarted (killed by PID, started again on the same port with no data) while streams
are open: streams stay open, publishes answer 503 and readyz 503 during the outage; then every
node reconnects by itself, its streams get `pushy.reset` (history_lost, since the new Redis has
no history and a new epoch), and delivery works again without restarting any node."""

import time
import unittest

import cluster_harness as ch
from cluster_harness import harness, wait_until


class RedisRestart(ch.ClusterTestCase):

    NODE_ENV = {"HEARTBEAT_INTERVAL": "1"}

    def test_restart_streams_stay_open_then_reset_and_deliver_again(self):
        base = self.channel()
        shapes = [[base + ".news"], [base + ".*"], [base + ".news", base + ".alerts"]]
        mark = self.mark()
        streams = []   # (node, entries, stream)
        for node in self.nodes:
            for entries in shapes:
                streams.append((node, entries, self.open(
                    node, "/stream?channels=" + ",".join(entries), channels_for_token=entries,
                    last_event_id=mark)))
        try:
            self._run(base, streams)
        finally:
            for _, _, s in streams:
                s.close()

    def _run(self, base, streams):
        before = self.nodes[1].publish(base + ".news", "before")
        old_epoch = harness.parse_id(before)[0]
        for node, entries, s in streams:
            self.assertEqual(s.next_event().id, before, "%s on %s" % (entries, node.name))

        self.redis.kill()  # SIGKILL by PID: a crash, and no data survives it
        self.addCleanup(lambda: self.redis.proc.poll() is None or self.redis.start())
        for node in self.nodes:
            wait_until(lambda: node.ready_status() == 503, 5, interval=0.02,
                       message="readyz 503 on %s" % node.name)
        for node in self.nodes:
            r = node.get("/readyz")
            self.assertEqual(r.status, 503)
            self.assertIn("broker", r.json()["error"])
            self.assertEqual(node.metric("pushy_broker_up"), 0)
            r = node.publish_raw(base + ".news", {"data": "during"})
            self.assertEqual(r.status, 503, r)
            self.assertIsInstance(r.json()["error"], str)
            node.assert_alive()
        # Streams stay open through the outage: heartbeats keep coming, nothing ends.
        time.sleep(1.2)
        for node, entries, s in streams:
            items = s.collect(0.1)
            self.assertIsNone(s.ended, "%s on %s ended during the outage" % (entries, node.name))
            self.assertTrue([i for i in items if i.kind == "comment"],
                            "no heartbeat on %s during the outage" % node.name)
            self.assertEqual([i for i in items if i.kind == "event"], [])

        self.redis.start()  # the same port, empty
        for node in self.nodes:
            node.wait_ready(15)   # each node reconnects by itself (backoff up to 5 s)
            self.assertEqual(node.metric("pushy_broker_up"), 1)
        for node, entries, s in streams:
            ev = s.next_event(timeout=5)
            self.assertEqual(ev.event, "pushy.reset", "%s on %s: %r" % (entries, node.name, ev))
            self.assertEqual(ev.json()["reason"], "history_lost")
            self.assertNotEqual(harness.parse_id(ev.id)[0], old_epoch, "a new epoch")

        after = {}
        for node in self.nodes:
            for channel in (base + ".news", base + ".alerts"):
                after[node.publish(channel, "after from " + node.name)] = (channel, None)
        new_epochs = {harness.parse_id(i)[0] for i in after}
        self.assertEqual(len(new_epochs), 1)
        self.assertNotIn(old_epoch, new_epochs)
        for node, entries, s in streams:
            want = ch.expected_ids(after, entries)
            got = [e.id for e in s.read_events(len(want), timeout=5)]
            self.assertEqual(got, want, "%s on %s" % (entries, node.name))
            s.expect_no_event(0.2)
            self.assertIsNone(s.ended)
        for node in self.nodes:
            self.assertGreaterEqual(node.metric("pushy_broker_reconnects_total"), 1)
            self.assertGreaterEqual(node.metric("pushy_broker_history_lost_total"), 1)

        # An id from before the restart belongs to a lost history: never read as a position.
        with self.nodes[2].stream(base + ".news", last_event_id=before) as s:
            ev = s.next_event()
            self.assertEqual(ev.event, "pushy.reset")
            self.assertEqual(ev.json()["reason"], "unknown_history")


if __name__ == "__main__":
    unittest.main()
