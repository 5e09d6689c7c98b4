"""The only module that touches pytz: local wall clock <-> UTC.

Policy (PRODUCT.md, time semantics):
- a wall-clock time inside a spring-forward gap maps to the first valid instant
  after the gap (the transition instant itself);
- a wall-clock time inside a fall-back fold maps to its first occurrence.
Everything returned is an aware datetime in UTC.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import cache, lru_cache

import pytz

UTC = pytz.utc


class UnknownTimeZone(ValueError):
    pass


@cache
def zone(name: str) -> pytz.BaseTzInfo:
    try:
        return pytz.timezone(name)
    except pytz.UnknownTimeZoneError:
        raise UnknownTimeZone(name) from None


def is_valid_zone(name: str) -> bool:
    try:
        zone(name)
    except UnknownTimeZone:
        return False
    return True


def all_zones() -> list[str]:
    return list(pytz.common_timezones)


def suggest_zone(bad: str) -> str:
    """A close IANA zone name for a mistyped one (Europe/Dublin when nothing is close)."""
    import difflib

    zones = [z for z in all_zones() if "/" in z]
    hit = difflib.get_close_matches(bad, zones, n=1, cutoff=0.6)
    if hit:
        return hit[0]
    city = bad.rsplit("/", 1)[-1].replace(" ", "_").lower()
    by_city = {z.rsplit("/", 1)[-1].lower(): z for z in zones}
    hit = difflib.get_close_matches(city, list(by_city), n=1, cutoff=0.75)
    return by_city[hit[0]] if hit else "Europe/Dublin"


def utc(dt: datetime) -> datetime:
    """An aware datetime in UTC; naive input is taken to be UTC already."""
    if dt.tzinfo is None:
        return UTC.localize(dt)
    return dt.astimezone(UTC)


@lru_cache(maxsize=65536)
def to_utc(local: datetime, tzname: str) -> datetime:
    """Naive local wall-clock time in `tzname` -> aware UTC instant (gap/fold policy)."""
    tz = zone(tzname)
    if local.tzinfo is not None:
        raise ValueError("to_utc expects a naive wall-clock datetime")
    try:
        return tz.localize(local, is_dst=None).astimezone(UTC)
    except pytz.AmbiguousTimeError:
        # Fold: both readings exist; the first occurrence is the earlier instant.
        return min(
            tz.localize(local, is_dst=True).astimezone(UTC),
            tz.localize(local, is_dst=False).astimezone(UTC),
        )
    except pytz.NonExistentTimeError:
        return _end_of_gap(tz, local)


def _end_of_gap(tz: pytz.BaseTzInfo, local: datetime) -> datetime:
    # The two readings of a non-existent time bracket the transition instant:
    # the later one (old offset) is at or after it, the earlier one before it.
    a = tz.localize(local, is_dst=True).astimezone(UTC)
    b = tz.localize(local, is_dst=False).astimezone(UTC)
    lo, hi = min(a, b), max(a, b)
    after = tz.normalize(hi.astimezone(tz)).utcoffset()
    # Smallest instant in (lo, hi] whose offset is already the post-transition one,
    # to the second (tz database transitions fall on whole seconds).
    lo_s, hi_s = 0, int((hi - lo).total_seconds())
    while hi_s - lo_s > 1:
        mid = (lo_s + hi_s) // 2
        probe = lo + timedelta(seconds=mid)
        if tz.normalize(probe.astimezone(tz)).utcoffset() == after:
            hi_s = mid
        else:
            lo_s = mid
    return lo + timedelta(seconds=hi_s)


def to_local(instant: datetime, tzname: str) -> datetime:
    """Aware instant -> aware local datetime in `tzname` (with the right offset)."""
    tz = zone(tzname)
    return tz.normalize(utc(instant).astimezone(tz))


def local_date(instant: datetime, tzname: str) -> date:
    return to_local(instant, tzname).date()


def wall_to_utc(day: date, at: time, tzname: str) -> datetime:
    return to_utc(datetime.combine(day, at), tzname)


def start_of_day(day: date, tzname: str) -> datetime:
    return to_utc(datetime.combine(day, time(0, 0)), tzname)


def utc_offset(instant: datetime, tzname: str) -> timedelta:
    return to_local(instant, tzname).utcoffset()


def format_offset(offset: timedelta) -> str:
    """A UTC offset as +HH:MM / -HH:MM (timedelta(hours=-5, minutes=-30) -> '-05:30')."""
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def abbreviation(instant: datetime, tzname: str) -> str:
    return to_local(instant, tzname).tzname() or tzname


def dst_changes(start: datetime, end: datetime, tzname: str) -> list[datetime]:
    """Instants in [start, end) where the zone's UTC offset changes (hourly scan + bisection)."""
    out: list[datetime] = []
    step = timedelta(hours=1)
    t = utc(start)
    end = utc(end)
    prev = utc_offset(t, tzname)
    while t < end:
        nxt = min(t + step, end)
        off = utc_offset(nxt, tzname)
        if off != prev:
            lo, hi = t, nxt
            while (hi - lo) > timedelta(seconds=1):
                mid = lo + (hi - lo) / 2
                if utc_offset(mid, tzname) == prev:
                    lo = mid
                else:
                    hi = mid
            out.append(hi.replace(microsecond=0))
            prev = off
        t = nxt
    return out


def format_local(instant: datetime, tzname: str, with_date: bool = True) -> str:
    """'2026-12-24 08:00 GMT (Europe/Dublin)'-style, for humans."""
    loc = to_local(instant, tzname)
    fmt = "%Y-%m-%d %H:%M" if with_date else "%H:%M"
    return f"{loc.strftime(fmt)} {loc.tzname()}"
