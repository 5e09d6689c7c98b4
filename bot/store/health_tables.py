"""The reconcilers' heartbeats: one row per process that runs the background jobs.

Readiness (`/readyz` of any process, with or without jobs) asks the database, not the
process it reaches, whether some reconciler ran lately: on PostgreSQL a web process
started with `--no-jobs` is ready only while a worker somewhere ticks. Each process
writes its own row (the key is its host and pid, so processes never contend for a row),
at most every couple of seconds, not on every tick: the idle database load stays low.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Integer
from sqlalchemy.orm import Mapped, mapped_column

from bot.store.db import UTCDateTime
from bot.store.tables import CODE, NAME, Base


class ProcessHeartbeatRow(Base):
    __tablename__ = "process_heartbeats"

    process: Mapped[str] = mapped_column(NAME, primary_key=True)  # "host:pid"
    role: Mapped[str] = mapped_column(CODE)  # serve | worker
    host: Mapped[str] = mapped_column(NAME)
    pid: Mapped[int] = mapped_column(Integer)
    started_utc: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    beat_utc: Mapped[dt.datetime] = mapped_column(UTCDateTime)  # its last reconciler pass


__all__ = ["ProcessHeartbeatRow"]
