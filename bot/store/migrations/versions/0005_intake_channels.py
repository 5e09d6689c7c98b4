"""Teams: more intake channels (`intake_channels`)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 04:40:00

With several teams in one workspace, /emergency picks the team by the channel it was
filed in: the team's `intake_channel` or one of its `intake_channels`, a JSON list of
channel ids (empty for every existing team).

Must run on SQLite and PostgreSQL: alter tables inside `op.batch_alter_table(...)`.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("teams", schema=None) as batch_op:
        batch_op.add_column(sa.Column("intake_channels", sa.JSON(), nullable=False,
                                      server_default=sa.text("'[]'")))


def downgrade() -> None:
    with op.batch_alter_table("teams", schema=None) as batch_op:
        batch_op.drop_column("intake_channels")
