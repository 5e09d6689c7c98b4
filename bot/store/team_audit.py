"""Team-level audit rows (request_id NULL): rotation edits, swap and cover requests,
calendar feeds, handoff notes. A request's own timeline is written by the paging store."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.store.paging_tables import AuditRow


def add_entry(session: Session, team: str, actor: str, action: str, detail: dict[str, Any],
              at: datetime) -> AuditRow:
    """Queue one row; its id is known after the session's next flush."""
    row = AuditRow(team=team, request_id=None, actor=actor, action=action, detail=detail,
                   at_utc=at)
    session.add(row)
    return row


def add_numbered_entry(session: Session, team: str, actor: str, action: str, at: datetime,
                       detail_for: Callable[[int], dict[str, Any]]) -> int:
    """A row whose detail names its own id (a swap request is known by it): written with
    `detail_for(0)`, flushed for the id, then given `detail_for(id)`. Returns the id."""
    row = add_entry(session, team, actor, action, detail_for(0), at)
    session.flush()
    row.detail = detail_for(row.id)
    return row.id


def entry(session: Session, entry_id: int) -> AuditRow | None:
    return session.get(AuditRow, entry_id)


def later_entries(session: Session, team: str, after_id: int,
                  actions: Iterable[str]) -> list[AuditRow]:
    """The team's rows written after `after_id` with one of these actions."""
    return list(session.scalars(select(AuditRow).where(
        AuditRow.team == team, AuditRow.id > after_id, AuditRow.action.in_(tuple(actions)))))
