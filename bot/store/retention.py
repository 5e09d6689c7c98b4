"""Requests whose text the team's retention lets go (see bot/services/retention.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.store.paging_tables import OutboxRow, RequestRow


def due_for_purge(session: Session, team: str, cutoff: datetime, limit: int,
                  lock: bool) -> list[RequestRow]:
    """The team's requests filed before `cutoff` whose text is still held, oldest first;
    locked for the caller's transaction when `lock` (another process purging at the
    same time skips them on PostgreSQL)."""
    stmt = (select(RequestRow)
            .where(RequestRow.team == team, RequestRow.created_utc < cutoff,
                   RequestRow.purged_utc.is_(None))
            .order_by(RequestRow.id).limit(limit))
    if lock:
        stmt = stmt.with_for_update(
            skip_locked=session.get_bind().dialect.name == "postgresql")
    return list(session.scalars(stmt))


def request_teams(session: Session) -> list[str]:
    """Every team name requests were filed under (teams since deleted included)."""
    return list(session.scalars(select(RequestRow.team).distinct().order_by(RequestRow.team)))


def outbox_rows_of(session: Session, request_id: int) -> list[OutboxRow]:
    return list(session.scalars(select(OutboxRow).where(OutboxRow.request_id == request_id)
                                .order_by(OutboxRow.id)))
