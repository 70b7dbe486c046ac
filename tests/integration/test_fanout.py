"""500 concurrent subscribers each receive 1,000 events, complete and in order."""

import asyncio
import concurrent.futures
import resource
import time
import unittest

import harness
from harness import AsyncSseStream, token_for, seq_of

SUBSCRIBERS = 500
EVENTS = 1000
PUBLISHERS = 4
BUDGET_S = 120  # the whole run, connection set-up included


class FanoutTest(harness.ServerTestCase):
    SERVER_ENV = {"MAX_CONNECTIONS": 2000, "STREAM_BUFFER_BYTES": 1 << 20}

    @classmethod
    def setUpClass(cls):
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        want = SUBSCRIBERS + 200
        if soft < want:
            resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard), hard))
        super().setUpClass()

    def test_500_subscribers_1000_events(self):
        t0 = time.monotonic()
        acked, results = asyncio.run(asyncio.wait_for(self.scenario(), BUDGET_S + 30))
        elapsed = time.monotonic() - t0
        print("\nfan-out: %d subscribers x %d events in %.1fs" % (SUBSCRIBERS, EVENTS, elapsed))
        self.assertLess(elapsed, BUDGET_S)
        acked_set = set(acked)
        self.assertEqual(len(acked_set), EVENTS)
        failures = [r for r in results if isinstance(r, BaseException)]
        self.assertFalse(failures, "%d subscribers failed, first: %r" % (
            len(failures), failures[:1]))
        short = [(i, len(ids)) for i, ids in enumerate(results) if len(ids) != EVENTS]
        if short:
            missing = set()
            for i, _ in short:
                missing |= acked_set - set(results[i])
            self.fail("%d of %d subscribers incomplete (e.g. %r); %d distinct events missing, "
                      "e.g. %r" % (len(short), SUBSCRIBERS, short[:5], len(missing),
                                   sorted(missing, key=seq_of)[:5]))
        reference = None
        for i, ids in enumerate(results):
            self.assertEqual(len(ids), EVENTS, "subscriber %d" % i)
            self.assertEqual(set(ids), acked_set, "subscriber %d got other events" % i)
            seqs = [seq_of(x) for x in ids]
            self.assertEqual(seqs, sorted(seqs), "subscriber %d out of order" % i)
            if reference is None:
                reference = ids
            self.assertEqual(ids, reference, "subscribers disagree on the order")
        # Events from one publisher connection were acked in order; they arrive in that order.
        position = {x: n for n, x in enumerate(reference)}
        for p in range(PUBLISHERS):
            mine = acked[p::PUBLISHERS]
            self.assertEqual([position[x] for x in mine], sorted(position[x] for x in mine))

    async def scenario(self):
        port = self.server.port
        token = token_for(["fo.**"])
        paths = ["/channels/fo.x/stream", "/channels/fo.*/stream", "/stream?channels=fo.x,fo.*"]
        streams = []
        for start in range(0, SUBSCRIBERS, 50):
            batch = [AsyncSseStream.open(port, paths[i % len(paths)], token=token, timeout=20)
                     for i in range(start, min(start + 50, SUBSCRIBERS))]
            streams += await asyncio.gather(*batch)
        try:
            bad = [s.status for s in streams if s.status != 200]
            if bad:
                raise AssertionError("%d streams refused: %r" % (len(bad), bad[:5]))
            readers = [asyncio.ensure_future(self.read_ids(s)) for s in streams]
            acked = await asyncio.get_running_loop().run_in_executor(None, self.publish_all)
            results = await asyncio.gather(*readers, return_exceptions=True)
            return acked, results
        finally:
            for s in streams:
                s.close()

    async def read_ids(self, stream):
        # Gives up on a subscriber after 5 s without data, so a lost event is reported as
        # such rather than as a timeout of the whole run.
        events = await stream.collect(EVENTS, 5, time.monotonic() + BUDGET_S)
        return [e.id for e in events]

    def publish_all(self):
        """PUBLISHERS keep-alive connections in parallel; returns acked ids interleaved so that
        acked[p::PUBLISHERS] is publisher p's sequence."""
        per = EVENTS // PUBLISHERS

        def run(p):
            pub = harness.Publisher(self.server)
            try:
                return [pub.publish("fo.x", {"p": p, "n": n}) for n in range(per)]
            finally:
                pub.close()

        with concurrent.futures.ThreadPoolExecutor(PUBLISHERS) as ex:
            lists = list(ex.map(run, range(PUBLISHERS)))
        return [lists[p][n] for n in range(per) for p in range(PUBLISHERS)]


if __name__ == "__main__":
    unittest.main()
