"""Graphic content and the people who read it

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 10:00:00

Teams gain `wellbeing` (JSON: exposure_limit, exposure_window in seconds, checkin) and
`retention_seconds` (how long request text is kept, default 30 days). Requests gain
`sensitive` (graphic content: redacted everywhere but the assignee's details modal) and
`purged_utc` (when its text was purged). Outbox rows gain `posted_channel` and
`posted_ts`: where their message went, so it can be edited to the redacted form. Pages
gain `over_limit` (paged past the person's exposure limit: points, limit, window). New
tables: `exposure` (one row per person and sensitive request they acknowledged or
viewed), `pauses` (breaks from paging) and `checkins` (end-of-shift check-ins and their
answers).

Must run on SQLite and PostgreSQL: alter tables inside `op.batch_alter_table(...)`.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

THIRTY_DAYS = str(30 * 86400)


def _person() -> list[sa.Column]:
    return [sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("team", sa.String(length=200), nullable=False),
            sa.Column("user", sa.String(length=64), nullable=False)]


def upgrade() -> None:
    with op.batch_alter_table("teams", schema=None) as batch_op:
        batch_op.add_column(sa.Column("wellbeing", sa.JSON(), nullable=False,
                                      server_default=sa.text("'{}'")))
        batch_op.add_column(sa.Column("retention_seconds", sa.Integer(), nullable=False,
                                      server_default=sa.text(THIRTY_DAYS)))
    with op.batch_alter_table("requests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sensitive", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column("purged_utc", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("pages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("over_limit", sa.JSON(none_as_null=True), nullable=True))
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("posted_channel", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("posted_ts", sa.String(length=32), nullable=True))
    op.create_table(
        "exposure", *_person(),
        sa.Column("request_id", sa.Integer(),
                  nullable=False),
        sa.Column("weight", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("at_utc", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["request_id"], ["requests.id"], ondelete="CASCADE",
                                name=op.f("fk_exposure_request_id_requests")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exposure")),
        sa.UniqueConstraint("user", "request_id", name=op.f("uq_exposure_user_request_id")))
    op.create_index(op.f("ix_exposure_team_user_at_utc"), "exposure", ["team", "user", "at_utc"])
    op.create_table(
        "pauses", *_person(),
        sa.Column("start_utc", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end_utc", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("by", sa.String(length=64), nullable=False),
        sa.Column("ended_utc", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pauses")))
    op.create_index(op.f("ix_pauses_team_end_utc"), "pauses", ["team", "end_utc"])
    op.create_table(
        "checkins", *_person(),
        sa.Column("shift_end_utc", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sensitive_count", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("answer", sa.String(length=32), nullable=True),
        sa.Column("created_utc", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_utc", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkins")),
        sa.UniqueConstraint("team", "user", "shift_end_utc",
                            name=op.f("uq_checkins_team_user_shift_end_utc")))
    op.create_index(op.f("ix_checkins_team_created_utc"), "checkins", ["team", "created_utc"])


def downgrade() -> None:
    for table in ("checkins", "pauses", "exposure"):
        op.drop_table(table)
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("posted_ts")
        batch_op.drop_column("posted_channel")
    with op.batch_alter_table("pages", schema=None) as batch_op:
        batch_op.drop_column("over_limit")
    with op.batch_alter_table("requests", schema=None) as batch_op:
        batch_op.drop_column("purged_utc")
        batch_op.drop_column("sensitive")
    with op.batch_alter_table("teams", schema=None) as batch_op:
        batch_op.drop_column("retention_seconds")
        batch_op.drop_column("wellbeing")
