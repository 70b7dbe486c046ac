"""Opening streams: authentication, grants, channel syntax, response headers, CORS."""

import time
import unittest
import urllib.parse

import harness
from harness import SseStream, mint_jwt, token_for


def q(text):
    return urllib.parse.quote(text, safe="")


class StreamAuthTest(harness.ServerTestCase):
    def open(self, path, token=None, **kw):
        s = SseStream(self.server.port, path, token=token, **kw)
        self.addCleanup(s.close)
        return s

    def assertStreamError(self, s, status):
        self.assertEqual(s.status, status, "body %r" % (s.body,))
        self.assertTrue((s.header("Content-Type") or "").startswith("application/json"),
                        s.headers)
        body = s.json()
        self.assertIsInstance(body.get("error"), str)

    def test_no_token(self):
        self.assertStreamError(self.open("/channels/a/stream"), 401)
        self.assertStreamError(self.open("/stream?channels=a"), 401)

    def test_invalid_tokens(self):
        now = int(time.time())
        good = {"sub": "s", "channels": ["a"], "iat": now, "exp": now + 600}
        valid = mint_jwt(good)
        h, p, sig = valid.split(".")
        other_sig = mint_jwt(dict(good, sub="t")).split(".")[2]
        cases = {
            "alg none": mint_jwt(good, alg="none"),
            "alg none, with a signature": mint_jwt(good, alg="none",
                                                   header={"alg": "none"}) + sig,
            "alg HS256": mint_jwt(good, alg="HS256"),
            "alg RS256": mint_jwt(good, alg="RS256"),
            "alg missing": mint_jwt(good, header={"typ": "JWT"}),
            "alg lowercase": mint_jwt(good, header={"alg": "hs512", "typ": "JWT"}),
            "wrong key": mint_jwt(good, key="not-the-key"),
            "signature of other claims": "%s.%s.%s" % (h, p, other_sig),
            "signature truncated": valid[:-4],
            "signature empty": "%s.%s." % (h, p),
            "expired": mint_jwt(dict(good, exp=now - 5)),
            "nbf in future": mint_jwt(dict(good, nbf=now + 300)),
            "no channels": mint_jwt({"sub": "s", "iat": now, "exp": now + 600}),
            "channels string": mint_jwt(dict(good, channels="a")),
            "channels object": mint_jwt(dict(good, channels={"a": 1})),
            "exp string": mint_jwt(dict(good, exp="later")),
            "two segments": "%s.%s" % (h, p),
            "four segments": valid + ".x",
            "garbage": "not-a-token",
            "bad base64 header": "!!!." + p + "." + sig,
            "header not json": harness.b64url(b"{nope") + "." + p + "." + sig,
            "payload not json": "%s.%s.%s" % (h, harness.b64url(b"[1,2"), sig),
            "payload array": mint_jwt(["a"]),
        }
        for name, token in cases.items():
            harness.register_sensitive(token)
            with self.subTest(name):
                self.assertStreamError(self.open("/channels/a/stream", token=token), 401)
        # Control: the unmodified token works.
        self.assertEqual(self.open("/channels/a/stream", token=valid).status, 200)

    def test_token_without_exp_or_with_extra_claims_is_accepted(self):
        for name, token in {
            "no exp": token_for(["a"], ttl=None),
            "nbf past, aud, jti": token_for(["a"], nbf=int(time.time()) - 10, aud="x", jti="1"),
            "no iat": mint_jwt({"sub": "s", "channels": ["a"]}),
        }.items():
            with self.subTest(name):
                self.assertEqual(self.open("/channels/a/stream", token=token).status, 200)

    def test_authorization_schemes(self):
        token = token_for(["a"])
        for name, value in {
            "basic": "Basic " + harness.b64url(b"user:pass"),
            "token scheme": "Token " + token,
            "raw token": token,
            "bearer without token": "Bearer",
            "bearer empty": "Bearer ",
        }.items():
            with self.subTest(name):
                s = self.open("/channels/a/stream", headers=[("Authorization", value)])
                self.assertStreamError(s, 401)

    def test_token_in_query(self):
        token = token_for(["a"])
        s = self.open("/channels/a/stream?token=" + q(token))
        self.assertEqual(s.status, 200)
        s = self.open("/stream?channels=a&token=" + q(token))
        self.assertEqual(s.status, 200)
        s = self.open("/channels/a/stream?token=" + q(token_for(["b"])))
        self.assertStreamError(s, 403)
        s = self.open("/channels/a/stream?token=garbage")
        self.assertStreamError(s, 401)
        self.server.assert_logs_clean()

    def test_empty_grant_is_forbidden(self):
        token = token_for([])
        self.assertStreamError(self.open("/channels/a/stream", token=token), 403)

    def test_grant_coverage(self):
        # (grant, subscription, allowed)
        table = [
            (["news.*"], "news.sports", True),
            (["news.*"], "news.*", True),
            (["news.*"], "news", False),
            (["news.*"], "news.sports.live", False),
            (["news.*"], "news.**", False),
            (["news.*"], "sports", False),
            (["news.**"], "news.sports.live", True),
            (["news.**"], "news.*", True),
            (["news.**"], "news.*.live", True),
            (["news.**"], "news.**", True),
            (["news.**"], "news", False),
            (["news.*.live"], "news.*.live", True),
            (["news.*.live"], "news.x.live", True),
            (["news.*.live"], "news.*.*", False),
            (["*"], "news", True),
            (["*"], "news.sports", False),
            (["*.b"], "a.b", True),
            (["a", "b"], "b", True),
            (["a", "b"], "c", False),
            (["a.x", "a.y"], "a.*", False),  # no single grant covers the pattern
            (["**"], "anything.at.all", True),
            (["news"], "news", True),
            (["news"], "newsx", False),
            (["News"], "news", False),  # names are case-sensitive
        ]
        for grant, sub, allowed in table:
            with self.subTest(grant=grant, subscribe=sub):
                s = self.open("/channels/%s/stream" % q(sub), token=token_for(grant))
                if allowed:
                    self.assertEqual(s.status, 200, s.body)
                else:
                    self.assertStreamError(s, 403)

    def test_multi_channel_grant_is_checked_per_entry(self):
        token = token_for(["a.*", "b"])
        self.assertEqual(self.open("/stream?channels=a.x,b", token=token).status, 200)
        self.assertStreamError(self.open("/stream?channels=a.x,c", token=token), 403)
        self.assertStreamError(self.open("/stream?channel=b&channel=c", token=token), 403)

    def test_invalid_channels(self):
        token = token_for(["**"])
        bad = ["a..b", ".a", "a.", "a b", "a/b", "a.*x", "a.**.b", "a.***", "**x", "a#b", "a,b",
               "a.?", "x" * 256, "a\tb", "\u00e9t\u00e9", "a\x00b"]
        for name in bad:
            with self.subTest(name=name):
                s = self.open("/channels/%s/stream" % q(name), token=token)
                self.assertStreamError(s, 400)
        for name in ["a..b", "a.**.b", ""]:
            with self.subTest(multi=name):
                s = self.open("/stream?channels=ok,%s" % q(name), token=token)
                self.assertStreamError(s, 400)
        self.assertStreamError(self.open("/stream", token=token), 400)
        self.assertStreamError(self.open("/stream?channels=", token=token), 400)
        self.assertStreamError(self.open("/channels/%ff/stream", token=token), 400)
        self.assertStreamError(self.open("/channels/a%ZZ/stream", token=token), 400)

    def test_longest_valid_name(self):
        name = ".".join(["x" * 63] * 4)  # 255 bytes
        self.assertEqual(len(name), 255)
        self.assertEqual(self.open("/channels/%s/stream" % name, token=token_for([name])).status,
                         200)

    def test_valid_segment_characters(self):
        name = "AZaz09_-:@=.x"
        s = self.open("/channels/%s/stream" % q(name), token=token_for([name]))
        self.assertEqual(s.status, 200)

    def test_response_headers_and_retry(self):
        s = self.open("/channels/a/stream", token=token_for(["a"]))
        self.assertEqual(s.status, 200)
        self.assertTrue(s.header("Content-Type", "").startswith("text/event-stream"), s.headers)
        self.assertEqual(s.header("Cache-Control"), "no-cache")
        self.assertEqual(s.header("X-Accel-Buffering"), "no")
        self.assertTrue(s.chunked, "stream is not chunked: %r" % s.headers)
        self.assertEqual(s.response.version, "HTTP/1.1")
        self.assertIsNone(s.header("Content-Length"))
        retry = int(s.retry)
        self.assertTrue(1000 <= retry <= 10000, retry)
        # retry comes first, before any event or comment.
        self.assertEqual(s.history[0].kind, "retry")

    def test_headers_flushed_before_any_event(self):
        t0 = time.monotonic()
        s = self.open("/channels/quiet/stream", token=token_for(["quiet"]))
        self.assertEqual(s.status, 200)
        self.assertLess(time.monotonic() - t0, 1.0)

    def test_retry_is_jittered(self):
        values = set()
        for _ in range(8):
            s = self.open("/channels/a/stream", token=token_for(["a"]))
            values.add(int(s.retry))
            s.close()
        self.assertGreater(len(values), 1, "retry is not jittered: %r" % values)

    def test_percent_decoded_channel(self):
        token = token_for(["**"])
        cases = [("user%40example", "user@example"), ("news%2Esports", "news.sports"),
                 ("k%3Dv%3Ax", "k=v:x")]
        for encoded, channel in cases:
            with self.subTest(channel=channel):
                s = self.open("/channels/%s/stream" % encoded, token=token)
                self.assertEqual(s.status, 200)
                eid = self.server.publish(channel, {"c": channel})
                ev = s.next_event()
                self.assertEqual((ev.id, ev.channel, ev.payload), (eid, channel, {"c": channel}))

    def test_percent_encoded_pattern(self):
        s = self.open("/channels/pe.%2A/stream", token=token_for(["pe.*"]))
        self.assertEqual(s.status, 200)
        eid = self.server.publish("pe.x", 1)
        self.assertEqual(s.next_event().id, eid)

    def test_wrong_method(self):
        r = self.server.request("POST", "/channels/a/stream", json_body={})
        self.assertError(r, 405)
        self.assertIn("GET", r.header("Allow", ""))
        r = self.server.request("DELETE", "/stream?channels=a")
        self.assertError(r, 405)
        self.assertIn("GET", r.header("Allow", ""))


class CorsDefaultTest(harness.ServerTestCase):
    def test_stream_gets_cors_header(self):
        with SseStream(self.server.port, "/channels/a/stream", token=token_for(["a"]),
                       origin="https://app.example") as s:
            self.assertEqual(s.status, 200)
            self.assertIn(s.header("Access-Control-Allow-Origin"), ("*", "https://app.example"))

    def test_preflight_on_every_endpoint(self):
        for path in ("/channels/a/stream", "/stream?channels=a", "/publish/a", "/publish",
                     "/token", "/healthz"):
            with self.subTest(path=path):
                r = self.server.request("OPTIONS", path, [
                    ("Origin", "https://app.example"),
                    ("Access-Control-Request-Method", "GET" if "stream" in path else "POST"),
                    ("Access-Control-Request-Headers", "authorization, last-event-id")])
                self.assertEqual(r.status, 204, r)
                self.assertIn(r.header("Access-Control-Allow-Origin"),
                              ("*", "https://app.example"))
                methods = (r.header("Access-Control-Allow-Methods") or "").upper()
                self.assertIn("GET" if "stream" in path or path == "/healthz" else "POST",
                              methods, r)
                allowed = (r.header("Access-Control-Allow-Headers") or "").lower()
                if "stream" in path:
                    self.assertTrue(allowed == "*" or ("authorization" in allowed
                                                       and "last-event-id" in allowed), r)
                self.assertEqual(r.body, b"")


class CorsListTest(harness.ServerTestCase):
    SERVER_ENV = {"ALLOWED_ORIGINS": "https://a.example,https://b.example:8443"}

    def test_listed_origins_echoed_exactly(self):
        for origin in ("https://a.example", "https://b.example:8443"):
            with self.subTest(origin=origin):
                with SseStream(self.server.port, "/channels/a/stream", token=token_for(["a"]),
                               origin=origin) as s:
                    self.assertEqual(s.status, 200)
                    self.assertEqual(s.header("Access-Control-Allow-Origin"), origin)
                r = self.server.request("OPTIONS", "/publish/a", [
                    ("Origin", origin), ("Access-Control-Request-Method", "POST")])
                self.assertEqual(r.status, 204, r)
                self.assertEqual(r.header("Access-Control-Allow-Origin"), origin)

    def test_other_origins_get_no_cors_header(self):
        for origin in ("https://c.example", "https://a.example.evil", "http://a.example",
                       "https://b.example", "null"):
            with self.subTest(origin=origin):
                with SseStream(self.server.port, "/channels/a/stream", token=token_for(["a"]),
                               origin=origin) as s:
                    self.assertIsNone(s.header("Access-Control-Allow-Origin"), s.headers)
                r = self.server.request("OPTIONS", "/publish/a", [
                    ("Origin", origin), ("Access-Control-Request-Method", "POST")])
                self.assertIsNone(r.header("Access-Control-Allow-Origin"), r)


if __name__ == "__main__":
    unittest.main()
