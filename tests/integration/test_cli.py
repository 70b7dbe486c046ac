"""The command line: --help, configuration errors, the `token` subcommand, flags over env."""

import os
import subprocess
import time
import unittest

import harness
from harness import PUSHY_BIN


def run(args, env_overrides=None, drop=(), timeout=10):
    env = {k: v for k, v in os.environ.items()
           if k not in harness.CONTRACT_VARS + harness.EXTRA_VARS}
    env.update({"AUTH_SECRET_KEY": harness.SECRET, "PUBLISHER_CLIENT_ID": harness.CLIENT_ID,
                "PUBLISHER_CLIENT_SECRET": harness.CLIENT_SECRET, "HOST": harness.HOST,
                "PORT": str(harness.free_port())})
    env.update(env_overrides or {})
    for k in drop:
        env.pop(k, None)
    try:
        p = subprocess.run([PUSHY_BIN] + args, env=env, stdin=subprocess.DEVNULL,
                           capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        raise AssertionError("pushy %s still running after %ss (expected it to exit); "
                             "stderr: %s" % (args, timeout, (e.stderr or b"")[-2000:]))
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


class CliTest(unittest.TestCase):
    def assertNoSecrets(self, text):
        for v in (harness.SECRET, harness.CLIENT_SECRET):
            self.assertNotIn(v, text)

    def test_help_mentions_every_variable(self):
        rc, out, err = run(["--help"])
        self.assertEqual(rc, 0, err)
        text = out + err
        for var in harness.CONTRACT_VARS:
            with self.subTest(var=var):
                self.assertIn(var, text)
        self.assertIn("--port", text)

    def test_refuses_to_start_without_required_settings(self):
        for var in ("AUTH_SECRET_KEY", "PUBLISHER_CLIENT_ID", "PUBLISHER_CLIENT_SECRET"):
            with self.subTest(missing=var):
                rc, out, err = run([], drop=[var], timeout=4)
                self.assertNotEqual(rc, 0)
                self.assertIn(var, err)
                self.assertNoSecrets(out + err)

    def test_empty_secret_is_missing(self):
        rc, _, err = run([], {"AUTH_SECRET_KEY": ""}, timeout=4)
        self.assertNotEqual(rc, 0)
        self.assertIn("AUTH_SECRET_KEY", err)

    def test_invalid_values_name_the_key(self):
        for var, value in (("PORT", "notaport"), ("PORT", "70000"), ("MAX_MESSAGE_BYTES", "x"),
                           ("HEARTBEAT_INTERVAL", "-1"), ("HISTORY_SIZE", "-5"),
                           ("THREADS", "zero")):
            with self.subTest(var=var, value=value):
                rc, out, err = run([], {var: value}, timeout=4)
                self.assertNotEqual(rc, 0, "started with %s=%s" % (var, value))
                self.assertIn(var, out + err)

    def test_short_secret_warns_but_starts(self):
        s = harness.Server(env={"AUTH_SECRET_KEY": "short-key-123"})
        try:
            s.assert_alive()
            time.sleep(0.2)
            log = s.log_text()
            self.assertTrue("AUTH_SECRET_KEY" in log or ("secret" in log.lower() and "64" in log),
                            "no warning about a short AUTH_SECRET_KEY:\n" + log[-2000:])
            self.assertNotIn("short-key-123", log)
        finally:
            self.assertEqual(s.stop(), 0)

    def test_token_subcommand(self):
        rc, out, err = run(["token", "--sub", "u1", "--channels", "news.*,x", "--ttl", "600",
                            "--meta", '{"a":1}'], drop=["PUBLISHER_CLIENT_ID",
                                                         "PUBLISHER_CLIENT_SECRET"])
        self.assertEqual(rc, 0, err)
        token = out.strip()
        harness.register_sensitive(token)
        self.assertEqual(token.count("."), 2, out)
        header, claims = harness.decode_jwt(token)
        self.assertEqual(header.get("alg"), "HS512")
        self.assertEqual(claims["sub"], "u1")
        self.assertEqual(claims["channels"], ["news.*", "x"])
        self.assertEqual(claims["meta"], {"a": 1})
        self.assertEqual(claims["exp"] - claims["iat"], 600)
        self.assertLessEqual(abs(claims["iat"] - time.time()), 5)
        # And the server accepts it.
        s = harness.Server()
        try:
            with s.stream("news.a", token=token) as st:
                self.assertEqual(st.status, 200)
            with s.stream("y", token=token) as st:
                self.assertEqual(st.status, 403)
        finally:
            self.assertEqual(s.stop(), 0)
            s.assert_logs_clean()

    def test_token_subcommand_needs_secret(self):
        rc, out, err = run(["token", "--sub", "u1", "--channels", "x"], drop=["AUTH_SECRET_KEY"])
        self.assertNotEqual(rc, 0)
        self.assertIn("AUTH_SECRET_KEY", err)
        self.assertEqual(out.strip(), "")

    def test_flag_beats_variable(self):
        env_port, flag_port = harness.free_port(), harness.free_port()
        # Server.start sets PORT itself; drive this process by hand.
        env = harness.Server(start=False).env()
        env["PORT"] = str(env_port)
        proc = subprocess.Popen([PUSHY_BIN, "--port", str(flag_port)], env=env,
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE)
        try:
            def up():
                try:
                    return harness.request(flag_port, "GET", "/healthz", timeout=1).status == 200
                except (OSError, TimeoutError, harness.ConnectionClosed):
                    return False
            harness.wait_until(lambda: up() or proc.poll() is not None, 10, message="healthz")
            self.assertIsNone(proc.poll(), "pushy exited; --port ignored?")
            with self.assertRaises(OSError):
                harness.request(env_port, "GET", "/healthz", timeout=1)
        finally:
            proc.terminate()
            try:
                rc = proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
                rc = "still running 10 s after SIGTERM"
            proc.stderr.close()
        self.assertEqual(rc, 0)


if __name__ == "__main__":
    unittest.main()
