"""Multi-row inserts and list filters whose statement does not grow with the list, on
PostgreSQL.

psycopg turns a statement's `%(name)s` placeholders into PostgreSQL's `$n` in Python
and keeps the result only for statements of at most 50 parameters: a multi-row VALUES
(a request's outbox rows) or an IN list of many values (the people routing weighs) was
parsed again on every run: about 0.27 ms of CPU per filed request for the two of them
(docs/design.md has the measure). An IN list is bound as one array (`= ANY`). The rows
of a multi-row insert go as one JSON text, read back into typed columns by the server
(`json_to_recordset`): one short statement whatever the number of rows, converted once
and prepared by the server like any other; and one string for psycopg to send, where
one array per column cost about 0.17 ms more a statement to adapt in Python.

SQLite has neither; there the plain statement runs (its driver takes `?` as is).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import date, datetime
from functools import cache, lru_cache
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
    column,
    func,
    insert,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import CursorResult, Dialect


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
    NULL where the column says `none_as_null`). It travels inside the rows' JSON as a
    string and is cast back: a record's JSON null would read as SQL NULL."""
    if value is None and column.type.none_as_null:
        return None
    return json.dumps(value)


def _scalar(value: Any) -> str:
    # What json.dumps cannot write itself: the timestamps, as ISO 8601 with their
    # offset (UTCDateTime has made them aware and UTC), which timestamptz reads.
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    raise TypeError(f"cannot bind {type(value).__name__} in a multi-row insert")


@cache
def _json_insert(table: Table, columns: tuple[str, ...], returning: tuple[str, ...]):
    # INSERT INTO t (a, b) SELECT r.a, r.b FROM json_to_recordset(:rows::json)
    #   AS r(a T, b U): each element of the array is one row, its keys the columns.
    # JSON columns are read as text and cast (see _json_text).
    typed = [column(c, Text if _is_json(table.c[c]) else table.c[c].type) for c in columns]
    rows = (func.json_to_recordset(cast(bindparam("rows", type_=Text), JSON))
            .table_valued(*typed).render_derived(with_types=True))
    picked = [cast(rows.c[c], table.c[c].type) if _is_json(table.c[c]) else rows.c[c]
              for c in columns]
    stmt = insert(table).from_select(list(columns), select(*picked))
    return stmt.returning(*(table.c[c] for c in returning)) if returning else stmt


@cache
def _plain_insert(table: Table, returning: tuple[str, ...]):
    stmt = insert(table)
    return stmt.returning(*(table.c[c] for c in returning)) if returning else stmt


@lru_cache(maxsize=64)  # per table, columns and engine's dialect
def _encoders(table: Table, columns: tuple[str, ...], dialect: Dialect
              ) -> tuple[tuple[str, Callable[[Any], Any] | None], ...]:
    """For each column, what turns a value into what goes in the rows' JSON: the JSON
    columns' text, the column type's own bind step (UTCDateTime's check and conversion
    to UTC), or nothing."""
    def encoder(c: str) -> Callable[[Any], Any] | None:
        col = table.c[c]
        if _is_json(col):
            return lambda value: _json_text(col, value)
        return col.type.bind_processor(dialect)
    return tuple((c, encoder(c)) for c in columns)


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
    encoders = _encoders(table, columns, conn.dialect)
    encoded = [{c: (encode(row[c]) if encode is not None else row[c])
                for c, encode in encoders} for row in rows]
    return conn.execute(_json_insert(table, columns, returning),
                        {"rows": json.dumps(encoded, default=_scalar)})
