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
    literal,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import CursorResult, Dialect

from bot import json_text


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
    return json_text.dumps(value)


def _scalar(value: Any) -> str:
    # What JSON has no type for. The timestamps (UTCDateTime has made them aware and
    # UTC) are written as ISO 8601 with their offset, which timestamptz reads, by
    # bot.json_text itself; this writes them the same way should that ever change.
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    raise TypeError(f"cannot bind {type(value).__name__} in a multi-row insert")


def json_records(name: str, columns: Sequence[tuple[str, Any]], alias: str | None = None):
    """`json_to_recordset(:name::json) AS alias(c1 T1, ...)`: the rows bound to `name` (a
    JSON array of objects) as a table named `alias` (default: `name`), each column read
    as its type; for a statement that joins many rows to a table (an UPDATE ... FROM),
    PostgreSQL only."""
    return (func.json_to_recordset(cast(bindparam(name, type_=Text), JSON))
            .table_valued(*(column(c, t) for c, t in columns))
            .render_derived(name=alias or name, with_types=True))


@cache
def _json_insert(table: Table, columns: tuple[str, ...], returning: tuple[str, ...],
                 param: str = "rows", given: tuple[tuple[str, Any], ...] = ()):
    # INSERT INTO t (a, b) SELECT r.a, r.b FROM json_to_recordset(:rows::json)
    #   AS r(a T, b U): each element of the array is one row, its keys the columns.
    # JSON columns are read as text and cast (see _json_text). `given`: (column, SQL
    # expression) the same for every row (a parent's new id).
    rows = json_records(param, [(c, Text if _is_json(table.c[c]) else table.c[c].type)
                                for c in columns])
    picked = [cast(rows.c[c], table.c[c].type) if _is_json(table.c[c]) else rows.c[c]
              for c in columns]
    defaulted = {**dict(given), **_defaults(table, columns + tuple(c for c, _ in given))}
    stmt = insert(table).from_select(
        [*columns, *defaulted], select(*picked, *defaulted.values()), include_defaults=False)
    return stmt.returning(*(table.c[c] for c in returning)) if returning else stmt


@cache
def _insert_under(parent: Table, parent_columns: tuple[str, ...], table: Table,
                  columns: tuple[str, ...], key: str, returning: tuple[str, ...]):
    """WITH new AS (INSERT INTO parent ... RETURNING id) INSERT INTO table (..., key)
    SELECT ..., (SELECT id FROM new) ...: the parent's values bound as `parent_<column>`,
    the rows as `<table>_rows`."""
    new = (insert(parent).values({c: bindparam(f"parent_{c}", type_=parent.c[c].type)
                                  for c in parent_columns})
           .returning(parent.c.id).cte(f"new_{parent.name}"))
    given = ((key, select(new.c.id).scalar_subquery()),)
    return _json_insert(table, columns, (*returning, key), f"{table.name}_rows", given)


def _defaults(table: Table, named: tuple[str, ...]) -> dict[str, Any]:
    """The columns the rows do not name that have a default in Python, each as its
    value. (SQLAlchemy adds them to an INSERT ... SELECT itself, as parameters; but in
    a statement that carries other inserts as CTEs it bound them as NULL.)"""
    defaults = {}
    for col in table.columns:
        if col.key in named or col.default is None:
            continue
        if not col.default.is_scalar:
            raise ValueError(f"{table.name}.{col.key} has a computed default: name it")
        defaults[col.key] = literal(col.default.arg, col.type)
    return defaults


@cache
def _json_inserts(parts: tuple[tuple[Table, tuple[str, ...]], ...],
                  returning: tuple[str, ...]):
    """The inserts of `parts` as one statement: each but the last a data-modifying CTE
    (PostgreSQL runs each once, read or not), the last the statement itself, with
    `returning`. Each part's rows are bound to `<table>_rows`."""
    *before, (table, columns) = parts
    stmt = _json_insert(table, columns, returning, f"{table.name}_rows")
    ctes = [_json_insert(t, cols, (), f"{t.name}_rows").cte(f"{t.name}_written")
            for t, cols in before]
    return stmt.add_cte(*ctes) if ctes else stmt


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


def _columns(table: Table, rows: Sequence[dict]) -> tuple[str, ...]:
    columns = tuple(rows[0])
    if any(row.keys() != rows[0].keys() for row in rows):
        raise ValueError(f"rows for {table.name} name different columns")
    return columns


def _rows_json(conn: Connection, table: Table, columns: tuple[str, ...],
               rows: Sequence[dict]) -> str:
    encoders = _encoders(table, columns, conn.dialect)
    return json_text.dumps([{c: (encode(row[c]) if encode is not None else row[c])
                        for c, encode in encoders} for row in rows], default=_scalar)


def insert_rows(conn: Connection, table: Table, rows: Sequence[dict],
                returning: tuple[str, ...] = (),
                also: Sequence[tuple[Table, Sequence[dict]]] = ()) -> CursorResult | None:
    """Insert `rows` (dicts naming the same columns) in one statement; with `returning`,
    the result holds those columns of each row written. None when there are no rows.
    `also`: rows of other tables (table, rows) written by the same statement on
    PostgreSQL (before `rows` on SQLite): one round trip for a use case's writes."""
    parts = [(t, r) for t, r in (*also, (table, rows)) if r]
    if not parts:
        return None
    if not _postgres(conn):
        for t, r in also:
            if r:
                conn.execute(_plain_insert(t, ()), list(r))
        return conn.execute(_plain_insert(table, returning), list(rows)) if rows else None
    shapes = tuple((t, _columns(t, r)) for t, r in parts)
    stmt = _json_inserts(shapes, returning if rows else ())
    result = conn.execute(stmt, {f"{t.name}_rows": _rows_json(conn, t, cols, r)
                                 for (t, cols), (_, r) in zip(shapes, parts, strict=True)})
    return result if rows else None


def insert_under(conn: Connection, parent: Table, values: dict, key: str, table: Table,
                 rows: Sequence[dict], returning: tuple[str, ...]
                 ) -> tuple[int, list[tuple]]:
    """A new `parent` row (its `values`) and `rows` of `table` that point at it by
    `key`, in one statement on PostgreSQL (two on SQLite): (the parent's id, the rows
    written, `returning` of each). `rows` must not be empty."""
    if not rows:
        raise ValueError(f"no {table.name} rows to write under the new {parent.name} row")
    if not _postgres(conn):
        parent_id = conn.execute(_plain_insert(parent, ("id",)), values).scalar_one()
        written = insert_rows(conn, table, [{**r, key: parent_id} for r in rows], returning)
        assert written is not None
        return parent_id, [tuple(r) for r in written]
    columns = _columns(table, rows)
    stmt = _insert_under(parent, tuple(values), table, columns, key, returning)
    written = conn.execute(stmt, {**{f"parent_{c}": v for c, v in values.items()},
                                  f"{table.name}_rows": _rows_json(conn, table, columns, rows)
                                  }).all()
    return written[0][-1], [tuple(r)[:-1] for r in written]
