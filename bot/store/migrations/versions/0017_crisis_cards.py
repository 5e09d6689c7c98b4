"""Crisis status cards kept current; requests name their crises

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03 12:30:00

`crises` gains the status card's dirty mark: `card_version` (bumped by every change the
card shows), `card_shown` (the version the card showed at its last edit), `card_hash`
(the digest of that text) and `card_edited_utc`. `requests` gains `crisis_names` (the
crises it joined when filed, for its card and page DM).

Must run on SQLite and PostgreSQL: alter tables inside `op.batch_alter_table(...)`.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | Sequence[str] | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("crises", schema=None) as batch_op:
        batch_op.add_column(sa.Column("card_version", sa.Integer(), nullable=False,
                                      server_default="0"))
        batch_op.add_column(sa.Column("card_shown", sa.Integer(), nullable=False,
                                      server_default="0"))
        batch_op.add_column(sa.Column("card_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("card_edited_utc", sa.DateTime(timezone=True),
                                      nullable=True))
    with op.batch_alter_table("requests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("crisis_names", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("requests", schema=None) as batch_op:
        batch_op.drop_column("crisis_names")
    with op.batch_alter_table("crises", schema=None) as batch_op:
        batch_op.drop_column("card_edited_utc")
        batch_op.drop_column("card_hash")
        batch_op.drop_column("card_shown")
        batch_op.drop_column("card_version")
