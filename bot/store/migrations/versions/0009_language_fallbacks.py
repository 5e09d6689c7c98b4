"""Where requests in languages a team does not serve go

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 09:00:00

Teams gain `language_fallbacks` (JSON pairs [[code or "*", [team languages]], ...]):
the team languages whose readers take a request in another language. Pages gain
`read_as`: the fallback language the person was chosen as a reader of ("es" for an
Italian request). Requests gain `language_served`: False while the request's language
is one the team does not serve (or unknown); NULL means served.

Must run on SQLite and PostgreSQL: alter tables inside `op.batch_alter_table(...)`.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("teams", schema=None) as batch_op:
        batch_op.add_column(sa.Column("language_fallbacks", sa.JSON(), nullable=False,
                                      server_default=sa.text("'[]'")))
    with op.batch_alter_table("pages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("read_as", sa.String(16), nullable=True))
    with op.batch_alter_table("requests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("language_served", sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("requests", schema=None) as batch_op:
        batch_op.drop_column("language_served")
    with op.batch_alter_table("pages", schema=None) as batch_op:
        batch_op.drop_column("read_as")
    with op.batch_alter_table("teams", schema=None) as batch_op:
        batch_op.drop_column("language_fallbacks")
