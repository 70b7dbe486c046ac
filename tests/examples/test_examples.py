"""Runs every example in examples/ against a real `pushy --demo` node, so they never rot.

Standard library only. Each example gets the node through PUSHY_URL (and the demo credentials
through PUSHY_CLIENT_ID / PUSHY_CLIENT_SECRET), exactly as examples/README.md documents, and
every subprocess is bounded in time.
"""

import json
import os
import re
import signal
import subprocess
import sys
import time
import unittest
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
EXAMPLES = os.path.join(ROOT, "examples")
ID = r"[0-9a-f]{12}-\d+"
SETTINGS = ["AUTH_SECRET_KEY", "PUBLISHER_CLIENT_ID", "PUBLISHER_CLIENT_SECRET", "PORT", "HOST",
            "REDIS_URL", "HEARTBEAT_INTERVAL", "HISTORY_SIZE", "HISTORY_TTL", "TOKEN_TTL",
            "MAX_TOKEN_TTL", "ALLOWED_ORIGINS", "MAX_CONNECTIONS", "THREADS", "PUSHY_DEMO",
            "SHUTDOWN_TIMEOUT"]


def pushy_binary():
    if os.environ.get("PUSHY_BIN"):
        return os.environ["PUSHY_BIN"]
    for preset in ("ci", "dev", "release"):
        candidate = os.path.join(ROOT, "build", preset, "src", "server", "pushy")
        if os.path.exists(candidate):
            return candidate
    raise unittest.SkipTest("set PUSHY_BIN to the pushy binary")


class Node:
    """`pushy --demo` on a free loopback port (port 0, read back from its log)."""

    def __init__(self):
        env = {k: v for k, v in os.environ.items() if k not in SETTINGS}
        env.update(THREADS="2", SHUTDOWN_TIMEOUT="2")
        self.log_path = os.path.join(os.environ.get("TMPDIR", "/tmp"), "pushy-examples-%d.log" % os.getpid())
        self.log = open(self.log_path, "w+")
        self.proc = subprocess.Popen([pushy_binary(), "--demo", "--port", "0"], env=env,
                                     stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while True:
            self.log.seek(0)
            match = re.search(r"listening on 127\.0\.0\.1:(\d+)", self.log.read())
            if match:
                break
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("pushy did not start:\n" + self.text())
            time.sleep(0.02)
        self.url = "http://127.0.0.1:%s" % match.group(1)

    def text(self):
        self.log.seek(0)
        return self.log.read()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        os.unlink(self.log_path)


class ExamplesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.node = Node()
        cls.env = dict(os.environ, PUSHY_URL=cls.node.url, PUSHY_CLIENT_ID="publisher_id",
                       PUSHY_CLIENT_SECRET="publisher_secret", PYTHONDONTWRITEBYTECODE="1")

    @classmethod
    def tearDownClass(cls):
        cls.node.stop()

    def run_example(self, *cmd, timeout=20):
        result = subprocess.run(cmd, cwd=ROOT, env=self.env, capture_output=True, text=True,
                                timeout=timeout)
        self.assertEqual(result.returncode, 0, "%s failed:\n%s\n%s" % (cmd, result.stdout, result.stderr))
        return result.stdout

    def start_listener(self, *cmd):
        """Starts a listener and waits until its stream is open (it says so on stderr)."""
        proc = subprocess.Popen(cmd, cwd=ROOT, env=self.env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        self.addCleanup(lambda: proc.poll() is None and proc.kill())
        line = proc.stderr.readline()  # bounded: the listener exits if the node refuses it
        self.assertIn("listening on", line)
        return proc

    def finish(self, proc):
        try:
            out, err = proc.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
            self.fail("listener did not exit after its events:\n%s\n%s" % (out, err))
        self.assertEqual(proc.returncode, 0, err)
        return out.splitlines()

    def publish_direct(self, channel, data):
        request = urllib.request.Request(
            "%s/publish/%s" % (self.node.url, channel), data=json.dumps({"data": data}).encode(),
            headers={"X-Client-ID": "publisher_id", "X-Client-Secret": "publisher_secret",
                     "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=5) as response:
            return json.load(response)["id"]

    def test_curl_walkthrough(self):
        out = self.run_example("bash", "examples/curl-walkthrough.sh", timeout=60)
        for step in range(1, 9):
            self.assertRegex(out, r"(?m)^== %d\. " % step)
        self.assertIn('"channel":"news","data":{"title":"Breaking News"', out)
        self.assertIn("event: pushy.reset", out)
        self.assertTrue(out.rstrip().endswith("Walk-through passed against %s" % self.node.url))

    def test_curl_walkthrough_fails_loudly(self):
        env = dict(self.env, PUSHY_CLIENT_SECRET="wrong")
        result = subprocess.run(["bash", "examples/curl-walkthrough.sh"], cwd=ROOT, env=env,
                                capture_output=True, text=True, timeout=30)
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("FAILED: POST /token was refused", result.stderr)

    def test_node_listen_and_publish(self):
        listener = self.start_listener("node", "examples/node/listen.mjs", "news", "news.*",
                                       "--count", "3")
        first = self.run_example("node", "examples/node/publish.mjs", "news").strip()
        second = self.run_example("node", "examples/node/publish.mjs", "news.sports",
                                  '{"score":"2-1"}', "--event", "score").strip()
        self.publish_direct("news.sports.live", "not matched")
        third = self.run_example("node", "examples/node/publish.mjs", "news", '"last"').strip()
        self.assertEqual(self.finish(listener), [
            '%s message news {"text":"hello from node"}' % first,
            '%s score news.sports {"score":"2-1"}' % second,
            '%s message news "last"' % third,
        ])

    def test_python_listen_and_publish(self):
        listener = self.start_listener(sys.executable, "examples/python/listen.py", "news",
                                       "alerts", "--count", "4")
        first = self.run_example(sys.executable, "examples/python/publish.py", "news").strip()
        named = self.run_example(sys.executable, "examples/python/publish.py", "alerts",
                                 '{"level": 2}', "--event", "alert").strip()
        both = self.run_example(sys.executable, "examples/python/publish.py", "news", "alerts",
                                "--data", '"to both"').split()
        self.assertEqual(self.finish(listener), [
            '%s message news {"text":"hello from python"}' % first,
            '%s alert alerts {"level":2}' % named,
            '%s message news "to both"' % both[0],
            '%s message alerts "to both"' % both[1],
        ])

    def test_cross_language(self):
        # Listeners of both languages hear the same Node publish on a pattern.
        py = self.start_listener(sys.executable, "examples/python/listen.py", "mixed.*", "--count", "1")
        js = self.start_listener("node", "examples/node/listen.mjs", "mixed.*", "--count", "1")
        from_node = self.run_example("node", "examples/node/publish.mjs", "mixed.a", "1").strip()
        self.assertEqual(self.finish(py), ["%s message mixed.a 1" % from_node])
        self.assertEqual(self.finish(js), ["%s message mixed.a 1" % from_node])

    def test_publish_errors_exit_non_zero(self):
        for cmd in (["node", "examples/node/publish.mjs", "news.*"],
                    [sys.executable, "examples/python/publish.py", "news.*"]):
            result = subprocess.run(cmd, cwd=ROOT, env=self.env, capture_output=True, text=True,
                                    timeout=20)
            self.assertEqual(result.returncode, 1, cmd)
            self.assertIn("cannot publish to a channel pattern", result.stderr)

    def test_listeners_refused_exit_non_zero(self):
        # A token cannot grant an invalid channel: the mint fails with 400, the listener says why.
        for cmd in (["node", "examples/node/listen.mjs", "bad channel"],
                    [sys.executable, "examples/python/listen.py", "bad channel"]):
            result = subprocess.run(cmd, cwd=ROOT, env=self.env, capture_output=True, text=True,
                                    timeout=20)
            self.assertNotEqual(result.returncode, 0, cmd)
            self.assertIn("400", result.stderr, cmd)


if __name__ == "__main__":
    unittest.main()
