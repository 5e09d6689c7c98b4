"""Tables of the people who read graphic content: exposure, breaks, end-of-shift check-ins.

- `exposure`: one row per (person, sensitive request) they acknowledged or opened the
  details of; the request's weight counts toward their exposure for the team's
  `wellbeing.exposure_window` from `at_utc`. The UNIQUE constraint counts a request once
  per person, however often they look at it.
- `pauses`: a person out of paging from `start_utc` to `end_utc` (a break, not time off:
  shifts and calendars do not move). `ended_utc` is set when it is ended early.
- `checkins`: the private "how are you" DM at the end of a shift with sensitive work,
  once per (team, person, shift end), and the answer, which only the managers see.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.store.db import UTCDateTime
from bot.store.tables import CODE, NAME, SLACK_ID, Base


class ExposureRow(Base):
    __tablename__ = "exposure"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team: Mapped[str] = mapped_column(NAME)
    user: Mapped[str] = mapped_column(SLACK_ID)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id", ondelete="CASCADE"))
    weight: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(CODE)  # acknowledged | viewed
    at_utc: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("user", "request_id"),
                      Index(None, "team", "user", "at_utc"))


class PauseRow(Base):
    __tablename__ = "pauses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team: Mapped[str] = mapped_column(NAME)
    user: Mapped[str] = mapped_column(SLACK_ID)
    start_utc: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    end_utc: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(CODE)  # asked | checkin
    by: Mapped[str] = mapped_column(SLACK_ID)  # who asked (the person, or a manager)
    ended_utc: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (Index(None, "team", "end_utc"),)


class CheckinRow(Base):
    __tablename__ = "checkins"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team: Mapped[str] = mapped_column(NAME)
    user: Mapped[str] = mapped_column(SLACK_ID)
    shift_end_utc: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    sensitive_count: Mapped[int] = mapped_column(Integer, default=0)
    state: Mapped[str] = mapped_column(CODE)  # sent | answered | skipped
    answer: Mapped[str | None] = mapped_column(String(32))  # ok | break | talk
    created_utc: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    answered_utc: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("team", "user", "shift_end_utc"),
                      Index(None, "team", "created_utc"))
