"""The lease keeper: the outbox's leases kept on a thread of their own.

A row being sent holds a lease (`bot.store.paging.LEASE`) that its holder renews while
the send is under way; once a lease runs out, any process takes the row over
(`bot.services.outbox_leases`). Renewing on the reconciler's pass tied both to however
long that pass took: when it fell behind by seconds, live processes took each other's
rows, and a dead process's rows waited for the next slow pass (a web process without
jobs never renewed at all). Here they follow the clock alone:

- every `RENEW_EVERY` (a third of the lease) the rows this process holds are renewed;
  nothing is issued when it holds none;
- every `TAKE_OVER_EVERY` rows whose holder stopped renewing are taken over (one
  statement), and `taken` is told so that they are sent now, not at the next pass.

A dead holder's rows thus move within LEASE + TAKE_OVER_EVERY of its last renewal.
The cadence is wall time (a thread's wait); the lease times themselves are the injected
clock's, read by the outbox.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from bot.store.paging import LEASE

log = logging.getLogger(__name__)
RENEW_EVERY = LEASE.total_seconds() / 3
TAKE_OVER_EVERY = 3.0  # one idle statement every 3 s; a dead holder's rows move within ~9 s


class LeaseKeeper:
    def __init__(self, renew: Callable[[], object], take_over: Callable[[], int],
                 taken: Callable[[int], None] | None = None,
                 renew_every: float = RENEW_EVERY, take_over_every: float = TAKE_OVER_EVERY):
        """`renew()`: renew what this process holds. `take_over()`: take over expired
        rows, returning how many. `taken(n)`: called after rows were taken over."""
        self._renew, self._take_over, self._taken = renew, take_over, taken
        self._renew_every, self._take_over_every = renew_every, take_over_every
        # When each is next due (monotonic); set on start to a period later.
        self._next_renew = self._next_take_over = 0.0
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the thread (once; later calls return at once)."""
        if self._thread is not None:
            return
        with self._lock:
            if self._thread is None and not self._stop.is_set():
                # Start-up took over what was expired then (`Runtime.recover`); rows
                # just claimed need no renewal yet: both wait a period.
                now = time.monotonic()
                self._next_renew = now + self._renew_every
                self._next_take_over = now + self._take_over_every
                self._thread = threading.Thread(target=self._run, name="leases", daemon=True)
                self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop renewing (a process that stops this way without settling its rows is,
        to the others, a dead one: its leases run out and they take its rows over)."""
        self._stop.set()
        with self._lock:
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def keep(self) -> int:
        """One pass: renew, and take over, whichever is due. Returns the rows taken
        over."""
        now = time.monotonic()
        if now >= self._next_renew:
            self._next_renew = now + self._renew_every
            self._renew()
        if now < self._next_take_over:
            return 0
        self._next_take_over = now + self._take_over_every
        taken = self._take_over()
        if taken and self._taken is not None:
            self._taken(taken)
        return taken

    def _run(self) -> None:
        while not self._stop.wait(self._until_due()):
            try:
                self.keep()
            except Exception as err:  # noqa: BLE001 - a database blip: the next pass retries
                log.warning("keeping the outbox's leases failed (retried in %g s): %s",
                            self._renew_every, err)

    def _until_due(self) -> float:
        return max(min(self._next_renew, self._next_take_over) - time.monotonic(), 0.0)
