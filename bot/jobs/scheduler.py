"""APScheduler wakes the reconciler; all state lives in the database.

One interval job runs `tick` (fire due deadlines, deliver the outbox). It holds no
state of its own, so a restart loses nothing: the next tick finds every due row.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from apscheduler.schedulers.background import BackgroundScheduler

log = logging.getLogger(__name__)
JOB_ID = "reconcile"
# A tick still running when the next is due is skipped on purpose (max_instances=1);
# APScheduler would log that as a warning several times a second under load.
logging.getLogger("apscheduler.scheduler").setLevel(logging.ERROR)
logging.getLogger("apscheduler.executors.default").setLevel(logging.ERROR)


class Jobs:
    def __init__(self, tick: Callable[[], object], interval: float = 0.25):
        self._tick = tick
        self.interval = interval
        self.scheduler = BackgroundScheduler(timezone="UTC")
        self.scheduler.add_job(self._run, "interval", seconds=interval, id=JOB_ID,
                               coalesce=True, max_instances=1, misfire_grace_time=None)

    def _run(self) -> None:
        try:
            self._tick()
        except Exception:  # a bad tick must not stop the next one
            log.exception("reconcile tick failed")

    def start(self) -> None:
        if not self.scheduler.running:
            self.scheduler.start()

    def wake(self) -> None:
        """Run the tick now instead of at the next interval."""
        if self.scheduler.running:
            self.scheduler.modify_job(JOB_ID, next_run_time=datetime.now(UTC))

    def stop(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)
