"""Crisis mode and trend digest settings

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 11:00:00

Teams gain `crisis` (JSON: {"update_every": seconds}) and `trends` (JSON: {"channel":
channel id or null, "every": seconds}); a missing key is its default.

Must run on SQLite and PostgreSQL: alter tables inside `op.batch_alter_table(...)`.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("teams", schema=None) as batch_op:
        batch_op.add_column(sa.Column("crisis", sa.JSON(), nullable=False,
                                      server_default=sa.text("'{}'")))
        batch_op.add_column(sa.Column("trends", sa.JSON(), nullable=False,
                                      server_default=sa.text("'{}'")))


def downgrade() -> None:
    with op.batch_alter_table("teams", schema=None) as batch_op:
        batch_op.drop_column("trends")
        batch_op.drop_column("crisis")
