"""Outbox rows name the process sending them

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-04 02:45:00

`outbox.holder`: the number of the process that claimed a row being sent (its
`bot.store.liveness` number). On PostgreSQL a process holds an advisory lock on its
number for as long as it lives, so a survivor takes a dead holder's rows over as soon
as the lock is gone, without waiting for their lease. The column's default there is
the inserting connection's number (the `oncall.holder` setting each connection of the
bot starts with), so rows written already claimed at filing carry it with no change to
the insert. SQLite has no such setting: the column stays empty and leases alone decide.

Must run on SQLite and PostgreSQL: one nullable column, its default on PostgreSQL only.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | Sequence[str] | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The inserting connection's process number (NULL for a connection of another tool).
HOLDER_DEFAULT = "nullif(current_setting('oncall.holder', true), '')::integer"


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column(
            "holder", sa.Integer(), nullable=True,
            server_default=sa.text(HOLDER_DEFAULT) if postgres else None))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("holder")
