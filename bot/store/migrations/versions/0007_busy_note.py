"""Requests say when everyone who could take them was at capacity

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 08:00:00

Requests gain `busy_note`: set when the step that paged last found every candidate
at the team's `max_open_per_person` ("every Arabic reader on call is busy (3 open
each); paged the least loaded: ..."), shown on the ticket card; cleared when a later
page went to someone free.

Must run on SQLite and PostgreSQL: alter tables inside `op.batch_alter_table(...)`.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("requests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("busy_note", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("requests", schema=None) as batch_op:
        batch_op.drop_column("busy_note")
