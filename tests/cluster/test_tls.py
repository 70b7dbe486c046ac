"""Nodes that reach Redis over TLS (rediss://): the server certificate is verified against
the trust store (here a test CA given with SSL_CERT_FILE) and the host name, and the cluster
works over it as over TCP. Skipped when openssl or a TLS-enabled redis-server is missing."""

import os
import shutil
import ssl
import subprocess
import tempfile
import unittest

import cluster_harness as ch
from cluster_harness import wait_until


def make_certificates(directory):
    """A test CA and a server certificate for DNS:localhost only (not for 127.0.0.1)."""
    def run(*args):
        subprocess.run(["openssl"] + list(args), cwd=directory, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)
    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
        "-days", "2", "-subj", "/CN=pushy cluster test CA")
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr",
        "-subj", "/CN=localhost")
    with open(os.path.join(directory, "ext.cnf"), "w") as f:
        f.write("subjectAltName=DNS:localhost\n")
    run("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
        "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "ext.cnf")
    return {k: os.path.join(directory, v) for k, v in
            {"cert": "server.pem", "key": "server.key", "ca": "ca.pem"}.items()}


@unittest.skipUnless(shutil.which("openssl"), "openssl command not found")
class RedisOverTls(ch.ClusterTestCase):

    NODES = 2
    certs_dir = None

    @classmethod
    def setUpClass(cls):
        cls.certs_dir = tempfile.mkdtemp(prefix="pushy-cluster-tls-")
        cls.tls = make_certificates(cls.certs_dir)
        cls.NODE_ENV = {"SSL_CERT_FILE": cls.tls["ca"]}
        try:
            super().setUpClass()
        except AssertionError as e:
            shutil.rmtree(cls.certs_dir, ignore_errors=True)
            if "tls" in str(e).lower() or "Bad directive" in str(e):
                raise unittest.SkipTest("this redis-server was built without TLS")
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            shutil.rmtree(cls.certs_dir, ignore_errors=True)

    @classmethod
    def make_redis(cls):
        return ch.RedisServer(tls=cls.tls)

    def test_delivery_and_resume_across_nodes_over_tls(self):
        a, b = self.nodes
        channel = self.channel("secure")
        with self.open(a, channel) as s:
            first = b.publish(channel, {"n": 1})
            self.assertEqual(s.next_event().id, first)
        missed = a.publish(channel, {"n": 2})
        with b.stream(channel, last_event_id=first) as s:
            self.assertEqual(s.next_event().id, missed)
        self.assertTrue(self.redis.url.startswith("rediss://"))

    def test_untrusted_certificate_is_refused(self):
        system_ca = ssl.get_default_verify_paths().openssl_cafile or "/nonexistent"
        node = self.start_unready_node("U", self.redis.url, {"SSL_CERT_FILE": system_ca})
        self.assert_refused(node)

    def test_certificate_for_another_host_name_is_refused(self):
        # Same CA, but the certificate names localhost, not 127.0.0.1.
        node = self.start_unready_node("H", self.redis.url_for("127.0.0.1"))
        self.assert_refused(node)

    def start_unready_node(self, name, url, env=None):
        merged = dict(self.NODE_ENV, REDIS_URL=url)
        merged.update(env or {})
        node = ch.harness.Server(env=merged)   # healthy, never ready
        self.addCleanup(node.kill)
        return node

    def assert_refused(self, node):
        wait_until(lambda: "certificate verify failed" in node.log_text(), 10,
                   message="a certificate verification failure in the log")
        self.assertEqual(node.get("/readyz").status, 503)
        self.assertEqual(node.publish_raw(self.channel("x"), {"data": 1}).status, 503)
        node.assert_logs_clean()
        self.assertEqual(node.stop(), 0)


if __name__ == "__main__":
    unittest.main()
