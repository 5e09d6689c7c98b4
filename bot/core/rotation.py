"""One rotation's shifts by arithmetic: no expansion from the start date.

A shift starts on each local date `d` in `rotation.days` (d >= rotation.start) at
`shift_start` wall-clock time in the rotation's zone and ends at `shift_end` the same
day, or the next day when the window crosses midnight. Member i covers the shifts
that start in the i-th handoff period counted from `start`, modulo the member count;
a period is `handoff_days` whole local calendar days.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from bot.core import timezones
from bot.core.model import Rotation

ONE_DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Slot:
    """A scheduled shift of a rotation, before time off and overrides."""

    rotation: str
    day: date  # local date the shift starts on
    start: datetime  # UTC
    end: datetime  # UTC
    period: int  # handoff period index counted from rotation.start
    member_index: int  # index into rotation.members of the scheduled member


def period_of(rotation: Rotation, day: date) -> int:
    return (day - rotation.start).days // rotation.handoff_days


def slot_on(rotation: Rotation, day: date) -> Slot | None:
    """The shift starting on local date `day`, if the rotation has one."""
    if day < rotation.start or day.weekday() not in rotation.days or not rotation.members:
        return None
    start = timezones.wall_to_utc(day, rotation.shift_start, rotation.timezone)
    end_day = day + ONE_DAY if rotation.crosses_midnight else day
    end = timezones.wall_to_utc(end_day, rotation.shift_end, rotation.timezone)
    if end <= start:  # e.g. a whole window swallowed by a spring-forward gap
        return None
    period = period_of(rotation, day)
    return Slot(rotation.name, day, start, end, period, period % len(rotation.members))


def slot_at(rotation: Rotation, instant: datetime) -> Slot | None:
    """The shift containing `instant` (half-open), if any."""
    today = timezones.local_date(instant, rotation.timezone)
    # A shift is at most one wall-clock day long, so only one that started
    # today or yesterday (local) can still be running.
    for day in (today, today - ONE_DAY):
        slot = slot_on(rotation, day)
        if slot is not None and slot.start <= instant < slot.end:
            return slot
    return None


def slots_between(rotation: Rotation, start: datetime, end: datetime) -> Iterator[Slot]:
    """Shifts overlapping [start, end), in order."""
    if end <= start:
        return
    first = timezones.local_date(start, rotation.timezone) - ONE_DAY
    last = timezones.local_date(end, rotation.timezone)
    day = max(first, rotation.start)
    while day <= last:
        slot = slot_on(rotation, day)
        if slot is not None and slot.start < end and slot.end > start:
            yield slot
        day += ONE_DAY


def next_slot_after(rotation: Rotation, instant: datetime, horizon_days: int = 62) -> Slot | None:
    """The first shift starting at or after `instant`, within a horizon."""
    day = max(timezones.local_date(instant, rotation.timezone) - ONE_DAY, rotation.start)
    for _ in range(horizon_days + 2):
        slot = slot_on(rotation, day)
        if slot is not None and slot.start >= instant:
            return slot
        day += ONE_DAY
    return None
