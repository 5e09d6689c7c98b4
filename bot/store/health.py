"""Queries of the bot's own health: heartbeats, and the figures `/metrics` reads at
scrape time (requests by state and language, waiting pages, the outbox backlog).

Each figure is one aggregate statement over indexed columns or small sets (pending
pages, unsent outbox rows), so a scrape costs a handful of statements whatever the
traffic, and nothing on the request path reads or writes here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, case, delete, func, insert, select, type_coerce, update
from sqlalchemy.orm import Session

from bot.store.db import UTCDateTime
from bot.store.health_tables import ProcessHeartbeatRow
from bot.store.paging_tables import OutboxRow, PageRow, RequestRow

UNSENT = ("pending", "sending")


def beat(session: Session, process: str, role: str, host: str, pid: int,
         started: datetime, now: datetime) -> None:
    """Record that `process`'s reconciler completed a pass at `now` (one UPDATE; an
    INSERT the first time)."""
    done = session.execute(update(ProcessHeartbeatRow)
                           .where(ProcessHeartbeatRow.process == process)
                           .values(beat_utc=now, role=role)).rowcount
    if not done:
        session.execute(insert(ProcessHeartbeatRow).values(
            process=process, role=role, host=host, pid=pid, started_utc=started,
            beat_utc=now))


def forget_beats_before(session: Session, before: datetime) -> int:
    """Rows of processes long gone (a restart gets a new pid, so a new row)."""
    return session.execute(delete(ProcessHeartbeatRow)
                           .where(ProcessHeartbeatRow.beat_utc < before)).rowcount


def latest_beat(session: Session) -> ProcessHeartbeatRow | None:
    """The process whose reconciler ran most recently, if any ever did."""
    return session.scalars(select(ProcessHeartbeatRow)
                           .order_by(ProcessHeartbeatRow.beat_utc.desc()).limit(1)).first()


@dataclass(frozen=True)
class OutboxBacklog:
    unsent: int  # pending or being sent
    oldest_unsent: datetime | None  # created_utc of the oldest unsent row
    oldest_due: datetime | None  # next_attempt_utc of the longest-due pending row


def outbox_backlog(session: Session, now: datetime) -> OutboxBacklog:
    due = and_(OutboxRow.state == "pending", OutboxRow.next_attempt_utc <= now)
    count, oldest, oldest_due = session.execute(
        select(func.count(), type_coerce(func.min(OutboxRow.created_utc), UTCDateTime),
               type_coerce(func.min(case((due, OutboxRow.next_attempt_utc))), UTCDateTime))
        .where(OutboxRow.state.in_(UNSENT))).one()
    return OutboxBacklog(count or 0, oldest, oldest_due)


def requests_by_state_language(session: Session
                               ) -> list[tuple[str, str, int, datetime | None]]:
    """(state, language, count, oldest created_utc) over every request kept."""
    rows = session.execute(
        select(RequestRow.status, RequestRow.language, func.count(),
               type_coerce(func.min(RequestRow.created_utc), UTCDateTime))
        .group_by(RequestRow.status, RequestRow.language))
    return [(s, lang, n, oldest) for s, lang, n, oldest in rows]


def oldest_waiting_page(session: Session) -> datetime | None:
    """When the longest-waiting page of an open request went out (nobody answered it
    yet), or None."""
    return session.scalar(
        select(type_coerce(func.min(PageRow.sent_utc), UTCDateTime))
        .join(RequestRow, RequestRow.id == PageRow.request_id)
        .where(PageRow.state == "pending", RequestRow.status == "open"))
