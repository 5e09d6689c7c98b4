"""A replayed Slack request acts once.

Slack signs each request over its timestamp and body, and Bolt refuses a timestamp more
than 5 minutes away; inside that window anyone who captured a signed request (a proxy's
log, a machine on the path) could send it again, and `/oncall export` would revoke a
feed again, a button would be pressed again. So every slash command and interaction is
recorded by its signature (unique per body and timestamp) before any listener runs,
durably (the check is injected: the database, shared by every process), and a second
delivery of the same signed request gets an empty 200 and nothing else.

Not guarded:
- Events: Slack retries an event it thinks failed (X-Slack-Retry-Num), possibly with
  the same signature, and the event's listener records its event id to act once.
- What the caller exempts: requests whose listener already acts once by a durable key
  of its own, written in the same transaction as its effect (a filed request's
  trigger id), where the replay gets that listener's same harmless answer instead.
- Requests without a signature: Socket Mode's, which arrive over the app's own
  authenticated connection and cannot be replayed from outside.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from slack_bolt import BoltRequest, BoltResponse
from slack_bolt.middleware import Middleware
from slack_bolt.request.payload_utils import (
    is_action,
    is_options,
    is_shortcut,
    is_slash_command,
    is_view,
)

__all__ = ["ReplayGuard", "replay_key"]

log = logging.getLogger(__name__)
KEY_PREFIX = "sig:"


def replay_key(req: BoltRequest) -> str | None:
    """The key a slash command or interaction is recorded by; None for anything else
    (events, unsigned Socket Mode requests)."""
    body = req.body if isinstance(req.body, dict) else {}
    if not (is_slash_command(body) or is_action(body) or is_view(body)
            or is_shortcut(body) or is_options(body)):
        return None
    signature = (req.headers.get("x-slack-signature") or [""])[0]
    return KEY_PREFIX + signature if signature else None


class ReplayGuard(Middleware):
    """A Bolt global middleware: `seen(key)` records a request's key and says whether it
    was recorded before (True: a replay, answered with an empty 200)."""

    def __init__(self, seen: Callable[[str], bool],
                 exempt: Callable[[dict], bool] = lambda body: False):
        self.seen = seen
        self.exempt = exempt

    def process(self, *, req: BoltRequest, resp: BoltResponse,
                next: Callable[[], BoltResponse]) -> BoltResponse | None:
        key = replay_key(req)
        if key is not None and not self.exempt(req.body):
            try:
                again = self.seen(key)
            except Exception:  # noqa: BLE001 - e.g. the database is down
                # Let it through: its listener then answers what it can (a plain "try
                # again"), which beats refusing every request while the check is away.
                log.warning("could not check whether a Slack request was a replay; "
                            "handling it", exc_info=True)
                again = False
            if again:
                log.warning("ignored a replayed Slack request (its signature was seen "
                            "before): %s", _what(req.body))
                return BoltResponse(status=200, body="")
        next()
        return resp

    @property
    def name(self) -> str:
        return "ReplayGuard"


def _what(body: dict) -> str:
    """Which request, for the log: the command or interaction type and the user."""
    user = body.get("user_id") or body.get("user")
    if isinstance(user, dict):
        user = user.get("id")
    return f"{body.get('command') or body.get('type') or '?'} from {user or '?'}"
