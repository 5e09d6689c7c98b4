"""Trend digests (PRODUCT.md "Crisis mode, sweeps, trends, reports"; the arithmetic and
the test are bot.core.trends').

`trends_digest(...)` answers `/oncall trends [hours]` (managers only).
`TrendService.run()` is one pass of the background job: for each team with a
`trends_channel`, in ONE transaction, the team's `notice_cursors` row of kind "trends"
is locked FOR UPDATE (BEGIN IMMEDIATE on SQLite); when `trends_every` has passed since
it, the digest of the last `trends_every` (at most 24 hours) is written to the outbox
and the cursor moved to now, in that same transaction. So two workers send one digest
per period, and a restart loses none: the cursor did not move unless the row was
written. A team's first pass only sets the cursor (its first digest comes one period
later); after an outage, one digest goes when the bot is back, not one per missed period.

No text of a sensitive or purged request is ever read here: the store hands over the
text of only the others (bot.store.trends.shown_texts).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from bot.clock import Clock
from bot.core import languages, parsers, refs, trends
from bot.core.model import Team
from bot.core.roster import Roster
from bot.services.errors import NotFound, ServiceError
from bot.services.schedules import RosterCache
from bot.store import notices
from bot.store import trends as store
from bot.store.db import SQLITE_BEGIN
from bot.store.direct_messages import queue_direct

log = logging.getLogger(__name__)

SessionFactory = Callable[[], Session]
DIRECT_PRIORITY = 4  # with the other notices, after pages and cards
MAX_SPAN = timedelta(hours=24)  # the same hours of earlier days must not overlap
MAX_HOURS = 24
BUSIEST = 3  # groups named in a digest where nothing rises


@dataclass(frozen=True)
class TrendLine:
    category: str  # the category's label
    language: str  # the language's name
    region: str
    count: int
    expected: float
    rising: bool
    words: tuple[tuple[str, int], ...]

    def to_json(self) -> dict:
        return {"category": self.category, "language": self.language, "region": self.region,
                "count": self.count, "expected": round(self.expected, 2),
                "rising": self.rising, "words": [list(w) for w in self.words]}


@dataclass(frozen=True)
class Digest:
    team: str
    hours: int
    total: int  # requests in the window
    rising: tuple[TrendLine, ...]
    busiest: tuple[TrendLine, ...]  # the largest groups that are not rising

    def to_json(self) -> dict:
        return {"team": self.team, "hours": self.hours, "total": self.total,
                "rising": [t.to_json() for t in self.rising],
                "busiest": [t.to_json() for t in self.busiest]}

    def summary(self) -> str:
        """One line, for notifications and the message's plain text."""
        if self.rising:
            return (f"Trends for team {self.team}: {len(self.rising)} rising in the last "
                    f"{_hours(self.hours)}")
        return (f"Trends for team {self.team}: nothing unusual in the last "
                f"{_hours(self.hours)}")


def _hours(n: int) -> str:
    return "hour" if n == 1 else f"{n} hours"


def compute(session: Session, team: Team, now: datetime, span: timedelta) -> Digest:
    """The digest of `team` for (now - span, now], read in `session`."""
    lo = now - timedelta(days=trends.BASELINE_DAYS) - span
    rows = store.filed_between(session, team.name, lo, now)
    first = store.first_paged(session, [r[0] for r in rows if r[4] is None])
    zones = {s.id: s.timezone for s in team.specialists}

    def region(rid: int, assignee: str | None) -> str:
        who = assignee or first.get(rid)
        if who is None:
            return trends.UNASSIGNED
        return trends.region_of_zone(zones[who]) if who in zones else "other"

    filed = [(rid, trends.Filed(created, cat, lang, region(rid, assignee)))
             for rid, created, cat, lang, assignee in rows]
    found = trends.trends([f for _, f in filed], now, span)
    rising = [t for t in found if t.rising]
    window = now - span
    in_rising = [rid for rid, f in filed if f.created > window
                 and (f.category, f.language, f.region) in {t.group for t in rising}]
    texts = store.shown_texts(session, in_rising)
    by_group: dict[tuple[str, str, str], list[str]] = {}
    for rid, f in filed:
        if rid in texts:
            by_group.setdefault((f.category, f.language, f.region), []).append(texts[rid])

    def line(t: trends.Trend, words: tuple = ()) -> TrendLine:
        cat, lang, reg = t.group
        category = team.category(cat)
        return TrendLine(category.label if category else cat, languages.name(lang) or lang,
                         reg, t.count, t.expected, t.rising, words)

    busiest = sorted((t for t in found if not t.rising and t.count), key=lambda t: -t.count)
    return Digest(team.name, int(span.total_seconds() // 3600),
                  sum(1 for _, f in filed if f.created > window),
                  tuple(line(t, trends.words(by_group.get(t.group, ()))) for t in rising),
                  tuple(line(t) for t in busiest[:BUSIEST]))


def trends_digest(session_factory: SessionFactory, team: Team, now: datetime, hours: int,
                  is_manager: bool) -> Digest:
    """`/oncall trends [hours]`: for the team's managers only (ServiceError otherwise)."""
    if not is_manager:
        where = (f" The digest is posted in {refs.channel(team.trends_channel)} every "
                 f"{parsers.format_period(team.trends_every)}." if team.trends_channel
                 else " Ask one of them if you need it.")
        raise ServiceError("Only the team's managers can see trends." + where)
    if not 1 <= hours <= MAX_HOURS:
        raise ServiceError(f"Give the hours as a whole number from 1 to {MAX_HOURS}, e.g. "
                           f"{refs.command('/oncall trends 6')}.")
    with session_factory() as session:
        session.connection(execution_options={SQLITE_BEGIN: "DEFERRED"})
        return compute(session, team, now, timedelta(hours=hours))


class TrendService:
    def __init__(self, session_factory: SessionFactory, rosters: RosterCache, clock: Clock):
        self._sf = session_factory
        self.rosters = rosters
        self.clock = clock
        self._next: dict[str, tuple[Roster, datetime]] = {}  # team -> (roster, next due)


    def next_pass(self) -> datetime | None:
        """When a pass next has something to do for the teams as last loaded (None:
        nothing known; an edit of a team is found by its revision)."""
        return min((until for _, until in self._next.values()), default=None)

    def run(self) -> int:
        """One pass over every team; the number of digests queued."""
        sent = 0
        try:
            rosters = self.rosters.all()
        except Exception:  # noqa: BLE001 - the database away: the next pass tries again
            log.exception("trends pass could not read the teams")
            return 0
        for roster in rosters:
            try:
                sent += self._run_team(roster)
            except NotFound:
                self._next.pop(roster.team.name, None)
            except Exception:  # noqa: BLE001 - one team must not stop the others
                log.exception("trends pass for team %s failed", roster.team.name)
        return sent

    def _run_team(self, roster: Roster) -> int:
        team = roster.team
        if team.trends_channel is None:
            return 0
        known = self._next.get(team.name)
        if known is not None and known[0] is roster and self.clock.now() < known[1]:
            return 0
        sent = 0
        with self._sf() as session, session.begin():
            session.connection(execution_options={SQLITE_BEGIN: "IMMEDIATE"})
            now = self.clock.now()
            cursor = notices.lock_cursor(session, team.name, store.TRENDS_CURSOR, now)
            if now >= cursor.through_utc + team.trends_every:
                digest = compute(session, team, now, min(team.trends_every, MAX_SPAN))
                queue_direct(session, team.trends_channel, digest.summary(),
                             DIRECT_PRIORITY, now, extra={"trends": digest.to_json()})
                cursor.through_utc = now
                sent = 1
            due = cursor.through_utc + team.trends_every
        self._next[team.name] = (roster, due)
        return sent

