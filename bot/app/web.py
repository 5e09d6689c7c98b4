"""The WSGI app: /slack/events (Bolt, behind `bot.app.inbound`), the health paths
(/healthz, /readyz, /metrics: `bot.app.health`, never behind the Slack signature check),
calendar feeds, and Twilio's webhooks (`bot.app.twilio_hooks`, behind Twilio's)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager, nullcontext

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler

from bot.app import health
from bot.app.inbound import MAX_BODY, guarded, plain

EVENTS_PATH = "/slack/events"
TWILIO_PATHS = ("/twilio/sms", "/twilio/voice")
log = logging.getLogger(__name__)


def create_wsgi(bolt: App, probes: health.Probes, signing_secret: str,
                feeds: Callable[[str], tuple[int, bytes] | None] | None = None,
                max_body: int = MAX_BODY, twilio: Callable | None = None,
                answering: Callable[[], AbstractContextManager] = nullcontext):
    """`probes`: what /healthz (this process reaches its database, and nothing else:
    anyone can ask it), /readyz and /metrics answer. `twilio`: the WSGI app of
    /twilio/sms and /twilio/voice (`bot.app.twilio_hooks`, its own signature check).
    `answering`: held around answering Slack (background work waits its turn behind
    it: `bot.jobs.acks_first`)."""
    bolt_wsgi = SlackRequestHandler(bolt, path=EVENTS_PATH)
    slack = guarded(bolt_wsgi, signing_secret, max_body)

    def route(environ, start_response) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        answered = health.answer(probes, environ, start_response)
        if answered is not None:
            return answered
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
        if twilio is not None and path in TWILIO_PATHS:
            return twilio(environ, start_response)
        if path == EVENTS_PATH:
            with answering():
                return slack(environ, start_response)
        return bolt_wsgi(environ, start_response)  # Bolt's 404 for any other path

    def app(environ, start_response) -> Iterable[bytes]:
        # Whatever fails below (the database gone while a feed is read), the answer is a
        # short plain one, never the server's HTML error page or a Python error text.
        try:
            return route(environ, start_response)
        except Exception:
            log.exception("answering %s %s failed", environ.get("REQUEST_METHOD"),
                          environ.get("PATH_INFO"))
            return plain(start_response, "503 Service Unavailable",
                         "Something went wrong on our side; try again in a minute.")

    return app
