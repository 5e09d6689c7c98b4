"""Breaks and check-ins in Slack: `/oncall pause`, the Home tab's "Take a break" and
"End break", and the answers of the end-of-shift check-in DM.

The decisions are the services' (bot/services/pauses.py, bot/services/checkins.py); this
module translates. A Home tab click has no response_url, so its outcome reaches the
person as a DM (through the outbox) and the tab is published again; a check-in answer
replaces the DM's buttons with the acknowledgement, so it cannot be clicked twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.clock import Clock
from bot.core import breaks, refs, timezones
from bot.core.model import Specialist, Team
from bot.services.errors import ServiceError
from bot.slack import ids
from bot.slack.oncall_commands import Pause
from bot.slack.render import blocks as kit
from bot.slack.text import from_neutral

log = logging.getLogger(__name__)

ANSWER_BY_ACTION = {ids.CHECKIN_OK: "ok", ids.CHECKIN_BREAK: "break",
                    ids.CHECKIN_TALK: "talk"}


def _minutes(length: timedelta) -> str:
    m = int(length.total_seconds() // 60)
    return f"{m // 60} hour" if m % 60 == 0 else f"{m} min"


def break_blocks(spec: Specialist, now: datetime, paused_until: datetime | None
                 ) -> kit.Blocks:
    """The Home tab's break section of a specialist: "On a break until 03:40 (End
    break)", or the Take a break choices (15 min, 30 min, 1 hour)."""
    if paused_until is not None and paused_until > now:
        loc = timezones.to_local(paused_until, spec.timezone)
        return [kit.section(f":coffee: *On a break until {loc:%H:%M}* ({spec.timezone} time): "
                            "nobody pages you until then. Your shifts stay as they are."),
                {"type": "actions", "block_id": "home_break", "elements": [
                    kit.button("End break", ids.END_BREAK, "end")]}]
    return [kit.section(":coffee: *Take a break*: out of paging from now, for a while. "
                        "Your shifts stay as they are. It is refused when you are the only "
                        "one on call who reads one of the team's languages."),
            {"type": "actions", "block_id": "home_break", "elements": [
                kit.button(f"Break {_minutes(d)}", ids.TAKE_BREAK,
                           str(int(d.total_seconds() // 60)))
                for d in breaks.BREAK_CHOICES]}]


@dataclass
class BreakDeps:
    pauses: Any  # PauseService
    checkins: Any  # CheckinService
    team_of: Callable[[str], Team]  # the asker's team (ServiceError when none)
    is_manager: Callable[[Team, str], bool]
    clock: Clock
    deliver: Callable[[], None]
    enqueue_direct: Callable[[list[tuple[str, dict]]], int]
    publish_home: Callable[[Any, str], None]  # (client, user)


class Breaks:
    def __init__(self, deps: BreakDeps):
        self.d = deps

    # -- /oncall pause -------------------------------------------------------------------

    def command(self, user: str, cmd: Pause) -> str:
        """The reply to `/oncall pause ...` (service text; the caller renders it)."""
        team = self.d.team_of(user)
        manager = self.d.is_manager(team, user)
        if cmd.end:
            return self.d.pauses.end(team.name, user, cmd.user, manager=manager)
        if cmd.length is None:
            until = self.d.pauses.paused_until(team.name, user)
            if until is None:
                return ("You're not on a break. To take one: "
                        f"{refs.command('oncall pause 30m')} (5m to 12h).")
            return (f"You're on a break until {refs.moment(until)}. To end it early: "
                    f"{refs.command('oncall pause end')}.")
        return self.d.pauses.pause(team.name, user, cmd.length, cmd.user,
                                   manager=manager).text

    # -- the Home tab --------------------------------------------------------------------

    def take_break(self, ack, body, client) -> None:
        ack()
        user = body["user"]["id"]
        value = (body.get("actions") or [{}])[0].get("value", "")
        try:
            minutes = int(value) if value.isascii() and value.isdigit() else -1
            if not 0 < minutes <= 24 * 60:
                raise ValueError(value)
            team = self.d.team_of(user)
            text = self.d.pauses.pause(team.name, user, timedelta(minutes=minutes)).text
        except ValueError:
            text = "That button is out of date; open the Home tab again."
        except ServiceError as err:
            text = f"The break was not started: {err}"
        self._tell(client, user, text)

    def end_break(self, ack, body, client) -> None:
        ack()
        user = body["user"]["id"]
        try:
            text = self.d.pauses.end(self.d.team_of(user).name, user)
        except ServiceError as err:
            text = str(err)
        self._tell(client, user, text)

    def _tell(self, client, user: str, text: str) -> None:
        self.d.enqueue_direct([(user, {"text": text})])
        self.d.deliver()
        try:
            self.d.publish_home(client, user)
        except Exception:  # noqa: BLE001 - the DM says it; the tab refreshes when opened
            log.exception("publishing the Home tab of %s after a break click failed", user)

    # -- the check-in DM -----------------------------------------------------------------

    def checkin_answer(self, ack, body, respond) -> None:
        ack()
        user = body["user"]["id"]
        action = (body.get("actions") or [{}])[0]
        answer = ANSWER_BY_ACTION.get(action.get("action_id", ""))
        try:
            text = self.d.checkins.answer(ids.record_id(action.get("value")), user,
                                          answer or "")
        except ValueError:
            respond(text="That button is not one this app sent, or it is out of date.",
                    response_type="ephemeral", replace_original=False)
            return
        except ServiceError as err:
            respond(text=from_neutral(f":warning: {err}"), response_type="ephemeral",
                    replace_original=False)
            return
        respond(text=from_neutral(text), replace_original=True)
        self.d.deliver()
