"""What the Python examples share: where the node is, the publisher credentials, and a minimal
HTTP helper. Standard library only."""

import json
import os
import urllib.error
import urllib.request

PUSHY_URL = os.environ.get("PUSHY_URL", "http://127.0.0.1:4000").rstrip("/")
CLIENT_ID = os.environ.get("PUSHY_CLIENT_ID", "publisher_id")
CLIENT_SECRET = os.environ.get("PUSHY_CLIENT_SECRET", "publisher_secret")
PUBLISHER_HEADERS = {"X-Client-ID": CLIENT_ID, "X-Client-Secret": CLIENT_SECRET}


class PushyHTTPError(Exception):
    def __init__(self, status, message):
        super().__init__("%s %s" % (status, message))
        self.status = status


def post_json(path, body, headers):
    """POSTs JSON to the node; returns the decoded answer or raises PushyHTTPError."""
    request = urllib.request.Request(
        PUSHY_URL + path, data=json.dumps(body).encode(), method="POST",
        headers={"Content-Type": "application/json", **headers})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.load(response)
    except urllib.error.HTTPError as err:
        try:
            message = json.load(err).get("error", "")
        except ValueError:
            message = ""
        raise PushyHTTPError(err.code, message) from None


def mint_token(sub, channels, ttl=None):
    """POST /token with the publisher credentials (your backend's job): {token, expires_at}."""
    body = {"sub": sub, "channels": channels}
    if ttl:
        body["ttl"] = ttl
    return post_json("/token", body, PUBLISHER_HEADERS)
