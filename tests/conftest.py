"""Shared, generic fixtures: database URLs for SQLite and PostgreSQL.

Keep this file small. Topic fixtures go in named files, `tests/fixtures_<topic>.py`;
they are registered below automatically (no need to edit this file).

- `sqlite_url`: a fresh SQLite file per test.
- `pg_url`: a fresh PostgreSQL database per test module, dropped afterwards.
- `db_url`: parametrized [sqlite, postgres]; on PostgreSQL a fresh schema per test
  inside the module's database, so every test starts empty on both backends.
- `db_engine`: an engine on `db_url` with the schema at head (migrated once per
  session and reproduced: `tests/db_template.py`; the `Harness` does the same).

PostgreSQL is the server at ONCALL_TEST_POSTGRES_URL (default: user postgres on
127.0.0.1:5432, database test). When it is unreachable the postgres tests are
skipped with the reason, unless CI=true or ONCALL_REQUIRE_POSTGRES=1: then they fail.
Deselect them with `-m "not postgres"`.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

_HERE = Path(__file__).resolve().parent
_PACKAGE = "tests." if (_HERE / "__init__.py").exists() else ""
pytest_plugins = [_PACKAGE + p.stem for p in sorted(_HERE.glob("fixtures_*.py"))]

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _postgres_required() -> bool:
    return (
        os.environ.get("CI", "").lower() == "true"
        or os.environ.get("ONCALL_REQUIRE_POSTGRES") == "1"
    )


def _admin_engine(url: str) -> Engine:
    return create_engine(
        url, isolation_level="AUTOCOMMIT", poolclass=NullPool, connect_args={"connect_timeout": 5}
    )


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'oncall.db'}"


@pytest.fixture(scope="session")
def pg_server_url() -> str:
    """URL of the PostgreSQL database used to create test databases (checked once)."""
    url = os.environ.get("ONCALL_TEST_POSTGRES_URL", DEFAULT_PG_URL)
    where = make_url(url).render_as_string(hide_password=True)
    try:
        engine = _admin_engine(url)
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # any failure to connect (driver missing, refused, auth)
        reason = " ".join(str(getattr(exc, "orig", None) or exc).split())
        message = f"PostgreSQL not reachable at {where}: {reason}"
        if _postgres_required():
            pytest.fail(
                f"{message} (required: CI=true or ONCALL_REQUIRE_POSTGRES=1)", pytrace=False
            )
        pytest.skip(message)
    engine.dispose()
    return url


@contextlib.contextmanager
def fresh_pg_database(server_url: str) -> Iterator[str]:
    """A new, empty PostgreSQL database's URL, dropped on exit."""
    name = f"oncall_test_{uuid.uuid4().hex[:12]}"
    admin = _admin_engine(server_url)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="module")
def pg_url(pg_server_url: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for this test module (dropped afterwards)."""
    with fresh_pg_database(pg_server_url) as url:
        yield url


@pytest.fixture
def pg_url_own(pg_server_url: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for this one test (a process started on it
    must not meet another test's rows)."""
    with fresh_pg_database(pg_server_url) as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """An empty database on each backend: SQLite file, or a fresh PostgreSQL schema
    (the connection's search_path) in the module's database."""
    if request.param == "sqlite":
        yield request.getfixturevalue("sqlite_url")
        return
    base = request.getfixturevalue("pg_url")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = _admin_engine(base)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def db_engine(db_url: str) -> Iterator[Engine]:
    """An engine on `db_url`, schema migrated to head; disposed afterwards."""
    from bot.store.db import make_engine, migrate

    from .db_template import premigrated

    engine = make_engine(premigrated(db_url))
    migrate(engine)
    try:
        yield engine
    finally:
        engine.dispose()
