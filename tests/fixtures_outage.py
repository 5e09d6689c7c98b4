"""A PostgreSQL database that a test can take away and bring back, as an outage does.

`outage_database` yields (url, reachable): a fresh database of its own (its connections
are cut, so never a shared one) and a switch, `reachable(False)` refusing new
connections and cutting the open ones (`ALLOW_CONNECTIONS false`,
`pg_terminate_backend`), `reachable(True)` letting them in again.
"""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool


@pytest.fixture
def outage_database(pg_server_url):
    name = f"oncall_outage_{uuid.uuid4().hex[:10]}"
    admin = create_engine(pg_server_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(pg_server_url).set(database=name).render_as_string(hide_password=False)

    def reachable(up: bool) -> None:
        with admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS {str(up).lower()}'))
            if not up:
                conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                  "WHERE datname = :n AND pid <> pg_backend_pid()"), {"n": name})

    try:
        yield url, reachable
    finally:
        reachable(True)
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
