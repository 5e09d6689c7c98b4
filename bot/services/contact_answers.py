"""Answers to a page by SMS or by phone: "1" acknowledges, "2" declines, as the page's
buttons do (the same `EscalationService.acknowledge` / `decline`, so the Slack page, the
card and the timeline follow, "acknowledged by SMS").

Who answers is the number the page went to: the pending pages of open requests that an
SMS or a call went out for to that number (the outbox rows). A reply acts on the most
recent of them, or on the ticket it names ("1 T-12"); a key pressed in a call acts on
that call's page. The replies are short and plain: they are read on a phone at night.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from bot.core import refs
from bot.core.messages import SMS, VOICE
from bot.services.errors import ServiceError
from bot.services.escalation import EscalationService
from bot.store import paging as q

__all__ = ["Answer", "ContactAnswers", "HELP"]

_REPLY = re.compile(r"\s*([12])\s*(?:[,.:]?\s*(?:T\s*-?\s*)?([0-9]{1,12}))?\s*[.!]?\s*",
                    re.IGNORECASE)
HELP = ("Reply 1 to acknowledge or 2 to decline. With several pages, add the ticket, "
        "e.g. 1 T-12.")


@dataclass(frozen=True)
class Answer:
    text: str  # what to say back (SMS reply, or words for the call)
    request_id: int | None = None  # what changed, to deliver (None: nothing)


class ContactAnswers:
    def __init__(self, session_factory: Callable[[], Session], escalation: EscalationService,
                 name_of: Callable[[str], str | None] = lambda user: None):
        """`name_of(user)`: a person's name for the replies (None: "a colleague")."""
        self._sf = session_factory
        self.escalation = escalation
        self._name_of = name_of

    def sms(self, number: str, body: str) -> Answer:
        """A text message from `number`."""
        m = _REPLY.fullmatch(body or "")
        if m is None:
            return Answer(HELP)
        digit, named = m.group(1), m.group(2)
        with self._sf() as session:
            found = [(p.id, p.user, p.request_id)
                     for p in q.pages_reached_at(session, number, (SMS, VOICE))]
        mine = [f for f in found if named is None or f[2] == int(named)]
        if not mine:
            if named:
                return Answer(f"T-{named} has no page waiting for your answer. {HELP}")
            return Answer("You have no page waiting for an answer.")
        page_id, user, rid = mine[0]
        answer = self._answer(page_id, user, digit, " by SMS")
        others = sorted({f"T-{r}" for _, _, r in found if r != rid})
        if others:
            text = f"{answer.text} Still waiting for you: {', '.join(others)}."
            return Answer(text, answer.request_id)
        return answer

    def call(self, page_id: int, number: str, digits: str) -> Answer:
        """A key pressed in the call made for `page_id` to `number`."""
        with self._sf() as session:
            pages = [p for p in q.pages_reached_at(session, number, (VOICE,))
                     if p.id == page_id]
            found = [(p.id, p.user) for p in pages]
        if not found:
            return Answer("This page no longer needs an answer. Goodbye.")
        if digits not in ("1", "2"):
            return Answer("Press 1 to acknowledge, or 2 to decline.")
        return self._answer(found[0][0], found[0][1], digits, " by phone")

    def _answer(self, page_id: int, user: str, digit: str, how: str) -> Answer:
        try:
            if digit == "1":
                outcome = self.escalation.acknowledge(page_id, user, how)
            else:
                outcome = self.escalation.decline(page_id, user, how)
        except ServiceError as err:
            return Answer(f"That did not work: {err}.")
        return Answer(self._plain(outcome.message),
                      outcome.request_id if outcome.changed else None)

    def _plain(self, text: str) -> str:
        """A service's reply as an SMS or a call says it: people by name."""
        return refs.render(text, {"@": lambda u: self._name_of(u) or "a colleague",
                                  "!": lambda u: "the managers", "#": lambda c: "the channel",
                                  "/": lambda c: "/" + c, "^": refs.utc_text})
