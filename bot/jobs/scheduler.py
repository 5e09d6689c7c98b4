"""The reconciler's thread: a pass, then a sleep until something is due; all state lives
in the database.

Each pass (`tick`) fires what is due and answers how long until the next thing it
knows is due (the next deadline, retry, lease expiry, shift change), or None when it
knows of nothing. The thread sleeps that long, never longer than the safety sweep
(`interval`), and wakes early on `wake()`: a commit in this process that created work,
or a PostgreSQL notification from another one. An idle bot thus runs one pass per
sweep. The pass holds no state of its own, so a restart loses nothing: the next pass
finds every due row.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

log = logging.getLogger(__name__)
# Wake-ups closer together than this are taken as one pass: under load every commit
# wakes every process, and a pass that finds nothing due still costs a statement.
MIN_GAP = 0.02
# Waking a little after a due time, not before it: the pass compares with `<=`.
LATE_BY = 0.002


class Jobs:
    def __init__(self, tick: Callable[[], float | None], interval: float = 5.0,
                 min_gap: float = MIN_GAP):
        """`tick` runs one pass and returns the seconds until its next due work (None:
        none known); `interval` is the safety sweep, the longest sleep."""
        self._tick = tick
        self.interval = interval
        self._min_gap = min(min_gap, interval)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.passes = self.completed = 0  # passes started, ended (tests and benchmarks)

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="reconcile", daemon=True)
            self._thread.start()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def wake(self) -> None:
        """Run a pass now instead of at the next due time."""
        self._wake.set()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        self._wake.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout)

    def _run(self) -> None:
        last = float("-inf")
        while not self._stop.is_set():
            gap = last + self._min_gap - time.monotonic()
            if gap > 0 and self._stop.wait(gap):
                break
            self._wake.clear()  # a wake-up during the pass runs the next pass at once
            last = time.monotonic()
            self.passes += 1
            try:
                due_in = self._tick()
            except Exception:  # a bad pass must not stop the next one
                log.exception("reconcile pass failed")
                due_in = None
            self.completed += 1
            sleep = self.interval if due_in is None else min(max(due_in, 0.0) + LATE_BY,
                                                             self.interval)
            self._wake.wait(sleep)
