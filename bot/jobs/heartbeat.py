"""The dead-man heartbeat: GET `ONCALL_HEARTBEAT_URL` once a minute while healthy.

An outside monitor (Healthchecks.io, an Opsgenie heartbeat) expects the GET every
minute and pages when it stops coming: when the process dies, the machine goes away,
the database cannot be reached or the reconciler stalls. So the ping is offered only at
the end of a completed reconciler pass whose heartbeat reached the database (what
`/readyz` checks), never from a timer of its own that would go on while the
reconciler is stuck.

The GET runs on a thread of its own with a short timeout: a slow or unreachable
monitor never holds the reconciler, and a ping still under way when the next is due is
not doubled. Time comes from the injected clock, so tests move it by hand.
"""

from __future__ import annotations

import logging
import threading
import urllib.error
import urllib.request
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime, timedelta

from bot.clock import Clock

log = logging.getLogger(__name__)
EVERY = timedelta(minutes=1)
TIMEOUT = 5.0  # seconds for the whole GET; the next minute tries again anyway


class HeartbeatPinger:
    def __init__(self, url: str | None, clock: Clock, every: timedelta = EVERY,
                 timeout: float = TIMEOUT):
        self.url = url
        self._clock = clock
        self._every = every
        self._timeout = timeout
        self._next: datetime | None = None
        self._lock = threading.Lock()
        self._pending: Future | None = None
        self._pool: ThreadPoolExecutor | None = None
        self.sent = 0  # GETs answered with a 2xx (for the log and for tests)

    def healthy(self) -> bool:
        """A reconciler pass completed: ping if a minute has passed since the last ping.
        Returns at once (True when a ping was started)."""
        if not self.url:
            return False
        now = self._clock.now()
        with self._lock:
            if self._next is not None and self._next - self._every <= now < self._next:
                return False  # (a clock set back more than a minute starts afresh)
            if self._pending is not None and not self._pending.done():
                return False  # the last one is still on its way
            if self._pool is None:
                self._pool = ThreadPoolExecutor(1, thread_name_prefix="heartbeat")
            self._next = now + self._every
            try:
                self._pending = self._pool.submit(self._ping)
            except RuntimeError:  # shutting down
                return False
        return True

    def _ping(self) -> None:
        request = urllib.request.Request(self.url, method="GET",
                                         headers={"User-Agent": "oncall-bot heartbeat"})
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as response:
                response.read(1024)
        except (urllib.error.URLError, OSError, ValueError) as err:
            # The monitor pages when pings stop; one lost ping is its grace period's job.
            log.warning("heartbeat GET to ONCALL_HEARTBEAT_URL failed: %s", err)
            return
        self.sent += 1

    def wait_idle(self, timeout: float = 10.0) -> None:
        """Wait for a ping under way (tests, shutdown)."""
        with self._lock:
            pending = self._pending
        if pending is not None:
            try:
                pending.result(timeout)
            except Exception:  # noqa: BLE001 - _ping logs its own failures
                log.debug("waiting for the heartbeat ping", exc_info=True)

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
