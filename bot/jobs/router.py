"""Intake under load: route inline while there is room, otherwise commit and route later.

Slack waits at most 3 seconds for the acknowledgement of an `/emergency`, and the
acknowledgement may only go once the request is committed. Routing (language
detection, the escalation decision, the pages) costs several milliseconds of CPU in
a process whose threads share one interpreter lock, so a surge of requests routed
inline would queue every acknowledgement behind all the routing before it. Instead,
while `inline_limit` requests are already being filed inline (and none of them
finishes within `inline_wait`), or routing is behind, a request is only committed, as
`received`, and acknowledged; one router thread then routes received requests, most
severe and oldest first, a few per transaction, and sends their pages.

A received request is as durable as a routed one: if the process dies before routing
it, another process's router finds it (its reconciler sees received requests waiting
and wakes it; `sweep` seconds, when given, bound the wait on its own).

A jobs process beside web processes (`grace`) routes only requests received at least
that long ago: the web process that received one routes it and sends its page at once.
A jobs process runs at a lower CPU priority (bot.app.http_server); when it claimed
fresh requests, it held their rows and the team's routing turn while the busier web
process's filings waited for it, and their page DMs went out from the slower process.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import timedelta

from bot.core.roster import Roster
from bot.jobs.acks_first import AcksFirst
from bot.services.intake import Filed, Intake, IntakeService

log = logging.getLogger(__name__)
RETRY_SECONDS = 1.0  # the pause after a failed routing pass
# Received requests routed in one transaction: one claim, routing turn and commit for
# several (routing one at a time, the router fell behind at 30 requests/s on
# PostgreSQL, each route a transaction of its own). Small, so that the first of a
# batch waits little for the others' routing before its page goes out, and a sev1
# received meanwhile is claimed by the next batch, not after a long one.
BATCH = 8
# How long a request received by a web process is left to it before a jobs process
# routes it (the web process died, or a surge keeps it answering): see the docstring.
JOBS_GRACE = timedelta(seconds=2)


# How long a request waits for an inline slot, while nothing is deferred, before it is
# deferred. A deferral sends every request after it to the router until the router
# has caught up (routing stays in order, and inline filings would contend with the
# router for the team's routing turn), and a deferred request's page waits for a
# router pass: a short stall (a garbage collection, the machine) that filled both slots
# for a moment turned into hundreds of late pages. Waiting this long instead costs the
# acknowledgement at most this much; in a surge the first deferral ends the waiting.
INLINE_WAIT = 0.2

# How a request was taken (`Router(taken=...)`, the metric oncall_filings): routed as it
# was filed, before its acknowledgement, or only committed and left to the router.
INLINE, DEFERRED = "inline", "deferred"


class Router:
    def __init__(self, intake: IntakeService, deliver: Callable[[Filed], None],
                 inline_limit: int = 2, sweep: float | None = None,
                 acks_first: AcksFirst | None = None, batch: int = BATCH,
                 grace: timedelta | None = None,
                 taken: Callable[[str], None] = lambda how: None,
                 inline_wait: float = INLINE_WAIT):
        """`sweep`: the longest an idle router waits before looking for requests left
        by another process (None: until woken). `acks_first`: routing waits its turn
        behind the acknowledgements being answered (`bot.jobs.acks_first`). `grace`:
        route only requests received at least this long ago (see the docstring).
        `taken(how)`: told of each request taken, INLINE or DEFERRED. A deferred
        request's page waits for a router pass (one thread, sharing the interpreter
        lock with every request thread), so a process that keeps deferring at a steady
        rate is near its capacity: its page DMs wait on the router. `inline_wait`:
        seconds a request waits for an inline slot while nothing is deferred (see
        INLINE_WAIT)."""
        self._inline_wait = inline_wait
        self.grace = grace
        self._taken = taken
        self._acks_first = acks_first or AcksFirst(max_wait=0)
        self._batch = max(1, batch)
        self._intake = intake
        self._deliver = deliver
        self._inline = threading.BoundedSemaphore(inline_limit) if inline_limit > 0 else None
        self._wake = threading.Event()
        self._sweep = sweep
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._backlog = 0  # received here and not routed yet (a hint, not a count of rows)
        self._routing = False
        self._thread: threading.Thread | None = None

    def take(self, intake: Intake, roster: Roster | None = None) -> Filed:
        """File `intake` (for the team `roster`, when the caller chose it already):
        routed inline when there is room, else only committed."""
        # Not inline while requests wait for a thread to answer them: a filing is
        # several times the CPU of a receipt, taken from them (bot.jobs.acks_first).
        if (not self._backlog and self._inline is not None
                and not self._acks_first.requests_waiting()
                and self._inline.acquire(timeout=self._inline_wait)):
            try:
                filed = self._intake.file(intake, roster, claim=True)
            finally:
                self._inline.release()
            if not filed.duplicate:  # a retried interaction was counted when first taken
                self._taken(INLINE)
            return filed
        filed = self._intake.receive(intake, roster)
        if filed.request.status == "received":
            with self._lock:
                self._backlog += 1
            if not filed.duplicate:
                self._taken(DEFERRED)
            self.wake()
        return filed

    def wake(self) -> None:
        """Route what is waiting now (starts the router thread on first use)."""
        with self._lock:
            if self._thread is None and not self._stop.is_set():
                self._thread = threading.Thread(target=self._run, name="router",
                                                daemon=True)
                self._thread.start()
        self._wake.set()

    def idle(self) -> bool:
        """Nothing received here waits for routing and no routing is under way."""
        with self._lock:
            return not self._backlog and not self._routing

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self._sweep)
            self._wake.clear()
            try:
                self.drain()
            except Exception:  # the rows stay received; the next wake-up retries them
                log.exception("routing received requests failed")
                self._stop.wait(RETRY_SECONDS)

    def drain(self) -> int:
        """Route every received request (from this process or one that died)."""
        routed, size = 0, self._batch
        while not self._stop.is_set():
            with self._lock:
                self._routing = True
            batch, failed = [], True
            self._acks_first.turn()
            try:
                try:
                    batch = self._intake.route_batch(size, claim=True, received_by=(
                        self._intake.clock.now() - self.grace if self.grace else None))
                except Exception:
                    if size == 1:
                        raise
                    # One request that cannot be routed must not hold up the others of
                    # its batch: the rest of this drain goes one request at a time.
                    log.warning("routing %d received requests together failed; routing "
                                "them one at a time", size, exc_info=True)
                    size = 1
                    continue
                for filed in batch:
                    self._deliver(filed)
                failed = False
            finally:
                with self._lock:
                    self._routing = False
                    if not failed:
                        self._backlog = max(0, self._backlog - len(batch)) if batch else 0
            if not batch:
                return routed
            routed += len(batch)
        return routed
