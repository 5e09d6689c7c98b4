"""Reaching a person who is not looking at Slack

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 10:30:00

Specialists gain `phone` (E.164) and `email`; escalation steps gain `via` (JSON list of
channels: slack, sms, voice, email; NULL means Slack only); escalation policies gain
`ack_timeout_seconds` (acknowledged but not resolved: remind, then re-open).

Must run on SQLite and PostgreSQL: alter tables inside `op.batch_alter_table(...)`.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("specialists", schema=None) as batch_op:
        batch_op.add_column(sa.Column("phone", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("email", sa.String(length=254), nullable=True))
    with op.batch_alter_table("escalation_steps", schema=None) as batch_op:
        batch_op.add_column(sa.Column("via", sa.JSON(none_as_null=True), nullable=True))
    with op.batch_alter_table("escalation_policies", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ack_timeout_seconds", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("escalation_policies", schema=None) as batch_op:
        batch_op.drop_column("ack_timeout_seconds")
    with op.batch_alter_table("escalation_steps", schema=None) as batch_op:
        batch_op.drop_column("via")
    with op.batch_alter_table("specialists", schema=None) as batch_op:
        batch_op.drop_column("email")
        batch_op.drop_column("phone")
