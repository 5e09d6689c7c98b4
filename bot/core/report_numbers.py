"""The pure numbers behind grouped reports: percentiles, hour buckets, regions.

Definitions (written once, here; docs/design.md repeats them):

- p50 and p95: `statistics.quantiles(values, n=100, method="inclusive")`, the 50th and
  95th cut points (linear interpolation between the closest ranks, the same as
  numpy's default "linear"). One value: that value. No values: None.
- Hour buckets, in the paged person's own zone (their wall clock at the page):
  business = Monday-Friday 09:00-18:00; evening = Monday-Friday 18:00-23:00;
  sleep = every other hour: 23:00-09:00 on any day, and all of Saturday and Sunday
  (a weekend page is an off-duty page, counted with the nights).
- Region: the area of the IANA zone name ("Europe/Dublin" -> Europe, "Asia/Singapore"
  -> Asia, "Africa/Lagos" -> Africa), with "America" read as Americas and "Australia"
  and "Pacific" as Oceania; other areas (Atlantic, Indian) keep their name; a zone
  without an area ("UTC") or no zone at all is "unknown".
- Tier of a request: the tier (primary or secondary) of the rotation through which the
  person who took it (its assignee) was on call when they were paged for it (their
  first page of the request; the moment it was acknowledged when they took it without
  a page); when nobody took it, the same for the first person paged, at that page.
  On call through rotations of both tiers at that moment: primary. Not on call through
  any rotation then (an off-shift backup, a translator, a handover to someone off
  shift): "off rotation". Nobody paged and nobody took it: "unknown". Rotations are
  read as the team defines them now (the roster keeps no history), like on-call hours.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, time
from statistics import quantiles

from bot.core import timezones
from bot.core.roster import Roster

GROUPINGS = ("language", "region", "category", "severity", "tier", "person")
OFF_ROTATION = "off rotation"
TIER_ORDER = ("primary", "secondary", OFF_ROTATION, "unknown")
BUCKETS = ("business", "evening", "sleep")

BUSINESS = (time(9), time(18))
EVENING = (time(18), time(23))

_AREAS = {"America": "Americas", "Australia": "Oceania", "Pacific": "Oceania",
          "Antarctica": "Antarctica"}


def percentile(values: Iterable[float], pct: int) -> float | None:
    """The `pct`th percentile (1-99) of `values` by the inclusive (linear) method."""
    data = sorted(values)
    if not data:
        return None
    if len(data) == 1:
        return float(data[0])
    return quantiles(data, n=100, method="inclusive")[pct - 1]


def p50_p95(values: Iterable[float]) -> tuple[float | None, float | None]:
    data = list(values)
    return percentile(data, 50), percentile(data, 95)


def hour_bucket(instant: datetime, tzname: str) -> str:
    """business, evening or sleep: where `instant` falls on `tzname`'s wall clock."""
    local = timezones.to_local(instant, tzname)
    if local.weekday() >= 5:
        return "sleep"
    wall = local.time()
    if BUSINESS[0] <= wall < BUSINESS[1]:
        return "business"
    if EVENING[0] <= wall < EVENING[1]:
        return "evening"
    return "sleep"


def region_of(tzname: str | None) -> str:
    """The region of an IANA zone name, from its area (see the module notes)."""
    if not tzname or "/" not in tzname:
        return "unknown"
    area = tzname.split("/", 1)[0]
    return _AREAS.get(area, area)


def tier_at(roster: Roster, user: str, instant: datetime) -> str:
    """The tier of the rotation through which `user` was on call at `instant` (primary
    first), or OFF_ROTATION."""
    for a in roster.on_call(instant):  # primary tier first
        if a.user == user:
            return a.tier
    return OFF_ROTATION


def rate(part: int, whole: int) -> float | None:
    """part / whole, None when there is nothing to divide."""
    return part / whole if whole else None


def merged_hours(intervals: Iterable[tuple[datetime, datetime]], start: datetime,
                 end: datetime) -> float:
    """Hours covered by `intervals` inside [start, end), overlaps counted once."""
    pieces = sorted((max(a, start), min(b, end)) for a, b in intervals
                    if b > start and a < end)
    total = 0.0
    cur_a = cur_b = None
    for a, b in pieces:
        if cur_b is None or a > cur_b:
            if cur_b is not None:
                total += (cur_b - cur_a).total_seconds()
            cur_a, cur_b = a, b
        else:
            cur_b = max(cur_b, b)
    if cur_b is not None:
        total += (cur_b - cur_a).total_seconds()
    return total / 3600
