"""Calendar feeds (PRODUCT.md flow 7): secret, revocable iCalendar URLs.

A feed is a row of `calendar_feeds`: a random token naming a team, a rotation or a
person. `GET /calendar/<token>.ics` renders that subject's on-call pieces from 14 days
ago to 90 days ahead at the moment of the request, through the RosterCache (which
reloads when the team's revision changes), so overrides, swaps and time off show up
on the calendar's next refresh. Unknown and revoked tokens get None, which the web
layer turns into a bare 404 that reveals nothing.

Issuing a feed for a subject revokes the feed issued for it before: one live URL per
(team, scope, subject). Who may issue or revoke is the caller's decision (the Slack
listener); this service records who did, in the audit trail, never the whole token.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from bot.clock import Clock
from bot.core import refs, timezones
from bot.core.roster import Roster
from bot.services.errors import NotFound, ServiceError
from bot.services.schedules import RosterCache
from bot.store import feeds as feed_store
from bot.store import team_audit
from bot.store.db import SQLITE_BEGIN
from bot.store.shift_tables import FEED_SCOPES, CalendarFeedRow

SessionFactory = Callable[[], Session]
PAST = timedelta(days=14)
FUTURE = timedelta(days=90)
SUFFIX = ".ics"
PATH = "/calendar/"
# secrets.token_urlsafe(24) gives 32 characters of [A-Za-z0-9_-].
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


@dataclass(frozen=True)
class Feed:
    """One feed's content at `stamp`: the on-call pieces and the calendar's title."""
    roster: Roster
    pieces: list
    title: str
    stamp: datetime


class FeedService:
    def __init__(self, session_factory: SessionFactory, rosters: RosterCache, clock: Clock,
                 public_url: str | None):
        """`public_url` is ONCALL_PUBLIC_URL (the bot's public base URL)."""
        self._sf = session_factory
        self.rosters = rosters
        self.clock = clock
        self.public_url = (public_url or "").rstrip("/") or None

    # -- issue and revoke ----------------------------------------------------------------

    def url(self, token: str) -> str:
        if self.public_url is None:
            raise ServiceError("calendar feeds need the bot's public address: set "
                               "ONCALL_PUBLIC_URL (e.g. https://oncall.example.org) and "
                               "restart")
        return f"{self.public_url}{PATH}{token}{SUFFIX}"

    def issue(self, team: str, scope: str, subject: str | None, actor: str) -> str:
        """A new feed URL for `subject` (a rotation name, a user id, or None for the whole
        team); the subject's previous feed stops working."""
        scope, subject = self._check(team, scope, subject)
        token = secrets.token_urlsafe(24)
        url = self.url(token)  # refuses before anything is written
        now = self.clock.now()
        with self._sf() as session, session.begin():
            _lock_up_front(session)
            for old in feed_store.live_feeds_of(session, scope, subject, team):
                feed_store.revoke(old, now)
                self._audit(session, old, actor, "feed_revoked", now, "replaced by a new feed")
            row = feed_store.add_feed(session, token, team, scope, subject, actor, now)
            self._audit(session, row, actor, "feed_issued", now, "issued")
        return url

    def revoke(self, target: str | tuple[str, str | None], actor: str,
               team: str | None = None) -> int:
        """Revoke a feed by its token (or its URL), or every live feed of a
        (scope, subject) (of `team`, or of any team when `team` is None). Returns how
        many feeds stopped working (0: nothing live matched)."""
        now = self.clock.now()
        with self._sf() as session, session.begin():
            _lock_up_front(session)
            if isinstance(target, tuple):
                rows = feed_store.live_feeds_of(session, *target, team)
            else:
                token = _token_of(target)
                found = None if token is None else feed_store.live_feed(session, token,
                                                                        lock=True)
                rows = [found] if found is not None else []
            for row in rows:
                feed_store.revoke(row, now)
                self._audit(session, row, actor, "feed_revoked", now, "revoked")
            return len(rows)

    def _check(self, team: str, scope: str, subject: str | None) -> tuple[str, str | None]:
        if scope not in FEED_SCOPES:
            raise ServiceError(f"'{scope}' is not a feed scope; use one of "
                               f"{', '.join(FEED_SCOPES)}")
        roster = self.rosters.get(team)  # NotFound for an unknown team
        if scope == "team":
            return scope, None
        if not subject:
            raise ServiceError(f"a {scope} feed needs a {scope}: e.g. "
                               f"{refs.command('oncall export emea')} or "
                               f"{refs.command('oncall export @user')}")
        if scope == "rotation" and roster.team.rotation(subject) is None:
            names = ", ".join(r.name for r in roster.team.rotations) or "none"
            raise NotFound(f"no rotation named '{subject}'; rotations: {names}")
        if scope == "user" and roster.specialist(subject) is None:
            raise NotFound(f"{refs.person(subject)} is not a specialist of team {team}")
        return scope, subject

    # -- serving -------------------------------------------------------------------------

    def render(self, name: str) -> Feed | None:
        """`<token>.ics` -> what the calendar holds, or None (unknown, revoked, or its
        subject no longer exists): the web layer answers 404 then, saying nothing more.
        Formatting it as iCalendar is the web layer's part (bot/schedules/ics.py)."""
        token = _token_of(name)
        if token is None:
            return None
        with self._sf() as session:
            session.connection(execution_options={SQLITE_BEGIN: "DEFERRED"})  # a read
            row = feed_store.live_feed(session, token)
            if row is None:
                return None
            team, scope, subject = row.team, row.scope, row.subject
        try:
            roster = self.rosters.get(team)
        except NotFound:
            return None
        now = self.clock.now()
        found = self._pieces(roster, scope, subject, now)
        if found is None:
            return None
        pieces, title = found
        return Feed(roster, pieces, title, now)

    def _pieces(self, roster: Roster, scope: str, subject: str | None, now: datetime):
        # Whole UTC days, so every fetch during a day lists the same events.
        day = timezones.utc(now).replace(hour=0, minute=0, second=0, microsecond=0)
        start, end = day - PAST, day + timedelta(days=1) + FUTURE
        team = roster.team
        if scope == "team":
            return roster.assignments(start, end), f"On call: {team.name}"
        if scope == "rotation":
            if subject is None or team.rotation(subject) is None:
                return None
            return (roster.assignments(start, end, rotation=subject),
                    f"On call: {subject} ({team.name})")
        if scope == "user":
            spec = roster.specialist(subject or "")
            if spec is None:
                return None
            return (roster.assignments(start, end, user=spec.id, include_uncovered=False),
                    f"On call: {spec.name} ({team.name})")
        return None

    # -- helpers -------------------------------------------------------------------------

    def _audit(self, session: Session, row: CalendarFeedRow, actor: str, action: str,
               now: datetime, what: str) -> None:
        label = row.scope if row.subject is None else f"{row.scope} {row.subject}"
        hint = row.token[:4] + "..."  # enough to tell feeds apart; not the secret
        team_audit.add_entry(session, row.team, actor, action,
                             {"scope": row.scope, "subject": row.subject, "token": hint,
                              "feed": row.id,
                              "text": f"calendar feed ({label}, {hint}) {what} by "
                                      f"{refs.person(actor)}"}, now)


def _lock_up_front(session: Session) -> None:
    """SQLite: this read-then-write transaction takes the write lock at BEGIN (whatever
    the session factory); PostgreSQL uses FOR UPDATE on the rows instead."""
    session.connection(execution_options={SQLITE_BEGIN: "IMMEDIATE"})


def _token_of(value: str) -> str | None:
    """The token in `<token>.ics`, `<token>`, or a whole feed URL; None if malformed."""
    value = (value or "").strip().split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    if value.endswith(SUFFIX):
        value = value[: -len(SUFFIX)]
    return value if TOKEN_RE.match(value) else None
