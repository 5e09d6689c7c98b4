""""Set language" (issue 12): someone handling a request corrects its language, and
routing follows the correction.

Who may: anyone paged for the request, its assignee, its requester, or a manager of its
team; anyone else gets a refusal. In one transaction, audited and on the timeline
("Language corrected to Arabic by @x"):

- open, nobody has acknowledged: pending pages of people who do not read the new
  language stop (their page DM says who is paged now); when nobody paged reads it, the
  step that fired last runs again for the new language (`core.escalation.REROUTE`);
- acknowledged by someone who does not read it: the request is open again and that step
  runs again for the new language; their page DM says who is paged now;
- otherwise (resolved, or the assignee reads it) only the language changes.

"Reads" a language the team does not serve: reads one of its fallback languages (the
request goes to those readers anyway). A mixin of `EscalationService`, like
`alert_actions`; the helpers of `bot.services.escalation` are imported lazily there.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from bot.core import escalation, parsers, refs
from bot.core import escalation_words as words
from bot.core.messages import CARD_UPDATE, PAGE_UPDATE
from bot.core.roster import Roster
from bot.services.errors import ServiceError
from bot.services.requests import locked_request, ticket
from bot.services.schedules import RosterCache
from bot.store import paging as q
from bot.store.paging_writes import RequestWrites

CORRECTED = "corrected"  # `language_source` of a request whose language a person set


def reads(roster: Roster, user: str | None, lang: str) -> bool:
    """Whether `user` reads `lang`, or (a language the team does not serve) one of its
    fallbacks."""
    spec = roster.specialist(user) if user else None
    if spec is None:
        return False
    return any(code in spec.languages for code in roster.team.reading_languages(lang))


class LanguageFix:
    """Mixed into `EscalationService`, which sets these."""

    _sf: Callable[[], Session]
    rosters: RosterCache
    clock: object

    def set_language(self, request_id: int, user: str, code: str):
        from bot.services.escalation import Outcome, apply_decision, plan, record

        code = (code or "").strip().lower()
        if not parsers.is_language(code):
            raise ServiceError(f"'{refs.typed(code)}' is not a language; pick one from the "
                               "list")
        now = self.clock.now()
        with self._sf() as session, session.begin():
            row = locked_request(session, request_id)
            name = ticket(row)
            roster = self.rosters.get(row.team)
            pages = q.pages_of(session, row.id)
            handling = ({p.user for p in pages} | {row.assignee, row.requester}
                        | set(roster.team.managers))
            if user not in handling:
                raise ServiceError(f"only the people paged for {name}, its assignee, its "
                                   "requester or a manager can change its language")
            new_name = words.language(code)
            if row.status not in ("open", "acknowledged", "resolved"):
                return Outcome(f"{name} is still being routed; try again in a moment.",
                               row.id, changed=False)
            if code == row.language and row.language_source != "unknown":
                return Outcome(f"{name} is already marked as {new_name}; nothing changed.",
                               row.id, changed=False)
            old_name = words.language(row.language if row.language_source != "unknown"
                                      else None)
            w = RequestWrites(session, row, now)
            row.language, row.language_source = code, CORRECTED
            record(w, user, "language_set",
                   f"Language corrected to {new_name} by {refs.person(user)} "
                   f"(was {old_name})", {"from": old_name, "to": code})
            answer = f"{name} is now marked as {new_name}."
            if row.status == "acknowledged" and not reads(roster, row.assignee, code):
                answer += self._repage(w, roster, pages, plan, apply_decision, record)
            elif row.status == "open":
                answer += self._reroute(w, roster, pages, plan, apply_decision)
            else:
                for p in pages:
                    if p.state in ("pending", "acknowledged"):
                        w.outbox(PAGE_UPDATE, p.user, page_id=p.id)
                w.outbox(CARD_UPDATE, row.card_channel)
            w.flush()
            return Outcome(answer, row.id)

    @staticmethod
    def _reroute(w: RequestWrites, roster: Roster, pages: list, plan, apply) -> str:
        """An open request: stop the pages of those who do not read the new language;
        when nobody left paged reads it, run the current step again."""
        row, now = w.request, w.now
        kept = []
        for p in pages:
            if p.state != "pending":
                continue
            if reads(roster, p.user, row.language):
                kept.append(p.user)
            else:
                p.state, p.answered_utc = "closed", now
            w.outbox(PAGE_UPDATE, p.user, page_id=p.id)  # the new language, or "stopped"
        if kept:
            w.outbox(CARD_UPDATE, row.card_channel)
            return (f" Still waiting for {refs.people(kept)}, who "
                    f"{'reads' if len(kept) == 1 else 'read'} it.")
        w.session.flush()  # the stopped pages count as answered for the load
        total, decision = plan(w, roster, escalation.REROUTE, pages)
        apply(w, total, decision, pages)
        return " " + _where(words.decision_words(decision, row.language)) + "."

    def _repage(self, w: RequestWrites, roster: Roster, pages: list, plan, apply,
                record) -> str:
        """Acknowledged by someone who does not read the new language: open again, their
        page stops, and the current step runs again for the new language."""
        row, now = w.request, w.now
        before = row.assignee
        for p in pages:
            if p.user == before and p.state in ("acknowledged", "pending"):
                p.state, p.answered_utc = "closed", now
                w.outbox(PAGE_UPDATE, p.user, page_id=p.id)
        row.status, row.assignee, row.acknowledged_utc = "open", None, None
        row.esc_token += 1
        record(w, "bot", "note", f"{refs.person(before)} does not read "
               f"{words.language(row.language)}: paging again", {"user": before})
        w.session.flush()
        total, decision = plan(w, roster, escalation.REROUTE, pages)
        apply(w, total, decision, pages)
        return (f" {refs.person(before)} does not read it, so it was paged again: "
                + _where(words.decision_words(decision, row.language)) + ".")


def _where(text: str) -> str:
    return text[:1].upper() + text[1:]
