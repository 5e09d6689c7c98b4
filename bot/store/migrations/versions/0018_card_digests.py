"""Digest cards for an intake channel in a surge

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03 12:30:00

`requests.card_digest`: the request's card (card_channel, card_ts) is a digest card
listing several requests, posted while the channel was in a surge (bot.core.surge).

Must run on SQLite and PostgreSQL: alter tables inside `op.batch_alter_table(...)`.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | Sequence[str] | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("requests") as batch:
        batch.add_column(sa.Column("card_digest", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("requests") as batch:
        batch.drop_column("card_digest")
