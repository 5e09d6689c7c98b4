"""Percentiles of nanosecond timings, and the engine's lookups timed one by one."""

from __future__ import annotations

import time as clock
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.core.roster import Roster


def pct(values: Sequence[float], q: float) -> float:
    """The value at the rounded position q% along the sorted values; NaN for none.

    Not bench.paging.figures.pct (nearest rank): this bench's published figures
    (bench/README.md) were taken with this one, so it stays.
    """
    s = sorted(values)
    if not s:
        return float("nan")
    return s[min(len(s) - 1, round(q / 100 * (len(s) - 1)))]


def us(ns: float) -> float:
    return ns / 1000


@dataclass
class Lookups:
    """Nanosecond timings of `on_call_for`, with which lookups built a day index."""

    instants: list[datetime]
    ns: list[int]
    built: list[bool]

    def where(self, keep) -> Lookups:
        rows = [r for r in zip(self.instants, self.ns, self.built, strict=True) if keep(*r)]
        return Lookups([r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows])

    @property
    def hot(self) -> list[int]:
        return [n for n, b in zip(self.ns, self.built, strict=True) if not b]

    @property
    def cold(self) -> list[int]:
        return [n for n, b in zip(self.ns, self.built, strict=True) if b]


def time_lookups(roster: Roster, lang: str, instants: Sequence[datetime]) -> Lookups:
    """Time each `on_call_for`; a lookup that raised `roster.day_builds` built its
    day's index (the first lookup in that UTC day)."""
    ns, built = [], []
    perf = clock.perf_counter_ns
    for t in instants:
        before = roster.day_builds
        t0 = perf()
        roster.on_call_for(lang, t)
        ns.append(perf() - t0)
        built.append(roster.day_builds != before)
    return Lookups(list(instants), ns, built)


def time_direct(roster: Roster, instants: Sequence[datetime]) -> list[int]:
    out = []
    perf = clock.perf_counter_ns
    for t in instants:
        t0 = perf()
        roster.on_call_direct(t)
        out.append(perf() - t0)
    return out
