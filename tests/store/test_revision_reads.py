"""The teams' revisions read for every request (bot.store.revision_reads): on
PostgreSQL through one connection of their own, kept across reads; an edit shows at
once; a lost connection costs no answer (a session reads instead) and is opened again
once the database has answered."""

from __future__ import annotations

import dataclasses
import logging

import pytest
from sqlalchemy import Engine, text

from bot.store.db import read_session_factory, session_factory
from bot.store.revision_reads import APPLICATION_NAME, RevisionReads
from bot.store.teams import save_team
from tests.store.test_store import EDITED, TEAM
from tests.waits import until


def backends(engine: Engine) -> list[int]:
    """The backends of the revisions' own connections to this test's database (other
    tests' runtimes, running at the same time, hold theirs to their own)."""
    with engine.connect() as conn:
        return list(conn.scalars(text(
            "SELECT pid FROM pg_stat_activity WHERE application_name = :name "
            "AND datname = current_database() ORDER BY pid"), {"name": APPLICATION_NAME}))


def save(engine: Engine, team) -> None:
    with session_factory(engine).begin() as session:
        save_team(session, team)


def test_revisions_are_read_and_an_edit_shows_at_once(db_engine):
    reads = RevisionReads(read_session_factory(db_engine))
    try:
        assert reads() == []
        save(db_engine, TEAM)
        assert reads() == [(TEAM.name, 1)]
        save(db_engine, EDITED)
        assert reads() == [(TEAM.name, 2)]
        other = dataclasses.replace(TEAM, name="another-desk")
        save(db_engine, other)
        assert reads() == [("another-desk", 1), (TEAM.name, 2)]
    finally:
        reads.close()


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_on_postgres_one_connection_serves_every_read_until_closed(db_engine):
    reads = RevisionReads(read_session_factory(db_engine))
    save(db_engine, TEAM)
    for _ in range(5):
        assert reads() == [(TEAM.name, 1)]
    assert len(backends(db_engine)) == 1
    reads.close()
    assert until(lambda: backends(db_engine) == [])  # (a backend ends a moment later)
    assert reads() == [(TEAM.name, 1)]  # after close: through a session, no new connection
    assert backends(db_engine) == []


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_a_lost_connection_costs_no_answer_and_is_opened_again(db_engine, caplog):
    reads = RevisionReads(read_session_factory(db_engine))
    try:
        save(db_engine, TEAM)
        assert reads() == [(TEAM.name, 1)]
        [lost] = backends(db_engine)
        with db_engine.connect() as conn:
            assert conn.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": lost})
        assert until(lambda: backends(db_engine) == [])
        save(db_engine, EDITED)
        with caplog.at_level(logging.WARNING, logger="bot.store.revision_reads"):
            assert reads() == [(TEAM.name, 2)]  # through a session
        assert "reading them through a session" in caplog.text
        assert reads() == [(TEAM.name, 2)]  # on a new connection of its own
        [again] = backends(db_engine)
        assert again != lost
    finally:
        reads.close()
