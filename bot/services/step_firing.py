"""Firing due escalation deadlines (`EscalationService.reconcile`, mixed in from here):
claimed one at a time `SKIP LOCKED`, each fired in its own transaction, by one loop or,
on PostgreSQL, several at once. What a step does is the service's `_step`; response
targets and acknowledgement time-outs are fired here too."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from bot.services import ack_timeout
from bot.services import due as response_due
from bot.store import paging as q


class _Budget:
    """The firings one `reconcile` may attempt, shared by its loops (thread-safe)."""

    def __init__(self, limit: int):
        self._left, self.fired = limit, 0
        self._lock = threading.Lock()

    def take(self) -> bool:
        with self._lock:
            if self._left <= 0:
                return False
            self._left -= 1
            return True

    def open(self) -> bool:
        with self._lock:
            return self._left > 0

    def stop(self) -> None:
        """Nothing is due: the other loops stop at their next attempt too."""
        with self._lock:
            self._left = 0

    def count(self) -> None:
        with self._lock:
            self.fired += 1


class StepFiring:
    """`reconcile` and its loops; the service provides `_sf`, `clock`, `rosters` and
    `_step(session, due, now)`."""

    def reconcile(self, limit: int = 500, fired: Callable[[int], None] | None = None,
                  late: Callable[[float], None] | None = None, workers: int = 1) -> int:
        """Fire every due deadline once. Returns how many steps fired; `fired` hears
        each request whose step fired, once its transaction committed (to send its
        pages at once rather than at the next sweep); `late` hears how many seconds
        after its due time each step fired (the app's lateness histogram).

        `workers` > 1 (PostgreSQL): that many loops fire at once, this thread and
        `workers - 1` of the service's own. Each firing is its own transaction on the
        row claimed `SKIP LOCKED`, so they never fire one deadline twice; what they
        overlap is the round trips to the database, which bound a single loop when
        steps come due faster than one firing's ~10 round trips (a surviving process
        carrying a dead one's share, a burst of requests filed together)."""
        budget = _Budget(limit)
        overdue: list[int] = []  # requests whose response target passed (bot.services.due)
        # The first on this thread alone: most passes find one deadline due, or none.
        self._fire_due(budget, overdue, fired, late, most=1 if workers > 1 else None)
        if workers > 1 and budget.open():
            pool = self._firing_pool(workers - 1)
            helpers = [pool.submit(self._fire_due, budget, overdue, fired, late)
                       for _ in range(workers - 1)]
            try:
                self._fire_due(budget, overdue, fired, late)
            finally:
                for h in helpers:
                    h.result()
        if fired is not None:
            for request_id in overdue:
                fired(request_id)
        return budget.fired

    def _firing_pool(self, threads: int) -> ThreadPoolExecutor:
        pool = getattr(self, "_firing", None)
        if pool is None:
            pool = self._firing = ThreadPoolExecutor(threads, "fire-steps")
        return pool

    def close(self) -> None:
        """Stop the firing threads (`reconcile` with workers > 1), if any."""
        pool = getattr(self, "_firing", None)
        if pool is not None:
            pool.shutdown(wait=True)

    def _fire_due(self, budget: _Budget, overdue: list[int],
                  fired: Callable[[int], None] | None,
                  late: Callable[[float], None] | None, most: int | None = None) -> None:
        """One loop of `reconcile`: claim the earliest due deadline, fire it, commit;
        until none is due, the budget of attempts is spent, or `most` were attempted."""
        while (most is None or most > 0) and budget.take():
            if most is not None:
                most -= 1
            now = self.clock.now()
            with self._sf() as session, session.begin():
                due = q.claim_due_deadline(session, now)
                if due is None:
                    budget.stop()
                    break
                due.state, due.fired_utc = "fired", now
                if due.reason == response_due.DUE:
                    if response_due.target_passed(session, due, now):
                        overdue.append(due.request_id)
                    else:
                        due.state = "cancelled"
                    continue
                if due.reason in ack_timeout.at.REASONS:  # acknowledged, not resolved
                    request_id = ack_timeout.fire(session, due, now, self.rosters)
                    if request_id is None:
                        due.state = "cancelled"
                        continue
                    lateness = (now - due.due_utc).total_seconds()
                else:
                    request_id, lateness = self._step(session, due, now)
                    if request_id is None:
                        continue
            budget.count()
            if late is not None:
                late(lateness)
            if fired is not None:
                fired(request_id)
