"""Tables of shifts and calendars: handoff/reminder notices, their cursors, feed tokens.

- `shift_notices`: one row per (team, user, rotation, kind, shift start) ever noticed.
  The UNIQUE constraint is what makes a notice once-only, even with two workers.
- `notice_cursors`: per (team, kind), "every notice due up to `through_utc` has been
  written". The handoff pass locks this row for its transaction. A periodic notice
  (kind "refused:<cause>") keeps the time it last went out here instead.
- `calendar_feeds`: secret, revocable iCalendar feed tokens.
- `oncall_group_state`: per (team, user group) of `oncall_groups`, the members last
  applied in Slack, the members still to apply, and when the managers last heard of
  each reason an update failed (bot/services/oncall_groups.py).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
)
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


class OncallGroupRow(Base):
    """One on-call user group of a team: what Slack holds (as far as the bot knows) and
    what it should hold."""

    __tablename__ = "oncall_group_state"

    team: Mapped[str] = mapped_column(NAME, primary_key=True)
    group_id: Mapped[str] = mapped_column(SLACK_ID, primary_key=True)
    key: Mapped[str] = mapped_column(CODE)  # the language code, or "all"
    # The members last applied in Slack, sorted (None: never applied by this bot).
    applied: Mapped[list[str] | None] = mapped_column(JSON(none_as_null=True), nullable=True)
    # The members to apply (None: nothing to do); set by the pass, cleared once applied.
    wanted: Mapped[list[str] | None] = mapped_column(JSON(none_as_null=True), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    # When `wanted` may be sent (again): a retry's backoff, or a sender's claim.
    next_try_utc: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # Reason -> when the managers were last told (ISO instants): once an hour per reason.
    told: Mapped[dict] = mapped_column(JSON, default=dict, server_default=text("'{}'"))
    updated_utc: Mapped[dt.datetime] = mapped_column(UTCDateTime)
