"""A sweep turn's answers in Slack (docs/design.md "Sweeps"): "Nothing found" records it
and replaces the DM's buttons; "Found something" opens a form (views.open with the
click's trigger_id) that files a request in the sweep's language through intake, in one
step, and records the turn as found.

Filing and recording are two transactions: the request's idempotency key names the turn
(`sweep:<turn>:<view>`), so a replayed submission files nothing twice, and a turn whose
"found" was not recorded (the process died in between) is recorded by the background
pass before it would nudge or report it."""

from __future__ import annotations

import logging

from bot.core import escalation_words
from bot.core import sweeps as rules
from bot.services.errors import ServiceError
from bot.services.intake import Intake
from bot.services.sweeps import SweepService
from bot.slack import ids, intake_form
from bot.slack.render import sweep as sweep_render
from bot.slack.render.mrkdwn import escape
from bot.slack.text import from_neutral

__all__ = ["SweepListeners"]

log = logging.getLogger(__name__)
STALE = "That button or form is not one this app sent, or it is out of date."


def _where(body: dict) -> tuple[str | None, str | None]:
    """The channel and ts of the message a button was clicked in."""
    box = body.get("container") or {}
    return box.get("channel_id"), box.get("message_ts")


class SweepListeners:
    def __init__(self, deps, sweeps: SweepService):
        """`deps`: the paging listeners' Deps (intake, take, deliver, deliver_filed,
        later)."""
        self.d = deps
        self.sweeps = sweeps
        self._take = deps.take or deps.intake.file
        self._later = deps.later or (lambda task: task())

    def nothing_found(self, ack, body, respond) -> None:
        ack()
        user = body["user"]["id"]
        try:
            turn = ids.record_id((body.get("actions") or [{}])[0].get("value"))
            text = self.sweeps.nothing_found(turn, user, *_where(body))
        except ValueError:
            respond(text=STALE, response_type="ephemeral", replace_original=False)
            return
        except ServiceError as err:
            respond(text=from_neutral(f":warning: {err}"), response_type="ephemeral",
                    replace_original=False)
            return
        respond(text=from_neutral(text), replace_original=True)

    def found_something(self, ack, body, client, respond) -> None:
        ack()
        user = body["user"]["id"]
        try:
            turn = ids.record_id((body.get("actions") or [{}])[0].get("value"))
            form = self.sweeps.form(turn, user, *_where(body))
            severity = self.d.intake.team_for(team=form.team).team.default_severity
        except ValueError:
            respond(text=STALE, response_type="ephemeral", replace_original=False)
            return
        except ServiceError as err:
            respond(text=from_neutral(f":warning: {err}"), response_type="ephemeral",
                    replace_original=False)
            return
        view = sweep_render.found_modal(form.id, form.language, severity, form.crises)
        self._later(lambda: client.views_open(trigger_id=body["trigger_id"], view=view))

    def found_submitted(self, ack, body, client, view) -> None:
        user = body["user"]["id"]
        typed = intake_form.read(intake_form.form_values(view))
        if not typed.text.strip():
            ack(response_action="errors", errors={ids.TEXT_BLOCK: (
                "Say what you found, e.g. 'live video threatening the port workers, link "
                "below'")})
            return
        try:
            turn = sweep_render.turn_of(view)
            form = self.sweeps.form(turn, user)
            roster = self.d.intake.team_for(team=form.team)
            filed = self._take(Intake(
                key=f"sweep:{turn}:{view.get('id')}", requester=user, text=typed.text,
                via=rules.VIA, severity=typed.severity, language=form.language,
                link=typed.link, team=form.team, confirm_by_dm=True,
                sensitive=typed.sensitive), roster)
        except (ValueError, ServiceError) as err:
            text = STALE if isinstance(err, ValueError) else from_neutral(str(err))
            ack(response_action="errors", errors={ids.TEXT_BLOCK: text[:150]})
            return
        ack()
        self.d.deliver_filed(filed)
        channel, ts = self.sweeps.found(turn, filed.request.id)
        if channel and ts:
            lang = escalation_words.language(form.language)
            text = (f":mag: Your {lang} sweep found something: filed as "
                    f"{escape(filed.request.ticket)}, and the on-call {lang} readers are "
                    "paged. Thank you.")
            self._later(lambda: client.chat_update(channel=channel, ts=ts, text=text,
                                                   blocks=[]))
