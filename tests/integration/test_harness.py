"""Self-checks of the test harness (no server needed): a broken parser would make every other
test's verdict meaningless."""

import json
import unittest

import harness


class DechunkerTest(unittest.TestCase):
    def test_split_anywhere(self):
        wire = b"5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\n\r\nNEXT"
        for cut in range(len(wire)):
            d = harness.Dechunker()
            out = d.feed(wire[:cut]) + d.feed(wire[cut:])
            self.assertEqual(out, b"hello world", cut)
            self.assertTrue(d.done)
            self.assertEqual(d.leftover(), b"NEXT")

    def test_bad_framing_is_an_error(self):
        for wire in (b"zz\r\n", b"3\r\nabcX\r\n"):
            with self.assertRaises(harness.ProtocolError):
                harness.Dechunker().feed(wire)

    def test_not_done_without_final_chunk(self):
        d = harness.Dechunker()
        d.feed(b"3\r\nabc\r\n")
        self.assertFalse(d.done)


class SseParserTest(unittest.TestCase):
    def test_blocks_comments_retry(self):
        text = (b"retry: 2500\n\n: hb\nid: 0123456789ab-7\nevent: message\n"
                b"data: {\"channel\":\"a\",\"data\":1,\"ts\":5}\n\n:\n\nevent: x\ndata: a\ndata: b\n\n")
        for cut in range(len(text)):
            p = harness.SseParser()
            items = p.feed(text[:cut], 0) + p.feed(text[cut:], 1)
            kinds = [i.kind for i in items]
            self.assertEqual(kinds, ["retry", "comment", "event", "comment", "event"], cut)
            self.assertEqual(items[0].value, "2500")
            ev = items[2]
            self.assertEqual((ev.id, ev.event, ev.channel, ev.payload), (
                "0123456789ab-7", "message", "a", 1))
            self.assertEqual(items[4].data, "a\nb")
            self.assertIsNone(items[4].id)

    def test_crlf_lines(self):
        items = harness.SseParser().feed(b"id: 1\r\ndata: x\r\n\r\n", 0)
        self.assertEqual((items[0].id, items[0].data), ("1", "x"))


class JwtTest(unittest.TestCase):
    def test_round_trip(self):
        tok = harness.mint_jwt({"sub": "s", "channels": ["a"]})
        header, claims = harness.decode_jwt(tok)
        self.assertEqual(header, {"alg": "HS512", "typ": "JWT"})
        self.assertEqual(claims["channels"], ["a"])
        self.assertIn(tok, harness.sensitive_values())

    def test_wrong_key_fails(self):
        tok = harness.mint_jwt({"sub": "s"}, key="other")
        with self.assertRaises(AssertionError):
            harness.decode_jwt(tok)


class MiscTest(unittest.TestCase):
    def test_metrics_parser(self):
        m = harness.parse_metrics('# TYPE x counter\nx_total{status="200",a="b"} 3\ny 1.5e3\n')
        self.assertEqual(m["x_total"], [({"status": "200", "a": "b"}, 3.0)])
        self.assertEqual(m["y"], [({}, 1500.0)])

    def test_ids(self):
        self.assertEqual(harness.parse_id("00000000abcd-12"), ("00000000abcd", 12))
        for bad in ("abc-1", "0123456789ab-", "0123456789AB-1", "0123456789ab-1x"):
            with self.assertRaises(AssertionError):
                harness.parse_id(bad)

    def test_build_request(self):
        raw = harness.build_request("POST", "/p", {"A": "b"}, json.dumps({"x": 1}))
        self.assertTrue(raw.startswith(b"POST /p HTTP/1.1\r\nHost: 127.0.0.1\r\nA: b\r\n"))
        self.assertIn(b"Content-Length: 8\r\n\r\n{\"x\": 1}", raw)


if __name__ == "__main__":
    unittest.main()
