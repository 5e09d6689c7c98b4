"""What an alert lets people do (issue 10): "Take it", "Page someone", and who a request
can be handed over to.

A mixin of `EscalationService` (kept apart so escalation.py stays under the module
size): it uses the service's session factory, roster cache and clock, and the public
helpers of `bot.services.escalation` (imported lazily there, since that module
defines the class this one is mixed into). Each use case is one transaction, like
the rest of the service; texts are transport-neutral.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from bot.core import refs, routing
from bot.core.languages import TRANSLATED_SOURCES
from bot.core.messages import CARD_UPDATE, PAGE, PAGE_UPDATE, REQUESTER_NOTE
from bot.core.roster import Roster
from bot.core.wellbeing import Care
from bot.services import ack_timeout
from bot.services.errors import NotFound, ServiceError
from bot.services.exposure import count_exposure
from bot.services.requests import locked_request, ticket
from bot.services.schedules import RosterCache
from bot.store import paging as q
from bot.store.paging_writes import RequestWrites
from bot.store.wellbeing import paused_at

# The groups of the hand-over and page-someone pickers (shown as labels as they are).
ON_CALL = "on call"
BACKUP = "off-shift backup"
OFF_SHIFT = "off shift"
AWAY = "away"  # off shift and marked away (time off, a holiday): pageable, but say so
NEEDS_TRANSLATION = "needs translation"
PICKED = "picked"  # the source of a page someone chose from an alert


@dataclass(frozen=True)
class Pick:
    """Someone a person may pick in a form: who, their languages (strongest first),
    whether they read the request's language, and their group (ON_CALL, BACKUP,
    OFF_SHIFT, AWAY, NEEDS_TRANSLATION)."""

    user: str
    name: str
    languages: tuple[str, ...]
    reads: bool
    group: str


def required_skills(row) -> tuple[str, ...]:
    """The skills a person must hold to be paged for request `row` (its category's, as
    frozen when it was filed)."""
    return tuple((row.category_info or {}).get("skills") or ())


def refuse_untrained(row, spec) -> None:
    """A skilled category is never handed or paged to someone without its skills, by
    routing or by a person's pick (the pickers list only trained people)."""
    skills = required_skills(row)
    if spec is not None and not spec.holds(skills):
        label = (row.category_info or {}).get("label") or row.category
        raise ServiceError(f"{refs.person(spec.id)} is not trained for {refs.typed(label)} "
                           f"(it needs {', '.join(skills)}); pick someone from the list")


def _pick(roster: Roster, user: str, lang: str, group: str) -> Pick:
    spec = roster.specialist(user)
    languages = tuple(spec.languages) if spec else ()
    return Pick(user, spec.name if spec else user, languages, lang in languages, group)


class AlertActions:
    """Mixed into `EscalationService`, which sets these."""

    _sf: Callable[[], Session]
    rosters: RosterCache
    clock: object

    # -- who can take a request over ------------------------------------------------------

    def handover_candidates(self, request_id: int, user: str) -> list[Pick]:
        """Who `user` can hand the request over to: readers of its language on call
        (best first), then off-shift backups for it; anyone else on call only under
        NEEDS_TRANSLATION. Never `user`, nor anyone on a break."""
        row, roster = self._request_and_roster(request_id)
        now = self.clock.now()
        lang, skills = row.language, required_skills(row)
        with self._sf() as session:  # someone on a break is not offered, like someone away
            load = routing.Load(care=Care(paused=paused_at(session, row.team, now)))
        readers = [_pick(roster, c.user, lang, ON_CALL)
                   for c in routing.on_call_readers(roster, lang, now, load, skills)]
        readers += [_pick(roster, c.user, lang, BACKUP)
                    for c in routing.backups(roster, lang, now, load, skills)]
        readers = [p for p in readers if p.reads]  # a backup reads it, by its own choice
        shown = {p.user for p in readers}
        others = [_pick(roster, c.user, lang, NEEDS_TRANSLATION)
                  for c in routing.translators(roster, now, load, skills)
                  if c.user not in shown]
        others = [p for p in others if not p.reads]
        return [p for p in readers + others if p.user != user]

    def page_candidates(self, request_id: int) -> list[Pick]:
        """Every specialist of the request's team who holds its category's skills, for
        "Page someone": readers of its language on call first, then other readers, then
        the rest; each with whether they are on call now."""
        row, roster = self._request_and_roster(request_id)
        now = self.clock.now()
        lang, skills = row.language, required_skills(row)
        on_now = {a.user for a in roster.on_call(now)}

        def group(user: str) -> str:
            if user in on_now:
                return ON_CALL
            return AWAY if roster.is_away(user, now) else OFF_SHIFT

        picks = [_pick(roster, s.id, lang, group(s.id)) for s in roster.team.specialists
                 if s.holds(skills)]
        picks.sort(key=lambda p: (not p.reads, [ON_CALL, OFF_SHIFT, AWAY].index(p.group),
                                  p.languages.index(lang) if p.reads else 0, p.name))
        return picks

    # -- Take it -----------------------------------------------------------------------------

    def take(self, request_id: int, user: str):
        """`user` (a specialist or manager of the team) acknowledges the request from an
        alert and becomes its assignee: its pages stop (their own, if any, becomes the
        acknowledged one), and the card, the requester and the timeline say who took it.
        If someone has it already, nothing changes and the answer says who."""
        from bot.services.escalation import Outcome, duration, record

        now = self.clock.now()
        with self._sf() as session, session.begin():
            row = locked_request(session, request_id)
            name = ticket(row)
            self._check_member(row.team, user, f"take {name}")
            if row.status == "resolved":
                return Outcome(f"{name} is already resolved.", row.id, changed=False)
            if row.status == "acknowledged":
                if row.assignee == user:
                    return Outcome(f"You already have {name}.", row.id, changed=False)
                return Outcome(_has_it(row.assignee, name, row.acknowledged_utc),
                               row.id, changed=False)
            if row.status != "open":
                return Outcome(f"{name} is still being routed; try again in a moment.",
                               row.id, changed=False)
            w = RequestWrites(session, row, now)
            row.status, row.assignee, row.acknowledged_utc = "acknowledged", user, now
            row.esc_token += 1  # pending deadlines are now stale
            count_exposure(session, row, user, now)  # a sensitive request: its weight
            ack_timeout.arm(w)  # the policy's ack_timeout: a reminder if it stays unresolved
            own = None
            for p in reversed(q.pages_of(session, row.id)):
                if p.user == user and p.state == "pending" and own is None:
                    own = p  # their latest page: its DM gets Resolve and Hand over
                    p.state, p.answered_utc = "acknowledged", now
                elif p.state == "pending":
                    p.state, p.answered_utc = "closed", now
                elif p.state != "acknowledged":
                    continue  # declined or refused: that DM already says so
                w.outbox(PAGE_UPDATE, p.user, page_id=p.id)
            waited = (now - row.created_utc).total_seconds()
            record(w, user, "acknowledged",
                   f"{refs.person(user)} took it from the alert "
                   f"({duration(waited)} after filing)",
                   {"via": "alert", "page": own.id if own else None, "seconds": waited})
            w.outbox(CARD_UPDATE, row.card_channel)
            w.outbox(REQUESTER_NOTE, row.requester, {"note": "acknowledged"})
            w.flush()
            return Outcome(f"You have {name}: it is on your Home tab, with Resolve and "
                           "Hand over.", row.id)

    # -- Page someone ------------------------------------------------------------------------

    def page_someone(self, request_id: int, user: str, target: str):
        """`user` (a specialist or manager of the team) pages `target`, a specialist of
        the team, now: a page at the request's current step, audited and on the
        timeline. The escalation goes on as it was."""
        from bot.services.escalation import Outcome, record

        now = self.clock.now()
        with self._sf() as session, session.begin():
            row = locked_request(session, request_id)
            name = ticket(row)
            roster = self._check_member(row.team, user, f"page someone for {name}")
            if roster.specialist(target) is None:
                raise ServiceError(f"{refs.person(target)} is not a specialist of team "
                                   f"{row.team}; pick someone from the list")
            refuse_untrained(row, roster.specialist(target))
            if row.status == "resolved":
                return Outcome(f"{name} is already resolved.", row.id, changed=False)
            if row.status == "acknowledged":
                return Outcome(_has_it(row.assignee, name, row.acknowledged_utc),
                               row.id, changed=False)
            if row.status != "open":
                return Outcome(f"{name} is still being routed; try again in a moment.",
                               row.id, changed=False)
            pages = q.pages_of(session, row.id)
            if any(p.user == target and p.state == "pending" for p in pages):
                return Outcome(f"{refs.person(target)} is already being paged for {name}.",
                               row.id, changed=False)
            w = RequestWrites(session, row, now)
            # A request in a language the team does not serve (or none recognised) needs
            # a translation whoever reads its routing language.
            reads = (row.language in roster.specialist(target).languages
                     and row.language_source not in TRANSLATED_SOURCES)
            (page,) = w.add_pages([{"user": target, "round": row.esc_round or 0,
                                    "step": row.esc_step or 0, "source": PICKED,
                                    "needs_translation": not reads}])
            w.outbox(PAGE, target, page_id=page.id)
            record(w, user, "paged", f"{refs.person(user)} paged {refs.person(target)}",
                   {"user": target, "source": PICKED, "page": page.id})
            w.outbox(CARD_UPDATE, row.card_channel)
            w.flush()
            return Outcome(f"Paged {refs.person(target)} for {name}.", row.id)

    # -- helpers -------------------------------------------------------------------------------

    def _request_and_roster(self, request_id: int):
        with self._sf() as session:
            row = q.get_request(session, request_id)
            if row is None:
                raise NotFound(f"request {request_id} does not exist")
            session.expunge(row)
        return row, self.rosters.get(row.team)


    def _check_member(self, team: str, user: str, what: str) -> Roster:
        roster = self.rosters.get(team)
        if roster.specialist(user) is None and user not in roster.team.managers:
            raise ServiceError(f"only the specialists and managers of team {team} can "
                               f"{what}")
        return roster


def _has_it(assignee: str | None, name: str, since: datetime | None) -> str:
    when = f" since {refs.moment(since)}" if since else ""
    who = refs.person(assignee) if assignee else "someone"
    return f"{who} already has {name}{when}; nothing changed."
