"""Emergency requests: intake, paging, acknowledgement, escalation, resolution.

Every use case is one transaction with `now` from the injected clock. Whatever must
reach Slack is written to the outbox in the same transaction, so a request that was
committed (and acknowledged to Slack) is never lost, and the reconciler and the
outbox sender can pick up after a crash.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.clock import Clock
from bot.core import escalation, routing
from bot.core.messages import (
    CARD,
    CARD_UPDATE,
    CHANNEL_ALERT,
    MANAGER_ALERT,
    PAGE,
    PAGE_UPDATE,
    REQUESTER_NOTE,
    TIMELINE,
    PageView,
    RequestView,
    TimelineEntry,
)
from bot.core.model import SEVERITIES, Team
from bot.services.errors import NotFound, ServiceError
from bot.services.schedules import RosterCache
from bot.store import paging as q
from bot.store.paging_tables import AuditRow, DeadlineRow, OutboxRow, PageRow, RequestRow

SessionFactory = Callable[[], Session]
RECENT = timedelta(hours=24)  # "fewest recent pages" looks this far back
PRIORITY = {PAGE: 0, CARD: 1, PAGE_UPDATE: 2, REQUESTER_NOTE: 3}
LANG_RE = re.compile(r"^[a-z]{2}$")
RECEIVED = "received"  # committed and acknowledged, not routed yet


@dataclass(frozen=True)
class Intake:
    """What a requester filed, from any front end."""

    key: str  # idempotency key: one request per Slack interaction
    requester: str
    text: str
    via: str  # command | modal | shortcut | demo
    severity: str | None = None
    language: str | None = None  # explicit choice; None -> detect
    link: str | None = None
    origin_channel: str | None = None
    team: str | None = None
    confirm_by_dm: bool = False  # the slash command confirms in its ephemeral reply


@dataclass(frozen=True)
class Filed:
    request: RequestView
    duplicate: bool


@dataclass(frozen=True)
class Outcome:
    """The private reply to whoever clicked: what happened."""

    message: str
    request_id: int
    changed: bool = True


class Detector:
    """Language detection per team language set; built lazily (loading costs ~1 s)."""

    def __init__(self, threshold: float | None = None):
        self._threshold = threshold
        self._by_langs: dict[tuple[str, ...], object] = {}

    def detect(self, text: str, languages: tuple[str, ...]):
        from bot.language.detector import DEFAULT_THRESHOLD, LanguageDetector

        det = self._by_langs.get(languages)
        if det is None:
            det = LanguageDetector(list(languages), self._threshold or DEFAULT_THRESHOLD)
            self._by_langs[languages] = det
        return det.detect(text)


def parse_emergency_text(text: str, languages: tuple[str, ...] = ()
                         ) -> tuple[str | None, str | None, str]:
    """`[sev1|sev2|sev3] [lang:xx] <text>` in any order at the front -> (sev, lang, text).

    Raises ServiceError with an example when a `lang:` or `sevN` token is malformed."""
    words = text.strip().split()
    severity = language = None
    while words:
        w = words[0].lower()
        if w in SEVERITIES:
            severity = w
        elif w.startswith("lang:") or w.startswith("language:"):
            code = w.split(":", 1)[1]
            if not LANG_RE.match(code):
                raise ServiceError(
                    f"'{words[0]}' is not a language; use a two-letter ISO 639-1 code, "
                    f"e.g. `/emergency sev1 lang:ar <what is happening>`")
            language = code
        elif re.fullmatch(r"sev\d+", w):
            raise ServiceError(f"'{words[0]}' is not a severity; use sev1, sev2 or sev3, "
                               "e.g. `/emergency sev1 <what is happening>`")
        else:
            break
        words.pop(0)
    return severity, language, " ".join(words)


class PagingService:
    def __init__(self, session_factory: SessionFactory, rosters: RosterCache, clock: Clock,
                 detector: Detector | None = None,
                 intake_session_factory: SessionFactory | None = None):
        self._sf = session_factory
        # Intake's writes go before background writers waiting in the same process.
        self._intake_sf = intake_session_factory or session_factory
        self.rosters = rosters
        self.clock = clock
        self.detector = detector or Detector()

    # -- intake ------------------------------------------------------------------------

    def file(self, intake: Intake) -> Filed:
        """File and route the request in one transaction: when this returns, the
        request is committed with its pages and deadlines."""
        return self._take(intake, route=True)

    def receive(self, intake: Intake) -> Filed:
        """Commit the request without routing it (status `received`), for when this
        process is too busy to route within Slack's 3 seconds: the acknowledgement
        waits only for this small write; `route_next` (the router thread of this
        process, or of the next one after a crash) routes it, most severe first."""
        return self._take(intake, route=False)

    def _take(self, intake: Intake, route: bool) -> Filed:
        text = intake.text.strip()
        if not text:
            raise ServiceError("say what is happening; example: "
                               "`/emergency sev1 lang:es amenaza en vivo, link: https://...`")
        if intake.severity is not None and intake.severity not in SEVERITIES:
            raise ServiceError(f"'{intake.severity}' is not a severity; use sev1, sev2 or sev3")
        now = self.clock.now()
        # The roster is looked up before the write transaction opens: it reads through
        # its own connection, which a writer must not wait for while holding the lock.
        roster = self._roster_for(intake)
        # Checked before the commit: a request that could not be routed must not be
        # acknowledged and left for the router.
        _policy(roster.team, intake.severity or roster.team.default_severity)
        try:
            with self._intake_sf() as session, session.begin():
                existing = q.request_by_key(session, intake.key)
                if existing is not None:
                    return Filed(self._view(session, existing), duplicate=True)
                row = self._insert(session, intake, roster.team, text, now)
                if route:
                    self._start(session, row, roster, intake.confirm_by_dm, now)
                view = self._view(session, row)
        except IntegrityError:
            # The same interaction arrived twice at once: the other one won.
            with self._sf() as session:
                existing = q.request_by_key(session, intake.key)
                if existing is None:
                    raise
                return Filed(self._view(session, existing), duplicate=True)
        return Filed(view, duplicate=False)

    def route_next(self) -> RequestView | None:
        """Route the most severe, oldest `received` request (one transaction); None when
        there is none. Safe from several threads and processes: the row is re-read
        locked and routed only if it is still `received`."""
        while True:
            with self._sf() as session:
                found = q.next_received(session)
            if found is None:
                return None
            request_id, team_name = found
            roster = self.rosters.get(team_name)  # before the write lock, as in `_take`
            with self._sf() as session, session.begin():
                row = q.lock_request(session, request_id)
                if row is None or row.status != RECEIVED:
                    continue  # another router took it
                # Its acknowledgement could not say who was paged: a DM will.
                self._start(session, row, roster, True, self.clock.now())
                return self._view(session, row)

    def received_count(self) -> int:
        with self._sf() as session:
            return q.received_count(session)

    def _insert(self, session: Session, intake: Intake, team: Team, text: str,
                now: datetime) -> RequestRow:
        severity = intake.severity or team.default_severity
        row = RequestRow(
            key=intake.key, team=team.name, requester=intake.requester,
            origin_channel=intake.origin_channel, via=intake.via, text=text,
            link=intake.link, severity=severity,
            language=intake.language or team.languages[0],
            language_source="explicit" if intake.language else "pending",
            detected=None, confidence=None, status=RECEIVED, policy={}, exhausted=False,
            esc_token=0, card_channel=team.intake_channel, created_utc=now)
        session.add(row)
        session.flush()
        return row

    def _start(self, session: Session, row: RequestRow, roster, confirm_by_dm: bool,
               now: datetime) -> None:
        """Route a received request: its language, its frozen policy, the card, the
        first escalation step."""
        team = roster.team
        if row.language_source != "explicit":
            found = self.detector.detect(row.text, team.languages)
            row.confidence = round(found.confidence, 3)
            row.detected = found.language or found.runner_up
            if found.language:
                row.language, row.language_source = found.language, "detected"
            else:
                row.language, row.language_source = team.languages[0], "fallback"
        row.policy = escalation.policy_to_json(_policy(team, row.severity))
        row.status = "open"
        if row.language_source == "explicit":
            how = "set by the requester"
        elif row.language_source == "detected":
            how = f"detected ({row.confidence:.0%})"
        else:
            how = f"not recognised ({row.confidence:.0%}); using the team's first language"
        self._outbox(session, row, CARD, team.intake_channel, {}, now)
        self._audit(session, row, row.requester, "filed", row.created_utc,
                    f"filed via {row.via}: {row.severity}, language {row.language} {how}",
                    {"severity": row.severity, "language": row.language,
                     "source": row.language_source, "confidence": row.confidence})
        if confirm_by_dm:
            self._outbox(session, row, REQUESTER_NOTE, row.requester, {"note": "filed"},
                         now)
        self._decide(session, row, team, roster, escalation.START, now)

    def _team(self, name: str, missing_ok: bool = False) -> Team | None:
        """The team's schedule from the roster cache: loading a 300-person team from the
        database costs tens of milliseconds, a revision check one indexed read."""
        try:
            return self.rosters.get(name).team
        except NotFound:
            if missing_ok:
                return None
            raise

    def _roster_for(self, intake: Intake):
        names = self.teams()
        if not names:
            raise ServiceError("no team is set up yet; import one with "
                               "`oncall-bot schedules import schedules/`")
        if intake.team:
            if intake.team not in names:
                raise NotFound(f"no team named '{intake.team}'")
            return self.rosters.get(intake.team)
        rosters = [self.rosters.get(n) for n in names]
        for r in rosters:
            if intake.origin_channel and intake.origin_channel == r.team.intake_channel:
                return r
        return rosters[0]

    # -- escalation --------------------------------------------------------------------

    def _context(self, session: Session, row: RequestRow, team: Team, roster,
                 now: datetime) -> escalation.Context:
        # A request that has not fired a step yet has no pages to look at.
        pages = q.pages_of(session, row.id) if row.esc_round is not None else []
        declined = frozenset(p.user for p in pages if p.state == "declined")
        here = frozenset(p.user for p in pages
                         if (p.round, p.step) == (row.esc_round, row.esc_step))
        return escalation.Context(
            roster=roster, language=row.language, managers=team.managers,
            escalation_channel=team.escalation_channel,
            recent_pages=q.recent_page_counts(session, now - RECENT),
            declined=declined, paged_this_step=here)

    def _decide(self, session: Session, row: RequestRow, team: Team, roster, reason: str,
                now: datetime) -> escalation.Decision:
        policy = escalation.policy_from_json(row.policy)
        last = (escalation.Position(row.esc_round, row.esc_step)
                if row.esc_round is not None else None)
        decision = escalation.decide(policy, last, reason, self._context(
            session, row, team, roster, now), now)
        self._apply(session, row, policy, decision, now)
        return decision

    def _apply(self, session: Session, row: RequestRow, policy, decision: escalation.Decision,
               now: datetime) -> None:
        total = len(policy.steps)
        for f in decision.fired:
            where = f"step {f.position.step + 1}/{total} ({f.kind})"
            if f.position.round:
                where += f", repeat {f.position.round}"
            for p in f.pages:
                page = PageRow(request_id=row.id, user=p.user, round=f.position.round,
                               step=f.position.step, source=p.source,
                               needs_translation=p.needs_translation, state="pending",
                               sent_utc=now)
                session.add(page)
                session.flush()
                self._outbox(session, row, PAGE, p.user, {}, now, page_id=page.id)
                flag = " - needs translation" if p.needs_translation else ""
                self._audit(session, row, "bot", "paged", now,
                            f"{where}: paged <@{p.user}> ({p.source}){flag}",
                            {"user": p.user, "source": p.source, "page": page.id,
                             "round": f.position.round, "step": f.position.step})
            for m in f.managers:
                self._outbox(session, row, MANAGER_ALERT, m, {}, now)
            if f.managers:
                self._audit(session, row, "bot", "managers_alerted", now,
                            f"{where}: alerted managers "
                            + ", ".join(f"<@{m}>" for m in f.managers), {})
            if f.channel:
                self._outbox(session, row, CHANNEL_ALERT, f.channel, {}, now)
                self._audit(session, row, "bot", "channel_alerted", now,
                            f"{where}: posted in <#{f.channel}>", {"channel": f.channel})
            if f.note:
                self._audit(session, row, "bot", "note", now, f"{where}: {f.note}", {})
        if decision.position is not None:
            row.esc_round, row.esc_step = decision.position.round, decision.position.step
        if decision.fired or decision.next_due is not None or decision.exhausted:
            row.esc_token += 1  # deadlines set before this decision are stale now
        # else: a decline while others paged at this step may still answer: nothing
        # changed, and the step's pending deadline must stay valid, or the escalation
        # would stop here for good.
        if decision.next_due is not None:
            session.add(DeadlineRow(request_id=row.id, due_utc=decision.next_due,
                                    reason=escalation.DEADLINE, token=row.esc_token,
                                    state="pending"))
        if decision.exhausted and not row.exhausted:
            row.exhausted = True
            self._audit(session, row, "bot", "exhausted", now,
                        "escalation finished with nobody acknowledging; the request stays "
                        "open", {})
            self._outbox(session, row, REQUESTER_NOTE, row.requester, {"note": "exhausted"},
                         now)
        self._outbox(session, row, CARD_UPDATE, row.card_channel, {}, now)

    def reconcile(self, limit: int = 500) -> int:
        """Fire every due deadline once. Returns how many steps fired."""
        fired = 0
        for _ in range(limit):
            now = self.clock.now()
            with self._sf() as session, session.begin():
                due = q.claim_due_deadline(session, now)
                if due is None:
                    break
                due.state, due.fired_utc = "fired", now
                row = q.lock_request(session, due.request_id)
                if row is None or row.status != "open" or row.esc_token != due.token:
                    due.state = "cancelled"
                    continue
                team = self._team(row.team, missing_ok=True)
                if team is None:
                    due.state = "cancelled"
                    continue
                # How late it fired is kept as fired_utc - due_utc on the deadline row.
                self._decide(session, row, team, self.rosters.get(team.name), due.reason, now)
                fired += 1
        return fired

    # -- answers to a page ---------------------------------------------------------------

    def _load_page(self, session: Session, page_id: int, user: str
                   ) -> tuple[PageRow, RequestRow]:
        """The page and its request (locked), refusing anyone but the person paged."""
        page = session.get(PageRow, page_id)
        if page is None:
            raise NotFound(f"page {page_id} does not exist")
        row = q.lock_request(session, page.request_id)
        session.refresh(page)
        if page.user != user:
            raise ServiceError(f"this page for {_ticket(row)} was sent to <@{page.user}>, "
                               "not you")
        return page, row

    def acknowledge(self, page_id: int, user: str) -> Outcome:
        now = self.clock.now()
        with self._sf() as session, session.begin():
            page, row = self._load_page(session, page_id, user)
            ticket = _ticket(row)
            if row.status == "resolved":
                return Outcome(f"{ticket} is already resolved.", row.id, changed=False)
            if row.status == "acknowledged":
                if row.assignee == user:
                    return Outcome(f"You already have {ticket}.", row.id, changed=False)
                if page.state == "pending":
                    page.state, page.answered_utc = "closed", now
                    self._outbox(session, row, PAGE_UPDATE, page.user, {}, now, page.id)
                return Outcome(f"{ticket} was already acknowledged by <@{row.assignee}>.",
                               row.id, changed=False)
            page.state, page.answered_utc = "acknowledged", now
            row.status, row.assignee, row.acknowledged_utc = "acknowledged", user, now
            row.esc_token += 1  # pending deadlines are now stale
            self._close_other_pages(session, row, page.id, now)
            self._outbox(session, row, PAGE_UPDATE, user, {}, now, page.id)
            waited = (now - row.created_utc).total_seconds()
            self._audit(session, row, user, "acknowledged", now,
                        f"<@{user}> acknowledged ({_duration(waited)} after filing)",
                        {"page": page.id, "seconds": waited})
            self._outbox(session, row, CARD_UPDATE, row.card_channel, {}, now)
            self._outbox(session, row, REQUESTER_NOTE, row.requester, {"note": "acknowledged"},
                         now)
            return Outcome(f"You have {ticket}. Resolve it or hand it over from the page.",
                           row.id)

    def decline(self, page_id: int, user: str) -> Outcome:
        now = self.clock.now()
        with self._sf() as session, session.begin():
            page, row = self._load_page(session, page_id, user)
            ticket = _ticket(row)
            if page.state != "pending":
                return Outcome(f"You already answered this page ({page.state}).", row.id,
                               changed=False)
            page.state, page.answered_utc = "declined", now
            self._outbox(session, row, PAGE_UPDATE, user, {}, now, page.id)
            for other in q.pages_of(session, row.id):
                # An earlier step's page to the same person (re-paged by a wider step)
                # stops waiting too: they passed the request on, not one message.
                if other.user == user and other.id != page.id and other.state == "pending":
                    other.state, other.answered_utc = "closed", now
                    self._outbox(session, row, PAGE_UPDATE, user, {}, now, other.id)
            self._audit(session, row, user, "declined", now, f"<@{user}> declined",
                        {"page": page.id})
            if row.status == "open":
                team = self._team(row.team)
                self._decide(session, row, team, self.rosters.get(team.name),
                             escalation.DECLINE, now)
            else:
                self._outbox(session, row, CARD_UPDATE, row.card_channel, {}, now)
            return Outcome(f"Declined {ticket}; it has been passed on.", row.id)

    def resolve(self, request_id: int, user: str, note: str) -> Outcome:
        now = self.clock.now()
        note = note.strip()
        if not note:
            raise ServiceError("say what the outcome was, e.g. 'Stream taken down, "
                               "user referred to local emergency services'")
        with self._sf() as session, session.begin():
            row = q.lock_request(session, request_id)
            if row is None:
                raise NotFound(f"request {request_id} does not exist")
            ticket = _ticket(row)
            team = self._team(row.team)
            if row.status == "resolved":
                return Outcome(f"{ticket} is already resolved.", row.id, changed=False)
            if user != row.assignee and user not in (team.managers if team else ()):
                raise ServiceError(f"only the assignee (<@{row.assignee}>) or a manager may "
                                   f"resolve {ticket}" if row.assignee else
                                   f"acknowledge {ticket} before resolving it")
            row.status, row.resolved_utc, row.outcome = "resolved", now, note
            row.esc_token += 1
            for p in q.pages_of(session, row.id):
                if p.state in ("pending", "acknowledged"):
                    if p.state == "pending":
                        p.state, p.answered_utc = "closed", now
                    self._outbox(session, row, PAGE_UPDATE, p.user, {}, now, p.id)
            self._audit(session, row, user, "resolved", now, f"<@{user}> resolved: {note}",
                        {"outcome": note})
            self._outbox(session, row, CARD_UPDATE, row.card_channel, {}, now)
            self._outbox(session, row, REQUESTER_NOTE, row.requester, {"note": "resolved"}, now)
            return Outcome(f"{ticket} resolved.", row.id)

    def handover_candidates(self, request_id: int, user: str) -> list[str]:
        with self._sf() as session:
            row = session.get(RequestRow, request_id)
            if row is None:
                raise NotFound(f"request {request_id} does not exist")
            roster = self.rosters.get(row.team)
        now = self.clock.now()
        found = routing.on_call_readers(roster, row.language, now, {}) or \
            routing.translators(roster, now, {})
        return [c.user for c in found if c.user != user]

    def hand_over(self, request_id: int, user: str, to_user: str) -> Outcome:
        now = self.clock.now()
        with self._sf() as session, session.begin():
            row = q.lock_request(session, request_id)
            if row is None:
                raise NotFound(f"request {request_id} does not exist")
            ticket = _ticket(row)
            if row.status != "acknowledged" or row.assignee != user:
                raise ServiceError(f"only the assignee of {ticket} can hand it over")
            if to_user == user:
                raise ServiceError("pick someone else to hand over to")
            policy = escalation.policy_from_json(row.policy)
            for p in q.pages_of(session, row.id):
                if p.user == user and p.state == "acknowledged":
                    # Stays "acknowledged" (they did): the page DM, re-rendered, says
                    # "You handed this over" and loses its Resolve/Hand over buttons.
                    self._outbox(session, row, PAGE_UPDATE, p.user, {}, now, p.id)
            row.status, row.assignee, row.acknowledged_utc = "open", None, None
            row.esc_token += 1
            page = PageRow(request_id=row.id, user=to_user, round=row.esc_round or 0,
                           step=row.esc_step or 0, source="handover", needs_translation=False,
                           state="pending", sent_utc=now)
            session.add(page)
            session.flush()
            self._outbox(session, row, PAGE, to_user, {}, now, page.id)
            wait = policy.steps[row.esc_step or 0].wait or timedelta(minutes=5)
            session.add(DeadlineRow(request_id=row.id, due_utc=now + wait,
                                    reason=escalation.DEADLINE, token=row.esc_token,
                                    state="pending"))
            self._audit(session, row, user, "handed_over", now,
                        f"<@{user}> handed over to <@{to_user}>", {"to": to_user,
                                                                  "page": page.id})
            self._outbox(session, row, CARD_UPDATE, row.card_channel, {}, now)
            return Outcome(f"Handed {ticket} over to <@{to_user}>; they have been paged.",
                           row.id)

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
                if any(p.user == user and p.state in ("pending", "declined") for p in pages):
                    continue
                page = PageRow(request_id=row.id, user=user, round=row.esc_round or 0,
                               step=row.esc_step or 0, source="handoff",
                               needs_translation=False, state="pending", sent_utc=now)
                session.add(page)
                session.flush()
                self._outbox(session, row, PAGE, user, {}, now, page.id)
                self._audit(session, row, "bot", "paged", now,
                            f"shift handoff: paged <@{user}>, the incoming reader",
                            {"user": user, "source": "handoff", "page": page.id})
                self._outbox(session, row, CARD_UPDATE, row.card_channel, {}, now)
                paged += 1
        return paged

    def _close_other_pages(self, session: Session, row: RequestRow, keep: int,
                           now: datetime) -> None:
        for p in q.pages_of(session, row.id):
            if p.id == keep:
                continue
            if p.state == "pending":
                p.state, p.answered_utc = "closed", now
                self._outbox(session, row, PAGE_UPDATE, p.user, {}, now, p.id)
            elif p.state == "acknowledged":  # handed over earlier: say who has it now
                self._outbox(session, row, PAGE_UPDATE, p.user, {}, now, p.id)

    # -- records -----------------------------------------------------------------------

    def _audit(self, session: Session, row: RequestRow, actor: str, action: str,
               now: datetime, text: str, detail: dict, timeline: bool = True) -> None:
        detail = {**detail, "text": text}
        session.add(AuditRow(team=row.team, request_id=row.id, actor=actor, action=action,
                             detail=detail, at_utc=now))
        if timeline:
            self._outbox(session, row, TIMELINE, row.card_channel,
                         {"actor": actor, "action": action, "text": text,
                          "at": now.isoformat()}, now)

    def _outbox(self, session: Session, row: RequestRow, kind: str, target: str | None,
                payload: dict, now: datetime, page_id: int | None = None) -> None:
        session.add(OutboxRow(request_id=row.id, page_id=page_id, kind=kind, target=target,
                              payload=payload, priority=PRIORITY.get(kind, 5), state="pending",
                              attempts=0, created_utc=now, next_attempt_utc=now))

    # -- views ---------------------------------------------------------------------------

    def _view(self, session: Session, row: RequestRow) -> RequestView:
        pages = q.pages_of(session, row.id)
        policy = row.policy
        total = len(policy.get("steps", ()))
        if row.status == RECEIVED:
            progress = "finding an on-call reader"
        elif row.status != "open":
            progress = "finished"
        elif row.exhausted:
            progress = "all steps done; nobody acknowledged"
        elif row.esc_step is None:
            progress = "not started"
        else:
            kind = policy["steps"][row.esc_step]["notify"]
            progress = f"step {row.esc_step + 1} of {total} ({kind})"
            if policy.get("repeat"):
                progress += f", round {row.esc_round + 1} of {policy['repeat'] + 1}"
        return RequestView(
            id=row.id, ticket=_ticket(row), team=row.team, requester=row.requester,
            text=row.text, link=row.link, severity=row.severity, language=row.language,
            language_source=row.language_source, detected=row.detected,
            confidence=row.confidence, status=row.status, assignee=row.assignee,
            outcome=row.outcome, created=row.created_utc, acknowledged=row.acknowledged_utc,
            resolved=row.resolved_utc,
            paged=tuple(dict.fromkeys(p.user for p in pages if p.state == "pending")),
            needs_translation=any(p.needs_translation for p in pages), escalation=progress,
            exhausted=row.exhausted, origin_channel=row.origin_channel, via=row.via)

    def request_view(self, request_id: int) -> RequestView:
        with self._sf() as session:
            row = session.get(RequestRow, request_id)
            if row is None:
                raise NotFound(f"request {request_id} does not exist")
            return self._view(session, row)

    def page_view(self, session: Session, page: PageRow) -> PageView:
        row = session.get(RequestRow, page.request_id)
        return PageView(page.id, page.user, page.state, page.source, page.needs_translation,
                        self._view(session, row))

    def timeline(self, request_id: int) -> list[TimelineEntry]:
        with self._sf() as session:
            return [TimelineEntry(a.at_utc, a.actor, a.action, a.detail.get("text", a.action))
                    for a in q.audit_entries(session, request_id)]

    def open_requests(self, assignee: str | None = None) -> list[RequestView]:
        with self._sf() as session:
            return [self._view(session, r) for r in q.open_requests(session, assignee=assignee)]

    def teams(self) -> list[str]:
        return self.rosters.team_names()


def _policy(team: Team, severity: str):
    """The policy a request of `severity` starts with (the default severity's if none)."""
    policy = team.policy(severity) or team.policy(team.default_severity)
    if policy is None:
        raise ServiceError(f"team {team.name} has no escalation policy for {severity}")
    return policy


def _ticket(row: RequestRow) -> str:
    return f"T-{row.id}"


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f}s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
