"""Outbox leases: a row being sent may have reached Slack (`unsure`)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 03:40:00

A row in `sending` now holds a lease: `next_attempt_utc` is when it runs out, and its
holder renews it while the send is under way. A row taken over from a holder whose
lease ran out, or whose send ended without a clear answer (a timeout, a reset, a 5xx),
is marked `unsure`: it is looked up in Slack by its metadata before any re-send.

Must run on SQLite and PostgreSQL: alter tables inside `op.batch_alter_table(...)`.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("unsure", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("unsure")
