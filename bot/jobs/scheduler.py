"""APScheduler runs the reconciler: a pass, then none until something is due; all state
lives in the database.

Each pass (`tick`) fires what is due and answers how long until the next thing it
knows is due (the next deadline, retry, lease expiry, shift change), or None when it
knows of nothing. The one job is then moved to that time, never later than the safety
sweep (`interval`, the job's interval trigger), and brought forward by `wake()`: a
commit in this process that created work, or a PostgreSQL notification from another
one. An idle bot thus runs one pass per sweep. The pass holds no state of its own, so
a restart loses nothing: the next pass finds every due row.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.background import BackgroundScheduler

log = logging.getLogger(__name__)
JOB_ID = "reconcile"
# Passes start at least this far apart when a wake-up (a commit here, a notification
# from another process) asks for one: under load every commit wakes every process,
# and a pass that finds nothing due still costs its statements and a few milliseconds
# of the interpreter lock the acknowledgements need. Nothing a wake-up announces is
# due sooner (this process sends its own messages and routes its own requests; a
# deadline is seconds away at least), so four passes a second at most lose nothing.
WAKE_GAP = 0.25
# A pass for a due time waits only this after the previous one started.
MIN_GAP = 0.02
# Waking a little after a due time, not before it: the pass compares with `<=`.
LATE_BY = 0.002
# A wake-up while a pass runs is kept (`_woken`) and answered when it ends; APScheduler
# would otherwise log the skipped run (max_instances=1) as a warning.
logging.getLogger("apscheduler.scheduler").setLevel(logging.ERROR)
logging.getLogger("apscheduler.executors.default").setLevel(logging.ERROR)


class Jobs:
    def __init__(self, tick: Callable[[], float | None], interval: float = 5.0,
                 min_gap: float = MIN_GAP, wake_gap: float = WAKE_GAP):
        """`tick` runs one pass and returns the seconds until its next due work (None:
        none known); `interval` is the safety sweep, the longest wait."""
        self._tick = tick
        self.interval = interval
        self._min_gap = min(min_gap, interval)
        self._wake_gap = min(max(wake_gap, self._min_gap), interval)
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)  # notified when a pass ends
        self._in_pass = self._woken = self._stopping = False
        self._last = float("-inf")
        self.passes = self.completed = 0  # passes started, ended (tests and benchmarks)
        self.scheduler = BackgroundScheduler(
            timezone="UTC", executors={"default": ThreadPoolExecutor(1)})
        self.scheduler.add_job(self._run, "interval", seconds=interval, id=JOB_ID,
                               next_run_time=datetime.now(UTC), coalesce=True,
                               max_instances=1, misfire_grace_time=None)

    def start(self) -> None:
        if not self.scheduler.running:
            self.scheduler.start()

    @property
    def running(self) -> bool:
        return self.scheduler.running

    def wake(self) -> None:
        """Run a pass now instead of at the next due time."""
        with self._lock:
            already, self._woken = self._woken, True
            if self._in_pass:
                return  # the pass running now ends by scheduling the next one at once
            if already:
                # A pass is already moved to the wake-up gap and has not started: under
                # load every commit wakes, and moving the job again (APScheduler's
                # modify_job, its events, its thread woken) cost each of them the
                # interpreter lock for nothing.
                return
            # Under the lock: a pass ending now moves the job after this, not over it.
            self._schedule(0.0, self._wake_gap)

    def stop(self, timeout: float = 30.0) -> bool:
        """No pass starts after this; the one under way (if any) is waited for, up to
        `timeout` s. False when it did not end in time.

        Not `shutdown(wait=True)`: APScheduler holds its job-store lock while it waits
        for the running job, and a pass ends by moving the job (`modify_job`), which
        takes that lock. A SIGTERM during a pass hung the process until it was killed
        (gunicorn's graceful timeout, 10 s)."""
        with self._lock:
            self._stopping = True
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        until = time.monotonic() + timeout
        with self._idle:
            while self._in_pass:
                left = until - time.monotonic()
                if left <= 0:
                    log.warning("stopping: a reconcile pass still running after %.0f s",
                                timeout)
                    return False
                self._idle.wait(left)
        return True

    def _schedule(self, seconds: float, gap: float | None = None) -> None:
        """Move the job's next run `seconds` from now, never sooner than `gap` (default
        MIN_GAP) after the last pass started."""
        if self._stopping:
            return
        gap = self._min_gap if gap is None else gap
        earliest = self._last + gap - time.monotonic()
        at = datetime.now(UTC) + timedelta(seconds=max(seconds, earliest, 0.0))
        try:
            self.scheduler.modify_job(JOB_ID, next_run_time=at)
        except JobLookupError:  # shutting down
            return

    def _run(self) -> None:
        with self._lock:
            if self._stopping:  # submitted just before `stop`: nothing starts after it
                return
            self._in_pass, self._woken = True, False
        self._last = time.monotonic()
        self.passes += 1
        try:
            due_in = self._tick()
        except Exception:  # a bad pass must not stop the next one
            log.exception("reconcile pass failed")
            due_in = None
        self.completed += 1
        wait = self.interval if due_in is None else min(max(due_in, 0.0) + LATE_BY,
                                                        self.interval)
        # The next run is moved under the lock, as `wake()` moves it: moved outside, a
        # wake-up coming just after the pass ended could be overwritten by the pass's
        # later due time (and wait a whole safety sweep).
        with self._lock:
            self._in_pass = False
            if self._woken:
                self._schedule(0.0, self._wake_gap)
            else:
                self._schedule(wait)
            self._idle.notify_all()
