"""Tables of sweeps (PRODUCT.md "Crisis mode, sweeps, trends, reports"; docs/design.md
"Sweeps").

- `sweeps`: one row per `/oncall sweep start` of a team and language. `next_due_utc` is
  its durable deadline: the worker claims the row with a compare-and-set on that column
  (two workers: one turn) and, in the same transaction, writes the turn and its DM and
  moves the deadline on by `every_s`. `stopped_utc` (and `stopped_by`, None when
  `until_utc` ended it) once it is over; a team runs one sweep per language at a time.
- `sweep_turns`: one row per interval of a sweep (UNIQUE sweep and start): who got it
  (None: nobody could take it), when it is nudged and reported, the answer. Each step
  is a compare-and-set on its own column (`nudged_utc`, `reported_utc`, `answer`), in
  the transaction that writes its message, so a restart or a second worker sends
  nothing twice and loses nothing. `dm_channel`/`dm_ts`: where the sweep DM is, once
  its person pressed one of its buttons (the "Found something" form edits it).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.store.db import UTCDateTime
from bot.store.tables import CODE, NAME, SLACK_ID, Base


class SweepRow(Base):
    __tablename__ = "sweeps"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team: Mapped[str] = mapped_column(NAME)
    language: Mapped[str] = mapped_column(CODE)
    every_s: Mapped[int] = mapped_column(Integer)  # the interval, in seconds
    until_utc: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)  # None: until stopped
    next_due_utc: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)  # None: over
    started_by: Mapped[str] = mapped_column(SLACK_ID)
    started_utc: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    stopped_by: Mapped[str | None] = mapped_column(SLACK_ID)
    stopped_utc: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (Index(None, "team", "language"), Index(None, "next_due_utc"))


class SweepTurnRow(Base):
    __tablename__ = "sweep_turns"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sweep_id: Mapped[int] = mapped_column(ForeignKey("sweeps.id", ondelete="CASCADE"))
    team: Mapped[str] = mapped_column(NAME)
    language: Mapped[str] = mapped_column(CODE)
    user: Mapped[str | None] = mapped_column(SLACK_ID)  # None: nobody could take it
    start_utc: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    nudge_utc: Mapped[dt.datetime] = mapped_column(UTCDateTime)  # half the interval
    due_utc: Mapped[dt.datetime] = mapped_column(UTCDateTime)  # answer by (the interval)
    dm_channel: Mapped[str | None] = mapped_column(SLACK_ID)
    dm_ts: Mapped[str | None] = mapped_column(String(32))
    answer: Mapped[str | None] = mapped_column(CODE)  # nothing | found; None: not yet
    answered_utc: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    request_id: Mapped[int | None] = mapped_column(
        ForeignKey("requests.id", ondelete="SET NULL"))  # found: the request filed
    nudged_utc: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    reported_utc: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Stopped by a manager before it was answered: no nudge, no report.
    cancelled_utc: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("sweep_id", "start_utc"),
                      Index(None, "team", "language", "start_utc"),
                      Index(None, "answer", "nudge_utc"))
