"""Sweeps, pure (PRODUCT.md "Crisis mode, sweeps, trends, reports"): how often a sweep
may run, whose turn it is, and when a turn is nudged and reported.

A turn starts at an interval's instant and is to be answered by the next one: unanswered
for half the interval it is nudged once, unanswered at the full interval it is reported
once as missed."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

__all__ = ["DEFAULT_EVERY", "MAX_EVERY", "MIN_EVERY", "VIA", "every_problem", "next_start",
           "nudge_at", "pick", "report_at", "turn_start"]

MIN_EVERY, MAX_EVERY = timedelta(minutes=5), timedelta(hours=12)
DEFAULT_EVERY = timedelta(minutes=30)
# How a request filed from a sweep's "Found something" form says it was filed (its `via`):
# such a request joins every running crisis of its language, match words or not
# (bot/services/crisis_link.py; docs/design.md "Sweeps").
VIA = "sweep"


def every_problem(every: timedelta) -> str | None:
    """Why `every` cannot be a sweep's interval, or None."""
    if every < MIN_EVERY:
        return "a sweep runs at most every 5 minutes"
    if every > MAX_EVERY:
        return "a sweep runs at least every 12 hours"
    return None


def pick(readers: Iterable[tuple[str, str]], taken: Mapping[str, int],
         excluded: Iterable[str] = (), busy: Iterable[str] = ()) -> str | None:
    """Whose turn it is among `readers` ((user, name), the on-call readers of the
    language): the one with the fewest turns `taken` in this sweep; ties by name, then
    id, so the order is stable. Nobody in `excluded` (away, on a break); someone `busy`
    (holding an open turn of another sweep) only when everyone else is too. None when
    no one is left."""
    out, held = set(excluded), set(busy)
    free = [(user in held, taken.get(user, 0), name.casefold(), user)
            for user, name in readers if user not in out]
    return min(free)[3] if free else None


def nudge_at(start: datetime, every: timedelta) -> datetime:
    return start + every / 2


def report_at(start: datetime, every: timedelta) -> datetime:
    return start + every


def turn_start(due: datetime, every: timedelta, now: datetime) -> datetime:
    """The instant of the turn claimed at `now` for the deadline `due`: `due` itself,
    or, when the bot was down for whole intervals, the last interval instant at or
    before `now` (the turns not taken meanwhile are not made up in a burst)."""
    return due + every * ((now - due) // every) if now >= due + every else due


def next_start(start: datetime, every: timedelta, until: datetime | None
               ) -> datetime | None:
    """The turn after the one at `start`; None once it is at or after `until` (the sweep
    is over)."""
    nxt = start + every
    return None if until is not None and nxt >= until else nxt
