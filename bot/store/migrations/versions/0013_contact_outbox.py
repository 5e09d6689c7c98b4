"""Outbox rows that reach a person by SMS, call or email

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 10:20:00

An outbox row's `target` may now be an email address (up to 254 characters, was 64),
and `posted_ts` a Twilio SID (34 characters, was 32).

Must run on SQLite and PostgreSQL: alter tables inside `op.batch_alter_table(...)`.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.alter_column("target", existing_type=sa.String(length=64),
                              type_=sa.String(length=254), existing_nullable=True)
        batch_op.alter_column("posted_ts", existing_type=sa.String(length=32),
                              type_=sa.String(length=64), existing_nullable=True)


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.alter_column("posted_ts", existing_type=sa.String(length=64),
                              type_=sa.String(length=32), existing_nullable=True)
        batch_op.alter_column("target", existing_type=sa.String(length=254),
                              type_=sa.String(length=64), existing_nullable=True)
