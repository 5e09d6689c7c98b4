"""SQLite's wake-ups between processes: it has no LISTEN/NOTIFY, so a process hears of
another's commits by watching the database file and its write-ahead log.

Every `POLL` seconds a thread compares the two files' size and modification time with
what it saw last; a change wakes the reconciler (`on_change`). This process's own
commits change the files too: once one is done (its connection handed back), the watch
takes the files as they are then, so they wake no second pass (the in-process wake-up of
`bot.store.wakeups.watch` covered them). A commit of another process that lands in the
instant between one of ours and that look is missed here; the reconciler's safety sweep
(bot.app.pacing) still finds its work. Looking at two files costs no SQL statement, so
an idle bot on SQLite reads its database only at that sweep.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable

from sqlalchemy import Engine, event

log = logging.getLogger(__name__)
POLL = 0.25  # seconds between two looks at the files
_OWN = "oncall_own_commit"

Stamp = tuple[tuple[int, int] | None, ...]


class FileWatch:
    """The interface of `bot.store.wakeups.Listener` (start, stop), for a SQLite file."""

    def __init__(self, engine: Engine, on_change: Callable[[], None], every: float = POLL):
        database = engine.url.database or ""
        self._paths = (database, database + "-wal")
        self._on_change = on_change
        self._every = every
        self._lock = threading.Lock()
        self._seen = self._stamp()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        event.listen(engine, "commit", _mark_own)
        event.listen(engine.pool, "checkin", self._after_own)

    def _stamp(self) -> Stamp:
        out = []
        for path in self._paths:
            try:
                st = os.stat(path)
            except OSError:
                out.append(None)
            else:
                out.append((st.st_mtime_ns, st.st_size))
        return tuple(out)

    def _after_own(self, _dbapi, record) -> None:
        if record is not None and record.info.pop(_OWN, False):
            with self._lock:
                self._seen = self._stamp()

    def changed(self) -> bool:
        """Whether the files changed since the last look (or this process's commit)."""
        with self._lock:
            now = self._stamp()
            moved, self._seen = now != self._seen, now
        return moved

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="file-watch", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.wait(self._every):
            if self.changed():
                try:
                    self._on_change()
                except Exception:  # noqa: BLE001 - a wake-up must never stop the watch
                    log.exception("waking the reconciler failed")


def _mark_own(conn) -> None:
    conn.info[_OWN] = True


def file_watch(engine: Engine, on_change: Callable[[], None]) -> FileWatch | None:
    """A watch of the engine's SQLite file, or None (an in-memory database)."""
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        return None
    return FileWatch(engine, on_change)
