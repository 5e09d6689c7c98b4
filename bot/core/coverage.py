"""Coverage gaps, grouped for people: the same gap on consecutive days is one run."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.core import timezones
from bot.core.intervals import Interval

DAY = timedelta(days=1)
MIN_DAILY_RUN = 3  # a gap repeated on this many days in a row is shown as "daily"


@dataclass(frozen=True)
class GapRun:
    """One gap (`days == 1`), or the same local wall-clock gap on `days` consecutive
    local days: the first is [start, end), the last starts at `last_start` (UTC)."""

    start: datetime
    end: datetime
    last_start: datetime
    days: int = 1

    @property
    def daily(self) -> bool:
        return self.days > 1

    @property
    def total(self) -> timedelta:
        return (self.end - self.start) * self.days


def group_gaps(gaps: Iterable[Interval], tz: str | None = None,
               min_run: int = MIN_DAILY_RUN) -> list[GapRun]:
    """Fold gaps (sorted, disjoint, UTC) into runs: consecutive local days with a gap of the
    same length starting at the same local wall-clock time in `tz` (None: UTC). Runs
    shorter than `min_run` days stay single gaps."""
    zone = tz or "UTC"
    items = sorted(gaps)
    keyed = []
    for s, e in items:
        loc = timezones.to_local(s, zone)
        keyed.append((loc.date(), loc.time(), e - s))
    out: list[GapRun] = []
    i = 0
    while i < len(items):
        j = i
        while (j + 1 < len(items)
               and keyed[j + 1][0] == keyed[j][0] + DAY
               and keyed[j + 1][1:] == keyed[i][1:]):
            j += 1
        if j - i + 1 >= max(min_run, 2):
            out.append(GapRun(items[i][0], items[i][1], items[j][0], j - i + 1))
            i = j + 1
        else:
            out.append(GapRun(items[i][0], items[i][1], items[i][0]))
            i += 1
    return out
