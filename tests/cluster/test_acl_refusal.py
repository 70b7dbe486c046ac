"""A channel the Redis ACL does not let the node subscribe to: a stream on it gets a clear 503
instead of a 200 that never delivers anything, while channels the ACL allows keep working."""

import unittest

import cluster_harness as ch
from cluster_harness import harness


class AclRefusedChannel(ch.ClusterTestCase):

    NODES = 1
    REDIS_ACL_USER = "pushy-node"
    # Only `open.*` channels may be received; everything else the node needs stays allowed.
    REDIS_ACL_RULES = ch.ACL_RULES + ("resetchannels", "&pushy:c:open.*")

    def test_refused_channel_gets_503_and_allowed_channel_works(self):
        (node,) = self.nodes
        r = node.request("GET", "/channels/closed.x/stream",
                         {"Authorization": "Bearer " + harness.token_for(["closed.x"])})
        self.assertEqual(r.status, 503, r.body)
        self.assertIn(b"refused", r.body)
        self.assertIn("error", r.json())
        with node.stream("open.x") as s:
            event_id = node.publish("open.x", {"n": 1})
            self.assertEqual(s.next_event(timeout=5).id, event_id)


if __name__ == "__main__":
    unittest.main()
