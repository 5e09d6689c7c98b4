"""Sweeps' reads and writes (tables in `sweep_tables`). Every step of a turn is claimed
by a compare-and-set on its own column: the UPDATE matches only while the step is not
done, so of two workers (or a worker and a restart) exactly one sees a row changed."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.store.paging_tables import RequestRow
from bot.store.sweep_tables import SweepRow, SweepTurnRow

__all__ = ["FOUND", "NOTHING", "add_turn", "claim_nudge", "claim_report", "claim_sweep",
           "due_nudges", "due_reports", "due_sweeps", "filed_for", "holding_turns",
           "key_prefix", "running", "tally", "turns_taken"]

NOTHING, FOUND = "nothing", "found"


def running(session: Session, team: str) -> list[SweepRow]:
    """The team's sweeps not stopped, by language."""
    return list(session.scalars(select(SweepRow).where(
        SweepRow.team == team, SweepRow.stopped_utc.is_(None)).order_by(SweepRow.language)))


def due_sweeps(session: Session, now: datetime) -> list[tuple[int, str, datetime]]:
    """(id, team, next_due_utc) of each sweep whose next turn is due."""
    return [tuple(r) for r in session.execute(
        select(SweepRow.id, SweepRow.team, SweepRow.next_due_utc)
        .where(SweepRow.stopped_utc.is_(None), SweepRow.next_due_utc <= now)
        .order_by(SweepRow.next_due_utc, SweepRow.id))]


def claim_sweep(session: Session, sweep_id: int, seen: datetime, nxt: datetime | None,
                now: datetime) -> bool:
    """Move the sweep's deadline from `seen` to `nxt` (None: the sweep is over, by its
    `until`); False when another worker moved it first or it was stopped."""
    values: dict = {"next_due_utc": nxt}
    if nxt is None:
        values["stopped_utc"] = now
    return session.execute(update(SweepRow).where(
        SweepRow.id == sweep_id, SweepRow.next_due_utc == seen,
        SweepRow.stopped_utc.is_(None)).values(**values)).rowcount == 1


def turns_taken(session: Session, sweep_id: int) -> Counter:
    """Turns each person was given in this sweep."""
    return Counter(dict(session.execute(
        select(SweepTurnRow.user, func.count()).where(
            SweepTurnRow.sweep_id == sweep_id, SweepTurnRow.user.is_not(None))
        .group_by(SweepTurnRow.user)).all()))


def add_turn(session: Session, sweep: SweepRow, user: str | None, start: datetime,
             nudge: datetime, due: datetime, reported: datetime | None = None
             ) -> SweepTurnRow | None:
    """Insert the turn at `start`; None when it exists already (the UNIQUE pair)."""
    try:
        with session.begin_nested():
            row = SweepTurnRow(sweep_id=sweep.id, team=sweep.team, language=sweep.language,
                               user=user, start_utc=start, nudge_utc=nudge, due_utc=due,
                               reported_utc=reported)
            session.add(row)
            session.flush()
    except IntegrityError:
        return None
    return row


def open_turn():
    return (SweepTurnRow.answer.is_(None), SweepTurnRow.cancelled_utc.is_(None),
            SweepTurnRow.user.is_not(None))


def holding_turns(session: Session, team: str, now: datetime) -> set[str]:
    """Who holds a turn of the team's sweeps not answered and not due yet."""
    return set(session.scalars(select(SweepTurnRow.user).where(
        SweepTurnRow.team == team, *open_turn(), SweepTurnRow.due_utc > now)))


def due_nudges(session: Session, now: datetime) -> list[int]:
    return list(session.scalars(select(SweepTurnRow.id).where(
        *open_turn(), SweepTurnRow.nudged_utc.is_(None), SweepTurnRow.nudge_utc <= now)
        .order_by(SweepTurnRow.id)))


def due_reports(session: Session, now: datetime) -> list[int]:
    return list(session.scalars(select(SweepTurnRow.id).where(
        *open_turn(), SweepTurnRow.reported_utc.is_(None), SweepTurnRow.due_utc <= now)
        .order_by(SweepTurnRow.id)))


def claim_nudge(session: Session, turn_id: int, now: datetime) -> bool:
    return session.execute(update(SweepTurnRow).where(
        SweepTurnRow.id == turn_id, *open_turn(), SweepTurnRow.nudged_utc.is_(None))
        .values(nudged_utc=now)).rowcount == 1


def claim_report(session: Session, turn_id: int, now: datetime) -> bool:
    return session.execute(update(SweepTurnRow).where(
        SweepTurnRow.id == turn_id, *open_turn(), SweepTurnRow.reported_utc.is_(None))
        .values(reported_utc=now)).rowcount == 1


def key_prefix(turn_id: int) -> str:
    """The start of the idempotency key of every request filed from a turn's form."""
    return f"sweep:{turn_id}:"


def filed_for(session: Session, turn_id: int) -> int | None:
    """The first request filed from the turn's form, if any (a filing whose "found" was
    not recorded yet: the process died in between)."""
    return session.scalar(select(RequestRow.id).where(
        RequestRow.key.like(key_prefix(turn_id) + "%")).order_by(RequestRow.id).limit(1))


def tally(session: Session, team: str, languages: Iterable[str], since: datetime
          ) -> dict[str, tuple[int, int]]:
    """Language -> (turns answered, turns missed) of the team's sweeps since `since`;
    `languages` empty: every language. Missed: reported and still unanswered."""
    stmt = select(SweepTurnRow.language, SweepTurnRow.answer, SweepTurnRow.reported_utc
                  ).where(SweepTurnRow.team == team, SweepTurnRow.start_utc >= since)
    langs = tuple(languages)
    if langs:
        stmt = stmt.where(SweepTurnRow.language.in_(langs))
    out: dict[str, list[int]] = {}
    for language, answer, reported in session.execute(stmt):
        counts = out.setdefault(language, [0, 0])
        if answer is not None:
            counts[0] += 1
        elif reported is not None:
            counts[1] += 1
    return {k: (v[0], v[1]) for k, v in sorted(out.items())}
