"""Schedules as code and schedule questions: import/export, who, shifts, coverage."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from bot.core import timezones
from bot.core.diff import diff_teams
from bot.core.model import Team
from bot.core.roster import Assignment, HolidayDates, Roster
from bot.services.errors import NotFound, ServiceError
from bot.store import teams as team_store
from bot.store.revision_reads import RevisionReads

SessionFactory = Callable[[], Session]


@dataclass(frozen=True)
class ImportResult:
    team: str
    changes: list[str]
    applied: bool


def import_teams(session_factory: SessionFactory, teams: list[Team],
                 dry_run: bool = False) -> list[ImportResult]:
    """Make the database hold exactly these teams' schedules: all or nothing."""
    results = []
    with session_factory() as session, session.begin():
        for team in teams:
            old = team_store.load_team(session, team.name)
            changes = diff_teams(old, team)
            if changes and not dry_run:
                team_store.save_team(session, team)
            results.append(ImportResult(team.name, changes, bool(changes) and not dry_run))
        if dry_run:
            session.rollback()
    return results


def team_names(session_factory: SessionFactory) -> list[str]:
    with session_factory() as session:
        return team_store.list_team_names(session)


def load_team(session_factory: SessionFactory, name: str) -> Team:
    with session_factory() as session:
        team = team_store.load_team(session, name)
    if team is None:
        raise NotFound(f"no team named '{name}' in the database")
    return team


def pick_team_name(session_factory: SessionFactory, name: str | None) -> str:
    names = team_names(session_factory)
    if name is not None:
        if name not in names:
            raise NotFound(f"no team named '{name}'; known teams: {', '.join(names) or 'none'}")
        return name
    if not names:
        raise NotFound("the database holds no team yet; run `oncall-bot schedules import`")
    if len(names) > 1:
        raise ServiceError(f"several teams are stored ({', '.join(names)}); pick one with --team")
    return names[0]


class RosterCache:
    """One Roster per team revision: lookups stay fast and edits show up at once."""

    def __init__(self, session_factory: SessionFactory, holiday_dates: HolidayDates | None):
        self._sf = session_factory
        self._revisions = RevisionReads(session_factory)
        self.holiday_dates = holiday_dates
        self._cache: dict[str, tuple[int, Roster]] = {}
        self._lock = threading.Lock()

    @property
    def revision_reads(self) -> RevisionReads:
        return self._revisions

    def close(self) -> None:
        """Release the connection the revisions are read on (`RevisionReads`)."""
        self._revisions.close()

    def team_names(self) -> list[str]:
        """The stored teams, read through this cache's (read-only) sessions."""
        return team_names(self._sf)

    def get(self, team_name: str) -> Roster:
        with self._sf() as session:
            revision = team_store.team_revision(session, team_name)
            if revision is None:
                raise NotFound(f"no team named '{team_name}'")
            return self._current(session, team_name, revision)

    def all(self) -> list[Roster]:
        """Every stored team's roster, by name, current: one query when none changed
        (what a request reads to choose its team)."""
        revisions = self._revisions()
        if all(self._cache.get(name, (None,))[0] == rev for name, rev in revisions):
            return [self._cache[name][1] for name, _ in revisions]
        with self._sf() as session:  # a team changed, or is new here: load it
            return [self._current(session, name, revision) for name, revision in revisions]

    def cached(self) -> list[Roster]:
        """The rosters this process has loaded, by team name, without touching the
        database (for answering while it cannot be reached)."""
        with self._lock:
            return [self._cache[name][1] for name in sorted(self._cache)]

    def at_revision(self, team_name: str, revision: int | None) -> Roster:
        """The team's roster at `revision`, which the caller has just read (None: no such
        team): the cached one when it is at that revision, else loaded."""
        if revision is None:
            raise NotFound(f"no team named '{team_name}'")
        hit = self._cache.get(team_name)
        if hit is not None and hit[0] == revision:
            return hit[1]
        with self._sf() as session:
            return self._current(session, team_name, revision)

    def loaded(self, team_name: str) -> Roster | None:
        """The team's roster as this process last loaded it (None: not loaded yet),
        without touching the database: for the sending threads, which render with what
        filing read a moment ago."""
        with self._lock:
            hit = self._cache.get(team_name)
        return hit[1] if hit is not None else None

    def _current(self, session: Session, team_name: str, revision: int) -> Roster:
        """The cached roster when it is at `revision`, else loaded through `session`."""
        hit = self._cache.get(team_name)
        if hit is not None and hit[0] == revision:
            return hit[1]
        team = team_store.load_team(session, team_name)
        if team is None:  # deleted since the revision was read
            raise NotFound(f"no team named '{team_name}'")
        roster = Roster(team, self.holiday_dates)
        with self._lock:
            self._cache[team_name] = (revision, roster)
        return roster


# -- questions about a roster (pure; the CLI and Slack format the answers) ----------------


@dataclass(frozen=True)
class WhoAnswer:
    at: datetime
    language: str | None
    on_call: list[Assignment]  # ordered best first when a language is asked for
    backups: list[str]  # off-shift opted-in readers, when nobody on call reads it


def who(roster: Roster, at: datetime, language: str | None = None) -> WhoAnswer:
    at = timezones.utc(at)
    if language is None:
        return WhoAnswer(at, None, roster.on_call(at), [])
    on = roster.on_call_for(language, at)
    backups: list[str] = []
    if not on:
        on_ids = {a.user for a in roster.on_call(at)}
        backups = [s.id for s in roster.team.specialists
                   if language in s.backup and s.id not in on_ids and not roster.is_away(s.id, at)]
    return WhoAnswer(at, language, on, backups)


def shifts(roster: Roster, start: datetime, days: int, rotation: str | None = None,
           user: str | None = None) -> list[Assignment]:
    if rotation is not None and roster.team.rotation(rotation) is None:
        names = ", ".join(r.name for r in roster.team.rotations)
        raise NotFound(f"no rotation named '{rotation}'; rotations: {names}")
    if user is not None and roster.specialist(user) is None:
        known = [f"{s.id} ({s.name})" for s in roster.team.specialists]
        listed = ", ".join(known[:20]) + (f" and {len(known) - 20} more" if len(known) > 20
                                           else "")
        raise NotFound(f"no specialist with Slack ID '{user}' in team {roster.team.name}; "
                       f"specialists: {listed or 'none'}")
    end = start + timedelta(days=days)
    return roster.assignments(start, end, rotation=rotation, user=user)


@dataclass(frozen=True)
class Coverage:
    start: datetime
    end: datetime
    gaps: dict[str, list[tuple[datetime, datetime]]]
    dst_changes: dict[str, list[datetime]]  # zone -> instants its offset changes


def coverage(roster: Roster, start: datetime, days: int) -> Coverage:
    end = start + timedelta(days=days)
    zones = sorted({r.timezone for r in roster.team.rotations})
    return Coverage(start, end, roster.coverage_gaps(start, end),
                    {z: timezones.dst_changes(start, end, z) for z in zones})
