"""The teams' revisions, read for every request (`RosterCache`: are the rosters this
process holds still current?).

On PostgreSQL the read goes through a connection of its own, in autocommit: one round
trip and no session. Through a read session (a pool checkout, the isolation level set
and reset, the ORM's bookkeeping) the same statement cost about 0.3 ms of CPU against
0.08 ms alone: a few per cent of a filed request's CPU.

When that connection fails (the database restarted, the connection was dropped) the
read goes through a read session, as every other read does, and the connection is
opened again only once a session has read: while the database cannot be reached, no
request waits on a connection attempt of this module's besides the session's own. A
read that would wait more than a moment for another thread's goes through a session
too. SQLite: always a read session (it costs little there).
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from bot.store.teams import REVISIONS, team_revisions

log = logging.getLogger(__name__)
# Long enough for another thread's read (about 0.1 ms); a thread that waits longer
# reads through a session instead of queueing behind a slow one.
TURN_WAIT_S = 0.05
CONNECT_TIMEOUT_S = 2
# What pg_stat_activity shows of the connection (unless the database URL names one).
APPLICATION_NAME = "oncall-bot team revisions"


class RevisionReads:
    """Callable: (name, revision) of every stored team, by name. `own_reads`: how many
    went through the connection of its own (one statement, one round trip each), which
    the engine's events do not see (the benches add them to their SQL counts)."""

    def __init__(self, session_factory: Callable[[], Session]):
        self._sf = session_factory
        bind: Any = getattr(session_factory, "kw", {}).get("bind")
        self._engine: Engine | None = (
            bind.engine if bind is not None and bind.dialect.name == "postgresql" else None)
        self._sql = (str(REVISIONS.compile(dialect=bind.dialect))
                     if self._engine is not None else "")
        self._conn: Any = None
        self._usable = self._engine is not None  # False after a failure, until a session read
        self._closed = False
        self._failures = 0  # of the connection of its own, ever
        self.own_reads = 0
        self._lock = threading.Lock()

    def __call__(self) -> list[tuple[str, int]]:
        if self._usable and self._lock.acquire(timeout=TURN_WAIT_S):
            try:
                if self._usable:
                    return self._read()
            except Exception as err:  # noqa: BLE001 - the session's read says what is wrong
                log.warning("the teams' revisions could not be read on their own "
                            "connection (%s); reading them through a session",
                            type(err).__name__)
                self._usable = False
                self._failures += 1
                self._discard()
            finally:
                self._lock.release()
        failures = self._failures
        with self._sf() as session:
            found = team_revisions(session)
        # The database answered: the connection may be opened again, unless it failed
        # meanwhile (this answer may predate what broke it). Not waiting for a turn
        # held by a slow read: a later answer re-opens it.
        if self._engine is not None and self._lock.acquire(timeout=TURN_WAIT_S):
            try:
                if failures == self._failures and not self._closed:
                    self._usable = True
            finally:
                self._lock.release()
        return found

    def _read(self) -> list[tuple[str, int]]:
        if self._conn is None:
            import psycopg

            assert self._engine is not None
            cargs, cparams = self._engine.dialect.create_connect_args(self._engine.url)
            self._conn = psycopg.connect(*cargs, **{
                "connect_timeout": CONNECT_TIMEOUT_S, "application_name": APPLICATION_NAME,
                **cparams}, autocommit=True)
        found = [(name, rev) for name, rev in self._conn.execute(self._sql, prepare=True)]
        self.own_reads += 1
        return found

    def _discard(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):  # it is being thrown away
                conn.close()

    def close(self) -> None:
        """Close the connection for good (the runtime closes, before its engine)."""
        with self._lock:
            self._closed, self._usable = True, False
            self._discard()
