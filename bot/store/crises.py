"""Crisis mode's reads and writes (tables in `crisis_tables`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from bot.store.crisis_tables import CrisisRequestRow, CrisisRow

__all__ = ["ACTIVE", "ENDED", "ActiveCrisis", "active_crises", "add_crisis", "cards_stale_for",
           "link_requests"]

ACTIVE, ENDED = "active", "ended"


@dataclass(frozen=True)
class ActiveCrisis:
    id: int
    name: str
    channel: str | None
    languages: tuple[str, ...]
    severity: str
    match_words: tuple[str, ...]


def active_crises(session: Session, team: str) -> list[ActiveCrisis]:
    """The team's active crises, in one small statement (the request path reads it)."""
    rows = session.execute(
        select(CrisisRow.id, CrisisRow.name, CrisisRow.channel, CrisisRow.languages,
               CrisisRow.severity, CrisisRow.match_words)
        .where(CrisisRow.team == team, CrisisRow.status == ACTIVE)
        .order_by(CrisisRow.id)).all()
    return [ActiveCrisis(r.id, r.name, r.channel, tuple(r.languages or ()), r.severity,
                         tuple(r.match_words or ())) for r in rows]


def add_crisis(session: Session, *, team: str, name: str, languages: list[str],
               severity: str, match_words: list[str], by: str, now: datetime,
               remind_due: datetime) -> CrisisRow:
    row = CrisisRow(team=team, name=name, channel=None, languages=languages,
                    severity=severity, match_words=match_words, status=ACTIVE,
                    started_by=by, started_utc=now, last_update_utc=now,
                    remind_due_utc=remind_due)
    session.add(row)
    session.flush()
    return row


def link_requests(session: Session, crisis_ids: list[int], request_id: int,
                  now: datetime) -> None:
    """Link a request to crises (one statement), and mark their status cards stale."""
    session.connection().execute(insert(CrisisRequestRow.__table__), [
        {"crisis_id": c, "request_id": request_id, "linked_utc": now} for c in crisis_ids])
    session.connection().execute(
        update(CrisisRow).where(CrisisRow.id.in_(crisis_ids))
        .values(card_version=CrisisRow.card_version + 1))


def cards_stale_for(session: Session, request_id: int) -> None:
    """A request's card changed (acknowledged, resolved, moved on...): the status cards
    of the active crises it is part of are stale. One statement, whatever it finds."""
    session.connection().execute(
        update(CrisisRow)
        .where(CrisisRow.status == ACTIVE, CrisisRow.id.in_(
            select(CrisisRequestRow.crisis_id)
            .where(CrisisRequestRow.request_id == request_id).scalar_subquery()))
        .values(card_version=CrisisRow.card_version + 1))
