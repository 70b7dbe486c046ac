#!/usr/bin/env python3
"""Listens on channels and patterns and prints each event (standard library only).

    python3 examples/python/listen.py                       # news and news.*
    python3 examples/python/listen.py 'orders.**' alerts --count 5

Prints "<id> <event> <channel> <data>" per event. Parses text/event-stream by hand (the rules
of the HTML standard), sends the token in the Authorization header, and reconnects with
Last-Event-ID when the stream ends or drops, with a fresh token when the old one is about to
expire (pushy.token_expiring) or has expired, so nothing is missed while history lasts.
"""

import argparse
import http.client
import json
import os
import random
import sys
import time
import urllib.parse

from pushy_common import PUSHY_URL, PushyHTTPError, mint_token


def parse_sse(lines):
    """Yields (event, data, id) from an iterator of decoded lines (without line ends)."""
    event, data, last_id = "", [], ""
    for line in lines:
        if line == "":
            if data:
                yield event or "message", "\n".join(data), last_id
            event, data = "", []
        elif line.startswith(":"):
            continue  # a comment: Pushy's heartbeat
        else:
            field, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if field == "data":
                data.append(value)
            elif field == "event":
                event = value
            elif field == "id" and "\0" not in value:
                last_id = value


def read_lines(response):
    """Splits the body into lines on CRLF, LF or CR, dropping one leading BOM."""
    pending, first = b"", True
    while True:
        chunk = response.read1(65536)
        if not chunk:
            return
        pending += chunk
        if first:
            if len(pending) < 3 and b"\xef\xbb\xbf".startswith(pending):
                continue  # maybe a BOM cut in two
            pending, first = pending.removeprefix(b"\xef\xbb\xbf"), False
        # A CR at the very end may be the first half of a CRLF: keep it for the next chunk.
        held_cr = pending.endswith(b"\r")
        if held_cr:
            pending = pending[:-1]
        lines = pending.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n")
        pending = lines.pop() + (b"\r" if held_cr else b"")
        for line in lines:
            yield line.decode("utf-8", "replace")


def open_stream(channels, token, last_id):
    url = urllib.parse.urlsplit(PUSHY_URL)
    if len(channels) == 1:
        path = "/channels/%s/stream" % urllib.parse.quote(channels[0], safe="*")
    else:
        path = "/stream?channels=" + ",".join(urllib.parse.quote(c, safe="*") for c in channels)
    conn_class = http.client.HTTPSConnection if url.scheme == "https" else http.client.HTTPConnection
    conn = conn_class(url.hostname, url.port, timeout=60)  # > HEARTBEAT_INTERVAL
    headers = {"Authorization": "Bearer " + token, "Accept": "text/event-stream"}
    if last_id:
        headers["Last-Event-ID"] = last_id
    conn.request("GET", url.path.rstrip("/") + path, headers=headers)
    response = conn.getresponse()
    if response.status != 200:
        body = response.read().decode("utf-8", "replace")
        conn.close()
        raise PushyHTTPError(response.status, body)
    return conn, response


def main():
    parser = argparse.ArgumentParser(description="Listen to Pushy channels.")
    parser.add_argument("channels", nargs="*", default=["news", "news.*"])
    parser.add_argument("--count", type=int, help="exit after this many events")
    parser.add_argument("--sub", default="listener-%d" % os.getpid())
    args = parser.parse_args()

    received, last_id, token, failures = 0, "", None, 0
    while True:
        try:
            if token is None:
                token = mint_token(args.sub, args.channels)["token"]
            conn, response = open_stream(args.channels, token, last_id)
        except PushyHTTPError as err:
            if err.status in (400, 403, 404):
                sys.exit("refused: %s" % err)
            if err.status == 401:
                token = None  # expired or revoked: mint a new one
            failures += 1
        except OSError as err:
            print("connection failed: %s" % err, file=sys.stderr)
            failures += 1
        else:
            failures = 0
            print("listening on %s at %s" % (", ".join(args.channels), PUSHY_URL), file=sys.stderr,
                  flush=True)
            try:
                for event, data, event_id in parse_sse(read_lines(response)):
                    last_id = event_id or last_id
                    body = json.loads(data)
                    if event == "pushy.token_expiring":
                        token = None  # reconnect now with a fresh token and the last id
                        break
                    if event == "pushy.reset":
                        print("%s pushy.reset %s: reload your state here" % (event_id, body["reason"]),
                              flush=True)
                        continue
                    print("%s %s %s %s" % (event_id, event, body["channel"],
                                           json.dumps(body["data"], separators=(",", ":"))),
                          flush=True)
                    received += 1
                    if args.count and received >= args.count:
                        return
            except OSError as err:
                print("stream dropped: %s" % err, file=sys.stderr)
            finally:
                conn.close()
        # Full jitter, growing with failures in a row; a clean end comes back within a second.
        delay = random.uniform(0, min(30.0, 0.5 * 2 ** failures))
        time.sleep(delay)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
