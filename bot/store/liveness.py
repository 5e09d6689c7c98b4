"""Is the process sending a row still alive? On PostgreSQL, the database says.

A row being sent is claimed under a lease its holder renews (`bot.store.paging.LEASE`):
a holder that stops renewing is taken for dead once its lease ran out. That is the
only sign on SQLite, and the lease must be long, because a live holder starved of CPU
in a surge must not lose its rows (both would post). So a killed process's rows
waited most of a lease before a survivor took them over.

PostgreSQL knows sooner: a session that ends (its process was killed, its machine went
away) gives up its locks at once. So each process takes a number at start and holds a
session advisory lock on it, on a connection of its own, for as long as it lives.
Every other connection it opens carries the number (the `oncall.holder` setting), and
the outbox rows it claims record it (`outbox.holder`, migration 0020). A row whose
holder no longer holds its lock is taken over at a survivor's next look, within about
`LOOK_EVERY` (bot.services.outbox_leases); a live holder keeps its rows for the whole
lease however starved it is, as before.

When the lock's connection is lost (the database restarted), it is opened again and
the lock taken again (`bot.store.wakeups.Listener` reconnects). Meanwhile the others may
take this process's rows over, as after a lease that ran out: its renewal then finds
they are no longer held under its number, and it sends none of them.
"""

from __future__ import annotations

import logging
import random
from typing import Any

from sqlalchemy import Engine, event, text

from bot.store.wakeups import PROCESS_SETTING as SETTING
from bot.store.wakeups import Listener

log = logging.getLogger(__name__)
NAMESPACE = 0x6F6E  # the advisory locks' first key: this bot's process numbers
# How often a process looks for a dead holder's rows while other processes are sending
# (one read; none while nobody else sends).
LOOK_EVERY = 1.0
# A claim's holder: the claiming connection's process number (NULL on a connection that
# does not carry one). The column's default on PostgreSQL is the same (migration 0020).
HOLDER = text(f"nullif(current_setting('{SETTING}', true), '')::integer")
# The numbers of this database's processes alive now: those whose lock is held.
LIVE_HOLDERS = (
    "SELECT l.objid FROM pg_locks l WHERE l.locktype = 'advisory' AND l.granted"
    f" AND l.classid = {NAMESPACE} AND l.objsubid = 2"
    " AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())")
# The rows (of `outbox`) whose holder's lock is gone. The locks are read once per
# statement (a hashed subplan).
DEAD_HOLDER = text(
    f"outbox.holder IS NOT NULL AND outbox.holder::oid NOT IN ({LIVE_HOLDERS})")


class HolderBusy(RuntimeError):
    """The lock on this process's number is held by another session."""


class Liveness:
    """This process's number and the lock that says it is alive (PostgreSQL; on SQLite
    `holder` is None and nothing happens). Create it before the engine opens its first
    connection, so that every connection carries the number; `start` before the process
    claims its first row."""

    def __init__(self, engine: Engine):
        self.holder: int | None = None
        self._listener: Listener | None = None
        if engine.dialect.name != "postgresql":
            return
        self._engine = engine
        self.holder = _new_number()
        self._held_once = False
        event.listen(engine, "do_connect", self._tag)
        self._listener = Listener(
            engine, lambda: None, setup=self._lock,
            what="holds this process's liveness lock",
            meanwhile=": other processes may take over the messages it is sending")

    @property
    def enabled(self) -> bool:
        return self._listener is not None

    def start(self, wait: float = 5.0) -> bool:
        """Take the lock (on a thread that keeps its connection); True once held."""
        if self._listener is None:
            return True
        self._listener.start()
        if self._listener.listening.wait(wait):
            return True
        log.warning("could not take this process's liveness lock within %g s; other "
                    "processes may take over what it sends until it has it", wait)
        return False

    def stop(self, timeout: float = 5.0) -> None:
        """Give the lock up (the connection closes): to the others, this process is gone."""
        if self._listener is not None:
            self._listener.stop(timeout)

    def _tag(self, _dialect: Any, _record: Any, _cargs: Any, cparams: dict) -> None:
        options = cparams.get("options", "")
        cparams["options"] = f"{options} -c {SETTING}={self.holder}".strip()

    def _lock(self, conn: Any) -> None:
        for _ in range(5):
            got = conn.execute("SELECT pg_try_advisory_lock(%s, %s)",
                               (NAMESPACE, self.holder)).fetchone()[0]
            if got:
                self._held_once = True
                return
            if self._held_once:  # this process's old session still holds it: wait
                raise HolderBusy(f"process number {self.holder} is still held")
            # Another process drew the same number first: draw again, before this one
            # claimed anything under it; connections open with the old one are closed.
            self.holder = _new_number()
            self._engine.dispose()
        raise HolderBusy("no free process number after 5 draws")


def _new_number() -> int:
    return random.SystemRandom().randrange(1, 2**31)
