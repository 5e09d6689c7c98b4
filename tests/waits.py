"""Waiting in a test: for an effect, polled until it holds within a bound (never a claim
about how long it takes); or through a bounded real window, counting what happens."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta


def until(check, timeout: float = 10.0, every: float = 0.02) -> bool:
    """Poll `check` until it holds, for at most `timeout` s; returns whether it held."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if check():
            return True
        time.sleep(every)
    return bool(check())


class RealTimeFrom:
    """A clock that runs at real speed from `start`: a runtime's passes and sleeps go as
    in production, at an instant a test chose. An idle window on the machine's own
    clock counted a shift change falling in it (15:00 UTC is one of the example team's)
    as idleness's cost."""

    def __init__(self, start: datetime):
        self._start, self._t0 = start, time.monotonic()

    def now(self) -> datetime:
        return self._start + timedelta(seconds=time.monotonic() - self._t0)


# Away from every shift change of the example team (the nearest is 14:00 UTC in July).
QUIET = datetime(2026, 7, 1, 12, 20, tzinfo=UTC)


def idle_statements(runtime, window: float) -> list[str]:
    """The first word of every statement `runtime` (its jobs started on a clock that
    runs at real speed: the system's, or `RealTimeFrom`) runs over `window` s of real
    time once it is idle: its first pass done, its sends done, and a second for
    start-up's own writes to settle."""
    from sqlalchemy import event

    assert until(lambda: runtime.jobs.completed >= 1 and runtime.dispatch.idle())
    time.sleep(1.0)  # the first pass reads every team; its writes settle
    statements: list[str] = []
    listen = lambda *args: statements.append(args[2].split()[0])  # noqa: E731
    event.listen(runtime.engine, "before_cursor_execute", listen)
    time.sleep(window)  # the window counted: a count, not a timing assertion
    event.remove(runtime.engine, "before_cursor_execute", listen)
    return statements


def to_block(seconds: float = 0.2) -> None:
    """Give a thread just started time to reach a wait it cannot signal from inside (a
    lock, a gate): a pause for ordering, not a wait for a deadline."""
    time.sleep(seconds)


@contextmanager
def writer_gate_held(sessions) -> Iterator[None]:
    """A writer from the SQLite session factory `sessions` holds this process's writer
    gate (and the database's write lock) until the block ends: the writers started
    inside it queue at the gate."""
    from sqlalchemy import text

    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with sessions() as s, s.begin():
            s.execute(text("SELECT 1")).all()  # BEGIN IMMEDIATE: through the gate
            holding.set()
            release.wait(10)

    holder = threading.Thread(target=hold, name="gate-holder")
    holder.start()
    try:
        assert holding.wait(5), "the gate was not taken"
        yield
    finally:
        release.set()
        holder.join(10)
