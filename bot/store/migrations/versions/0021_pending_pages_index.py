"""The pages still waiting for an answer, indexed by person

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-04 23:40:00

`ix_pages_pending_user`: (user, request_id) of the pages whose state is 'pending', a
partial index. Routing's open load reads the pending pages of the people it weighs
through it, instead of visiting the pages of every open request (`load_reads`).

Must run on SQLite and PostgreSQL: both have partial indexes.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | Sequence[str] | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PENDING = sa.text("state = 'pending'")


def upgrade() -> None:
    op.create_index("ix_pages_pending_user", "pages", ["user", "request_id"],
                    postgresql_where=_PENDING, sqlite_where=_PENDING)


def downgrade() -> None:
    op.drop_index("ix_pages_pending_user", table_name="pages")
