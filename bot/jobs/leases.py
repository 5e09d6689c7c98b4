"""The lease keeper: the outbox's leases kept on a thread of their own.

A row being sent holds a lease (`bot.store.paging.LEASE`) that its holder renews while
the send is under way; once a lease runs out, any process takes the row over
(`bot.services.outbox_leases`). Renewing on the reconciler's pass tied both to however
long that pass took: when it fell behind by seconds, live processes took each other's
rows, and a dead process's rows waited for the next slow pass (a web process without
jobs never renewed at all). Here they follow the clock alone:

- every `RENEW_EVERY` (a third of the lease) the rows this process holds are renewed;
  nothing is issued when it holds none;
- rows whose holder stopped renewing are taken over, and `taken` is told so that they
  are sent now, not at the next pass. The look is timed by the leases it saw: it reads
  when the earliest lease of another holder ends and looks again just after (a live
  holder renews before then: the next look follows its new end); seeing none, it looks
  again a whole lease later, since a row claimed after that read cannot run out sooner.
  An idle process thus issues one statement per LEASE; a take-over callable that only
  says how many it took (tests, tools) is run every `TAKE_OVER_EVERY`.

A dead holder's rows thus move within about a lease of its last renewal (before, up to
a lease and a fixed 3 s poll).
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
TAKE_OVER_EVERY = 3.0  # the period when the take-over does not say when leases end
# A look at the leases goes this long after the end it waits for (the take-over compares
# with `<`), and never sooner than AT_LEAST after the last (a lease renewed late is not
# chased in a loop).
PAST_END, AT_LEAST = 0.05, 0.5


class LeaseKeeper:
    def __init__(self, renew: Callable[[], object],
                 take_over: Callable[[], int | tuple[int, float | None]],
                 taken: Callable[[int], None] | None = None,
                 renew_every: float = RENEW_EVERY, take_over_every: float = TAKE_OVER_EVERY,
                 lease: float = LEASE.total_seconds(),
                 monotonic: Callable[[], float] = time.monotonic):
        """`renew()`: renew what this process holds. `take_over()`: take over expired
        rows, returning how many, or (how many, seconds until the earliest lease of
        another holder ends, None: none) to time the next look by it. `taken(n)`:
        called after rows were taken over. `monotonic`: the cadence's clock (tests)."""
        self._renew, self._take_over, self._taken = renew, take_over, taken
        self._renew_every, self._take_over_every = renew_every, take_over_every
        self._lease, self._monotonic = lease, monotonic
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
                now = self._monotonic()
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
        now = self._monotonic()
        if now >= self._next_renew:
            self._next_renew = now + self._renew_every
            self._renew()
        if now < self._next_take_over:
            return 0
        self._next_take_over = now + self._take_over_every
        got = self._take_over()
        taken, ends_in = got if isinstance(got, tuple) else (got, False)
        if ends_in is not False:  # timed by the leases seen (see the module docstring)
            wait = self._lease if ends_in is None else min(ends_in + PAST_END, self._lease)
            self._next_take_over = self._monotonic() + max(wait, AT_LEAST)
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
        return max(min(self._next_renew, self._next_take_over) - self._monotonic(), 0.0)
