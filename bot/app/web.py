"""The WSGI app: /slack/events (Bolt), /healthz, and calendar feeds."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler

EVENTS_PATH = "/slack/events"


def create_wsgi(bolt: App, health: Callable[[], dict],
                feeds: Callable[[str], tuple[int, bytes] | None] | None = None):
    slack = SlackRequestHandler(bolt, path=EVENTS_PATH)

    def app(environ, start_response) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if path == "/healthz" and method in ("GET", "HEAD"):
            body = json.dumps(health()).encode()
            start_response("200 OK", [("Content-Type", "application/json"),
                                      ("Content-Length", str(len(body)))])
            return [body]
        if feeds is not None and path.startswith("/calendar/") and method in ("GET", "HEAD"):
            found = feeds(path[len("/calendar/"):])
            if found is None:
                body = b"Not Found"
                start_response("404 Not Found", [("Content-Type", "text/plain"),
                                                 ("Content-Length", str(len(body)))])
                return [body]
            _, ics = found
            start_response("200 OK", [("Content-Type", "text/calendar; charset=utf-8"),
                                      ("Content-Length", str(len(ics))),
                                      ("Cache-Control", "private, max-age=300")])
            return [ics]
        return slack(environ, start_response)

    return app
