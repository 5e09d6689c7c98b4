"""Reconciler heartbeats

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 11:00:00

New table `process_heartbeats`: one row per process that runs the background jobs
(`serve` with jobs, `worker`), keyed by "host:pid", with its role, when it started and
when its reconciler last completed a pass. `/readyz` of any process reads it, so a web
process started with `--no-jobs` is ready only while some worker's reconciler runs.

Must run on SQLite and PostgreSQL: named constraints through op.f.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "process_heartbeats",
        sa.Column("process", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("host", sa.String(length=200), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_utc", sa.DateTime(timezone=True), nullable=False),
        sa.Column("beat_utc", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("process", name=op.f("pk_process_heartbeats")))


def downgrade() -> None:
    op.drop_table("process_heartbeats")
