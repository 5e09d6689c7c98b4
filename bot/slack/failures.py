"""What Slack is answered when a listener fails before acknowledging (Bolt's global error
handler): a plain sentence in the place Slack shows it, never a bare HTTP 500.

The usual cause is the database being unreachable. A listener commits before it
acknowledges, so a failure before `ack()` means nothing was saved, and the answer can
say so; for `/emergency` it also says where to post the request meanwhile (the team's
intake channel, from the rosters this process already holds).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

from slack_bolt import BoltResponse

from bot.slack import ids
from bot.slack.render import mrkdwn as md

log = logging.getLogger(__name__)

# Not "nothing was changed": a command may fail after its transaction (rare), and a
# person who trusts a false "nothing changed" would not look.
NOT_SAVED = "Could not finish that just now; please check and try again in a minute."
# Under a form field Slack shows plain text (no channel links) and 150 characters.
FORM_NOT_FILED = ("Could not file this request right now. Please try again in a minute, or "
                  "post it in your team’s intake channel.")


def emergency_not_filed(intake_channel: str | None) -> str:
    where = md.channel_link(intake_channel) if intake_channel else None
    return (":warning: Could not file this request right now. Please try again, or post it "
            f"in {where or 'your team’s intake channel'} so the on-call readers see it.")


def error_handler(intake_channel_for: Callable[[str | None], str | None]):
    """Bolt's `app.error` handler; `intake_channel_for(channel)` must not need the
    database."""

    def handle(error: Exception, body: dict, response: BoltResponse | None):
        log.error("a Slack listener failed: %s: %s", type(error).__name__, error,
                  exc_info=error)
        if response is None:  # it failed after acknowledging: Slack has its answer
            return None
        body = body if isinstance(body, dict) else {}
        if body.get("command"):
            text = NOT_SAVED
            if body.get("command") == "/emergency":
                text = emergency_not_filed(_channel_or_none(intake_channel_for,
                                                            body.get("channel_id")))
            return _json({"response_type": "ephemeral", "text": text})
        if body.get("type") == "view_submission":
            # Keep the form open with the reason under its first field, so nothing
            # typed is lost.
            view = body.get("view") or {}
            values = (view.get("state") or {}).get("values") or {}
            first = next(iter(values), None)
            text = NOT_SAVED
            if view.get("callback_id") == ids.EMERGENCY_MODAL:
                text = FORM_NOT_FILED
                first = ids.TEXT_BLOCK if ids.TEXT_BLOCK in values else first
            if first is not None:
                return _json({"response_action": "errors", "errors": {first: text[:150]}})
        return BoltResponse(status=200, body="")

    return handle


def _channel_or_none(lookup: Callable[[str | None], str | None], channel) -> str | None:
    try:
        return lookup(channel if isinstance(channel, str) else None)
    except Exception:  # noqa: BLE001 - the reply must go out whatever the lookup does
        log.exception("looking up the intake channel failed")
        return None


def _json(doc: dict) -> BoltResponse:
    return BoltResponse(status=200, body=json.dumps(doc),
                        headers={"content-type": "application/json;charset=utf-8"})
