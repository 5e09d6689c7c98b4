"""Counting SQL statements and transactions on an engine, with SQLAlchemy events.

    with count_sql(engine) as counted:
        ...  # the work to measure
    counted.statements, counted.transactions

A statement is one `before_cursor_execute` (an executemany counts once: one round
trip) other than the BEGIN the SQLite store sends itself; a transaction is one `begin`
on a connection, read-only ones included (each is a BEGIN ... COMMIT/ROLLBACK the
database serves). Counting is thread-safe, so work
the app hands to its own threads is counted too. Used by bench.paging_latency and by
the end-to-end test that keeps one /emergency within its budget.
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
    sql: list[str] = field(default_factory=list)  # the statements, for a reader to check
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def on_statement(self, conn, cursor, statement, parameters, context, executemany) -> None:
        text = " ".join(statement.split())
        with self._lock:
            self.sql.append(text[:160])
            if not text.upper().startswith("BEGIN"):  # the transaction, counted below
                self.statements += 1

    def on_begin(self, conn) -> None:
        with self._lock:
            self.transactions += 1

    def on_commit(self, conn) -> None:
        with self._lock:
            self.commits += 1


@contextmanager
def count_sql(engine: Engine) -> Iterator[SqlCount]:
    """Count what runs on `engine` (any connection, any thread) inside the block."""
    counted = SqlCount()
    listeners = (("before_cursor_execute", counted.on_statement),
                 ("begin", counted.on_begin), ("commit", counted.on_commit))
    for name, fn in listeners:
        event.listen(engine, name, fn)
    try:
        yield counted
    finally:
        for name, fn in listeners:
            event.remove(engine, name, fn)
