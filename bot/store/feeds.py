"""Calendar feed tokens (`calendar_feeds`): issue, find live ones, revoke."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.store.shift_tables import CalendarFeedRow


def live_feeds_of(session: Session, scope: str, subject: str | None,
                  team: str | None = None) -> list[CalendarFeedRow]:
    """The live feeds of (scope, subject), of `team` or of any team, locked FOR UPDATE."""
    stmt = select(CalendarFeedRow).where(
        CalendarFeedRow.scope == scope, CalendarFeedRow.revoked_utc.is_(None),
        CalendarFeedRow.subject.is_(None) if subject is None
        else CalendarFeedRow.subject == subject)
    if team is not None:
        stmt = stmt.where(CalendarFeedRow.team == team)
    return list(session.scalars(stmt.with_for_update()))


def live_feed(session: Session, token: str, *, lock: bool = False) -> CalendarFeedRow | None:
    """The live feed with this token, or None (unknown or revoked)."""
    stmt = select(CalendarFeedRow).where(CalendarFeedRow.token == token,
                                         CalendarFeedRow.revoked_utc.is_(None))
    if lock:
        stmt = stmt.with_for_update()
    return session.scalars(stmt).one_or_none()


def add_feed(session: Session, token: str, team: str, scope: str, subject: str | None,
             actor: str, now: datetime) -> CalendarFeedRow:
    """A new live feed, flushed (its id is known)."""
    row = CalendarFeedRow(token=token, team=team, scope=scope, subject=subject,
                          created_by=actor, created_utc=now)
    session.add(row)
    session.flush()
    return row


def revoke(row: CalendarFeedRow, now: datetime) -> None:
    row.revoked_utc = now
