"""Resume with Last-Event-ID: replay, the live seam under concurrent publishing, and
pushy.reset when the id is outside history."""

import json
import threading
import time
import unittest
import urllib.parse

import harness
from harness import SseStream, token_for, seq_of, parse_id


def q(text):
    return urllib.parse.quote(text, safe="")


class ResumeTest(harness.ServerTestCase):
    SERVER_ENV = {"HISTORY_SIZE": 10000}

    def publish_all(self, channels):
        return [self.server.publish(c, {"c": c, "i": i}) for i, c in enumerate(channels)]

    def resume(self, path_or_channel, last_id, how="header", token=None):
        if how == "header":
            s = self.server.stream(path_or_channel, token=token, last_event_id=last_id)
        else:
            path = (path_or_channel if path_or_channel.startswith("/")
                    else "/channels/%s/stream" % q(path_or_channel))
            path += ("&" if "?" in path else "?") + "lastEventId=" + q(last_id)
            s = self.server.stream(path, token=token, channels_for_token=["**"])
        self.addCleanup(s.close)
        self.assertEqual(s.status, 200, s.body)
        return s

    def assertReplay(self, s, expected, live_channel):
        live = self.server.publish(live_channel, "live")
        got = s.read_until(lambda e: e.id == live)
        self.assertEqual([e.id for e in got], expected + [live])
        self.assertNotIn("pushy.reset", [e.event for e in got])

    def test_replay_name_header_and_query(self):
        for how in ("header", "query"):
            with self.subTest(how=how):
                ids = self.publish_all(["rn.%s" % how, "rn.other", "rn.%s" % how,
                                        "rn.%s" % how])
                s = self.resume("rn.%s" % how, ids[0], how)
                self.assertReplay(s, [ids[2], ids[3]], "rn.%s" % how)

    def test_replayed_events_are_complete(self):
        ids = [self.server.publish("rc.x", {"v": 1}, event="custom")]
        ids.append(self.server.publish("rc.x", [2], event="custom"))
        s = self.resume("rc.x", ids[0])
        ev = s.next_event()
        self.assertEqual((ev.id, ev.event, ev.channel, ev.payload), (ids[1], "custom", "rc.x",
                                                                      [2]))
        self.assertEqual(len(ev.lines), 3)
        self.assertIn("ts", ev.json())

    def test_header_wins_over_query(self):
        ids = self.publish_all(["hw.x"] * 4)
        path = "/channels/hw.x/stream?lastEventId=" + q(ids[0])
        s = SseStream(self.server.port, path, token=token_for(["hw.x"]), last_event_id=ids[2])
        self.addCleanup(s.close)
        self.assertReplay(s, [ids[3]], "hw.x")

    def test_replay_pattern(self):
        ids = self.publish_all(["rp.a", "rp.b", "rp.a.deep", "other", "rp.c"])
        s = self.resume("rp.*", ids[0])
        self.assertReplay(s, [ids[1], ids[4]], "rp.a")

    def test_replay_double_star(self):
        ids = self.publish_all(["rd.a", "rd.b.c", "rd", "rd.d"])
        s = self.resume("rd.**", ids[0])
        self.assertReplay(s, [ids[1], ids[3]], "rd.a")

    def test_replay_multi_channel_with_overlap(self):
        token = token_for(["rm.**"])
        for how in ("header", "query"):
            with self.subTest(how=how):
                ids = self.publish_all(["rm.a", "rm.b.x", "rm.c", "rm.a", "rm.b.y", "rm.b"])
                s = self.resume("/stream?channels=rm.a,rm.b.*,rm.b.x", ids[0], how, token)
                live = self.server.publish("rm.b.x", "live")
                got = s.read_until(lambda e: e.id == live)
                self.assertEqual([e.id for e in got], [ids[1], ids[3], ids[4], live])

    def test_resume_at_head_replays_nothing(self):
        ids = self.publish_all(["rh.x", "rh.x"])
        s = self.resume("rh.x", ids[1])
        self.assertReplay(s, [], "rh.x")

    def test_resume_from_id_of_other_channel(self):
        ids = self.publish_all(["ro.other", "ro.x", "ro.other", "ro.x"])
        s = self.resume("ro.x", ids[2])
        self.assertReplay(s, [ids[3]], "ro.x")

    def test_replay_large_backlog_in_order(self):
        # ~800 KB of backlog: many writes' worth, yet under the default STREAM_BUFFER_BYTES
        # (1 MiB), so it must work whether a server paces its replay or queues it at once.
        pad = "p" * 1500
        pub = harness.Publisher(self.server)
        try:
            ids = [pub.publish("rl.x", {"i": i, "pad": pad}) for i in range(500)]
        finally:
            pub.close()
        s = self.resume("rl.x", ids[0])
        got = s.read_events(499, timeout=20)
        self.assertEqual([e.id for e in got], ids[1:])
        self.assertEqual([e.payload["i"] for e in got], list(range(1, 500)))
        live = self.server.publish("rl.x", "live")
        self.assertEqual(s.next_event().id, live)

    def _seam_run(self, path, channels, token, covered, rounds=5, per_round=40):
        """A publisher thread publishes without pause while the subscriber disconnects and
        resumes `rounds` times; the union of what it saw must equal the acked ids exactly."""
        acked = []
        stop = threading.Event()
        errors = []

        def publisher():
            pub = harness.Publisher(self.server)
            try:
                i = 0
                while not stop.is_set():
                    channel = channels[i % len(channels)]
                    event_id = pub.publish(channel, i)
                    if channel in covered:
                        acked.append(event_id)
                    i += 1
                    time.sleep(0.0005)
            except Exception as e:  # surfaced in the main thread
                errors.append(e)
            finally:
                pub.close()

        seen = []
        s = self.server.stream(path, token=token)
        self.assertEqual(s.status, 200)
        t = threading.Thread(target=publisher, daemon=True)
        t.start()
        try:
            for _ in range(rounds):
                seen += [e.id for e in s.read_events(per_round, timeout=15)]
                s.close()  # disconnect while events keep flowing
                time.sleep(0.02)
                s = self.server.stream(path, token=token, last_event_id=seen[-1])
                self.assertEqual(s.status, 200)
            time.sleep(0.05)
        finally:
            stop.set()
            t.join(10)
        self.assertFalse(errors, errors)
        last = acked[-1]
        seen += [e.id for e in s.read_until(lambda e: e.id == last, timeout=20)]
        s.close()
        reset = [i for i in seen if i is None]
        self.assertFalse(reset, "a reset or id-less event was delivered")
        missing = sorted(set(acked) - set(seen), key=seq_of)
        extra = sorted(set(seen) - set(acked), key=seq_of)
        dupes = len(seen) - len(set(seen))
        self.assertEqual((missing[:5], extra[:5], dupes), ([], [], 0),
                         "gap/duplicate at a seam")
        self.assertEqual(seen, acked)

    def test_seam_under_concurrent_publishing_name(self):
        self._seam_run("sn.x", ["sn.x"], token_for(["sn.x"]), {"sn.x"})

    def test_seam_under_concurrent_publishing_multi(self):
        # Events on channels the stream does not cover are published too; they must not show.
        token = token_for(["sm.**"])
        channels = ["sm.a", "sm.b.x", "sm.c", "sm.b.y", "sm.b.y.z"]
        self._seam_run("/stream?channels=sm.a,sm.b.*", channels, token,
                       {"sm.a", "sm.b.x", "sm.b.y"})


class ResetTest(harness.ServerTestCase):
    SERVER_ENV = {"HISTORY_SIZE": 5}

    def open_resume(self, channel, last_id, how="header"):
        if how == "header":
            s = self.server.stream(channel, last_event_id=last_id)
        else:
            s = self.server.stream("/channels/%s/stream?lastEventId=%s" % (q(channel), q(last_id)),
                                   channels_for_token=[channel])
        self.addCleanup(s.close)
        self.assertEqual(s.status, 200, s.body)
        return s

    def assertReset(self, s, channel):
        first = s.next_event()
        self.assertEqual(first.event, "pushy.reset", first)
        self.assertIsNotNone(first.id, "pushy.reset carries no id line")
        parse_id(first.id)
        data = first.json()
        self.assertIsInstance(data, dict)
        self.assertIsInstance(data.get("reason"), str)
        # Then live, and the reset id is a usable resume position.
        live = self.server.publish(channel, "after-reset")
        ev = s.next_event()
        self.assertEqual((ev.id, ev.payload), (live, "after-reset"))
        self.assertLess(seq_of(first.id), seq_of(live))
        return first

    def test_id_older_than_history(self):
        ids = [self.server.publish("old.x", i) for i in range(20)]
        for how in ("header", "query"):
            with self.subTest(how=how):
                first = self.assertReset(self.open_resume("old.x", ids[0], how), "old.x")
                self.assertEqual(parse_id(first.id)[0], parse_id(ids[0])[0])

    def test_reset_id_resumes_without_loss(self):
        ids = [self.server.publish("rr.x", i) for i in range(20)]
        s = self.open_resume("rr.x", ids[0])
        first = s.next_event()
        self.assertEqual(first.event, "pushy.reset")
        s.close()
        later = [self.server.publish("rr.x", i) for i in range(3)]
        s2 = self.open_resume("rr.x", first.id)
        self.assertEqual([e.id for e in s2.read_events(3)], later)

    def test_garbage_and_foreign_ids(self):
        head = self.server.publish("gb.x", 0)
        epoch, seq = parse_id(head)
        other_epoch = "%012x" % ((int(epoch, 16) + 1) % (1 << 48) or 1)
        bad_ids = ["garbage", "123", "%s-%d" % (other_epoch, seq), "%s-1" % other_epoch,
                   epoch + "-", "-%d" % seq, epoch + "-x1", "%s-%d" % (epoch, seq + 1000000)]
        if epoch.upper() != epoch:
            bad_ids.append(epoch.upper() + "-%d" % seq)
        for bad in bad_ids:
            with self.subTest(last_event_id=bad):
                self.assertReset(self.open_resume("gb.x", bad), "gb.x")

    def test_empty_last_event_id(self):
        # Empty means "no id" (plain live stream); a reset first is tolerated.
        s = self.open_resume("em.x", "")
        live = self.server.publish("em.x", "x")
        ev = s.next_event()
        if ev.event == "pushy.reset":
            ev = s.next_event()
        self.assertEqual(ev.id, live)

    def test_exactly_at_history_edge_is_not_reset(self):
        ids = [self.server.publish("edge.x", i) for i in range(5)]
        # With HISTORY_SIZE=5 the 4 events after ids[0] are still in history.
        s = self.open_resume("edge.x", ids[0])
        got = s.read_events(4)
        self.assertEqual([e.id for e in got], ids[1:])


class HistoryTtlTest(harness.ServerTestCase):
    SERVER_ENV = {"HISTORY_TTL": 1}

    def test_expired_history_resets(self):
        ids = [self.server.publish("ttl.x", i) for i in range(3)]
        time.sleep(2.2)
        s = self.server.stream("ttl.x", last_event_id=ids[0])
        self.addCleanup(s.close)
        first = s.next_event()
        self.assertEqual(first.event, "pushy.reset", first)


class RestartTest(unittest.TestCase):
    def test_id_from_before_restart_resets(self):
        a = harness.Server()
        try:
            ids = [a.publish("rs.x", i) for i in range(3)]
        finally:
            self.assertEqual(a.stop(), 0)
            a.assert_logs_clean()
        b = harness.Server()
        try:
            # Publish on the new server so its sequence may even reach the old ids' numbers.
            newer = [b.publish("rs.x", i) for i in range(5)]
            self.assertNotEqual(parse_id(newer[0])[0], parse_id(ids[0])[0],
                                "a restarted node must use a new history epoch")
            with b.stream("rs.x", last_event_id=ids[0]) as s:
                first = s.next_event()
                self.assertEqual(first.event, "pushy.reset", first)
                self.assertIsInstance(first.json().get("reason"), str)
                live = b.publish("rs.x", "live")
                self.assertEqual(s.next_event().id, live)
        finally:
            self.assertEqual(b.stop(), 0)
            b.assert_logs_clean()


if __name__ == "__main__":
    unittest.main()
