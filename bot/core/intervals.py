"""Half-open [start, end) interval arithmetic on sorted, disjoint lists."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from datetime import datetime

Interval = tuple[datetime, datetime]


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Union, as a sorted list of disjoint intervals (touching ones joined)."""
    out: list[list[datetime]] = []
    for s, e in sorted(i for i in intervals if i[0] < i[1]):
        if out and s <= out[-1][1]:
            if e > out[-1][1]:
                out[-1][1] = e
        else:
            out.append([s, e])
    return [(s, e) for s, e in out]


def subtract(intervals: Iterable[Interval], holes: list[Interval]) -> list[Interval]:
    """`intervals` minus the union of `holes` (holes sorted and disjoint)."""
    out: list[Interval] = []
    for s, e in intervals:
        cur = s
        i = max(bisect_right(holes, (s,)) - 1, 0)
        while i < len(holes) and cur < e:
            hs, he = holes[i]
            if he <= cur:
                i += 1
                continue
            if hs >= e:
                break
            if hs > cur:
                out.append((cur, hs))
            cur = max(cur, he)
            i += 1
        if cur < e:
            out.append((cur, e))
    return out


def complement(covered: list[Interval], start: datetime, end: datetime) -> list[Interval]:
    """Parts of [start, end) not in `covered` (sorted and disjoint)."""
    return subtract([(start, end)], covered)


def overlaps(sorted_disjoint: list[Interval], start: datetime, end: datetime) -> bool:
    """Does any interval meet [start, end)?"""
    i = bisect_right(sorted_disjoint, (start,)) - 1
    if i >= 0 and sorted_disjoint[i][1] > start:
        return True
    i += 1
    return i < len(sorted_disjoint) and sorted_disjoint[i][0] < end


def contains(sorted_disjoint: list[Interval], instant: datetime) -> bool:
    i = bisect_right(sorted_disjoint, (instant,))  # intervals starting before `instant`
    if i > 0 and sorted_disjoint[i - 1][1] > instant:
        return True
    return i < len(sorted_disjoint) and sorted_disjoint[i][0] == instant
