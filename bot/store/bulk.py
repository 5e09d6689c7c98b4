"""Multi-row inserts and list filters whose statement does not grow with the list, on
PostgreSQL.

psycopg turns a statement's `%(name)s` placeholders into PostgreSQL's `$n` in Python
and keeps the result only for statements of at most 50 parameters: a multi-row VALUES
(a request's outbox rows) or an IN list of many values (the people routing weighs) was
parsed again on every run: about 0.27 ms of CPU per filed request for the two of them
(docs/design.md has the measure). Bound as one array per column instead, the statement
is one short text whatever the number of rows: converted once, and prepared by the
server like any other.

SQLite has no arrays; there the plain statement runs (its driver takes `?` as is).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from functools import cache
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    ColumnElement,
    Connection,
    Table,
    Text,
    any_,
    bindparam,
    cast,
    func,
    insert,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import CursorResult


def _postgres(conn: Connection) -> bool:
    return conn.dialect.name == "postgresql"


def in_list(column: Column, name: str, postgres: bool) -> ColumnElement[bool]:
    """`column IN (:name...)`: on PostgreSQL `column = ANY(:name)`, the list bound as
    one array."""
    if postgres:
        return column == any_(bindparam(name, type_=ARRAY(column.type)))
    return column.in_(bindparam(name, expanding=True))


class PerDialect:
    """A statement built once per dialect by `build(postgres)` (for `in_list`)."""

    def __init__(self, build: Callable[[bool], Any]):
        self._built = {flag: build(flag) for flag in (False, True)}

    def on(self, conn: Connection):
        return self._built[_postgres(conn)]


def _is_json(column: Column) -> bool:
    return isinstance(column.type, JSON)


def _json_text(column: Column, value: Any) -> str | None:
    """A JSON column's value as the JSON type would write it (None: JSON null, or SQL
    NULL where the column says `none_as_null`). An array of JSON cannot be bound as
    is: a value that is a list would read as one more dimension of the array."""
    if value is None and column.type.none_as_null:
        return None
    return json.dumps(value)


@cache
def _unnest_insert(table: Table, columns: tuple[str, ...], returning: tuple[str, ...]):
    # INSERT INTO t (a, b) SELECT * FROM unnest(:a::T[], :b::U[]) AS rows(a, b): the
    # arrays are read in step, row i from element i of each. JSON goes as text, cast.
    arrays = [bindparam(c, type_=ARRAY(Text if _is_json(table.c[c]) else table.c[c].type))
              for c in columns]
    rows = func.unnest(*arrays).table_valued(*columns).render_derived()
    picked = [cast(rows.c[c], table.c[c].type) if _is_json(table.c[c]) else rows.c[c]
              for c in columns]
    stmt = insert(table).from_select(list(columns), select(*picked))
    return stmt.returning(*(table.c[c] for c in returning)) if returning else stmt


@cache
def _plain_insert(table: Table, returning: tuple[str, ...]):
    stmt = insert(table)
    return stmt.returning(*(table.c[c] for c in returning)) if returning else stmt


def insert_rows(conn: Connection, table: Table, rows: Sequence[dict],
                returning: tuple[str, ...] = ()) -> CursorResult | None:
    """Insert `rows` (dicts naming the same columns) in one statement; with `returning`,
    the result holds those columns of each row written. None when there are no rows."""
    if not rows:
        return None
    if not _postgres(conn):
        return conn.execute(_plain_insert(table, returning), list(rows))
    columns = tuple(rows[0])
    if any(row.keys() != rows[0].keys() for row in rows):
        raise ValueError(f"rows for {table.name} name different columns")
    params = {c: ([_json_text(table.c[c], row[c]) for row in rows] if _is_json(table.c[c])
                  else [row[c] for row in rows]) for c in columns}
    return conn.execute(_unnest_insert(table, columns, returning), params)
