"""Indexes for routing's open load: pending pages and acknowledged requests, by person

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-04 23:40:00

Two partial indexes. `ix_pages_pending_user`: (user, request_id) of the pages whose
state is 'pending'. `ix_requests_acknowledged_assignee`: the assignee of the requests
whose status is 'acknowledged'. Routing's open load reads the people it weighs through
them, instead of visiting the row of every open request (`bot.store.load_reads`).

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
_ACKNOWLEDGED = sa.text("status = 'acknowledged'")


def upgrade() -> None:
    op.create_index("ix_pages_pending_user", "pages", ["user", "request_id"],
                    postgresql_where=_PENDING, sqlite_where=_PENDING)
    op.create_index("ix_requests_acknowledged_assignee", "requests", ["assignee"],
                    postgresql_where=_ACKNOWLEDGED, sqlite_where=_ACKNOWLEDGED)


def downgrade() -> None:
    op.drop_index("ix_requests_acknowledged_assignee", table_name="requests")
    op.drop_index("ix_pages_pending_user", table_name="pages")
