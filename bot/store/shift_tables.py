"""Tables of shifts and calendars: handoff/reminder notices, their cursors, feed tokens.

- `shift_notices`: one row per (team, user, rotation, kind, shift start) ever noticed.
  The UNIQUE constraint is what makes a notice once-only, even with two workers.
- `notice_cursors`: per (team, kind), "every notice due up to `through_utc` has been
  written". The handoff pass locks this row for its transaction. A periodic notice
  (kind "refused:<cause>") keeps the time it last went out here instead.
- `calendar_feeds`: secret, revocable iCalendar feed tokens.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, CheckConstraint, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.store.db import UTCDateTime
from bot.store.tables import CODE, NAME, SLACK_ID, Base

HANDOFF, REMINDER = "handoff", "reminder"
NOTICE_KINDS = (HANDOFF, REMINDER)
FEED_SCOPES = ("team", "rotation", "user")


class ShiftNoticeRow(Base):
    """A handoff DM (at the shift start) or a reminder (before it) for one shift."""

    __tablename__ = "shift_notices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team: Mapped[str] = mapped_column(NAME)
    user: Mapped[str] = mapped_column(SLACK_ID)
    rotation: Mapped[str] = mapped_column(NAME)
    kind: Mapped[str] = mapped_column(CODE)  # handoff | reminder
    shift_start_utc: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    created_utc: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    # False: recorded but not sent (too late: the bot was not running at the time).
    sent: Mapped[bool] = mapped_column(Boolean, default=True)

    __table_args__ = (
        UniqueConstraint("team", "user", "rotation", "kind", "shift_start_utc"),
        CheckConstraint("kind IN ('handoff', 'reminder')", name="kind_known"),
        Index(None, "team", "shift_start_utc"),
    )


class NoticeCursorRow(Base):
    """Every `kind` notice of `team` due up to `through_utc` has been written."""

    __tablename__ = "notice_cursors"

    team: Mapped[str] = mapped_column(NAME, primary_key=True)
    kind: Mapped[str] = mapped_column(CODE, primary_key=True)
    through_utc: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class CalendarFeedRow(Base):
    """A secret feed URL: `/calendar/<token>.ics` serves the subject's shifts."""

    __tablename__ = "calendar_feeds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    team: Mapped[str] = mapped_column(NAME)
    scope: Mapped[str] = mapped_column(CODE)  # team | rotation | user
    subject: Mapped[str | None] = mapped_column(NAME)  # rotation name, user id, or NULL
    created_by: Mapped[str] = mapped_column(SLACK_ID)
    created_utc: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    revoked_utc: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        CheckConstraint("scope IN ('team', 'rotation', 'user')", name="scope_known"),
        Index(None, "team", "scope", "subject"),
    )
