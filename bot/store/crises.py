"""Crisis mode's reads and writes (tables in `crisis_tables`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, insert, literal_column, null, select, union_all, update
from sqlalchemy.orm import Session

from bot.store.crisis_tables import CrisisRequestRow, CrisisRow
from bot.store.paging_tables import RequestRow

__all__ = ["ACTIVE", "ENDED", "ActiveCrisis", "active_crises", "add_crisis", "cards_stale_for",
           "filing_reads", "link_requests"]

ACTIVE, ENDED = "active", "ended"


@dataclass(frozen=True)
class ActiveCrisis:
    id: int
    name: str
    channel: str | None
    languages: tuple[str, ...]
    severity: str
    match_words: tuple[str, ...]


_CRISES, _REQUESTS = CrisisRow.__table__, RequestRow.__table__
_ACTIVE = (select(literal_column("'c'").label("kind"), _CRISES.c.id.label("id"),
                  _CRISES.c.name, _CRISES.c.channel, _CRISES.c.languages, _CRISES.c.severity,
                  _CRISES.c.match_words)
           .where(_CRISES.c.team == bindparam("team"), _CRISES.c.status == ACTIVE))
# A new request's first read, in one statement: whether its idempotency key was filed
# already, and the team's active crises it may join. The crises come first, so that
# their columns give the union its types (JSON read back as lists).
_FILING_READS = union_all(
    _ACTIVE,
    select(literal_column("'r'"), _REQUESTS.c.id, null(), null(), null(), null(), null())
    .where(_REQUESTS.c.key == bindparam("key")),
).order_by(literal_column("kind"), literal_column("id"))


def _crisis(r) -> ActiveCrisis:
    return ActiveCrisis(r.id, r.name, r.channel, tuple(r.languages or ()), r.severity,
                        tuple(r.match_words or ()))


def active_crises(session: Session, team: str) -> list[ActiveCrisis]:
    """The team's active crises, in one small statement (routing a received request
    reads it; a request filed at once has them from `filing_reads`)."""
    rows = session.connection().execute(_ACTIVE.order_by(_CRISES.c.id), {"team": team})
    return [_crisis(r) for r in rows]


def filing_reads(session: Session, key: str, team: str
                 ) -> tuple[int | None, list[ActiveCrisis]]:
    """(the id of the request already filed with `key`, or None; `team`'s active
    crises), in one statement: every new request asks both, and the answers are
    almost always "none" and "none"."""
    found, crises = None, []
    for r in session.connection().execute(_FILING_READS, {"key": key, "team": team}):
        if r.kind == "r":
            found = r.id
        else:
            crises.append(_crisis(r))
    return found, crises


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
