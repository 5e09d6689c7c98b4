"""Counting SQL statements, transactions and round trips on an engine, with SQLAlchemy
events.

    with count_sql(engine) as counted:
        ...  # the work to measure
    counted.statements, counted.transactions, counted.round_trips

A statement is one `before_cursor_execute` (an executemany counts once: one round
trip) other than the BEGIN the SQLite store sends itself; a transaction is one `begin`
on a connection, read-only ones included (each is a BEGIN ... COMMIT/ROLLBACK the
database serves). Counting is thread-safe, so work
the app hands to its own threads is counted too. Used by bench.paging_latency and by
the end-to-end test that keeps one /emergency within its budget.

`round_trips` (PostgreSQL; on SQLite it stays 0): every exchange with the server that
waits for its answer, statements included: the BEGIN psycopg sends before the first
statement of a transaction, COMMIT and ROLLBACK when a transaction is open, and the
pool's pings. These never reach `before_cursor_execute`, so the statement count alone
hid them.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import event
from sqlalchemy.engine import Engine


@dataclass
class SqlCount:
    statements: int = 0
    transactions: int = 0
    commits: int = 0
    round_trips: int = 0  # PostgreSQL only (see the module's docstring)
    pings: int = 0
    sql: list[str] = field(default_factory=list)  # the statements, for a reader to check
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def on_statement(self, conn, cursor, statement, parameters, context, executemany) -> None:
        text = " ".join(statement.split())
        begins = _opens_transaction(conn)
        with self._lock:
            self.sql.append(text[:160])
            if not text.upper().startswith("BEGIN"):  # the transaction, counted below
                self.statements += 1
            self.round_trips += begins + (1 if conn.dialect.name == "postgresql" else 0)

    def on_begin(self, conn) -> None:
        with self._lock:
            self.transactions += 1

    def on_commit(self, conn) -> None:
        with self._lock:
            self.commits += 1

    def add_round_trip(self, ping: bool = False) -> None:
        with self._lock:
            self.round_trips += 1
            self.pings += ping


def _opens_transaction(conn) -> int:
    """1 when psycopg will send a BEGIN of its own before this statement."""
    if conn.dialect.name != "postgresql":
        return 0
    raw = conn.connection.dbapi_connection
    return int(not raw.autocommit and raw.info.transaction_status.name == "IDLE")


def _in_transaction(connection) -> bool:
    raw = getattr(connection, "dbapi_connection", connection)  # the pool's proxy or not
    try:
        return raw.info.transaction_status.name != "IDLE"
    except AttributeError:  # not psycopg
        return False


@contextmanager
def count_sql(engine: Engine) -> Iterator[SqlCount]:
    """Count what runs on `engine` (any connection, any thread) inside the block."""
    counted = SqlCount()
    listeners = (("before_cursor_execute", counted.on_statement),
                 ("begin", counted.on_begin), ("commit", counted.on_commit))
    for name, fn in listeners:
        event.listen(engine, name, fn)
    dialect = engine.dialect
    wrapped = {}
    if dialect.name == "postgresql":
        # The dialect's own calls (instance attributes shadow its methods meanwhile).
        def ending(method):
            def call(dbapi_connection, *args, **kwargs):
                if _in_transaction(dbapi_connection):
                    counted.add_round_trip()
                return method(dbapi_connection, *args, **kwargs)
            return call

        def ping(dbapi_connection):
            counted.add_round_trip(ping=True)
            return dialect.__class__.do_ping(dialect, dbapi_connection)

        wrapped = {"do_commit": ending(dialect.do_commit),
                   "do_rollback": ending(dialect.do_rollback), "do_ping": ping}
        for name, fn in wrapped.items():
            setattr(dialect, name, fn)
    try:
        yield counted
    finally:
        for name, fn in listeners:
            event.remove(engine, name, fn)
        for name in wrapped:
            delattr(dialect, name)
