"""Wake-ups: which commits create work, who hears of them, and what is due next.

A transaction that writes work for the reconciler or the sending threads (an outbox
row, a deadline, a request, a crisis; rows put back to pending by `work_created`) is
marked as its statements run. When it commits:

- on PostgreSQL it sends `NOTIFY oncall_work` inside the same transaction, so every
  process listening (`Listener`, one connection each) hears of it once the rows are
  visible, and never for a transaction rolled back. Only when another process must do
  the work: this one runs no jobs now (a web process, or one stopping), or the work is
  marked as any process's (`work_for_any`: a request left for routing, which the
  first free router should take). A process running its jobs does its own work (it
  sends what it claimed, its reconciler is woken in-process, and its due times reach
  the others' reconcilers through their next look); a dead one's is taken over
  through leases and liveness, which no notification carries. Under load every
  notification cost each listening process a wake-up and the database a signal, for
  nothing;
- in this process, once the connection is handed back after the commit, the
  callbacks given to `watch` run (the in-process wake-up);
- on SQLite, other processes notice the database file change (`bot.store.file_wakeups`).

`outlook` is the one statement an idle reconciler runs: when the next deadline, send,
lease expiry, crisis reminder, on-call group update or sweep step is due, since when requests
wait for routing, and a fingerprint of the teams' revisions (an edit moves it).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from select import POLLIN, POLLPRI, poll
from typing import Any

from sqlalchemy import Engine, event, func, select
from sqlalchemy.orm import Session

from bot.store.crisis_tables import CARD_FINAL, CrisisRow
from bot.store.file_wakeups import file_watch
from bot.store.paging_tables import DeadlineRow, OutboxRow, RequestRow
from bot.store.shift_tables import OncallGroupRow
from bot.store.sweep_tables import SweepRow, SweepTurnRow
from bot.store.sweeps import open_turn
from bot.store.tables import TeamRow

log = logging.getLogger(__name__)
CHANNEL = "oncall_work"
# Inserts that are work for some reconciler or sending thread (a prefix test on the SQL
# text, so an ORM flush and a Core insert are caught alike, wherever they are written).
WORK_INSERTS = tuple(f"INSERT INTO {t} " for t in ("outbox", "deadlines", "requests",
                                                   "crises"))
_WRITES, _COMMITTED = "oncall_work_written", "oncall_work_committed"
_FOR_ANY = "oncall_work_for_any"
# The setting every pooled connection of a process carries on PostgreSQL: its number
# (given at connect by bot.store.liveness). A notification says which process sent it,
# so a listener passes over its own process's commits: they woke it in-process already,
# and under load a second wake-up per commit cost the interpreter lock for nothing.
PROCESS_SETTING = "oncall.holder"
_NOTIFY = (f"SELECT pg_notify('{CHANNEL}', "
           f"coalesce(current_setting('{PROCESS_SETTING}', true), ''))")


def creates_work(statement: str) -> bool:
    """Whether a statement inserts work: it starts with one of `WORK_INSERTS`, or it
    carries inserts as data-modifying CTEs (`WITH x AS (INSERT INTO outbox ...) INSERT
    ...`, bot.store.bulk) and one of them is."""
    if statement.startswith(WORK_INSERTS):
        return True
    return statement.startswith("WITH") and any(w in statement for w in WORK_INSERTS)


def work_created(session: Session) -> None:
    """Mark the session's transaction as creating work the statements do not show
    (outbox rows put back to pending, to be sent again at a later time: the store's
    `release_outbox_rows` and `retry_or_fail_outbox_rows` call it)."""
    session.connection().info[_WRITES] = True


def work_for_any(session: Session) -> None:
    """Mark the session's transaction as creating work the first free process should
    take, whichever it is: its commit notifies even where this process runs its jobs."""
    info = session.connection().info
    info[_WRITES] = info[_FOR_ANY] = True


def watch(engine: Engine, on_commit: Callable[[], None],
          does_own_work: Callable[[], bool] = lambda: False) -> None:
    """Notify on commits of `engine` that create work (see the module docstring) and
    call `on_commit` after each of them, in this process. `does_own_work()`: whether
    this process runs its jobs now; while it does, only work marked `work_for_any` is
    notified."""

    @event.listens_for(engine, "before_cursor_execute")
    def _mark(conn, _cursor, statement: str, _params, _context, _many) -> None:
        if creates_work(statement):
            conn.info[_WRITES] = True

    postgres = engine.dialect.name == "postgresql"

    @event.listens_for(engine, "commit")
    def _committing(conn) -> None:
        for_any = conn.info.pop(_FOR_ANY, False)
        if not conn.info.pop(_WRITES, False):
            return
        conn.info[_COMMITTED] = True
        # Delivered with the commit; several in one transaction fold into one.
        if postgres and (for_any or not does_own_work()):
            cursor = conn.connection.dbapi_connection.cursor()
            try:
                cursor.execute(_NOTIFY)
            finally:
                cursor.close()

    @event.listens_for(engine, "rollback")
    def _rolled_back(conn) -> None:
        conn.info.pop(_WRITES, None)
        conn.info.pop(_FOR_ANY, None)

    # After the commit, the session hands its connection back: the rows are visible.
    @event.listens_for(engine.pool, "checkin")
    def _checked_in(_dbapi, record) -> None:
        if record is not None and record.info.pop(_COMMITTED, False):
            try:
                on_commit()
            except Exception:  # noqa: BLE001 - a wake-up must never fail a commit
                log.exception("waking the reconciler failed")


@dataclass(frozen=True)
class Outlook:
    """What is due next, as one statement read it (None: nothing of that kind)."""

    next_deadline: datetime | None
    next_send: datetime | None  # a pending outbox row's next attempt
    next_expiry: datetime | None  # a lease on a row being sent runs out
    received: datetime | None  # the oldest request waiting for routing
    teams: tuple[int, int]  # (count, sum of revisions): an edit or import moves it
    crisis_remind: datetime | None
    crisis_setup: bool  # an active crisis lacks its channel or status card
    crisis_active: bool  # or an ended one whose card does not say so yet
    groups_next: datetime | None  # on-call group members to send
    sweep_next: datetime | None  # a sweep's next turn, a turn's nudge or missed report

    def times(self) -> tuple[datetime | None, ...]:
        """Every due time it read."""
        # Not `next_expiry`: leases are the lease keeper's (bot.jobs.leases), not a
        # pass's, so a lease running out is no reason to wake the reconciler.
        return (self.next_deadline, self.next_send, self.crisis_remind,
                self.groups_next, self.sweep_next)


def _first(column, *where):
    return select(func.min(column)).where(*where).scalar_subquery()


_OUTLOOK = select(
    _first(DeadlineRow.due_utc, DeadlineRow.state == "pending"),
    _first(OutboxRow.next_attempt_utc, OutboxRow.state == "pending"),
    _first(OutboxRow.next_attempt_utc, OutboxRow.state == "sending"),
    _first(RequestRow.created_utc, RequestRow.status == "received"),
    select(func.count()).select_from(TeamRow).scalar_subquery(),
    select(func.coalesce(func.sum(TeamRow.revision), 0)).scalar_subquery(),
    _first(CrisisRow.remind_due_utc, CrisisRow.status == "active"),
    select(CrisisRow.id).where(CrisisRow.status == "active",
                               (CrisisRow.channel.is_(None)) | (CrisisRow.card_ts.is_(None))
                               ).exists(),
    select(CrisisRow.id).where((CrisisRow.status == "active") | (
        CrisisRow.card_ts.is_not(None) & (CrisisRow.card_shown != CARD_FINAL))).exists(),
    _first(OncallGroupRow.next_try_utc, OncallGroupRow.wanted.is_not(None)),
    # The same conditions as the sweep service's own reads (bot.store.sweeps).
    _first(SweepRow.next_due_utc, SweepRow.stopped_utc.is_(None)),
    _first(SweepTurnRow.nudge_utc, *open_turn(), SweepTurnRow.nudged_utc.is_(None)),
    _first(SweepTurnRow.due_utc, *open_turn(), SweepTurnRow.reported_utc.is_(None)),
)


def _utc(at: Any) -> datetime | None:
    # An aggregate has no column type to convert with: SQLite hands back text.
    if at is None:
        return None
    if isinstance(at, str):
        at = datetime.fromisoformat(at)
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def outlook(session: Session) -> Outlook:
    row = session.execute(_OUTLOOK).one()
    sweeps = [at for at in map(_utc, row[10:13]) if at is not None]
    return Outlook(_utc(row[0]), _utc(row[1]), _utc(row[2]), _utc(row[3]),
                   (int(row[4]), int(row[5])), _utc(row[6]), bool(row[7]), bool(row[8]),
                   _utc(row[9]), min(sweeps, default=None))


def across_processes(engine: Engine, on_wake: Callable[[], None], process: Any = None):
    """What hears other processes' commits: a `Listener` on PostgreSQL, a watch of the
    file on SQLite (None for an in-memory one). Started and stopped by the caller.
    `process`: this process's `bot.store.liveness.Liveness` (its `holder`, the number its
    commits' notifications carry, is passed over)."""
    if engine.dialect.name == "postgresql":
        own = (lambda: None) if process is None else (lambda: process.holder)
        return Listener(engine, on_wake, own=own)
    return file_watch(engine, on_wake)


# How soon a stopping listener notices (four wake-ups a second of an idle thread cost
# next to nothing).
STOP_SEEN_IN = 0.25


class Listener:
    """LISTEN (or what `setup` makes it for: bot.store.liveness holds a lock on it) on a
    connection of its own, on a thread of its own; `on_notify` runs for each
    notification. When the connection is lost (the database restarted), it is opened
    again with a growing pause, said once at warning; once back, `on_notify` runs (what
    was notified meanwhile was missed)."""

    def __init__(self, engine: Engine, on_notify: Callable[[], None],
                 backoff: tuple[float, float] = (0.5, 10.0),
                 setup: Callable[[Any], None] | None = None, what: str = "listens for wake-ups",
                 meanwhile: str = ", and sweeping every few seconds meanwhile",
                 own: Callable[[], int | None] = lambda: None):
        """`setup(conn)`: what the connection is for, run on each (re)connection
        (default: LISTEN); it may raise to have the connection tried again after a
        pause. `what`, `meanwhile`: the connection's purpose and what covers for it
        while it is lost, for the log. `own()`: this process's number; notifications
        it sent are passed over."""
        self._own = own
        self._connect_args = engine.dialect.create_connect_args(engine.url)
        self._setup = setup or (lambda conn: conn.execute(f"LISTEN {CHANNEL}"))
        self._what, self._meanwhile = what, meanwhile
        self._on_notify = on_notify
        self._backoff = backoff
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.listening = threading.Event()  # set while LISTEN is in place

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="listen", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _connect(self):
        import psycopg

        cargs, cparams = self._connect_args
        conn = psycopg.connect(*cargs, **{"connect_timeout": 2, **cparams}, autocommit=True)
        try:
            self._setup(conn)
        except BaseException:
            conn.close()
            raise
        return conn

    def _run(self) -> None:
        pause, lost, opened = self._backoff[0], False, False
        while not self._stop.is_set():
            try:
                with self._connect() as conn:
                    self.listening.set()
                    opened = True
                    if lost:
                        log.info("the connection that %s is back", self._what)
                        lost, pause = False, self._backoff[0]
                        self._on_notify()
                    self._listen(conn)
            except Exception as err:  # noqa: BLE001 - any loss: reconnect after a pause
                self.listening.clear()
                if not lost:  # (never opened: at start, the database unreachable)
                    log.warning("%s the connection that %s (%s); retrying%s",
                                "lost" if opened else "could not open", self._what,
                                type(err).__name__, self._meanwhile)
                lost = True
                self._stop.wait(pause)
                pause = min(pause * 2, self._backoff[1])
        self.listening.clear()

    def _listen(self, conn) -> None:
        # The thread waits in poll() on the connection's socket, and reads only once
        # something came: psycopg's `notifies(timeout=...)` polls every 0.1 s inside,
        # which took 5 ms of CPU a second of an idle bot (most of what it cost idle) and
        # took the interpreter lock from the acknowledgements under load. The poll's
        # timeout only lets a stop (a deploy waits for it) be seen within STOP_SEEN_IN.
        # A lost connection shows as readable: the read raises, and `_run` reconnects.
        waiting = poll()
        waiting.register(conn.pgconn.socket, POLLIN | POLLPRI)
        while not self._stop.is_set():
            if waiting.poll(STOP_SEEN_IN * 1000):
                for notified in conn.notifies(timeout=0):
                    if notified.payload and notified.payload == str(self._own()):
                        continue
                    self._on_notify()
            if conn.closed:
                raise ConnectionError("the listening connection closed")
