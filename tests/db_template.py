"""A database schema migrated once per test session, reproduced for each test that needs
a migrated one.

Running the migrations takes one to two seconds per database; most end-to-end tests
need a migrated database and none of them tests the migrations (tests/store does, from
an empty database, and does not come through here). The app's own `migrate()` at start
then finds the schema at head and does nothing.

- SQLite: a file migrated once is copied (a few milliseconds).
- PostgreSQL: the statements one real migration ran (captured from the driver, in a
  scratch schema) are replayed in the test's empty schema in one transaction. They name
  no schema (the connection's search_path picks it), so they fit any schema.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import uuid
from pathlib import Path

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

_lock = threading.Lock()
_template: Path | None = None
_pg_statements: list[str] | None = None


def _migrated_template() -> Path:
    global _template
    with _lock:
        if _template is None:
            from bot.store.db import make_engine, migrate

            path = Path(tempfile.mkdtemp(prefix="oncall-template-")) / "template.db"
            engine = make_engine(f"sqlite:///{path}")
            try:
                migrate(engine)
            finally:
                engine.dispose()  # the last connection closing folds the WAL into the file
            _template = path
        return _template


def _captured_pg_migration(url: str) -> list[str]:
    """The statements that change the schema in one migration to head, run in a scratch
    schema of the database `url` names."""
    global _pg_statements
    with _lock:
        if _pg_statements is None:
            from bot.store.db import make_engine, migrate

            scratch = f"template_{uuid.uuid4().hex[:12]}"
            admin = create_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
            with admin.connect() as conn:
                conn.execute(text(f'CREATE SCHEMA "{scratch}"'))
            engine = make_engine(make_url(url).update_query_dict(
                {"options": f"-csearch_path={scratch}"}).render_as_string(hide_password=False))
            seen: list[str] = []

            @event.listens_for(engine, "before_cursor_execute")
            def keep(conn, cursor, statement, parameters, context, executemany):
                if not statement.lstrip().upper().startswith("SELECT"):
                    if parameters:
                        raise RuntimeError("a migration statement with parameters: "
                                           + statement[:80])
                    seen.append(statement)
            try:
                migrate(engine)
            finally:
                engine.dispose()
                with admin.connect() as conn:
                    conn.execute(text(f'DROP SCHEMA IF EXISTS "{scratch}" CASCADE'))
                admin.dispose()
            if any(scratch in s for s in seen):
                raise RuntimeError("a migration statement names its schema; replaying it "
                                   "elsewhere would be wrong")
            _pg_statements = seen
        return _pg_statements


def _replay_on_postgres(url: str) -> None:
    statements = _captured_pg_migration(url)
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.begin() as conn:
            if conn.execute(text("SELECT to_regclass('alembic_version')")).scalar():
                return  # already migrated: leave it alone
            for statement in statements:
                conn.exec_driver_sql(statement)
    finally:
        engine.dispose()


def premigrated(url: str) -> str:
    """`url` itself, after making sure the database it names is migrated to head: a SQLite
    file that does not exist yet is created as a copy of the migrated template; an empty
    PostgreSQL schema gets the captured migration replayed. Anything else is left
    alone."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        _replay_on_postgres(url)
        return url
    if parsed.get_backend_name() != "sqlite" or not parsed.database \
            or parsed.database == ":memory:":
        return url
    target = Path(parsed.database)
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(_migrated_template(), target)
    return url
