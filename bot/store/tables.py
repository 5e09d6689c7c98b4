"""SQLAlchemy 2 mapped tables of a team's schedule.

Rows only: the domain values live in `bot.core.model`, and `bot.store.teams` converts
between the two. Conventions:

- every instant is a `UTCDateTime` column named `*_utc`;
- `position` keeps the order of the domain tuples (specialists, rotations, members,
  overrides, time off, policies, steps, managers), so a loaded Team equals the saved one;
- children reference their parent with ON DELETE CASCADE; deleting a team deletes its
  whole schedule;
- constraint names come from `NAMING_CONVENTION`, so migrations can refer to them on
  SQLite and PostgreSQL alike.

Other tables of the project should subclass the same `Base` (so `Base.metadata` is
the whole schema that migrations are compared with) and be imported by
`bot/store/migrations/env.py`.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Time,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from bot.store.db import UTCDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

SLACK_ID = String(64)  # user, channel and user-group IDs
CODE = String(16)  # severities, tiers, language and holiday codes
ZONE = String(64)  # IANA time zone names
NAME = String(200)
POLICY_NAME = String(64)  # escalation policy and category names ("le-emergency")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _parent(target: str) -> Mapped[int]:
    return mapped_column(ForeignKey(target, ondelete="CASCADE"), nullable=False)


def _children(parent: str, child: str):
    """A parent's ordered children, deleted with it (the database cascades too)."""
    return relationship(back_populates=parent, cascade="all, delete-orphan",
                        passive_deletes=True, order_by=f"{child}.position")


class TeamRow(Base):
    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(NAME, unique=True)
    languages: Mapped[list[str]] = mapped_column(JSON)  # ISO 639-1 codes, in order
    intake_channel: Mapped[str] = mapped_column(SLACK_ID)
    # More channels whose requests are this team's (ids, in the file's order).
    intake_channels: Mapped[list[str]] = mapped_column(JSON, default=list, nullable=False,
                                                       server_default=text("'[]'"))
    escalation_channel: Mapped[str] = mapped_column(SLACK_ID)
    manager_group: Mapped[str | None] = mapped_column(SLACK_ID)
    default_severity: Mapped[str] = mapped_column(CODE)
    # Kinds of request (core.model.Category as JSON objects, in the file's order); the
    # default category's name (None: "other"); routing.max_open_per_person.
    categories: Mapped[list[dict]] = mapped_column(JSON, default=list, nullable=False,
                                                   server_default=text("'[]'"))
    default_category: Mapped[str | None] = mapped_column(POLICY_NAME)
    max_open_per_person: Mapped[int] = mapped_column(Integer, default=3, nullable=False,
                                                     server_default=text("3"))
    # `oncall_groups`: [[language code or "all", user group id], ...] in the file's order.
    oncall_groups: Mapped[list[list[str]]] = mapped_column(JSON, default=list, nullable=False,
                                                           server_default=text("'[]'"))
    # Where requests in languages the team does not serve go: [[code or "*", [team
    # languages, in order]], ...] in the file's order (pairs: a JSON object's key order
    # is not kept by every database).
    language_fallbacks: Mapped[list] = mapped_column(JSON, default=list, nullable=False,
                                                     server_default=text("'[]'"))
    # `wellbeing`: {"exposure_limit": N, "exposure_window": seconds, "checkin": bool};
    # a missing key is its default (core.model.Wellbeing). `retention`, in seconds.
    wellbeing: Mapped[dict] = mapped_column(JSON, default=dict, nullable=False,
                                            server_default=text("'{}'"))
    retention_seconds: Mapped[int] = mapped_column(Integer, default=30 * 86400, nullable=False,
                                                   server_default=text(str(30 * 86400)))
    # Crisis mode and trend digests: {"update_every": seconds} and {"channel": id or
    # null, "every": seconds}; a missing key is its default (core.model.Team).
    crisis: Mapped[dict] = mapped_column(JSON, default=dict, nullable=False,
                                         server_default=text("'{}'"))
    trends: Mapped[dict] = mapped_column(JSON, default=dict, nullable=False,
                                         server_default=text("'{}'"))
    # Bumped by every save that changes anything of the team's schedule.
    revision: Mapped[int] = mapped_column(Integer, default=1)

    managers: Mapped[list[TeamManagerRow]] = _children("team", "TeamManagerRow")
    specialists: Mapped[list[SpecialistRow]] = _children("team", "SpecialistRow")
    rotations: Mapped[list[RotationRow]] = _children("team", "RotationRow")
    policies: Mapped[list[EscalationPolicyRow]] = _children("team", "EscalationPolicyRow")

    __table_args__ = (CheckConstraint("revision >= 1", name="revision_positive"),)


class TeamManagerRow(Base):
    __tablename__ = "team_managers"

    team_id: Mapped[int] = mapped_column(
        ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[str] = mapped_column(SLACK_ID)

    team: Mapped[TeamRow] = relationship(back_populates="managers")

    __table_args__ = (
        UniqueConstraint("team_id", "user_id"),
        Index(None, "user_id"),
    )


class SpecialistRow(Base):
    __tablename__ = "specialists"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = _parent("teams.id")
    position: Mapped[int] = mapped_column(Integer)
    slack_id: Mapped[str] = mapped_column(SLACK_ID)
    name: Mapped[str] = mapped_column(NAME)
    timezone: Mapped[str] = mapped_column(ZONE)
    languages: Mapped[list[str]] = mapped_column(JSON)  # strongest first
    backup: Mapped[list[str]] = mapped_column(JSON)  # may be paged off shift for these
    holidays: Mapped[str | None] = mapped_column(CODE)  # "MX", "US-TX"
    skills: Mapped[list[str]] = mapped_column(JSON, default=list, nullable=False,
                                              server_default=text("'[]'"))
    phone: Mapped[str | None] = mapped_column(String(32))  # E.164
    email: Mapped[str | None] = mapped_column(String(254))

    team: Mapped[TeamRow] = relationship(back_populates="specialists")
    time_off: Mapped[list[TimeOffRow]] = _children("specialist", "TimeOffRow")

    __table_args__ = (
        UniqueConstraint("team_id", "slack_id"),
        Index(None, "slack_id"),
    )


class RotationRow(Base):
    __tablename__ = "rotations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = _parent("teams.id")
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(NAME)
    timezone: Mapped[str] = mapped_column(ZONE)
    shift_start: Mapped[dt.time] = mapped_column(Time)  # local wall clock in `timezone`
    shift_end: Mapped[dt.time] = mapped_column(Time)  # <= shift_start: ends the next day
    days: Mapped[str] = mapped_column(String(32))  # "mon,tue,wed": days a shift starts
    handoff_days: Mapped[int] = mapped_column(Integer)  # 1 daily, 7 weekly, N days
    start_date: Mapped[dt.date] = mapped_column(Date)  # members[0]'s first shift period
    tier: Mapped[str] = mapped_column(CODE)  # "primary" | "secondary"

    team: Mapped[TeamRow] = relationship(back_populates="rotations")
    members: Mapped[list[RotationMemberRow]] = _children("rotation", "RotationMemberRow")
    overrides: Mapped[list[OverrideRow]] = _children("rotation", "OverrideRow")

    __table_args__ = (
        UniqueConstraint("team_id", "name"),
        CheckConstraint("handoff_days >= 1", name="handoff_days_positive"),
    )


class RotationMemberRow(Base):
    __tablename__ = "rotation_members"

    rotation_id: Mapped[int] = mapped_column(
        ForeignKey("rotations.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    specialist_id: Mapped[int] = _parent("specialists.id")

    rotation: Mapped[RotationRow] = relationship(back_populates="members")
    specialist: Mapped[SpecialistRow] = relationship()

    __table_args__ = (Index(None, "specialist_id"),)


class OverrideRow(Base):
    """`specialist` covers `rotation` during [start_utc, end_utc)."""

    __tablename__ = "overrides"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rotation_id: Mapped[int] = _parent("rotations.id")
    specialist_id: Mapped[int] = _parent("specialists.id")
    position: Mapped[int] = mapped_column(Integer)  # order within the team's overrides
    start_utc: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    end_utc: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    rotation: Mapped[RotationRow] = relationship(back_populates="overrides")
    specialist: Mapped[SpecialistRow] = relationship()

    __table_args__ = (
        CheckConstraint("end_utc > start_utc", name="ends_after_start"),
        Index(None, "rotation_id", "start_utc", "end_utc"),
        Index(None, "specialist_id", "start_utc"),
        Index(None, "end_utc"),
    )


class TimeOffRow(Base):
    """`specialist` is away during [start_utc, end_utc)."""

    __tablename__ = "time_off"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    specialist_id: Mapped[int] = _parent("specialists.id")
    position: Mapped[int] = mapped_column(Integer)  # order within the team's time off
    start_utc: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    end_utc: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    all_day: Mapped[bool] = mapped_column(default=True)

    specialist: Mapped[SpecialistRow] = relationship(back_populates="time_off")

    __table_args__ = (
        CheckConstraint("end_utc > start_utc", name="ends_after_start"),
        Index(None, "specialist_id", "start_utc", "end_utc"),
        Index(None, "end_utc"),
    )


class EscalationPolicyRow(Base):
    __tablename__ = "escalation_policies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = _parent("teams.id")
    position: Mapped[int] = mapped_column(Integer)
    # The policy's name: a severity ("sev1") or any name a category refers to.
    severity: Mapped[str] = mapped_column(POLICY_NAME)
    repeat: Mapped[int] = mapped_column(Integer, default=0)  # extra runs of the chain
    ack_timeout_seconds: Mapped[int | None] = mapped_column(Integer)  # None: no reminder

    team: Mapped[TeamRow] = relationship(back_populates="policies")
    steps: Mapped[list[EscalationStepRow]] = _children("policy", "EscalationStepRow")

    __table_args__ = (
        UniqueConstraint("team_id", "severity"),
        CheckConstraint('"repeat" >= 0', name="repeat_not_negative"),
    )


class EscalationStepRow(Base):
    __tablename__ = "escalation_steps"

    policy_id: Mapped[int] = mapped_column(
        ForeignKey("escalation_policies.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    notify: Mapped[str] = mapped_column(String(32))  # one of core.model.STEP_KINDS
    wait_seconds: Mapped[int | None] = mapped_column(Integer)  # None: the last step
    # core.model.CHANNELS the step reaches people by; None: Slack only.
    via: Mapped[list[str] | None] = mapped_column(JSON(none_as_null=True))

    policy: Mapped[EscalationPolicyRow] = relationship(back_populates="steps")

    __table_args__ = (
        CheckConstraint("wait_seconds IS NULL OR wait_seconds >= 0", name="wait_not_negative"),
    )
