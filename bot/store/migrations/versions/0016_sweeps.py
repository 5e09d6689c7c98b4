"""Sweeps

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 12:40:00

New tables: `sweeps` (one row per `/oncall sweep start` of a team and language: the
interval, the optional end, the durable deadline of the next turn, who started and
stopped it and when) and `sweep_turns` (one row per interval of a sweep: who got it,
when it is nudged and reported and when that was done, where its DM is, the answer and
the request filed from it).

Must run on SQLite and PostgreSQL: alter tables inside `op.batch_alter_table(...)`.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | Sequence[str] | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _when(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "sweeps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team", sa.String(length=200), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("every_s", sa.Integer(), nullable=False),
        _when("until_utc"),
        _when("next_due_utc"),
        sa.Column("started_by", sa.String(length=64), nullable=False),
        _when("started_utc", nullable=False),
        sa.Column("stopped_by", sa.String(length=64), nullable=True),
        _when("stopped_utc"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sweeps")))
    op.create_index(op.f("ix_sweeps_team_language"), "sweeps", ["team", "language"])
    op.create_index(op.f("ix_sweeps_next_due_utc"), "sweeps", ["next_due_utc"])
    op.create_table(
        "sweep_turns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sweep_id", sa.Integer(), nullable=False),
        sa.Column("team", sa.String(length=200), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("user", sa.String(length=64), nullable=True),
        _when("start_utc", nullable=False),
        _when("nudge_utc", nullable=False),
        _when("due_utc", nullable=False),
        sa.Column("dm_channel", sa.String(length=64), nullable=True),
        sa.Column("dm_ts", sa.String(length=32), nullable=True),
        sa.Column("answer", sa.String(length=16), nullable=True),
        _when("answered_utc"),
        sa.Column("request_id", sa.Integer(), nullable=True),
        _when("nudged_utc"),
        _when("reported_utc"),
        _when("cancelled_utc"),
        sa.ForeignKeyConstraint(["sweep_id"], ["sweeps.id"], ondelete="CASCADE",
                                name=op.f("fk_sweep_turns_sweep_id_sweeps")),
        sa.ForeignKeyConstraint(["request_id"], ["requests.id"], ondelete="SET NULL",
                                name=op.f("fk_sweep_turns_request_id_requests")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sweep_turns")),
        sa.UniqueConstraint("sweep_id", "start_utc",
                            name=op.f("uq_sweep_turns_sweep_id_start_utc")))
    op.create_index(op.f("ix_sweep_turns_team_language_start_utc"), "sweep_turns",
                    ["team", "language", "start_utc"])
    op.create_index(op.f("ix_sweep_turns_answer_nudge_utc"), "sweep_turns",
                    ["answer", "nudge_utc"])


def downgrade() -> None:
    op.drop_table("sweep_turns")
    op.drop_table("sweeps")
