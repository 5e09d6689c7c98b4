"""The outbox rows this process is sending, and their leases.

A claimed row holds a lease (`bot.store.paging.LEASE`) that its holder renews while the
send is under way (the lease keeper, `bot.jobs.leases`, calls `renew` every third of
the lease on a thread of its own). A holder that stops renewing is taken for dead: any
process takes its rows over once the lease ran out (`take_over`), marked unsure, so
they are looked up in Slack before they are sent again. On PostgreSQL a holder whose
process died is seen sooner, by its liveness lock (`bot.store.liveness`): its rows are
taken over at the next look, within about a second, without waiting for the lease.

A holder that is alive but renewed too late (its keeper starved for longer than the
lease) may find its rows taken over by another process. Its renewal then learns so
(the rows are no longer `sending` under it): they are `lost` to this process, which
neither sends them nor settles them, since the taker owns them now. That closes most
of the window where both would post the same message; what the taker posts was
looked up first.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable

from sqlalchemy.orm import Session

from bot.clock import Clock
from bot.store import paging as q
from bot.store.liveness import LOOK_EVERY

log = logging.getLogger(__name__)


class Leases:
    def __init__(self, session_factory: Callable[[], Session], clock: Clock):
        self._sf = session_factory
        self._clock = clock
        self._guard = threading.Lock()
        # Rows this process claimed and has not settled, each with the number of the
        # claim that holds it (a row let go and claimed again between a renewal's read
        # and its answer is not the row that renewal found gone).
        self._held: dict[int, int] = {}
        self._claims = 0
        self._lost: set[int] = set()  # held rows another process took over
        # Called when rows are first held (the app starts its lease keeper then: a web
        # process without jobs sends too, and must renew what it sends).
        self.on_hold: Callable[[], None] | None = None

    def hold(self, ids: Iterable[int]) -> None:
        ids = set(ids)
        with self._guard:
            self._claims += 1
            self._held.update(dict.fromkeys(ids, self._claims))
            self._lost.difference_update(ids)
        if self.on_hold is not None:
            self.on_hold()

    def let_go(self, ids: Iterable[int]) -> None:
        ids = set(ids)
        with self._guard:
            for i in ids:
                self._held.pop(i, None)
            self._lost.difference_update(ids)

    def lost(self, ids: Iterable[int]) -> bool:
        """Were any of these rows taken over by another process while held here?"""
        with self._guard:
            return bool(self._lost) and any(i in self._lost for i in ids)

    def held(self) -> list[int]:
        with self._guard:
            return sorted(self._held)

    def renew(self) -> int:
        """Renew the lease of every row this process is sending; no statement when
        none. Rows found taken over are marked lost. Returns how many were renewed."""
        with self._guard:
            held = dict(self._held)
        if not held:
            return 0
        with self._sf() as session, session.begin():
            kept = q.renew_leases(session, sorted(held), self._clock.now())
        gone = set(held) - kept
        if gone:
            with self._guard:
                # Only rows still held by the same claim: one settled meanwhile (and
                # perhaps claimed again) is not gone.
                gone = {i for i in gone if self._held.get(i) == held[i]}
                self._lost.update(gone)
                for i in gone:
                    del self._held[i]
            if gone:
                log.warning("%d message(s) being sent here were taken over by another "
                            "process (their lease was not renewed in time); left to it",
                            len(gone))
        return len(kept)

    def take_over(self) -> int:
        """Rows whose holder stopped renewing go back to pending, to be looked up in
        Slack before they are sent again (never this process's own). Returns how many."""
        with self._sf() as session, session.begin():
            taken = q.take_over_expired(session, self._clock.now(), self.held())
        self._said(taken)
        return taken

    def take_over_timed(self) -> tuple[int, float | None]:
        """`take_over`, and the seconds until the earliest lease another holder still
        has ends (None: nobody else is sending), read in the same transaction: the lease
        keeper's next look is then timed to it. The read comes first, so a process that
        finds nothing expired (idle: always) issues one statement, as before."""
        now, keep = self._clock.now(), self.held()
        with self._sf() as session, session.begin():
            expired, ends = q.foreign_leases(session, now, keep)
            taken = q.take_over_expired(session, now, keep) if expired else 0
            watch = session.get_bind().dialect.name == "postgresql"
        self._said(taken)
        if ends is None:
            return taken, None
        # Others are sending: on PostgreSQL a holder that dies is seen at the next look,
        # so the next comes within LOOK_EVERY, not only when their leases end.
        ends_in = (ends - now).total_seconds()
        return taken, min(ends_in, LOOK_EVERY) if watch else ends_in

    def _said(self, taken: int) -> None:
        if taken:
            log.warning("took over %d message(s) whose sender stopped (it died, or its "
                        "lease ran out); each is looked up in Slack before it is sent "
                        "again", taken)
