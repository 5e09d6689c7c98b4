"""How often the scheduled reconciler pass runs each of its parts.

The pass starts with one look at the database (`bot.store.wakeups.outlook`) and runs
only what it shows due: deadlines, sends, a lease run out, requests waiting for
routing, crisis reminders. The parts that follow the rosters (handoffs, check-ins,
trend digests, on-call groups) read the teams themselves, so they run when a team was
edited or imported (the look's fingerprint of the revisions moved), when one of them
said it has something due (`next_pass`), and at least every ROSTER_SWEEP. An idle pass
thus costs the look and, every few seconds, the heartbeat.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

# The rosters' parts run at least this often even when nothing said they were due (a
# team whose pass failed says nothing; the next sweep retries it).
ROSTER_SWEEP = timedelta(seconds=60)
# The safety sweep: the longest the reconciler sleeps. On PostgreSQL every commit that
# creates work notifies, so the sweep only covers a notification missed (the listening
# connection lost). SQLite has no notifications between processes: a change of the file
# wakes the others (bot.store.file_wakeups), and the sweep covers one it missed.
SWEEP_POSTGRES, SWEEP_SQLITE = 5.0, 5.0
RETRY = timedelta(seconds=1)
RECHECK = timedelta(seconds=0.25)


def sweep_for(dialect: str) -> float:
    return SWEEP_POSTGRES if dialect == "postgresql" else SWEEP_SQLITE


def reached(at: datetime | None, now: datetime) -> bool:
    return at is not None and at <= now


def seconds_until(now: datetime, times: Iterable[datetime | None],
                  started: datetime) -> float | None:
    """Seconds from `now` to the earliest of `times` (None when all are None). A time
    the pass that `started` then found due was handled by it, or could not be (a row
    another process holds, a lane paused by a 429): looked at again RECHECK on, the old
    tick's pace, not at once; what the pass wrote wakes the next pass by itself."""
    found = [now + RECHECK if t <= started else t for t in times if t is not None]
    return (min(found) - now).total_seconds() if found else None


class RosterPace:
    """Whether the rosters' parts are due in a scheduled pass (see the docstring)."""

    def __init__(self, next_passes: Callable[[], Iterable[datetime | None]]):
        self._next_passes = next_passes
        self._teams: tuple[int, int] | None = None
        self._next: datetime | None = None  # None: run at the next pass

    def due(self, teams: tuple[int, int], now: datetime) -> bool:
        return teams != self._teams or self._next is None or now >= self._next

    def ran(self, teams: tuple[int, int], now: datetime) -> None:
        """The parts ran with the teams at `teams`: due next when one of them says."""
        self._teams = teams
        # A time already past (a part that wants another go) is taken a second on, so
        # one such part cannot make every pass re-read the teams.
        self._next = min([now + ROSTER_SWEEP, *(max(t, now + RETRY) for t in
                                                self._next_passes() if t is not None)])

    @property
    def next(self) -> datetime | None:
        return self._next
