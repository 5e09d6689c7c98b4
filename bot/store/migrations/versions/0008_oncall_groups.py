"""On-call user groups

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 08:00:00

Teams gain `oncall_groups` (a JSON list of [language code or "all", user group id]).
`oncall_group_state` remembers, per team and user group, the members last applied in
Slack, the members still to apply, the retry state and when the managers last heard of
each reason an update failed.

Must run on SQLite and PostgreSQL: alter tables inside `op.batch_alter_table(...)`.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("teams", schema=None) as batch_op:
        batch_op.add_column(sa.Column("oncall_groups", sa.JSON(), nullable=False,
                                      server_default=sa.text("'[]'")))
    op.create_table(
        "oncall_group_state",
        sa.Column("team", sa.String(length=200), nullable=False),
        sa.Column("group_id", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=16), nullable=False),
        sa.Column("applied", sa.JSON(), nullable=True),
        sa.Column("wanted", sa.JSON(), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("next_try_utc", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=200), nullable=True),
        sa.Column("told", sa.JSON(), server_default=sa.text("'{}'"), nullable=False),
        sa.Column("updated_utc", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("team", "group_id", name=op.f("pk_oncall_group_state")),
    )


def downgrade() -> None:
    op.drop_table("oncall_group_state")
    with op.batch_alter_table("teams", schema=None) as batch_op:
        batch_op.drop_column("oncall_groups")
