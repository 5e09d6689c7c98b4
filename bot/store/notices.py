"""Handoff and reminder bookkeeping: the per-team cursors and the once-only notices;
and the time of a team's last periodic notice (what Slack refused, told to managers)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.store.shift_tables import NoticeCursorRow, ShiftNoticeRow

log = logging.getLogger(__name__)


def lock_cursor(session: Session, team: str, kind: str, now: datetime) -> NoticeCursorRow:
    """The (team, kind) cursor, locked FOR UPDATE; created at `now` on a team's first pass
    (no flood of past notices)."""
    row = session.get(NoticeCursorRow, (team, kind), with_for_update=True,
                      populate_existing=True)
    if row is not None:
        return row
    try:
        with session.begin_nested():
            row = NoticeCursorRow(team=team, kind=kind, through_utc=now)
            session.add(row)
        log.info("team %s: %s notices start at %s", team, kind, now.isoformat())
        return row
    except IntegrityError:  # another worker created it first; take theirs
        row = session.get(NoticeCursorRow, (team, kind), with_for_update=True,
                          populate_existing=True)
        assert row is not None
        return row


def advance_cursor(cursor: NoticeCursorRow, now: datetime) -> None:
    cursor.through_utc = max(cursor.through_utc, now)


def claim_notice(session: Session, team: str, user: str, rotation: str, kind: str,
                 shift_start: datetime, now: datetime, sent: bool) -> bool:
    """Insert the notice row; False when it exists already (someone else sent it): the
    UNIQUE constraint makes each notice once-only."""
    try:
        with session.begin_nested():
            session.add(ShiftNoticeRow(team=team, user=user, rotation=rotation, kind=kind,
                                       shift_start_utc=shift_start, created_utc=now,
                                       sent=sent))
    except IntegrityError:
        return False
    return True


def claim_periodic(session: Session, team: str, kind: str, now: datetime,
                   every: timedelta) -> bool:
    """May a `kind` notice of `team` go out now, none having gone out in the last
    `every`? True records `now` as the last one, in the caller's transaction.

    The (team, kind) cursor row holds the time of the last notice, locked FOR UPDATE,
    so two transactions deciding at once take turns and only the first says yes; one
    that creates the row at the same time as another gets the unique violation and
    says no (the other is sending it)."""
    row = session.get(NoticeCursorRow, (team, kind), with_for_update=True,
                      populate_existing=True)
    if row is None:
        try:
            with session.begin_nested():
                session.add(NoticeCursorRow(team=team, kind=kind, through_utc=now))
        except IntegrityError:
            return False
        return True
    if row.through_utc > now - every:
        return False
    row.through_utc = now
    return True
