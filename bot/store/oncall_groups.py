"""Rows of `oncall_group_state` (see bot/store/shift_tables.py): read, locked, claimed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.store.shift_tables import OncallGroupRow


def team_rows(session: Session, team: str) -> dict[str, OncallGroupRow]:
    """A team's group rows by group id, locked for the caller's transaction."""
    rows = session.scalars(select(OncallGroupRow).where(OncallGroupRow.team == team)
                           .with_for_update().execution_options(populate_existing=True))
    return {r.group_id: r for r in rows}


def locked_row(session: Session, team: str, group_id: str) -> OncallGroupRow | None:
    return session.get(OncallGroupRow, (team, group_id), with_for_update=True,
                       populate_existing=True)


def claim_due(session: Session, now: datetime, hold_until: datetime,
              limit: int = 50) -> list[OncallGroupRow]:
    """Rows with members to apply whose time has come, claimed until `hold_until` (two
    senders never send the same row at once; a sender that died lets go when it runs
    out). Rows another transaction holds are skipped (PostgreSQL)."""
    rows = list(session.scalars(
        select(OncallGroupRow)
        .where(OncallGroupRow.wanted.is_not(None), OncallGroupRow.next_try_utc <= now)
        .order_by(OncallGroupRow.next_try_utc).limit(limit)
        .with_for_update(skip_locked=True)))
    for row in rows:
        row.next_try_utc = hold_until
    return rows


def next_due(session: Session) -> datetime | None:
    """When the first row with members to apply may be sent."""
    return session.scalar(select(OncallGroupRow.next_try_utc)
                          .where(OncallGroupRow.wanted.is_not(None))
                          .order_by(OncallGroupRow.next_try_utc).limit(1))
