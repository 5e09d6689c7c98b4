"""Bolt listeners: parse what Slack sent, call one service, acknowledge, hand off.

The order matters: the service commits before `ack()`, so a request Slack saw
acknowledged is in the database. A listener makes no Slack call itself: the outbox is
sent by the sending threads (`deliver`, `deliver_filed`), and a form to open or an
ephemeral answer goes through `later`. A slow or rate-limited Slack then never holds
the threads that acknowledge.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from slack_sdk.errors import SlackApiError

from bot.core.roster import Roster
from bot.services.errors import ServiceError
from bot.services.escalation import EscalationService, Outcome
from bot.services.intake import (
    Filed,
    Intake,
    IntakeService,
    TeamChoiceNeeded,
    parse_emergency_text,
    too_short,
)
from bot.services.requests import RequestService
from bot.services.sensitivity import SensitivityService
from bot.services.verification import OutcomeRefused
from bot.slack import ids, intake_form, render, team_choice
from bot.slack.emergency_confirm import question as short_question
from bot.slack.text import NO_UNFURL, first_link, from_neutral, to_plain

log = logging.getLogger(__name__)


@dataclass
class Deps:
    intake: IntakeService
    escalation: EscalationService
    requests: RequestService
    deliver: Callable[[int | None], None]  # send the outbox of a request now
    deliver_filed: Callable[[Filed], None]  # send what filing a request wrote
    seen_event: Callable[[str], bool]  # True when this event id was handled before
    publish_home: Callable[[str], None] | None = None  # user id -> views.publish
    # Files a request (for a roster already chosen, or None); when the process is busy
    # it may only commit it (status `received`) and leave the routing to the router
    # thread. Default: intake.file.
    take: Callable[[Intake, Roster | None], Filed] | None = None
    # Runs a Slack call (views.open, respond, a DM) on another thread. Default: inline.
    later: Callable[[Callable[[], object]], None] | None = None
    # Graphic content: Show details, Mark / Unmark sensitive (bot/slack/sensitive_listeners)
    sensitivity: SensitivityService | None = None


def _warning(err: Exception) -> str:
    """A service's error as the reply Slack shows (its references rendered)."""
    return from_neutral(f":warning: {err}")


def _form_error(err: Exception) -> str:
    """A service's error under a form field (Slack shows 150 characters there)."""
    return from_neutral(str(err))[:150]


def _state_value(values: dict, block: str, action: str) -> str | None:
    el = values.get(block, {}).get(action, {})
    if el.get("type") in ("static_select", "radio_buttons"):
        opt = el.get("selected_option")
        return opt.get("value") if opt else None
    return el.get("value")


def _language_block_request(block: str) -> str:
    """The request id a "Set language" block id carries ('' for another block)."""
    prefix = f"{ids.SET_LANGUAGE_BLOCK}:"
    return block.removeprefix(prefix) if block.startswith(prefix) else ""


class Listeners:
    def __init__(self, deps: Deps):
        self.d = deps
        self._take = deps.take or deps.intake.file
        self._later = deps.later or (lambda task: task())

    # -- /emergency ------------------------------------------------------------------------

    def emergency(self, ack, body, client, command) -> None:
        user = command["user_id"]
        text = command.get("text", "") or ""
        channel = command.get("channel_id")
        try:
            # The team, chosen once and by the same rule as the routing: the reply,
            # the form and the request all belong to it.
            roster = self.d.intake.team_for(channel)
        except TeamChoiceNeeded as choice:
            self._ask_team(ack, body, client, choice, channel, text)
            return
        except ServiceError as err:
            ack(response_type="ephemeral", text=_warning(err))
            return
        team = roster.team
        if not text.strip():
            ack()
            view = intake_form.form([roster], roster, intake_form.Typed(),
                                    {"channel": channel})
            self._later(lambda: client.views_open(trigger_id=body["trigger_id"], view=view))
            return
        key = f"cmd:{body.get('trigger_id') or command.get('trigger_id')}"
        try:
            typed = parse_emergency_text(text, team.languages, team.category_names)
            rest = typed.text
            if too_short(to_plain(rest)):
                # `/emergency ok`: ask before paging anyone (bot/slack/emergency_confirm).
                ack(response_type="ephemeral", **short_question(text, rest, key, channel))
                return
            filed = self._take(Intake(
                key=key,
                requester=user, text=to_plain(rest), via="command", severity=typed.severity,
                language=typed.language, link=first_link(rest), origin_channel=channel,
                category=typed.category, sensitive=typed.sensitive), roster)
        except ServiceError as err:
            ack(response_type="ephemeral", text=_warning(err))
            return
        ack(response_type="ephemeral", **NO_UNFURL,
            text=render.ephemeral_confirmation(
                filed.request, team.intake_channel,
                team.name if self.d.intake.several_teams() else None))
        self.d.deliver_filed(filed)

    def _ask_team(self, ack, body, client, choice: TeamChoiceNeeded, channel, text) -> None:
        """Several teams and a channel none of theirs: the form, with a team select and
        what was typed kept in it."""
        if text.strip():
            ack(response_type="ephemeral", text=(
                "Several teams take requests and this channel is none of theirs: pick the "
                "team in the form that opens (what you typed is in it). Nothing is filed "
                "until you send it."))
        else:
            ack()
        view = team_choice.team_form(choice.rosters, channel, text)
        self._later(lambda: client.views_open(trigger_id=body["trigger_id"], view=view))

    def emergency_submitted(self, ack, body, view) -> None:
        values = view["state"]["values"]
        typed = intake_form.read(values)
        meta = intake_form.meta_of(view)
        user = body["user"]["id"]
        if not typed.text.strip():
            ack(response_action="errors",
                errors={ids.TEXT_BLOCK: "Say what is happening, e.g. 'live stream of a "
                                        "threat to a school, link below'"})
            return
        channel = meta.get("channel") if isinstance(meta.get("channel"), str) else None
        try:
            # The team picked in the form, when it asked (several teams, no team's
            # channel); otherwise the channel decides, as for the command.
            roster = team_choice.chosen_team(self.d.intake, values, channel, typed.language)
            if roster is None:
                roster = self.d.intake.team_for(channel)
        except team_choice.FormProblem as err:
            ack(response_action="errors", errors={err.block: _form_error(err)})
            return
        except ServiceError as err:
            ack(response_action="errors", errors={ids.TEXT_BLOCK: _form_error(err)})
            return
        team = roster.team
        category_block = intake_form.block_of(values, ids.CATEGORY_BLOCK)
        category = team.category(typed.category)
        if category is None or (typed.category and typed.category not in team.category_names):
            ack(response_action="errors", errors={category_block or ids.TEXT_BLOCK: (
                f"{team.name} does not take this kind of request; pick one of the list")[:150]})
            return
        wrong = intake_form.field_errors(category, typed)
        if wrong:  # nothing is filed until every field reads
            ack(response_action="errors", errors=wrong)
            return
        message = _message_of(meta)
        key = f"shortcut:{message[0]}:{message[1]}" if message else f"view:{view['id']}"
        try:
            filed = self._take(Intake(
                key=key, requester=user, text=typed.text, via="shortcut" if message else "modal",
                severity=typed.severity, language=typed.language, link=typed.link,
                origin_channel=message[0] if message else channel, confirm_by_dm=True,
                category=category.name if category_block else None,
                fields={k: v for k, v in typed.fields.items() if k in category.fields},
                sensitive=typed.sensitive),
                roster)
        except ServiceError as err:
            ack(response_action="errors", errors={ids.TEXT_BLOCK: _form_error(err)})
            return
        if filed.duplicate and message and filed.request.requester != user:
            # Someone else escalated the message while this form was open.
            ack(response_action="errors", errors={ids.TEXT_BLOCK: (
                f"This message was already escalated as {filed.request.ticket}; nothing "
                "new was filed. Close the form and follow that ticket.")})
            return
        ack()
        self.d.deliver_filed(filed)

    def form_changed(self, ack, body, client) -> None:
        """A category or a team picked in the /emergency form: the form is updated
        (views.update, with the view's id and hash) to show what that choice asks."""
        ack()
        view = body.get("view")
        if not isinstance(view, dict) or view.get("callback_id") != ids.EMERGENCY_MODAL:
            return
        meta = intake_form.meta_of(view)
        values = intake_form.form_values(view)
        channel = meta.get("channel") if isinstance(meta.get("channel"), str) else None
        ask = bool(meta.get("ask"))
        try:
            if ask:
                rosters = self.d.intake.rosters.all()
                picked = intake_form.read(values).team
                chosen = self.d.intake.team_for(channel, picked) if picked else None
            else:
                chosen = self.d.intake.team_for(channel)
                rosters = [chosen]
        except ServiceError as err:
            # The form stays as it is; submitting it says what is wrong.
            log.info("form not updated: %s", err)
            return
        new = intake_form.updated(rosters, chosen, view, ask)
        view_id, digest = view.get("id"), view.get("hash")
        self._later(lambda: self._update_view(client, view_id, digest, new))

    @staticmethod
    def _update_view(client, view_id, digest, new) -> None:
        try:
            client.views_update(view_id=view_id, hash=digest, view=new)
        except SlackApiError as err:
            # hash_conflict: the requester changed the form again meanwhile; the update
            # for that change carries the newer state.
            log.info("views.update of the emergency form: %s",
                     err.response.get("error") if err.response is not None else err)

    def escalate_message(self, ack, body, client, shortcut) -> None:
        ack()
        # Everything after the acknowledgement asks Slack (a permalink, the form): elsewhere.
        self._later(lambda: self._escalate(body, client, shortcut))

    def _escalate(self, body, client, shortcut) -> None:
        """"Escalate to on-call" on a message: the form, with the message's text and a
        link to it, and the category to pick; nothing is filed until it is sent."""
        msg = shortcut.get("message", {})
        channel = shortcut.get("channel", {}).get("id")
        ts = msg.get("ts") or shortcut.get("message_ts")
        user = body["user"]["id"]
        try:
            before = self.d.intake.filed_with(f"shortcut:{channel}:{ts}")
        except ServiceError as err:
            client.chat_postMessage(channel=user, text=_warning(err), **NO_UNFURL)
            return
        if before is not None:
            client.chat_postMessage(
                channel=user, text=f"That message was already escalated as {before.ticket}.",
                **NO_UNFURL)
            return
        link = None
        try:
            link = client.chat_getPermalink(channel=channel, message_ts=ts)["permalink"]
        except SlackApiError as err:
            log.warning("no permalink for %s/%s: %s", channel, ts, err)
        text = to_plain(msg.get("text") or "").strip()
        meta = {"msg": [channel, ts]}
        try:
            roster = self.d.intake.team_for(channel)
        except TeamChoiceNeeded as choice:
            # Several teams, and the message's channel is none of theirs: the form asks
            # the team too.
            view = team_choice.team_form(choice.rosters, channel, text, link, meta)
        except ServiceError as err:
            client.chat_postMessage(channel=user, text=_warning(err), **NO_UNFURL)
            return
        else:
            view = intake_form.form([roster], roster, intake_form.Typed(
                text=text[:3000], link=link), {"channel": channel, **meta})
        client.views_open(trigger_id=body["trigger_id"], view=view)

    # -- page buttons ------------------------------------------------------------------------

    def _answer(self, ack, body, respond, fn: Callable[[int, str], Outcome],
                always_tell: bool = False) -> Outcome | None:
        # The answer is committed before Slack hears back, like a new request: a click
        # Slack saw succeed is never lost. The transaction takes milliseconds.
        action = body["actions"][0]
        try:
            outcome = fn(ids.record_id(action.get("value")), body["user"]["id"])
        except (ServiceError, ValueError) as err:
            ack()
            self._tell(respond, _warning(err))
            return None
        ack()
        if always_tell or not outcome.changed:
            self._tell(respond, from_neutral(outcome.message))
        self.d.deliver(outcome.request_id)
        if from_home(body) and self.d.publish_home is not None:
            # Clicked on the Home tab: publish it again, so it shows where things stand.
            user, publish = body["user"]["id"], self.d.publish_home
            self._later(lambda: publish(user))
        return outcome

    def _tell(self, respond, text: str) -> None:
        """An ephemeral answer to the person who clicked (through response_url). A click
        on the Home tab has none; the tab, published again, shows the new state."""
        if respond is None:
            return
        self._later(lambda: respond(text=text, response_type="ephemeral",
                                    replace_original=False, **NO_UNFURL))

    def acknowledge(self, ack, body, respond) -> None:
        self._answer(ack, body, respond, self.d.escalation.acknowledge)

    def snooze(self, ack, body, respond) -> None:
        """"Snooze 30m" on the reminder of an acknowledged, unresolved request: the
        answer says when the next reminder comes, or why it cannot be snoozed."""
        self._answer(ack, body, respond, self.d.escalation.snooze, always_tell=True)

    def decline(self, ack, body, respond) -> None:
        # Whoever declines is told where the request went next, by name.
        self._answer(ack, body, respond, self.d.escalation.decline, always_tell=True)

    def ask_verification(self, ack, body, respond) -> None:
        """"Ask for verification" on the assignee's page of a two-person request: the
        answer says who was asked, or who to ask when nobody skilled is free."""
        self._answer(ack, body, respond, self.d.escalation.ask_verification,
                     always_tell=True)

    def verified(self, ack, body, respond) -> None:
        """"Verified" on the DM asking a second person: a refusal (the assignee, someone
        without the skills) is a private answer saying why; a success says who can
        resolve it now."""
        outcome = self._answer(ack, body, respond, self.d.escalation.verify,
                               always_tell=True)
        if outcome is None or not outcome.changed or respond is None:
            return
        # The DM they clicked in shows it verified, without the button.
        text, blocks = render.verify_ask(self.d.requests.request_view(outcome.request_id),
                                         None)
        self._later(lambda: respond(text=text, blocks=blocks, replace_original=True,
                                    **NO_UNFURL))

    def set_language(self, ack, body, respond) -> None:
        """"Set language" on the card or a page: the request's id is in the block id,
        the language in the option picked. The answer (or the refusal) is private."""
        action = body["actions"][0]
        block = str(action.get("block_id") or "")
        code = (action.get("selected_option") or {}).get("value") or ""

        def correct(request_id: int, user: str) -> Outcome:
            return self.d.escalation.set_language(request_id, user, code)

        self._answer(ack, {**body, "actions": [{"value": _language_block_request(block)}]},
                     respond, correct, always_tell=True)

    def language_options(self, ack, body) -> None:
        """What "Set language" lists as someone opens it or types (a block_suggestion):
        the request's team's languages first. A request we cannot read (an old card,
        a team no longer loaded) still gets every language: picking one then answers
        with what is wrong, as `set_language` does."""
        block = str(body.get("block_id") or "")
        served, current = (), None
        try:
            served, current = self.d.requests.language_choice(
                ids.record_id(_language_block_request(block)))
        except (ServiceError, ValueError) as err:
            log.info("Set language options without the request's team: %s", err)
        ack(**render.language_options(served, current, str(body.get("value") or "")))

    def show_full_text(self, ack, body, client, respond) -> None:
        """"Show full text" under a request text cut short: the whole of it in a modal."""
        self._request_modal(ack, body, client, respond, render.full_text_modal)

    def open_resolve(self, ack, body, client, respond) -> None:
        self._request_modal(ack, body, client, respond, render.resolve_modal)

    def _request_modal(self, ack, body, client, respond, build) -> None:
        """A button whose value is a request id, opening a modal built from its view."""
        ack()
        try:
            req = self.d.requests.request_view(ids.record_id(body["actions"][0].get("value")))
        except (ServiceError, ValueError) as err:
            self._tell(respond, _warning(err))
            return
        view = build(req)
        self._later(lambda: client.views_open(trigger_id=body["trigger_id"], view=view))

    def open_handover(self, ack, body, client, respond) -> None:
        ack()
        user = body["user"]["id"]
        try:
            req = self.d.requests.request_view(ids.record_id(body["actions"][0].get("value")))
            # Readers on call, then off-shift backups; non-readers only as "needs
            # translation" (issue 10): the modal groups and labels them.
            picks = self.d.escalation.handover_candidates(req.id, user)
        except (ServiceError, ValueError) as err:
            self._tell(respond, _warning(err))
            return
        view = render.handover_modal(req, picks)
        self._later(lambda: client.views_open(trigger_id=body["trigger_id"], view=view))

    def resolve_submitted(self, ack, body, view) -> None:
        values = view["state"]["values"]
        note = _state_value(values, ids.OUTCOME_BLOCK, ids.OUTCOME_ACTION)
        # How it ended: asked of two-person requests only (the form has the select).
        resolution = _state_value(values, ids.RESOLUTION_BLOCK, ids.RESOLUTION_ACTION)
        try:
            outcome = self.d.escalation.resolve(ids.record_id(view.get("private_metadata")),
                                                body["user"]["id"], note or "", resolution)
        except OutcomeRefused as err:  # nothing changed: say why under the select
            ack(response_action="errors", errors={ids.RESOLUTION_BLOCK: _form_error(err)})
            return
        except (ServiceError, ValueError) as err:
            ack(response_action="errors", errors={ids.OUTCOME_BLOCK: _form_error(err)})
            return
        ack()
        self.d.deliver(outcome.request_id)

    def handover_submitted(self, ack, body, view) -> None:
        target = _state_value(view["state"]["values"], ids.HANDOVER_TARGET_BLOCK,
                              ids.HANDOVER_TARGET_ACTION)
        if not target:
            ack(response_action="errors",
                errors={ids.HANDOVER_TARGET_BLOCK: "Pick who takes it over"})
            return
        try:
            outcome = self.d.escalation.hand_over(ids.record_id(view.get("private_metadata")),
                                                  body["user"]["id"], target)
        except (ServiceError, ValueError) as err:
            ack(response_action="errors", errors={ids.HANDOVER_TARGET_BLOCK: _form_error(err)})
            return
        ack()
        self.d.deliver(outcome.request_id)

    # -- events ------------------------------------------------------------------------------

    def app_home_opened(self, body, event) -> None:
        if self.d.seen_event(body.get("event_id", "")):
            return  # a Slack retry of an event we already handled
        if event.get("tab", "home") == "home" and self.d.publish_home is not None:
            user, publish = event["user"], self.d.publish_home
            self._later(lambda: publish(user))


def from_home(body: dict) -> bool:
    """Was this click on the Home tab? (Slack sends no response_url for those.)"""
    view = body.get("view")
    return isinstance(view, dict) and view.get("type") == "home"


def _message_of(meta: dict) -> tuple[str, str] | None:
    """The (channel, ts) of the message a shortcut's form escalates, or None."""
    msg = meta.get("msg")
    if (isinstance(msg, list) and len(msg) == 2
            and all(isinstance(x, str) and 0 < len(x) <= 64 for x in msg)):
        return msg[0], msg[1]
    return None
