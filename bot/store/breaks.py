"""Rows of breaks and end-of-shift check-ins (tables in bot/store/wellbeing_tables.py):
reads and writes for bot/services/pauses.py and bot/services/checkins.py."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.core.messages import DIRECT
from bot.store.notices import lock_cursor
from bot.store.paging_tables import OutboxRow
from bot.store.shift_tables import NoticeCursorRow
from bot.store.wellbeing_tables import CheckinRow, ExposureRow, PauseRow

BREAKS_LOCK = "breaks"  # the notice_cursors kind that serializes a team's breaks
CHECKIN_CURSOR = "checkin"  # the notice_cursors kind: shift ends examined up to then


def lock_team(session: Session, team: str, kind: str, now: datetime) -> NoticeCursorRow:
    """The team's (team, kind) row of `notice_cursors`, locked FOR UPDATE (created at
    `now` the first time): two breaks of one team decided at once take turns, so two
    Arabic readers asking together cannot both leave. On SQLite the IMMEDIATE
    transaction already serializes writers."""
    return lock_cursor(session, team, kind, now)


def pauses_between(session: Session, team: str, start: datetime, end: datetime
                   ) -> dict[str, list[tuple[datetime, datetime]]]:
    """Each person's breaks that meet [start, end) (as they stand: ended ones end
    when they were ended)."""
    out: dict[str, list[tuple[datetime, datetime]]] = {}
    for row in session.scalars(select(PauseRow).where(
            PauseRow.team == team, PauseRow.start_utc < end, PauseRow.end_utc > start)):
        stop = min(row.end_utc, row.ended_utc) if row.ended_utc is not None else row.end_utc
        if stop > row.start_utc and stop > start:
            out.setdefault(row.user, []).append((row.start_utc, stop))
    return out


def current_pause(session: Session, team: str, user: str, now: datetime) -> PauseRow | None:
    """The break `user` is on at `now` (the one ending last), or None."""
    return session.scalars(
        select(PauseRow).where(PauseRow.team == team, PauseRow.user == user,
                               PauseRow.start_utc <= now, PauseRow.end_utc > now,
                               PauseRow.ended_utc.is_(None))
        .order_by(PauseRow.end_utc.desc())).first()


def add_pause(session: Session, *, team: str, user: str, start: datetime, end: datetime,
              reason: str, by: str) -> PauseRow:
    row = PauseRow(team=team, user=user, start_utc=start, end_utc=end, reason=reason, by=by,
                   ended_utc=None)
    session.add(row)
    return row


def sensitive_between(session: Session, team: str, user: str, start: datetime,
                      end: datetime) -> int:
    """How many sensitive requests `user` acknowledged or opened in [start, end)."""
    return int(session.scalar(select(func.count()).select_from(ExposureRow).where(
        ExposureRow.team == team, ExposureRow.user == user, ExposureRow.at_utc >= start,
        ExposureRow.at_utc < end)) or 0)


def claim_checkin(session: Session, *, team: str, user: str, shift_end: datetime,
                  count: int, state: str, now: datetime) -> CheckinRow | None:
    """Insert the check-in of (team, user, shift end); None when it exists already
    (another worker, or an earlier pass, wrote it): the UNIQUE row is the once-only
    guard."""
    try:
        with session.begin_nested():
            row = CheckinRow(team=team, user=user, shift_end_utc=shift_end,
                             sensitive_count=count, state=state, answer=None,
                             created_utc=now, answered_utc=None)
            session.add(row)
            session.flush()
    except IntegrityError:
        return None
    return row


def lock_checkin(session: Session, checkin_id: int) -> CheckinRow | None:
    return session.get(CheckinRow, checkin_id, with_for_update=True, populate_existing=True)


def queue_checkin_dm(session: Session, user: str, text: str, checkin_id: int, priority: int,
                     now: datetime) -> None:
    """The check-in DM (outbox DIRECT): `checkin` in the payload is what its answer
    buttons carry (the Slack renderer adds them)."""
    session.add(OutboxRow(request_id=None, page_id=None, kind=DIRECT, target=user,
                          payload={"text": text, "checkin": checkin_id}, priority=priority,
                          state="pending", attempts=0, created_utc=now,
                          next_attempt_utc=now))
