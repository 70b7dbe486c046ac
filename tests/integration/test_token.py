"""POST /token: publisher credentials, body validation, the JWT it returns."""

import json
import time
import unittest

import harness
from harness import PUB_HEADERS


class TokenTest(harness.ServerTestCase):
    SERVER_ENV = {"TOKEN_TTL": 1234, "MAX_TOKEN_TTL": 5000}

    def post(self, body, headers=None, raw=None):
        h = dict(PUB_HEADERS) if headers is None else dict(headers)
        h.setdefault("Content-Type", "application/json")
        data = raw if raw is not None else json.dumps(body).encode()
        return self.server.request("POST", "/token", h, body=data)

    def test_mints_hs512_token_with_claims(self):
        before = int(time.time())
        r = self.post({"sub": "user123", "channels": ["news", "sports.*"],
                       "meta": {"name": "John", "n": [1, 2]}, "ttl": 600})
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.header("Content-Type", "").startswith("application/json"))
        body = r.json()
        harness.register_sensitive(body["token"])
        header, claims = harness.decode_jwt(body["token"])
        self.assertEqual(header, {"alg": "HS512", "typ": "JWT"})
        self.assertEqual(claims["sub"], "user123")
        self.assertEqual(claims["channels"], ["news", "sports.*"])
        self.assertEqual(claims["meta"], {"name": "John", "n": [1, 2]})
        self.assertEqual(claims["exp"], body["expires_at"])
        self.assertEqual(claims["exp"] - claims["iat"], 600)
        self.assertTrue(before - 1 <= claims["iat"] <= int(time.time()) + 1, claims)

    def test_default_ttl_and_no_meta(self):
        r = self.post({"sub": "u", "channels": ["a"]})
        self.assertEqual(r.status, 200, r)
        harness.register_sensitive(r.json()["token"])
        _, claims = harness.decode_jwt(r.json()["token"])
        self.assertEqual(claims["exp"] - claims["iat"], 1234)
        self.assertNotIn("meta", claims)

    def test_max_ttl_is_accepted(self):
        r = self.post({"sub": "u", "channels": ["a"], "ttl": 5000})
        self.assertEqual(r.status, 200, r)
        harness.register_sensitive(r.json()["token"])

    def test_minted_token_opens_a_stream(self):
        token = self.server.mint(["news.*"])
        with self.server.stream("news.x", token=token) as s:
            self.assertEqual(s.status, 200)

    def test_credentials(self):
        good_id, good_secret = PUB_HEADERS["X-Client-ID"], PUB_HEADERS["X-Client-Secret"]
        cases = {
            "none": {},
            "id only": {"X-Client-ID": good_id},
            "secret only": {"X-Client-Secret": good_secret},
            "wrong secret": {"X-Client-ID": good_id, "X-Client-Secret": good_secret + "x"},
            "secret prefix": {"X-Client-ID": good_id, "X-Client-Secret": good_secret[:-1]},
            "wrong id": {"X-Client-ID": good_id + "x", "X-Client-Secret": good_secret},
            "empty": {"X-Client-ID": "", "X-Client-Secret": ""},
            "swapped": {"X-Client-ID": good_secret, "X-Client-Secret": good_id},
            "bearer instead": {"Authorization": "Bearer " + harness.token_for(["**"])},
        }
        for name, headers in cases.items():
            with self.subTest(name):
                r = self.post({"sub": "u", "channels": ["a"]}, headers=headers)
                self.assertError(r, 401)

    def test_bad_bodies(self):
        cases = {
            "not json": b"{sub: u}",
            "truncated": b'{"sub": "u", "channels": ["a"]',
            "empty body": b"",
            "array": b'[{"sub":"u","channels":["a"]}]',
            "string": b'"x"',
            "missing sub": b'{"channels": ["a"]}',
            "empty sub": b'{"sub": "", "channels": ["a"]}',
            "sub not string": b'{"sub": 5, "channels": ["a"]}',
            "missing channels": b'{"sub": "u"}',
            "empty channels": b'{"sub": "u", "channels": []}',
            "channels string": b'{"sub": "u", "channels": "a"}',
            "channel not string": b'{"sub": "u", "channels": [5]}',
            "invalid channel": b'{"sub": "u", "channels": ["a..b"]}',
            "invalid pattern": b'{"sub": "u", "channels": ["a.**.b"]}',
            "meta not object": b'{"sub": "u", "channels": ["a"], "meta": [1]}',
            "ttl zero": b'{"sub": "u", "channels": ["a"], "ttl": 0}',
            "ttl negative": b'{"sub": "u", "channels": ["a"], "ttl": -5}',
            "ttl float": b'{"sub": "u", "channels": ["a"], "ttl": 1.5}',
            "ttl string": b'{"sub": "u", "channels": ["a"], "ttl": "60"}',
            "ttl over max": b'{"sub": "u", "channels": ["a"], "ttl": 5001}',
            "ttl huge": b'{"sub": "u", "channels": ["a"], "ttl": 99999999999999999999}',
            "trailing garbage": b'{"sub": "u", "channels": ["a"]} x',
            "invalid utf8": b'{"sub": "u\xff", "channels": ["a"]}',
        }
        for name, raw in cases.items():
            with self.subTest(name):
                self.assertError(self.post(None, raw=raw), 400)

    def test_non_json_content_type(self):
        # (application/x-www-form-urlencoded is deliberately read as JSON: curl -d sends it.)
        for ctype in ("text/plain", "application/xml", "multipart/form-data; boundary=x"):
            with self.subTest(ctype):
                r = self.post({"sub": "u", "channels": ["a"]},
                              headers=dict(PUB_HEADERS, **{"Content-Type": ctype}))
                self.assertIn(r.status, (400, 415), r)
                self.assertError(r, r.status)

    def test_content_type_with_charset_is_json(self):
        r = self.post({"sub": "u", "channels": ["a"]},
                      headers=dict(PUB_HEADERS, **{"Content-Type": "application/json; charset=utf-8"}))
        self.assertEqual(r.status, 200, r)
        harness.register_sensitive(r.json()["token"])

    def test_wrong_method(self):
        for method in ("GET", "PUT", "DELETE"):
            with self.subTest(method):
                r = self.server.request(method, "/token", PUB_HEADERS)
                self.assertError(r, 405)
                self.assertIn("POST", r.header("Allow", ""))

    def test_tokens_are_not_logged(self):
        for _ in range(3):
            self.server.mint(["a"])
        self.server.assert_logs_clean()


if __name__ == "__main__":
    unittest.main()
