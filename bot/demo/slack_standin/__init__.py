"""A local stand-in for the Slack Web API, for tests, benchmarks and ``oncall-bot demo``.

It serves the handful of Web API methods this bot uses from a
``ThreadingHTTPServer`` on 127.0.0.1 (a free port by default) in a daemon thread,
answers them the way Slack does, and records every call::

    with SlackStandIn(users={"U1": {"real_name": "Ada", "tz": "Europe/Berlin"}}) as slack:
        client = make_web_client("xoxb-test", base_url=slack.url)
        client.chat_postMessage(channel="U1", text="You are on call")
        [message] = slack.messages_to("U1")

Behaviour worth knowing:

* Any POST (or GET) to ``/api/<method>`` is an API call. Bodies may be form-encoded
  or JSON; the query string is read too. The token comes from
  ``Authorization: Bearer ...`` or a ``token`` field. No token gives ``not_authed``,
  a token that is not accepted gives ``invalid_auth`` (by default any ``xoxb-``
  token is accepted). Unknown methods give ``unknown_method``. Errors are HTTP 200
  with ``{"ok": false, "error": ...}``, as on Slack.
* Every request, including auth failures, unknown methods and injected faults, is
  recorded as a :class:`Call`. ``Call.thread_id`` is the ident of the stand-in's
  server thread that handled the request; ``Call.at`` is ``time.monotonic()`` at
  arrival and ``Call.received`` the wall clock (``time.time()``) then. Messages read
  back (``messages_to``, ``message``) carry ``received`` too, and ``received_at(ts)``
  says when a message's post arrived: when a step "reached Slack".
* ``latency`` (an argument, and settable while running): every Web API call answers
  that many seconds after it arrived (real Slack takes about 100-300 ms). The call
  takes effect on arrival; the wait is outside the stand-in's lock, so calls overlap.
* ``ts`` values come from a counter: ``1767225600.000100``, ``1767225600.000200``, ...
  (unique and increasing for the life of the instance, ``clear()`` included).
* A message to a user id (``U...``/``W...``) lands in that user's DM channel,
  ``dm_channel(user_id)`` == ``"D" + user_id``; ``conversations.open`` gives the same id.
* ``files.getUploadURLExternal`` hands out ``http://127.0.0.1:PORT/upload/<file_id>``
  on the stand-in itself; the POST of the bytes there is recorded as method
  ``"upload"`` (``UPLOAD_METHOD``), and can have faults injected like any method.
* Faults (``fail_next``, ``delay_next``, ``drop_next``) are queued per method (or
  ``"*"`` for any method) and used in order. A failed call has no side effect. A
  delayed call takes effect on arrival and only its answer is late, like a Slack
  call whose response is lost to a client timeout; ``drop_next(..., done=True)``
  carries the call out, then closes the connection without an answer.
  ``fail_next(..., where={...})`` aims a fault at the calls whose params hold those
  values (e.g. one channel), or that pass a test (``channel_posts``,
  ``direct_messages``).
* ``fault_window(seconds, ratelimited=0.3, server_error=0.15, retry_after=1,
  methods=..., where=..., seed=...)``: a rate-limit storm or an outage. For that long
  (on the stand-in's ``clock``, which a test can fake), each matching call answers
  429 (with Retry-After) or 500 with those probabilities, from a seeded draw per call;
  queued faults go first. The returned ``FaultWindow`` counts what it did.
* Slack's rate limits, off by default (existing tests and the demo are unchanged):
  ``limit_rates()`` (or ``rate_limits=RateLimits(...)``) turns on ``chat.postMessage``
  at about 1 per second per channel after a short burst, and the per-method,
  per-workspace, per-minute tiers of the other methods (``limits``), on the stand-in's
  ``clock``. A call over them answers 429 with Retry-After and no side effect, and is
  recorded with ``Call.fault == "ratelimited"``; ``rate_limited()`` lists them.
* ``serve_path(prefix, handler)`` answers other addresses Slack hosts (such as a
  ``response_url``) with ``handler(body)``; without it they get 404 ``unknown_path``.
  Either way they are recorded with the path as the method.

The package: ``standin`` (``SlackStandIn``: lifecycle, configuration, faults, queries,
request routing), ``web_api`` (the methods and the workspace state they act on),
``faults``, ``recording`` (``Call`` and the call log), ``server`` (HTTP).
"""

from __future__ import annotations

import argparse
import threading
from typing import Any

from bot.demo.slack_standin.faults import (
    ANY_METHOD,
    FaultWindow,
    channel_posts,
    direct_messages,
)
from bot.demo.slack_standin.limits import RateLimits
from bot.demo.slack_standin.recording import Call
from bot.demo.slack_standin.standin import RATE_LIMITED, UPLOAD_METHOD, SlackStandIn

__all__ = ["ANY_METHOD", "Call", "FaultWindow", "RATE_LIMITED", "RateLimits", "SlackStandIn",
           "UPLOAD_METHOD",
           "channel_posts", "direct_messages", "main", "serve_forever"]


def serve_forever(port: int = 0, **options: Any) -> None:
    """Run a stand-in in the foreground until interrupted (for poking at it by hand)."""
    standin = SlackStandIn(port=port, **options).start()
    print(f"Slack Web API stand-in on {standin.url} (Ctrl-C to stop)", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        standin.stop()


def main(argv: list[str] | None = None) -> None:
    """``python -m bot.demo.slack_standin [--port N] [--latency SECONDS]``."""
    parser = argparse.ArgumentParser(description="Run the local Slack Web API stand-in.")
    parser.add_argument("--port", type=int, default=0, help="port to listen on (0 = any free)")
    parser.add_argument("--latency", type=float, default=0.0,
                        help="seconds each Web API call takes to answer (default 0)")
    args = parser.parse_args(argv)
    serve_forever(args.port, latency=args.latency)
