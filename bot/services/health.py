"""The bot's own health, as the database records it: reconciler heartbeats, readiness,
and the figures `/metrics` reports.

Why the database: on PostgreSQL several `serve` and `worker` processes share one
database, and a web process started with `--no-jobs` runs no reconciler of its own. Its
readiness depends on whether *some* reconciler runs, which only the database knows. So
each process that runs the jobs records a heartbeat row at the end of a completed pass
(`beat`), and every process answers `/readyz` and the gauges of `/metrics` from the
same rows: whichever process a monitor or Prometheus reaches, it hears the same truth.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from bot.clock import Clock
from bot.store import health as q

log = logging.getLogger(__name__)
# A heartbeat is written at most this often, not on every pass (under load passes come
# close together): one small UPDATE per pass, every 2 s at most, per process.
BEAT_EVERY = timedelta(seconds=2)
# Ready only while some reconciler completed a pass this recently. An idle one passes
# every safety sweep (5 s at most), so 10 s means a missed pass at least.
STALE_AFTER = timedelta(seconds=10)
# Rows of processes gone for this long are deleted (checked this often by a beating one).
BEATS_KEPT, FORGET_EVERY = timedelta(days=1), timedelta(minutes=10)

SessionFactory = Callable[[], Session]


@dataclass(frozen=True)
class ProcessInfo:
    """Who this process is, for its heartbeat row and its metric labels."""

    role: str  # serve (with jobs) | worker | web (serve --no-jobs: never beats)
    host: str
    pid: int

    @property
    def key(self) -> str:
        return f"{self.host}:{self.pid}"

    @property
    def label(self) -> str:
        """The `process` label of this process's own counters ("worker-host-a-1234")."""
        return f"{self.role}-{self.host}-{self.pid}"


@dataclass(frozen=True)
class Readiness:
    ready: bool
    reasons: tuple[str, ...]  # why not, in plain words (empty when ready)
    reconciler_seconds: float | None  # since the freshest heartbeat (None: never)
    reconciler: str | None  # "worker on host-a"
    oldest_due_outbox_seconds: float | None  # None: nothing due, or unknown

    def as_json(self) -> dict:
        return {"ready": self.ready, "reasons": list(self.reasons),
                "reconciler_seconds": _round(self.reconciler_seconds),
                "reconciler": self.reconciler,
                "oldest_due_outbox_seconds": _round(self.oldest_due_outbox_seconds)}


@dataclass(frozen=True)
class Snapshot:
    """What the database says at one instant (the gauges of /metrics)."""

    requests: tuple[tuple[str, str, int], ...]  # (state, language, count)
    oldest_unanswered_request_seconds: float  # received or open, not acknowledged (0: none)
    oldest_waiting_page_seconds: float  # a page of an open request nobody answered (0: none)
    outbox_unsent: int
    outbox_oldest_unsent_seconds: float  # 0: none
    outbox_oldest_due_seconds: float  # 0: none
    reconciler_seconds: float | None  # None: no reconciler ever ran


class Health:
    def __init__(self, session_factory: SessionFactory, read_session_factory: SessionFactory,
                 clock: Clock, process: ProcessInfo):
        self._sf = session_factory
        self._reads = read_session_factory
        self._clock = clock
        self.process = process
        self._started = clock.now()
        self._last_beat: datetime | None = None
        self._next_forget = self._started

    # -- the heartbeat -------------------------------------------------------------------

    def beat(self) -> bool:
        """The reconciler completed a pass: record it, at most every BEAT_EVERY (by the
        injected clock). True when a row was written."""
        now = self._clock.now()
        last = self._last_beat
        if last is not None and last <= now < last + BEAT_EVERY:
            return False
        p = self.process
        with self._sf() as session, session.begin():
            q.beat(session, p.key, p.role, p.host, p.pid, self._started, now)
            if now >= self._next_forget:
                self._next_forget = now + FORGET_EVERY
                q.forget_beats_before(session, now - BEATS_KEPT)
        self._last_beat = now
        return True

    # -- readiness -----------------------------------------------------------------------

    def readiness(self) -> Readiness:
        """Ready: the database answers and some reconciler (this process's or another's)
        completed a pass within STALE_AFTER; with the age of the longest-due message."""
        now = self._clock.now()
        try:
            with self._reads() as session:
                latest = q.latest_beat(session)
                backlog = q.outbox_backlog(session, now)
        except Exception as err:  # noqa: BLE001 - unreachable, refused, timed out: not ready
            log.warning("readiness: the database cannot be read (%s)", type(err).__name__)
            return Readiness(False, (f"the database cannot be read ({type(err).__name__})",),
                             None, None, None)
        due = _age(now, backlog.oldest_due)
        if latest is None:
            return Readiness(False, (
                "no reconciler has run yet: start `oncall-bot worker`, or `oncall-bot serve` "
                "without --no-jobs",), None, None, due)
        age = _age(now, latest.beat_utc)
        who = f"{latest.role} on {latest.host}"
        if age > STALE_AFTER.total_seconds():
            return Readiness(False, (f"no reconciler has run for {age:.0f} s (last: {who})",),
                             age, who, due)
        return Readiness(True, (), age, who, due)

    # -- the figures of /metrics ---------------------------------------------------------

    def snapshot(self) -> Snapshot:
        now = self._clock.now()
        with self._reads() as session:
            groups = q.requests_by_state_language(session)
            page = q.oldest_waiting_page(session)
            backlog = q.outbox_backlog(session, now)
            latest = q.latest_beat(session)
        unanswered = [oldest for state, _, _, oldest in groups
                      if state in ("received", "open") and oldest is not None]
        return Snapshot(
            requests=tuple((state, lang, n) for state, lang, n, _ in groups),
            oldest_unanswered_request_seconds=_age(now, min(unanswered, default=None)) or 0.0,
            oldest_waiting_page_seconds=_age(now, page) or 0.0,
            outbox_unsent=backlog.unsent,
            outbox_oldest_unsent_seconds=_age(now, backlog.oldest_unsent) or 0.0,
            outbox_oldest_due_seconds=_age(now, backlog.oldest_due) or 0.0,
            reconciler_seconds=_age(now, latest.beat_utc) if latest is not None else None)


def _age(now: datetime, since: datetime | None) -> float | None:
    """Seconds from `since` to `now`, never negative (another machine's clock may run a
    little ahead); None for None."""
    if since is None:
        return None
    return max((now - since).total_seconds(), 0.0)


def _round(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds, 1)
