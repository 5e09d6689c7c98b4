"""Crisis mode

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 11:30:00

New tables: `crises` (one row per crisis: its team, name, channel once Slack created
it, languages, severity, match words, status active|ended, who started and ended it
and when, the last update, the durable update-reminder deadline, the status card's
ts, the summary kept at the end) and `crisis_requests` (the requests linked to a
crisis; a pair once).

Must run on SQLite and PostgreSQL: alter tables inside `op.batch_alter_table(...)`.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "crises",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("channel", sa.String(length=64), nullable=True),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("match_words", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("started_by", sa.String(length=64), nullable=False),
        sa.Column("started_utc", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_by", sa.String(length=64), nullable=True),
        sa.Column("ended_utc", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_update_utc", sa.DateTime(timezone=True), nullable=False),
        sa.Column("remind_due_utc", sa.DateTime(timezone=True), nullable=True),
        sa.Column("card_ts", sa.String(length=32), nullable=True),
        sa.Column("summary", sa.JSON(none_as_null=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crises")))
    op.create_index(op.f("ix_crises_team_status"), "crises", ["team", "status"])
    op.create_index(op.f("ix_crises_status_remind_due_utc"), "crises",
                    ["status", "remind_due_utc"])
    op.create_table(
        "crisis_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("crisis_id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("linked_utc", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["crisis_id"], ["crises.id"], ondelete="CASCADE",
                                name=op.f("fk_crisis_requests_crisis_id_crises")),
        sa.ForeignKeyConstraint(["request_id"], ["requests.id"], ondelete="CASCADE",
                                name=op.f("fk_crisis_requests_request_id_requests")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crisis_requests")),
        sa.UniqueConstraint("crisis_id", "request_id",
                            name=op.f("uq_crisis_requests_crisis_id_request_id")))
    op.create_index(op.f("ix_crisis_requests_request_id"), "crisis_requests", ["request_id"])


def downgrade() -> None:
    op.drop_table("crisis_requests")
    op.drop_table("crises")
