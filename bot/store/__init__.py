"""Storage adapter: SQLAlchemy tables, repositories and Alembic migrations."""

from bot.store import (
    crisis_tables,  # noqa: F401  (crises and the requests linked to them)
    health_tables,  # noqa: F401  (reconciler heartbeats)
    paging_tables,  # noqa: F401  (registers the paging tables on Base)
    shift_tables,  # noqa: F401  (shift notices, cursors, calendar feeds)
    sweep_tables,  # noqa: F401  (sweeps and their turns)
    wellbeing_tables,  # noqa: F401  (exposure, pauses, check-ins)
)
from bot.store.db import (
    SQLITE_BEGIN,
    NaiveDatetimeError,
    UTCDateTime,
    make_engine,
    migrate,
    session_factory,
)
from bot.store.teams import (
    RevisionConflict,
    delete_team,
    list_team_names,
    load_team,
    save_team,
    team_revision,
)

__all__ = [
    "SQLITE_BEGIN",
    "UTCDateTime",
    "NaiveDatetimeError",
    "RevisionConflict",
    "delete_team",
    "list_team_names",
    "load_team",
    "make_engine",
    "migrate",
    "save_team",
    "session_factory",
    "team_revision",
]
