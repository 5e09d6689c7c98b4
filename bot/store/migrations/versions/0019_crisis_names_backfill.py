"""Requests linked to crises before 0017 name their crises

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03 16:20:00

0017 added `requests.crisis_names` and filled it only for requests linked from then
on. The request path now relies on it: a request that names no crisis is part of
none, so a change to it marks no crisis status card stale without a statement. This
fills it for the requests linked earlier (from `crisis_requests`, crises in the order
they were linked). Downgrade leaves the names: 0017's column holds them either way.

Must run on SQLite and PostgreSQL: plain reads and one update per request.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | Sequence[str] | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_REQUESTS = sa.table("requests", sa.column("id", sa.Integer),
                     sa.column("crisis_names", sa.JSON))
_CRISES = sa.table("crises", sa.column("id", sa.Integer), sa.column("name", sa.String))
_LINKS = sa.table("crisis_requests", sa.column("id", sa.Integer),
                  sa.column("crisis_id", sa.Integer), sa.column("request_id", sa.Integer))


def upgrade() -> None:
    conn = op.get_bind()
    rows = conn.execute(
        sa.select(_LINKS.c.request_id, _CRISES.c.name)
        .join(_CRISES, _CRISES.c.id == _LINKS.c.crisis_id)
        .join(_REQUESTS, _REQUESTS.c.id == _LINKS.c.request_id)
        .where(_REQUESTS.c.crisis_names.is_(None))
        .order_by(_LINKS.c.request_id, _LINKS.c.id)).all()
    names: dict[int, list[str]] = {}
    for request_id, name in rows:
        names.setdefault(request_id, []).append(name)
    for request_id, crisis_names in names.items():
        conn.execute(sa.update(_REQUESTS).where(_REQUESTS.c.id == request_id)
                     .values(crisis_names=crisis_names))


def downgrade() -> None:
    pass
