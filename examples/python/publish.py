#!/usr/bin/env python3
"""Publishes one event as the backend, with the publisher credentials (standard library only).

    python3 examples/python/publish.py news '{"title": "Hello"}'
    python3 examples/python/publish.py news.sports '{"score": "2-1"}' --event score
    python3 examples/python/publish.py news alerts --data '"to both"'    # one event per channel

Prints the event id (one per channel).
"""

import argparse
import json
import sys
import urllib.parse

from pushy_common import PUBLISHER_HEADERS, PushyHTTPError, post_json


def main():
    parser = argparse.ArgumentParser(description="Publish an event to Pushy.")
    parser.add_argument("channels", nargs="+", help="channel, then optionally the JSON data")
    parser.add_argument("--data", help="JSON data (instead of a second positional argument)")
    parser.add_argument("--event", help="event name (default: message)")
    args = parser.parse_args()

    channels, data = args.channels, args.data
    if data is None:
        if len(channels) > 1:
            channels, data = channels[:-1], channels[-1]
        else:
            data = '{"text": "hello from python"}'
    try:
        body = {"data": json.loads(data)}
    except ValueError as err:
        sys.exit("data is not JSON: %s" % err)
    if args.event:
        body["event"] = args.event

    try:
        if len(channels) == 1:
            path = "/publish/" + urllib.parse.quote(channels[0], safe="")
            print(post_json(path, body, PUBLISHER_HEADERS)["id"])
        else:
            body["channels"] = channels
            print("\n".join(post_json("/publish", body, PUBLISHER_HEADERS)["ids"]))
    except PushyHTTPError as err:
        sys.exit("publish failed: %s" % err)
    except OSError as err:
        sys.exit("publish failed: %s" % err)


if __name__ == "__main__":
    main()
