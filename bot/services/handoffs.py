"""Shift handoffs and reminders (PRODUCT.md flow 5), durable like escalations.

`HandoffService.run()` is one pass of the background job. For each team, in ONE
transaction (the team's `notice_cursors` rows locked FOR UPDATE on PostgreSQL; BEGIN
IMMEDIATE on SQLite), it:

1. takes the shifts that START in (cursor, now] (handoffs) and in
   (cursor + reminder_before, now + reminder_before] (reminders), from the roster's
   exact pieces (kinds scheduled / substitute / override). A piece that starts exactly
   when the same user's previous piece of the same rotation ends is the same stint
   going on (an override extending a shift, say), not a new shift, and is skipped;
2. inserts one `shift_notices` row per (team, user, rotation, kind, shift start): the
   UNIQUE constraint makes each notice once-only, even with two workers or a crash
   and restart (the cursor and the notices commit together);
3. writes outbox DIRECT rows in the same transaction: the incoming specialist's DM
   (rotation, tier, from/until in their own zone, languages, open requests they
   inherit), one handoff note per handoff instant to the team channel naming who hands
   to whom, and reminder DMs `reminder_before` ahead of a shift;
4. moves the cursors to `now`.

A team's first pass only sets its cursors to `now`: no flood of past notices. After a
gap (the bot was down), notices more than `STALE` (2 hours) late, or for a shift that is
already over (reminders: already started), are recorded but not sent; an audit row and a
log line say so. A gap longer than `MAX_CATCH_UP` is not replayed at all.

Re-pages: `run()` also returns, for the runtime to hand to EscalationService.repage, the
(request_id, incoming user) pairs of open, unacknowledged requests whose pending
pages all went to people no longer on call and whose language the incoming person
reads (one incoming reader per request, the best ranked; never someone already paged
for it). Nothing here pages anybody.

Passes are cheap when nothing is due: the service remembers, per team and roster
revision, the next instant something can be due (at most `IDLE_RECHECK` ahead), and
skips the write transaction until then.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from bot.clock import Clock
from bot.core import refs, timezones
from bot.core.roster import TIER_RANK, Assignment, Roster
from bot.services.errors import NotFound
from bot.services.schedules import RosterCache
from bot.store import notices, team_audit
from bot.store import paging as q
from bot.store import teams as team_store
from bot.store.db import SQLITE_BEGIN
from bot.store.direct_messages import queue_direct
from bot.store.paging_tables import RequestRow
from bot.store.shift_tables import HANDOFF, REMINDER, NoticeCursorRow

log = logging.getLogger(__name__)

SessionFactory = Callable[[], Session]
STALE = timedelta(hours=2)  # later than this: recorded, not sent
MAX_CATCH_UP = timedelta(days=7)  # a longer outage is not replayed
IDLE_RECHECK = timedelta(minutes=10)  # an idle team is re-examined at least this often
MARGIN = timedelta(minutes=1)  # roster window around (a, b]: sees the pieces ending at a start
INHERITED_SHOWN = 10
DIRECT_PRIORITY = 4  # after pages, cards, page updates and requester notes


@dataclass(frozen=True)
class Repage:
    request_id: int
    user: str  # the incoming on-call reader to page


@dataclass
class HandoffRun:
    """What one `run()` did. `repage` is for the runtime to hand to EscalationService.repage."""

    notices: int = 0  # shift_notices rows written (sent or not)
    sent: int = 0  # DMs queued (handoffs + reminders; channel notes not counted)
    not_sent: int = 0  # recorded but too late to send
    repage: list[Repage] = field(default_factory=list)

    def pairs(self) -> list[tuple[int, str]]:
        return [(r.request_id, r.user) for r in self.repage]


@dataclass(frozen=True)
class _Start:
    piece: Assignment
    until: datetime  # end of the stint (contiguous pieces of the same user and rotation)
    outgoing: tuple[str, ...]  # who handed over (same rotation first, else same tier)


def shift_starts(roster: Roster, lo: datetime, hi: datetime) -> list[Assignment]:
    """Pieces (scheduled/substitute/override) that start in (lo, hi] and are not the
    continuation of the same user's previous piece of the same rotation."""
    if hi <= lo:
        return []
    pieces = roster.assignments(lo - MARGIN, hi + MARGIN, include_uncovered=False)
    ends = {(p.rotation, p.user, p.end) for p in pieces}
    return [p for p in pieces
            if lo < p.start <= hi and (p.rotation, p.user, p.start) not in ends]


def _stint_end(roster: Roster, a: Assignment) -> datetime:
    end = a.end
    for _ in range(64):
        nxt = [p for p in roster.assignments(end, end + MARGIN, rotation=a.rotation,
                                             user=a.user, include_uncovered=False)
               if p.start == end]
        if not nxt:
            break
        end = max(p.end for p in nxt)
    return end


def _outgoing(roster: Roster, a: Assignment) -> tuple[str, ...]:
    around = roster.assignments(a.start - MARGIN, a.start + MARGIN, include_uncovered=False)
    continuing = {(p.rotation, p.user) for p in around if p.start == a.start}
    ended = [p for p in around if p.end == a.start and p.user != a.user
             and (p.rotation, p.user) not in continuing]
    same = [p.user for p in ended if p.rotation == a.rotation]
    if not same:
        # Follow the sun: another rotation's leg ended here. Of those in the same tier,
        # name the ones who share the most languages with the incoming person (the queue
        # they hand over), not every desk that happens to change at this instant.
        incoming = roster.specialist(a.user)
        mine = set(incoming.languages) if incoming is not None else set()

        def shared(user: str | None) -> int:
            spec = roster.specialist(user or "")
            return len(mine & set(spec.languages)) if spec is not None else 0

        tier = [p.user for p in ended if p.tier == a.tier]
        best = max((shared(u) for u in tier), default=0)
        same = [u for u in tier if shared(u) == best]
    return tuple(dict.fromkeys(u for u in same if u))


def _local(instant: datetime, tz: str) -> str:
    loc = timezones.to_local(instant, tz)
    return f"{loc:%a} {loc.day} {loc:%b %H:%M} {loc.tzname()}"


@dataclass(frozen=True)
class _OpenRequest:
    id: int
    language: str
    status: str
    assignee: str | None
    pending: tuple[str, ...]  # users with a pending page
    paged: frozenset[str]  # everyone ever paged for it

    def line(self) -> str:
        if self.status == "acknowledged":
            return f"T-{self.id} ({self.language}, acknowledged by {refs.person(self.assignee)})"
        paged = f"paged {refs.people(self.pending)}" if self.pending else "nobody paged now"
        return f"T-{self.id} ({self.language}, {self.status}, {paged})"


class HandoffService:
    def __init__(self, session_factory: SessionFactory, rosters: RosterCache, clock: Clock,
                 reminder_before: timedelta | None = timedelta(minutes=30)):
        """`reminder_before=None` turns reminders off."""
        self._sf = session_factory
        self.rosters = rosters
        self.clock = clock
        self.reminder_before = reminder_before
        # team -> (roster it was computed from, first instant anything can be due)
        self._idle: dict[str, tuple[Roster, datetime]] = {}

    # -- the pass ----------------------------------------------------------------------


    def next_pass(self) -> datetime | None:
        """When a pass next has something to do for the teams as last loaded (None:
        nothing known; an edit of a team is found by its revision)."""
        return min((until for _, until in self._idle.values()), default=None)

    def run(self) -> HandoffRun:
        """One pass over every team; see the module docstring. Never raises for one
        team's failure (logged; the next pass retries, the cursor did not move)."""
        result = HandoffRun()
        for team in self._team_names():
            try:
                self._run_team(team, result)
            except NotFound:
                self._idle.pop(team, None)  # deleted meanwhile
            except Exception:  # noqa: BLE001 - one team must not stop the others
                log.exception("handoff pass for team %s failed", team)
        return result

    def _team_names(self) -> list[str]:
        with self._sf() as session:
            # A read: no write lock even from an IMMEDIATE session factory.
            session.connection(execution_options={SQLITE_BEGIN: "DEFERRED"})
            return team_store.list_team_names(session)

    def _run_team(self, team: str, result: HandoffRun) -> None:
        # The roster is loaded before the write transaction: RosterCache reads through
        # its own session, which must not queue behind our SQLite write lock.
        roster = self.rosters.get(team)
        idle = self._idle.get(team)
        if idle is not None and idle[0] is roster and self.clock.now() < idle[1]:
            return
        mine = HandoffRun()  # merged into `result` once committed
        with self._sf() as session, session.begin():
            # SQLite: take the write lock at BEGIN, so two workers take turns; PostgreSQL:
            # the cursor rows are locked FOR UPDATE in _pass.
            session.connection(execution_options={SQLITE_BEGIN: "IMMEDIATE"})
            now = self.clock.now()
            self._pass(session, roster, now, mine)
        result.notices += mine.notices
        result.sent += mine.sent
        result.not_sent += mine.not_sent
        result.repage += mine.repage
        self._idle[team] = (roster, self._next_due(roster, now))

    def _next_due(self, roster: Roster, now: datetime) -> datetime:
        horizon = now + IDLE_RECHECK
        due = [a.start for a in shift_starts(roster, now, horizon)]
        if self.reminder_before is not None:
            rb = self.reminder_before
            due += [a.start - rb for a in shift_starts(roster, now + rb, horizon + rb)]
        return min([horizon, *due])

    def _pass(self, session: Session, roster: Roster, now: datetime,
              result: HandoffRun) -> None:
        team = roster.team.name
        # Fixed order (handoff, reminder): two workers lock the rows the same way round.
        h_cursor = notices.lock_cursor(session, team, HANDOFF, now)
        r_cursor = (notices.lock_cursor(session, team, REMINDER, now)
                    if self.reminder_before is not None else None)
        handoffs = self._window(team, HANDOFF, h_cursor, now, roster, timedelta(0))
        reminders = (self._window(team, REMINDER, r_cursor, now, roster, self.reminder_before)
                     if r_cursor is not None else [])
        if handoffs or reminders:
            requests = self._open_requests(session, team) if handoffs else []
            self._handoffs(session, roster, handoffs, requests, now, result)
            self._reminders(session, roster, reminders, now, result)
        notices.advance_cursor(h_cursor, now)
        if r_cursor is not None:
            notices.advance_cursor(r_cursor, now)

    def _window(self, team: str, kind: str, cursor: NoticeCursorRow, now: datetime,
                roster: Roster, ahead: timedelta) -> list[_Start]:
        lo = cursor.through_utc
        if now <= lo:
            return []
        if now - lo > MAX_CATCH_UP:
            log.warning("team %s: %s notices between %s and %s are not replayed (more than "
                        "%s ago)", team, kind, lo.isoformat(), (now - MAX_CATCH_UP).isoformat(),
                        MAX_CATCH_UP)
            lo = now - MAX_CATCH_UP
        found = shift_starts(roster, lo + ahead, now + ahead)
        return [_Start(a, _stint_end(roster, a), _outgoing(roster, a)) for a in found]

    # -- notices -------------------------------------------------------------------------

    def _claim(self, session: Session, team: str, a: Assignment, kind: str, now: datetime,
               sent: bool) -> bool:
        """Record the notice; False when it exists already (someone else sent it)."""
        return notices.claim_notice(session, team, a.user, a.rotation, kind, a.start, now,
                                    sent)

    def _handoffs(self, session: Session, roster: Roster, starts: list[_Start],
                  requests: list[_OpenRequest], now: datetime, result: HandoffRun) -> None:
        team = roster.team
        on_call_now = {a.user for a in roster.on_call(now)}
        fresh_by_instant: dict[datetime, list[_Start]] = {}
        candidates: dict[int, list[tuple[tuple, str]]] = {}
        for s in starts:
            a = s.piece
            late = now - a.start
            reason = None
            if now >= s.until:
                reason = "the shift was already over"
            elif late > STALE:
                reason = f"{_late(late)} late"
            if not self._claim(session, team.name, a, HANDOFF, now, sent=reason is None):
                continue
            result.notices += 1
            spec = roster.specialist(a.user)
            if reason is not None:
                result.not_sent += 1
                self._not_sent(session, team.name, a, HANDOFF, reason, now)
            else:
                result.sent += 1
                self._direct(session, a.user, self._handoff_text(roster, s, requests), now)
                self._audit(session, team.name, "handoff_sent", now,
                            f"handoff DM to {refs.person(a.user)} for {a.rotation} ({a.tier}), "
                            f"taking over from {refs.people(s.outgoing)}",
                            {"user": a.user, "rotation": a.rotation,
                             "shift_start": a.start.isoformat(), "outgoing": list(s.outgoing)})
                fresh_by_instant.setdefault(a.start, []).append(s)
            # Re-page candidates: the incoming reader is on call now, the request's
            # pending pages all went to people who no longer are.
            if spec is None or not a.contains(now):
                continue
            for r in requests:
                if (r.status != "open" or not r.pending or not spec.reads(r.language)
                        or a.user in r.paged or any(u in on_call_now for u in r.pending)):
                    continue
                key = (TIER_RANK.get(a.tier, 9), spec.rank(r.language), a.user)
                candidates.setdefault(r.id, []).append((key, a.user))
        for instant, group in sorted(fresh_by_instant.items(), key=lambda kv: kv[0]):
            # The team channel is the team's intake channel: the schedule has no separate
            # handoff channel, and that is where the desk already works.
            self._direct(session, team.intake_channel,
                         self._channel_note(roster, instant, group, requests), now)
        for rid in sorted(candidates):
            user = min(candidates[rid])[1]
            result.repage.append(Repage(rid, user))
            self._audit(session, team.name, "repage_due", now,
                        f"T-{rid}: its pending pages went to people now off shift; "
                        f"{refs.person(user)} (incoming) should be paged",
                        {"request": rid, "user": user})

    def _reminders(self, session: Session, roster: Roster, starts: list[_Start],
                   now: datetime, result: HandoffRun) -> None:
        team = roster.team.name
        for s in starts:
            a = s.piece
            due = a.start - self.reminder_before
            reason = None
            if now >= a.start:
                reason = "the shift had already started (the handoff DM covers it)"
            elif now - due > STALE:
                reason = f"{_late(now - due)} late"
            if not self._claim(session, team, a, REMINDER, now, sent=reason is None):
                continue
            result.notices += 1
            if reason is not None:
                result.not_sent += 1
                self._not_sent(session, team, a, REMINDER, reason, now)
                continue
            result.sent += 1
            self._direct(session, a.user, self._reminder_text(roster, s, now), now)
            self._audit(session, team, "reminder_sent", now,
                        f"reminder DM to {refs.person(a.user)}: {a.rotation} ({a.tier}) starts "
                        f"{refs.moment(a.start)}",
                        {"user": a.user, "rotation": a.rotation,
                         "shift_start": a.start.isoformat()})

    def _not_sent(self, session: Session, team: str, a: Assignment, kind: str, reason: str,
                  now: datetime) -> None:
        text = (f"{kind} notice for {refs.person(a.user)} ({a.rotation}, shift starting "
                f"{a.start.isoformat()}) recorded but not sent: {reason}")
        log.warning("team %s: %s", team, text)
        self._audit(session, team, "notice_not_sent", now, text,
                    {"kind": kind, "user": a.user, "rotation": a.rotation,
                     "shift_start": a.start.isoformat(), "reason": reason})

    # -- texts -------------------------------------------------------------------------

    def _handoff_text(self, roster: Roster, s: _Start, requests: list[_OpenRequest]) -> str:
        a = s.piece
        spec = roster.specialist(a.user)
        tz = spec.timezone if spec is not None else "UTC"
        langs = ", ".join(spec.languages) if spec is not None else "unknown"
        mine = [r for r in requests if spec is not None and spec.reads(r.language)]
        shown = "; ".join(r.line() for r in mine[:INHERITED_SHOWN])
        if len(mine) > INHERITED_SHOWN:
            shown += f"; and {len(mine) - INHERITED_SHOWN} more"
        kind = {"override": " (override)", "substitute": " (covering)"}.get(a.kind, "")
        text = (f"You are on call for {a.rotation} ({a.tier}){kind} from "
                f"{_local(a.start, tz)} until {_local(s.until, tz)} ({tz}); "
                f"languages: {langs}; ")
        if s.outgoing:
            text += f"taking over from {refs.people(s.outgoing)}; "
        text += (f"open requests you inherit: {shown}." if mine
                 else "open requests you inherit: none.")
        return text

    def _reminder_text(self, roster: Roster, s: _Start, now: datetime) -> str:
        a = s.piece
        spec = roster.specialist(a.user)
        tz = spec.timezone if spec is not None else "UTC"
        langs = ", ".join(spec.languages) if spec is not None else "unknown"
        minutes = max(1, round((a.start - now).total_seconds() / 60))
        return (f"Reminder: your on-call shift for {a.rotation} ({a.tier}) starts in "
                f"{minutes} min, at {_local(a.start, tz)}, until {_local(s.until, tz)} "
                f"({tz}); languages: {langs}.")

    def _channel_note(self, roster: Roster, instant: datetime, group: list[_Start],
                      requests: list[_OpenRequest]) -> str:
        lines = [f"Handoff at {refs.moment(instant)}:"]
        for s in sorted(group, key=lambda g: (TIER_RANK.get(g.piece.tier, 9), g.piece.rotation)):
            a = s.piece
            spec = roster.specialist(a.user)
            langs = f", reads {'/'.join(spec.languages)}" if spec is not None else ""
            lines.append(f"- {a.rotation} ({a.tier}): {refs.people(s.outgoing)} -> "
                         f"{refs.person(a.user)}{langs}, until {refs.moment(s.until)}")
        waiting = [r for r in requests if r.status == "open"]
        if waiting:
            lines.append("Open requests: " + ", ".join(f"T-{r.id} ({r.language})"
                                                       for r in waiting[:INHERITED_SHOWN])
                         + (f" and {len(waiting) - INHERITED_SHOWN} more"
                            if len(waiting) > INHERITED_SHOWN else ""))
        return "\n".join(lines)

    # -- records -----------------------------------------------------------------------

    def _open_requests(self, session: Session, team: str) -> list[_OpenRequest]:
        out = []
        row: RequestRow
        for row in q.open_requests(session, team=team):
            pages = q.pages_of(session, row.id)
            out.append(_OpenRequest(
                row.id, row.language, row.status, row.assignee,
                tuple(dict.fromkeys(p.user for p in pages if p.state == "pending")),
                frozenset(p.user for p in pages)))
        return out

    def _direct(self, session: Session, target: str, text: str, now: datetime) -> None:
        queue_direct(session, target, text, DIRECT_PRIORITY, now)

    def _audit(self, session: Session, team: str, action: str, now: datetime, text: str,
               detail: dict) -> None:
        # Team-level rows (request_id NULL): a request's timeline belongs to the escalation service.
        team_audit.add_entry(session, team, "bot", action, {**detail, "text": text}, now)


def _late(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes < 120:
        return f"{minutes} min"
    return f"{minutes / 60:.1f} h"
