"""Engines, sessions, migrations and the UTC datetime column type.

- `make_engine(url)`: SQLite gets WAL, `foreign_keys=ON`, a busy timeout and real
  transactions (we emit BEGIN ourselves, so DDL and SAVEPOINTs are transactional);
  PostgreSQL goes through psycopg 3.
- `migrate(engine)`: Alembic `upgrade head` with the migrations shipped inside this
  package, from any working directory.
- `UTCDateTime`: every instant is stored in UTC; naive datetimes are refused.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Connection, Dialect, Engine, make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool
from sqlalchemy.types import DateTime, TypeDecorator

from bot import json_text
from bot.config import normalize_database_url
from bot.core.timezones import UTC

if TYPE_CHECKING:  # Alembic is imported only to migrate: a serving process never needs it
    from alembic.config import Config

SQLITE_BUSY_TIMEOUT_MS = 10_000
# PostgreSQL: seconds to wait for a new connection (libpq's minimum is 2) and for a free
# one from the pool, before the caller is told the database cannot be reached.
PG_CONNECT_TIMEOUT_S = 2
PG_POOL_TIMEOUT_S = 2.0
# PostgreSQL: a pooled connection idle for longer than this is pinged before use (one
# round trip), so one the server dropped meanwhile is replaced instead of failing the
# caller. A connection back in use within the interval is not: under load every
# checkout is, and a ping on each (SQLAlchemy's `pool_pre_ping`) was a quarter of the
# request path's round trips.
PG_PING_AFTER_IDLE_S = 1.0
# Execution option naming the SQLite BEGIN mode for one connection/transaction:
# `session.connection(execution_options={SQLITE_BEGIN: "IMMEDIATE"})` before the first
# statement makes a read-then-write transaction take the write lock up front.
SQLITE_BEGIN = "sqlite_begin"
_BEGIN_MODES = ("DEFERRED", "IMMEDIATE", "EXCLUSIVE")
# Execution option marking a SQLite writer as urgent: someone is waiting on Slack's
# 3-second acknowledgement for it, so it goes before this process's background writers.
URGENT = "oncall_urgent"

_PACKAGE_DIR = Path(__file__).resolve().parent
_ALEMBIC_INI = _PACKAGE_DIR / "alembic.ini"
# Key of the PostgreSQL advisory lock that serialises concurrent migrations
# (web and worker processes both migrate on start).
_MIGRATION_LOCK_KEY = 0x0C0A11_0001
# Key of the session-level advisory lock held around a process's start-up steps (the
# migration, then "import the schedules when no team exists"); distinct from the key
# above, which the migration takes inside it.
_STARTUP_LOCK_KEY = 0x0C0A11_0002


class NaiveDatetimeError(ValueError):
    """A datetime without a UTC offset was about to be stored."""


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Aware datetimes in, aware UTC datetimes out.

    PostgreSQL keeps `timestamptz`; SQLite has no time zone support, so the UTC wall
    clock is stored and UTC is re-attached on read."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if not isinstance(value, dt.datetime):
            raise TypeError(f"expected a datetime, got {type(value).__name__}: {value!r}")
        if value.tzinfo is None or value.utcoffset() is None:
            raise NaiveDatetimeError(
                f"refusing to store naive datetime {value.isoformat()}: pass an aware UTC datetime"
            )
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An Engine for `url` (`postgres://` and `postgresql://` mean psycopg 3)."""
    sa_url = make_url(normalize_database_url(url))
    backend = sa_url.get_backend_name()
    # JSON columns written and read with orjson (bot.json_text: why).
    kwargs.setdefault("json_serializer", json_text.dumps)
    kwargs.setdefault("json_deserializer", json_text.loads)
    if backend == "sqlite":
        if sa_url.database in (None, "", ":memory:") or sa_url.query.get("mode") == "memory":
            # One shared connection, or every checkout would see its own empty database.
            kwargs.setdefault("poolclass", StaticPool)
            kwargs.setdefault("connect_args", {"check_same_thread": False})
        elif "poolclass" not in kwargs:
            # A writer may need a second connection (the roster cache's revision check)
            # while others hold theirs waiting for the write lock: never run out.
            kwargs.setdefault("pool_size", 32)
            kwargs.setdefault("max_overflow", 32)
        engine = create_engine(sa_url, **kwargs)
        _configure_sqlite(engine)
        return engine
    if backend == "postgresql":
        ping_idle = not kwargs.get("pool_pre_ping") and kwargs.get("poolclass") is None
        # Someone filing an emergency waits on Slack's 3 seconds: when the database is
        # unreachable, a connection attempt or a wait for a pooled connection gives up
        # in time for the listener to say so (bot.slack.failures) instead of hanging.
        if "connect_timeout" not in sa_url.query:
            kwargs["connect_args"] = {"connect_timeout": PG_CONNECT_TIMEOUT_S,
                                      **kwargs.get("connect_args", {})}
        if kwargs.get("poolclass") is None:  # (NullPool has no wait to bound)
            kwargs.setdefault("pool_timeout", PG_POOL_TIMEOUT_S)
        engine = create_engine(sa_url, **kwargs)
        if ping_idle:
            _ping_when_idle(engine, PG_PING_AFTER_IDLE_S)
        return engine
    return create_engine(sa_url, **kwargs)


def _ping_when_idle(engine: Engine, idle_s: float) -> None:
    """Ping a pooled connection at checkout only when it sat unused for `idle_s`; a dead
    one is replaced (the pool retries the checkout on DisconnectionError)."""

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_connection: Any, record: Any) -> None:
        if record is not None:
            record.info["oncall_idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.pop("oncall_idle_since", None)
        if since is None or time.monotonic() - since < idle_s:
            return  # new (just connected) or in use a moment ago
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as err:  # noqa: BLE001 - whatever broke it, use another one
            raise DisconnectionError(f"pooled connection failed its ping: {err}") from err


class _WriterGate:
    """A lock for this process's SQLite writers in which urgent writers waiting go
    before the others waiting (a fair lock would let a surge of background work, such
    as routing and deliveries, hold intake behind it)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._held = False
        self._urgent_waiting = 0

    def acquire(self, urgent: bool, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        with self._cond:
            if urgent:
                self._urgent_waiting += 1
            try:
                while self._held or (not urgent and self._urgent_waiting):
                    left = deadline - time.monotonic()
                    if left <= 0:
                        return False
                    self._cond.wait(left)
                self._held = True
                return True
            finally:
                if urgent:
                    self._urgent_waiting -= 1

    def release(self) -> None:
        with self._cond:
            self._held = False
            self._cond.notify_all()


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Stop the sqlite3 module from issuing BEGIN (and COMMIT before DDL) on its
        # own; `_on_begin` emits it instead, so transactions cover DDL and SAVEPOINTs.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA journal_mode = WAL")
            # Safe against a killed process in WAL mode (only power loss can undo the
            # last commits), and much faster than FULL.
            cursor.execute("PRAGMA synchronous = NORMAL")
            cursor.execute("PRAGMA foreign_keys = ON")
        finally:
            cursor.close()

    # Writers of this process queue at a gate before BEGIN IMMEDIATE. SQLite's own
    # busy handler makes a waiting writer sleep in growing steps (up to 100 ms), so
    # under load the write lock sat idle while threads slept and busy timeouts piled
    # up; the gate hands over at once, urgent writers first. Other processes still
    # wait in the busy handler.
    writers = _WriterGate()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        options = conn.get_execution_options()
        if options.get("isolation_level") == "AUTOCOMMIT":
            return
        mode = str(options.get(SQLITE_BEGIN, "DEFERRED")).upper()
        if mode not in _BEGIN_MODES:
            raise ValueError(f"{SQLITE_BEGIN} must be one of {_BEGIN_MODES}, got {mode!r}")
        if mode != "DEFERRED":
            if not writers.acquire(bool(options.get(URGENT)), SQLITE_BUSY_TIMEOUT_MS / 1000):
                raise TimeoutError("waited too long for this process's SQLite writers")
            conn.info["oncall_writer"] = True
        try:
            conn.exec_driver_sql(f"BEGIN {mode}")
        except BaseException:
            _release(conn)
            raise

    def _release(conn: Connection) -> None:
        if conn.info.pop("oncall_writer", False):
            writers.release()

    # Fired as the transaction ends (just before COMMIT/ROLLBACK is sent; a writer let in
    # that instant waits a moment in SQLite's busy handler).
    event.listen(engine, "commit", _release)
    event.listen(engine, "rollback", _release)


def session_factory(engine: Engine, *, immediate: bool = False,
                    urgent: bool = False) -> sessionmaker[Session]:
    """Sessions bound to `engine`; objects stay readable after commit.

    `immediate=True` matters on SQLite only: every transaction takes the write lock at
    BEGIN, so a unit of work that reads and then writes waits its turn (busy timeout)
    instead of failing with "database is locked" when another writer got in between.
    Use it for writing work; plain sessions suit reads (WAL readers never wait).
    `urgent=True` (with `immediate`): this process's writers waiting with it go after it;
    for intake, which someone waits on."""
    options: dict[str, Any] = {SQLITE_BEGIN: "IMMEDIATE"} if immediate else {}
    if urgent:
        options[URGENT] = True
    bind = engine.execution_options(**options) if options else engine
    return sessionmaker(bind=bind, expire_on_commit=False)


def read_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions for work that only reads. On PostgreSQL they run without a transaction
    (autocommit): each statement sees what was committed when it started, which is all
    a READ COMMITTED transaction gives a reader anyway, and a read then costs one round
    trip instead of three (BEGIN, the query, ROLLBACK; a ROLLBACK also throws away the
    connection's prepared statements). Nothing may be written through them. SQLite:
    plain sessions (a WAL reader's transaction costs nothing)."""
    if engine.dialect.name == "postgresql":
        return sessionmaker(bind=engine.execution_options(isolation_level="AUTOCOMMIT"),
                            expire_on_commit=False)
    return session_factory(engine)


def alembic_config() -> Config:
    """The Alembic Config of the migrations packaged in `bot.store`."""
    from alembic.config import Config
    cfg = Config(str(_ALEMBIC_INI))
    cfg.set_main_option("script_location", str(_PACKAGE_DIR / "migrations"))
    # The application owns logging; env.py must not reconfigure it.
    cfg.attributes["configure_logger"] = False
    return cfg


def head_revision() -> str:
    from alembic.script import ScriptDirectory
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (None: never migrated)."""
    from alembic.runtime.migration import MigrationContext
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the schema up to `revision` (idempotent; safe from several processes)."""
    from alembic import command
    cfg = alembic_config()
    with startup_lock(engine), migration_connection(engine) as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


@contextmanager
def startup_lock(engine: Engine) -> Iterator[None]:
    """Held by one process at a time, across processes: for the start-up steps that
    must not interleave (web and worker processes started together on an empty
    database each migrate and then import the schedules if no team exists; both
    importing failed on the unique team name). PostgreSQL: an advisory lock on its
    own connection; a SQLite file: an exclusive `flock` on a file beside it; an
    in-memory SQLite database belongs to one process and needs none. Not re-entrant:
    take it around one step at a time."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _STARTUP_LOCK_KEY})
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _STARTUP_LOCK_KEY})
        return
    path = sqlite_file(engine)
    if path is None:
        yield
        return
    fd = os.open(f"{path}.start-lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # released by the kernel if this process dies
        yield
    finally:
        os.close(fd)


def sqlite_file(engine: Engine) -> Path | None:
    """The file of a file-backed SQLite database; None for anything else."""
    url = engine.url
    if url.get_backend_name() != "sqlite" or url.query.get("mode") == "memory":
        return None
    if url.database in (None, "", ":memory:") or url.database.startswith("file:"):
        return None
    return Path(url.database)


@contextmanager
def migration_connection(engine: Engine) -> Iterator[Connection]:
    """A connection inside one transaction, ready for Alembic to migrate with.

    SQLite: foreign keys are off meanwhile (batch migrations rebuild tables, and
    dropping the old table would cascade-delete child rows; the pragma only works
    outside a transaction) and checked before commit. PostgreSQL: an advisory lock
    makes concurrent migrations (web and worker starting together) take turns."""
    with engine.connect() as conn:
        raw = conn.connection.dbapi_connection if engine.dialect.name == "sqlite" else None
        if raw is not None:
            raw.execute("PRAGMA foreign_keys = OFF")
        try:
            with conn.begin():
                if engine.dialect.name == "postgresql":
                    conn.execute(
                        text("SELECT pg_advisory_xact_lock(:k)"), {"k": _MIGRATION_LOCK_KEY}
                    )
                yield conn
                if raw is not None:
                    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise RuntimeError(f"migration left dangling foreign keys: {broken[:5]}")
        finally:
            if raw is not None:
                raw.execute("PRAGMA foreign_keys = ON")
