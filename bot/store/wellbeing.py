"""Rows of exposure, pauses and check-ins (see bot/store/wellbeing_tables.py)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bot.core.wellbeing import Care
from bot.store.wellbeing_tables import ExposureRow, PauseRow

ACKNOWLEDGED, VIEWED = "acknowledged", "viewed"


def record_exposure(session: Session, *, team: str, user: str, request_id: int, weight: int,
                    kind: str, at: datetime) -> bool:
    """Count a sensitive request toward `user`'s exposure, once per person and request
    (acknowledging it, or opening its details, whichever came first). True when this
    call counted it."""
    if weight <= 0:
        return False
    dialect = sqlite if session.get_bind().dialect.name == "sqlite" else postgresql
    stmt = (dialect.insert(ExposureRow.__table__)
            .values(team=team, user=user, request_id=request_id, weight=weight, kind=kind,
                    at_utc=at)
            .on_conflict_do_nothing(index_elements=["user", "request_id"])
            .returning(ExposureRow.__table__.c.id))
    # RETURNING, not rowcount: psycopg reports a row count for a conflict that
    # inserted nothing.
    return session.execute(stmt).first() is not None


def points_since(session: Session, team: str, since: datetime) -> dict[str, int]:
    """Each person's exposure points counted at or after `since`."""
    rows = session.execute(
        select(ExposureRow.user, func.sum(ExposureRow.weight))
        .where(ExposureRow.team == team, ExposureRow.at_utc >= since)
        .group_by(ExposureRow.user))
    return {user: int(total) for user, total in rows}


def paused_at(session: Session, team: str, now: datetime) -> frozenset[str]:
    """Who is on a break at `now`."""
    return frozenset(session.scalars(
        select(PauseRow.user).where(PauseRow.team == team, PauseRow.start_utc <= now,
                                    PauseRow.end_utc > now, PauseRow.ended_utc.is_(None))))


def load_care(session: Session, team: str, now: datetime, window: timedelta,
              limit: int | None) -> Care:
    """What routing needs at `now`: two small queries on indexed columns."""
    return Care(points=points_since(session, team, now - window), limit=limit,
                paused=paused_at(session, team, now))


def exposure_since(session: Session, team: str, since: datetime, users: list[str]
                   ) -> list[tuple[str, datetime, int]]:
    """(user, when, weight) of each count of `users` in `team` at or after `since`,
    oldest first (the exposure read-outs)."""
    return [tuple(r) for r in session.execute(
        select(ExposureRow.user, ExposureRow.at_utc, ExposureRow.weight)
        .where(ExposureRow.team == team, ExposureRow.at_utc >= since,
               ExposureRow.user.in_(users))
        .order_by(ExposureRow.at_utc, ExposureRow.id))]


def breaks_since(session: Session, team: str, since: datetime, users: list[str]
                 ) -> list[PauseRow]:
    """The breaks of `users` in `team` still running at or after `since`."""
    return list(session.scalars(
        select(PauseRow).where(PauseRow.team == team, PauseRow.end_utc > since,
                               PauseRow.user.in_(users))))
