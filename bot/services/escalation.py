"""Escalation of open requests: deadlines, answers to a page, resolution, handovers.

Every use case is one transaction with `now` from the injected clock. What must reach
people is written to the outbox in the same transaction, so the reconciler and the
outbox sender can pick up after a crash. Texts are transport-neutral: people and
channels are `bot.core.refs` references that each front end renders its own way.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy.orm import Session

from bot.clock import Clock
from bot.core import escalation, refs, refusals
from bot.core import escalation_words as words
from bot.core.languages import TRANSLATED_SOURCES
from bot.core.messages import (
    CARD_UPDATE,
    CHANNEL_ALERT,
    MANAGER_ALERT,
    PAGE_UPDATE,
    REQUESTER_NOTE,
    TIMELINE,
)
from bot.core.model import Team, category_from_json
from bot.core.roster import Roster
from bot.core.verification import outcome_words
from bot.services import ack_timeout
from bot.services.alert_actions import AlertActions, refuse_untrained
from bot.services.errors import NotFound, ServiceError
from bot.services.exposure import count_exposure, limit_notes, past_limit
from bot.services.language_fix import LanguageFix
from bot.services.load import current_load
from bot.services.page_dms import add_pages, reach_outside_slack
from bot.services.refused_pages import RefusedPages
from bot.services.requests import (
    HANDOVER_WAIT,
    SessionFactory,
    duration,
    locked_request,
    routing_language,
    ticket,
)
from bot.services.schedules import RosterCache
from bot.services.step_firing import StepFiring
from bot.services.verification import Verification, check_resolution
from bot.store import paging as q
from bot.store.paging_tables import PageRow, RequestRow
from bot.store.paging_writes import RequestWrites
from bot.store.wellbeing import paused_at


@dataclass(frozen=True)
class Outcome:
    """The private reply to whoever clicked: what happened (transport-neutral text)."""

    message: str
    request_id: int
    changed: bool = True


def record(w: RequestWrites, actor: str, action: str, text: str, detail: dict,
           at: datetime | None = None) -> None:
    """An audit entry, and the same line in the thread under the request's card."""
    at = at or w.now
    w.audit(actor, action, {**detail, "text": text}, at)
    w.outbox(TIMELINE, w.request.card_channel,
             {"actor": actor, "action": action, "text": text, "at": at.isoformat()})


def resolved_line(user: str, code: str | None, note: str | None,
                  sensitive: bool = False) -> str:
    """The timeline line of a resolve: with the person's note; without it once purged
    after the team's retention (`note` None); for graphic content, saying where the note
    is (it may describe the content: kept with the request's details, never in the
    thread)."""
    shown = f" as {outcome_words(code)}" if code else ""
    if note is None:
        said = ""
    elif sensitive:
        said = "; the note is kept with the request (graphic content)"
    else:
        said = f": {refs.typed(note)}"
    return f"{refs.person(user)} resolved{shown}{said}"


def decide(w: RequestWrites, roster: Roster, reason: str,
           pages: list | None = None) -> escalation.Decision:
    """Apply `core.escalation.decide` to the request `w` writes for: the pages it
    fires, the deadline of the next step, the records. `pages`: the request's pages
    when the caller holds them (None: read them)."""
    if pages is None and w.request.esc_round is not None:
        with w.session.no_autoflush:
            pages = q.pages_of(w.session, w.request.id)
    total, decision = plan(w, roster, reason, pages)
    apply_decision(w, total, decision, pages or [], roster.team)
    return decision


def plan(w: RequestWrites, roster: Roster, reason: str, pages: list | None = None
         ) -> tuple[int, escalation.Decision]:
    """`core.escalation.decide` for the request `w` writes for, not applied yet: the
    number of steps of its policy, and the decision."""
    row, team = w.request, roster.team
    policy = escalation.policy_from_json(row.policy)
    last = (escalation.Position(row.esc_round, row.esc_step)
            if row.esc_round is not None else None)
    # The reads see the database as it is; the request's own changes are written with
    # the decision (a new request is inserted once, complete, not inserted and updated).
    with w.session.no_autoflush:
        if last is None and pages is None:
            # A request that has not fired a step yet has no pages to look at (one that
            # re-opened starts over with the pages it has: who declined stays out).
            pages = []
        elif pages is None:
            pages = q.pages_of(w.session, row.id)
    category = category_from_json(row.category_info) if row.category_info else None
    ctx = escalation.Context(
        roster=roster, language=routing_language(row, team), managers=team.managers,
        escalation_channel=team.escalation_channel,
        load=None,
        skills=category.skills if category else (),
        category_label=category.label if category else "",
        declined=frozenset(p.user for p in pages if p.state == "declined"),
        paged_this_step=frozenset(p.user for p in pages
                                  if (p.round, p.step) == (row.esc_round, row.esc_step)),
        unreachable=frozenset(p.user for p in pages if p.state == refusals.UNDELIVERABLE))
    # A step that alerts the managers or the channel pages nobody: decided without the
    # team's routing turn and its load (a lock every filing of the team waits for, and
    # the heaviest read of a firing). One that pages people reads them and decides again.
    try:
        return len(policy.steps), escalation.decide(policy, last, reason, ctx, w.now)
    except escalation.LoadNeeded:
        pass
    with w.session.no_autoflush:
        q.serialize_routing(w.session, team.name)
        load = current_load(w.session, w.now, team.max_open_per_person,
                            own_pending=[p.user for p in pages if p.state == "pending"]
                            if row.status == "open" else (),
                            team=team, sensitive=bool(row.sensitive), roster=roster)
    ctx = replace(ctx, load=load)
    return len(policy.steps), escalation.decide(policy, last, reason, ctx, w.now)


def apply_decision(w: RequestWrites, total: int, decision: escalation.Decision,
                   pages: list, team: Team | None = None) -> None:
    """`pages`: the request's pages before this decision (their page DMs are reused
    when a later step pages the same person again)."""
    row = w.request
    if decision.position is not None:
        row.esc_round, row.esc_step = decision.position.round, decision.position.step
    if decision.fired or decision.next_due is not None or decision.exhausted:
        row.esc_token += 1  # deadlines set before this decision are stale now
    # else: a decline while others paged at this step may still answer: nothing
    # changed, and the step's pending deadline must stay valid, or the escalation
    # would stop here for good.
    # The card says so while everyone who could take it is busy. Set before the pages
    # are written (a new request is inserted with them: no UPDATE after), and only
    # when it changes.
    busy = next(((f.busy or None) for f in reversed(decision.fired) if f.pages),
                row.busy_note)
    if busy != row.busy_note:
        row.busy_note = busy
    for f in decision.fired:
        _fired(w, f, pages, team)
    if decision.next_due is not None:
        w.deadline(decision.next_due, escalation.DEADLINE, row.esc_token)
    if decision.exhausted and not row.exhausted:
        row.exhausted = True
        record(w, "bot", "exhausted", "escalation finished with nobody acknowledging; "
                                      "the request stays open", {})
        w.outbox(REQUESTER_NOTE, row.requester, {"note": "exhausted"})
    w.outbox(CARD_UPDATE, row.card_channel)


_BY = {"sms": "SMS", "voice": "a phone call", "email": "email"}


def _fired(w: RequestWrites, f: escalation.Fired, pages: list, team: Team | None) -> None:
    lang = w.request.language
    lead = f"{words.round_name(f.position.round).capitalize()}: " if f.position.round else ""
    # A request written in a language the team does not serve, or in one nobody could
    # recognise, reached readers of another language: every page says so.
    foreign = w.request.language_source in TRANSLATED_SOURCES
    written = add_pages(w, [{"user": p.user, "round": f.position.round,
                             "step": f.position.step, "source": p.source,
                             "needs_translation": p.needs_translation or foreign,
                             "read_as": p.read_as} for p in f.pages],
                        pages, limit_notes(f.pages))
    steps = w.request.policy.get("steps") or []
    via = steps[f.position.step].get("via") or () if f.position.step < len(steps) else ()
    reached = reach_outside_slack(w, team, written, via)
    for page, again in written:
        how = [_BY[c] for u, c in reached if u == page.user]
        record(w, "bot", "paged", f"{lead}Paged{' again' if again else ''} "
               + words.who_was_paged(page.user, page.source, lang, page.read_as)
               + (f" (also by {' and '.join(how)})" if how else ""),
               {"user": page.user, "source": page.source, "page": page.id,
                "round": f.position.round, "step": f.position.step})
    past_limit(w, f, lead)
    for m in f.managers:
        w.outbox(MANAGER_ALERT, m)
    if f.managers:
        record(w, "bot", "managers_alerted",
               f"{lead}Alerted the managers: " + refs.people(f.managers), {})
    if f.channel:
        w.outbox(CHANNEL_ALERT, f.channel)
        record(w, "bot", "channel_alerted",
               f"{lead}Posted to the escalation channel {refs.channel(f.channel)}",
               {"channel": f.channel})
    if f.note:
        noun = words.step_noun(f.kind, lang, w.request.language_served is not False)
        acted = f.pages or f.managers or f.channel
        text = f.note if acted else f"skipped {noun}: {f.note}"
        record(w, "bot", "note", lead + text[:1].upper() + text[1:], {})


class EscalationService(StepFiring, AlertActions, Verification, RefusedPages, LanguageFix,
                        ack_timeout.AckTimeout):
    """Deadlines, answers to pages, resolution and handovers; what alerts let people do
    (Take it, Page someone, hand-over candidates) is mixed in from `alert_actions`,
    two-person verification (ask, Verified) from `verification`, and "Set language" from
    `language_fix`."""

    def __init__(self, session_factory: SessionFactory, rosters: RosterCache, clock: Clock):
        self._sf = session_factory
        self.rosters = rosters
        self.clock = clock

    def _step(self, session: Session, due, now: datetime) -> tuple[int | None, float]:
        """Fire a claimed escalation deadline: (the request's id, seconds late), or
        (None, 0) when it was stale (cancelled)."""
        row = q.lock_request(session, due.request_id)
        if row is None or row.status != "open" or row.esc_token != due.token:
            due.state = "cancelled"
            return None, 0.0
        try:
            roster = self.rosters.get(row.team)
        except NotFound:
            due.state = "cancelled"
            return None, 0.0
        # How late it fired is kept as fired_utc - due_utc on the deadline row.
        w = RequestWrites(session, row, now)
        decide(w, roster, due.reason)
        w.flush()
        return row.id, (now - due.due_utc).total_seconds()

    # -- answers to a page ---------------------------------------------------------------

    def _load_page(self, session: Session, page_id: int, user: str
                   ) -> tuple[PageRow, RequestRow]:
        """The page and its request (locked), refusing anyone but the person paged."""
        page = q.get_page(session, page_id)
        if page is None:
            raise NotFound(f"page {page_id} does not exist")
        row = q.lock_request(session, page.request_id)
        session.refresh(page)  # as it is now that the request is locked
        if page.user != user:
            raise ServiceError(f"this page for {ticket(row)} was sent to "
                               f"{refs.person(page.user)}, not you")
        if page.state == "closed" and page.dm_ts is None and row.status == "open":
            # A page whose DM a later page of the same person took over (paged again):
            # a click on its buttons, before the DM was re-rendered, answers the later.
            later = [p for p in q.pages_of(session, row.id)
                     if p.user == user and p.id > page.id and p.state == "pending"]
            if later:
                page = later[-1]
        return page, row

    def acknowledge(self, page_id: int, user: str, how: str = "") -> Outcome:
        """`how`: " by SMS", " by phone": said on the timeline (Slack: "")."""
        now = self.clock.now()
        with self._sf() as session, session.begin():
            page, row = self._load_page(session, page_id, user)
            w = RequestWrites(session, row, now)
            outcome = self._acknowledge(w, page, user, how)
            w.flush()
            return outcome

    def _acknowledge(self, w: RequestWrites, page: PageRow, user: str, how: str = ""
                     ) -> Outcome:
        row, now = w.request, w.now
        name = ticket(row)
        if row.status == "resolved":
            return Outcome(f"{name} is already resolved.", row.id, changed=False)
        if row.status == "acknowledged":
            if row.assignee == user:
                return Outcome(f"You already have {name}.", row.id, changed=False)
            if page.state == "pending":
                page.state, page.answered_utc = "closed", now
                w.outbox(PAGE_UPDATE, page.user, page_id=page.id)
            return Outcome(f"{name} was already acknowledged by {refs.person(row.assignee)}.",
                           row.id, changed=False)
        page.state, page.answered_utc = "acknowledged", now
        row.status, row.assignee, row.acknowledged_utc = "acknowledged", user, now
        row.esc_token += 1  # pending deadlines are now stale
        count_exposure(w.session, row, user, now)  # a sensitive request: its weight
        for p in q.pages_of(w.session, row.id):
            if p.id == page.id:
                continue
            if p.state == "pending":
                p.state, p.answered_utc = "closed", now
                w.outbox(PAGE_UPDATE, p.user, page_id=p.id)
            elif p.state == "acknowledged":  # handed over earlier: say who has it now
                w.outbox(PAGE_UPDATE, p.user, page_id=p.id)
        w.outbox(PAGE_UPDATE, user, page_id=page.id)
        ack_timeout.arm(w)  # the policy's ack_timeout: a reminder if it stays unresolved
        waited = (now - row.created_utc).total_seconds()
        record(w, user, "acknowledged",
               f"{refs.person(user)} acknowledged{how} ({duration(waited)} after filing)",
               {"page": page.id, "seconds": waited})
        w.outbox(CARD_UPDATE, row.card_channel)
        w.outbox(REQUESTER_NOTE, row.requester, {"note": "acknowledged"})
        return Outcome(f"You have {name}. Resolve it or hand it over from the page.", row.id)

    def decline(self, page_id: int, user: str, how: str = "") -> Outcome:
        now = self.clock.now()
        with self._sf() as session, session.begin():
            page, row = self._load_page(session, page_id, user)
            name = ticket(row)
            if page.state != "pending":
                return Outcome(f"You already answered this page ({page.state}).", row.id,
                               changed=False)
            w = RequestWrites(session, row, now)
            page.state, page.answered_utc = "declined", now
            w.outbox(PAGE_UPDATE, user, page_id=page.id)
            pages = q.pages_of(session, row.id)
            for other in pages:
                # An earlier step's page to the same person (re-paged by a wider step)
                # stops waiting too: they passed the request on, not one message.
                if other.user == user and other.id != page.id and other.state == "pending":
                    other.state, other.answered_utc = "closed", now
                    w.outbox(PAGE_UPDATE, user, page_id=other.id)
            if row.status != "open":
                record(w, user, "declined", f"{refs.person(user)} declined{how}",
                       {"page": page.id})
                w.outbox(CARD_UPDATE, row.card_channel)
                w.flush()
                return Outcome(f"Declined {name}.", row.id)
            # Where it goes next, said on the timeline and to whoever declined: the
            # decision is planned first so the decline line can name who has it now.
            roster = self.rosters.get(row.team)
            total, decision = plan(w, roster, escalation.DECLINE, pages)
            waiting = tuple(p.user for p in pages if p.state == "pending"
                            and (p.round, p.step) == (row.esc_round, row.esc_step))
            next_words = words.decision_words(decision, row.language, waiting)
            record(w, user, "declined", f"{refs.person(user)} declined{how}; {next_words}",
                   {"page": page.id})
            apply_decision(w, total, decision, pages, roster.team)
            w.flush()
            return Outcome(f"Declined {name}; {next_words}.", row.id)

    # -- resolution and handovers ----------------------------------------------------------

    def resolve(self, request_id: int, user: str, note: str,
                resolution: str | None = None) -> Outcome:
        """`resolution`: one of core.model.OUTCOMES; a two-person request needs one, and
        `disclosed` only once verified (`verification.OutcomeRefused` otherwise)."""
        now = self.clock.now()
        note = note.strip()
        if not note:
            raise ServiceError("say what the outcome was, e.g. 'Stream taken down, "
                               "user referred to local emergency services'")
        with self._sf() as session, session.begin():
            row = locked_request(session, request_id)
            name = ticket(row)
            roster = self.rosters.get(row.team)
            if row.status == "resolved":
                return Outcome(f"{name} is already resolved.", row.id, changed=False)
            if user != row.assignee and user not in roster.team.managers:
                raise ServiceError(
                    f"only the assignee ({refs.person(row.assignee)}) or a manager may "
                    f"resolve {name}" if row.assignee else
                    f"acknowledge {name} before resolving it")
            code = check_resolution(row, user, resolution)  # before anything changes
            w = RequestWrites(session, row, now)
            row.status, row.resolved_utc, row.outcome = "resolved", now, note
            row.resolution = code
            row.esc_token += 1
            for p in q.pages_of(session, row.id):
                if p.state in ("pending", "acknowledged"):
                    if p.state == "pending":
                        p.state, p.answered_utc = "closed", now
                    w.outbox(PAGE_UPDATE, p.user, page_id=p.id)
            record(w, user, "resolved", resolved_line(user, code, note, row.sensitive),
                   {"outcome": note, **({"resolution": code} if code else {})})
            w.outbox(CARD_UPDATE, row.card_channel)
            w.outbox(REQUESTER_NOTE, row.requester, {"note": "resolved"})
            w.flush()
            return Outcome(f"{name} resolved.", row.id)

    def hand_over(self, request_id: int, user: str, to_user: str) -> Outcome:
        # The team is read before the write transaction (its reads use a connection of
        # their own, which a writer holding the lock must not wait for).
        found, roster = self._request_and_roster(request_id)
        refuse_untrained(found, roster.specialist(to_user))
        now = self.clock.now()
        with self._sf() as session, session.begin():
            row = locked_request(session, request_id)
            name = ticket(row)
            if row.status != "acknowledged" or row.assignee != user:
                raise ServiceError(f"only the assignee of {name} can hand it over")
            if to_user == user:
                raise ServiceError("pick someone else to hand over to")
            w = RequestWrites(session, row, now)
            policy = escalation.policy_from_json(row.policy)
            for p in q.pages_of(session, row.id):
                if p.user == user and p.state == "acknowledged":
                    # Stays "acknowledged" (they did): the page DM, re-rendered, says
                    # "You handed this over" and loses its Resolve/Hand over buttons.
                    w.outbox(PAGE_UPDATE, p.user, page_id=p.id)
            row.status, row.assignee, row.acknowledged_utc = "open", None, None
            row.esc_token += 1
            page = self._page_again(w, to_user, "handover", q.pages_of(session, row.id))
            wait = policy.steps[row.esc_step or 0].wait or HANDOVER_WAIT
            w.deadline(now + wait, escalation.DEADLINE, row.esc_token)
            record(w, user, "handed_over",
                   f"{refs.person(user)} handed over to {refs.person(to_user)}",
                   {"to": to_user, "page": page})
            w.outbox(CARD_UPDATE, row.card_channel)
            w.flush()
            return Outcome(f"Handed {name} over to {refs.person(to_user)}; they have been "
                           "paged.", row.id)

    def repage(self, pairs: list[tuple[int, str]]) -> int:
        """After a handoff: page the incoming reader of an open request whose pages went
        to someone now off shift. Safe to repeat: nobody gets a second pending page."""
        now = self.clock.now()
        paged = 0
        for request_id, user in pairs:
            with self._sf() as session, session.begin():
                row = q.lock_request(session, request_id)
                if row is None or row.status != "open":
                    continue
                pages = q.pages_of(session, row.id)
                # Not who declined it, nor whom Slack refused a page of it for good.
                if any(p.user == user and p.state in ("pending", "declined",
                                                      refusals.UNDELIVERABLE) for p in pages):
                    continue
                if user in paused_at(session, row.team, now):
                    continue  # on a break: the escalation goes on without them
                w = RequestWrites(session, row, now)
                page = self._page_again(w, user, "handoff", pages)
                record(w, "bot", "paged", "Shift handoff: paged "
                       + words.who_was_paged(user, "handoff", row.language),
                       {"user": user, "source": "handoff", "page": page})
                w.outbox(CARD_UPDATE, row.card_channel)
                w.flush()
                paged += 1
        return paged

    @staticmethod
    def _page_again(w: RequestWrites, user: str, source: str, pages: list) -> int:
        """A page outside the escalation steps (a handover, a shift handoff), at the
        request's current step; its id."""
        row = w.request
        [(page, _)] = add_pages(w, [{"user": user, "round": row.esc_round or 0,
                                     "step": row.esc_step or 0, "source": source,
                                     "needs_translation":
                                         row.language_source in TRANSLATED_SOURCES}], pages)
        return page.id

