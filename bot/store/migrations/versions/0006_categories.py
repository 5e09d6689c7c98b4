"""Categories, skills, capacity, named policies and two-person verification

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 07:00:00

Teams gain their categories (a JSON list), the default category's name and
`routing.max_open_per_person`; specialists their skills; a policy's name may be any
name a category refers to (not only sev1-3), so the column widens. Requests gain
their category (every existing request is "other"), the category's fields, the
category as it was when filed, the response target, who verified them and the coded outcome.

Must run on SQLite and PostgreSQL: alter tables inside `op.batch_alter_table(...)`.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("teams", schema=None) as batch_op:
        batch_op.add_column(sa.Column("categories", sa.JSON(), nullable=False,
                                      server_default=sa.text("'[]'")))
        batch_op.add_column(sa.Column("default_category", sa.String(64), nullable=True))
        batch_op.add_column(sa.Column("max_open_per_person", sa.Integer(), nullable=False,
                                      server_default=sa.text("3")))
    with op.batch_alter_table("specialists", schema=None) as batch_op:
        batch_op.add_column(sa.Column("skills", sa.JSON(), nullable=False,
                                      server_default=sa.text("'[]'")))
    with op.batch_alter_table("escalation_policies", schema=None) as batch_op:
        batch_op.alter_column("severity", existing_type=sa.String(16),
                              type_=sa.String(64), existing_nullable=False)
    with op.batch_alter_table("requests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("category", sa.String(64), nullable=False,
                                      server_default="other"))
        batch_op.add_column(sa.Column("category_info", sa.JSON(), nullable=False,
                                      server_default=sa.text("'{}'")))
        batch_op.add_column(sa.Column("fields", sa.JSON(), nullable=False,
                                      server_default=sa.text("'{}'")))
        batch_op.add_column(sa.Column("due_utc", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("verified_by", sa.String(64), nullable=True))
        batch_op.add_column(sa.Column("verified_utc", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("resolution", sa.String(16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("requests", schema=None) as batch_op:
        for column in ("resolution", "verified_utc", "verified_by", "due_utc", "fields",
                       "category_info", "category"):
            batch_op.drop_column(column)
    with op.batch_alter_table("escalation_policies", schema=None) as batch_op:
        batch_op.alter_column("severity", existing_type=sa.String(64),
                              type_=sa.String(16), existing_nullable=False)
    with op.batch_alter_table("specialists", schema=None) as batch_op:
        batch_op.drop_column("skills")
    with op.batch_alter_table("teams", schema=None) as batch_op:
        for column in ("max_open_per_person", "default_category", "categories"):
            batch_op.drop_column(column)
