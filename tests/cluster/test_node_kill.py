"""A node killed with SIGKILL while the others keep serving: its clients reconnect to other
nodes with Last-Event-ID and lose nothing; the survivors never notice."""

import threading
import time
import unittest

import cluster_harness as ch
from cluster_harness import harness

EVENTS_PER_PUBLISHER = 600


class NodeKilled(ch.ClusterTestCase):

    def test_sigkill_node_clients_resume_elsewhere_losing_nothing(self):
        a, b, c = self.nodes
        victim = self.start_node("V")
        base = self.channel()
        channels = ["%s.c%d" % (base, i) for i in range(4)]
        shapes = [[channels[0]], [base + ".*"], [channels[1], channels[2]],
                  [base + ".*", channels[3]], [channels[3]], [base + ".**"]]
        mark = self.mark()
        clients = [Client(self, victim, e, mark, fallback=[a, b, c][i % 3])
                   for i, e in enumerate(shapes)]
        # A control stream on a survivor, never interrupted.
        control = Client(self, c, [base + ".*"], mark, fallback=None)
        pubs = [ch.PublishLoop(n, channels, EVENTS_PER_PUBLISHER, "p" + n.name, pause=0.002)
                for n in (a, b)]
        for t in clients + [control] + pubs:
            t.start()
        time.sleep(0.6)
        self.assertTrue(all(p.is_alive() for p in pubs), "burst ended before the kill")
        victim.kill()  # SIGKILL by PID
        self.assertEqual(victim.proc.returncode, -9)
        for p in pubs:
            p.join(60)
        for t in clients + [control]:
            t.finish()
            t.join(30)

        published = {}
        for p in pubs:
            self.assertEqual(p.failures, [], "publishes on survivor %r failed" % p.node)
            published.update(p.acked)
        for t in clients + [control]:
            self.assertIsNone(t.error, t.entries)
            want = ch.expected_ids(published, t.entries)
            got = [e.id for e in t.events]
            self.assertEqual(got, want, "%s: %s" % (t.entries, ch.describe_mismatch(got, want)))
            self.assertEqual([e for e in t.events if e.event == "pushy.reset"], [])
        for t in clients:
            self.assertEqual(t.reconnects, 1, "%s moved once, to a survivor" % t.entries)
            self.assertGreater(t.events_before_kill, 0, t.entries)
            self.assertLess(t.events_before_kill, len(t.events), t.entries)
        self.assertEqual(control.reconnects, 0)
        for n in (a, b, c):
            self.assertEqual(n.ready_status(), 200, n)
            self.assertEqual(n.metric("pushy_broker_reconnects_total"), 0, n)


class Client(threading.Thread):
    """A resuming SSE client: reads its stream; when the node goes away, reconnects to
    `fallback` with the last id it got. Stops after finish() and an idle period."""

    def __init__(self, case, node, entries, last_event_id, fallback):
        super().__init__(daemon=True)
        self.entries = entries
        self.path = "/stream?channels=" + ",".join(entries)
        self.token = harness.token_for(entries)
        self.fallback = fallback
        self.events = []
        self.events_before_kill = 0
        self.reconnects = 0
        self.error = None
        self._finish = threading.Event()
        self.stream = node.stream(self.path, token=self.token, last_event_id=last_event_id)
        case.assertEqual(self.stream.status, 200)

    def finish(self):
        self._finish.set()

    def run(self):
        deadline = time.monotonic() + 90
        try:
            while time.monotonic() < deadline:
                finishing = self._finish.is_set()
                got = [i for i in self.stream.collect(0.7 if finishing else 0.2)
                       if i.kind == "event"]
                self.events.extend(got)
                if self.stream.ended is not None:
                    if self.fallback is None or self.reconnects:
                        raise AssertionError("stream ended (%s)" % self.stream.ended)
                    self.events_before_kill = len(self.events)
                    self.reconnects += 1
                    last = self.events[-1].id
                    self.stream.close()
                    self.stream = self.fallback.stream(self.path, token=self.token,
                                                       last_event_id=last)
                    continue
                if finishing and not got:
                    return
        except (AssertionError, OSError, harness.ProtocolError) as e:
            self.error = e
        finally:
            self.stream.close()


if __name__ == "__main__":
    unittest.main()
