"""`/emergency` with a text too short to be an emergency (`/emergency ok`): a question
instead of a page.

The requester gets, privately, "That is very short for an emergency: file it anyway?"
with two buttons: "File it" files the same text, keyed by the original command (so two
clicks, or a click and a retried command, file one request), and "Write more" opens the
form with the text in it. Nothing is stored until one of them is used: the question
itself writes nothing. The rule for "too short" is `bot.services.intake.too_short`.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING

from bot.services.errors import ServiceError
from bot.services.intake import Intake, Typed, parse_emergency_text
from bot.slack import ids, intake_form, render
from bot.slack.render import blocks as kit
from bot.slack.render.mrkdwn import escape
from bot.slack.text import NO_UNFURL, first_link, from_neutral, to_plain

if TYPE_CHECKING:  # the listeners import this module for `question`
    from bot.slack.listeners import Deps

log = logging.getLogger(__name__)

QUESTION = "That is very short for an emergency: file it anyway?"
_NOT_OURS = ("That button is not one this app sent, or it is out of date. Nothing was "
             "filed; run /emergency again with what is happening, e.g. "
             "`/emergency sev1 live stream of a threat to a school`.")


def question(text: str, rest: str, key: str, channel: str | None) -> dict:
    """The ephemeral reply to a too-short /emergency: what it says (`rest`, without the
    severity and language), the question, "File it" and "Write more". The buttons carry
    `text` as typed and `key`, the command's idempotency key."""
    value = json.dumps({"key": key, "text": text, "channel": channel})
    shown = escape(to_plain(rest).strip())
    return {
        "text": f"{QUESTION} Nothing has been filed yet.",
        "blocks": [
            kit.section(f":grey_question: *{QUESTION}*\n> {shown}"),
            kit.context("Nobody has been paged yet. An emergency says who is at risk, "
                        "where, and what you have seen."),
            {"type": "actions", "block_id": "emergency_short", "elements": [
                kit.button("File it", ids.EMERGENCY_FILE_SHORT, value, style="danger"),
                kit.button("Write more", ids.EMERGENCY_WRITE_MORE, value, style="primary"),
            ]},
        ],
    }


def _value(body: dict) -> dict | None:
    try:
        doc = json.loads(body["actions"][0].get("value") or "")
    except (TypeError, ValueError):
        return None
    if not (isinstance(doc, dict) and isinstance(doc.get("key"), str)
            and doc["key"].startswith("cmd:") and isinstance(doc.get("text"), str)):
        return None
    return doc


class ShortEmergency:
    """The two buttons of the question; the same dependencies as the paging listeners."""

    def __init__(self, deps: Deps):
        self.d = deps
        self._take = deps.take or deps.intake.file
        self._later = deps.later or (lambda task: task())

    def _reply(self, respond, text: str) -> None:
        self._later(lambda: respond(text=text, replace_original=True, **NO_UNFURL))

    def file_it(self, ack, body, respond) -> None:
        doc = _value(body)
        if doc is None:
            ack()
            self._reply(respond, _NOT_OURS)
            return
        channel = doc.get("channel") if isinstance(doc.get("channel"), str) else None
        try:
            roster = self.d.intake.team_for(channel)
            typed = parse_emergency_text(doc["text"], roster.team.languages,
                                         roster.team.category_names)
            # The original command's key: a second click finds the request it filed.
            filed = self._take(Intake(
                key=doc["key"], requester=body["user"]["id"], text=to_plain(typed.text),
                via="command", severity=typed.severity, language=typed.language,
                link=first_link(typed.text), origin_channel=channel,
                category=typed.category, sensitive=typed.sensitive), roster)
        except ServiceError as err:
            ack()
            self._reply(respond, from_neutral(f":warning: {err}"))
            return
        ack()
        self._reply(respond, render.ephemeral_confirmation(filed.request,
                                                           roster.team.intake_channel))
        self.d.deliver_filed(filed)

    def write_more(self, ack, body, client, respond) -> None:
        ack()
        doc = _value(body)
        if doc is None:
            self._reply(respond, _NOT_OURS)
            return
        channel = doc.get("channel") if isinstance(doc.get("channel"), str) else None
        try:
            roster = self.d.intake.team_for(channel)
        except ServiceError as err:
            self._reply(respond, from_neutral(f":warning: {err}"))
            return
        team = roster.team
        typed = _split(doc["text"], team.languages)
        # What was typed stays chosen: the severity, the language, the category.
        view = intake_form.form([roster], roster, intake_form.Typed(
            text=to_plain(typed.text)[:3000], language=typed.language,
            severity=typed.severity, category=typed.category, sensitive=typed.sensitive),
            {"channel": channel})
        trigger = body.get("trigger_id")
        self._later(lambda: client.views_open(trigger_id=trigger, view=view))
        self._reply(respond, "Write it in the form that opened; nothing has been filed yet.")


def _split(text: str, languages) -> Typed:
    try:
        return parse_emergency_text(text, languages)
    except ServiceError:
        return Typed(None, None, text)
