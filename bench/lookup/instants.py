"""The window the bench asks about, and the instants it asks: random ones for timing,
boundary ones where the schedule's rules bite, for the correctness check."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.core.model import Team

WINDOW_START = datetime(2026, 1, 1, tzinfo=UTC)
WINDOW_END = datetime(2028, 1, 1, tzinfo=UTC)
FAR_START = datetime(2036, 1, 1, tzinfo=UTC)
FAR_END = datetime(2037, 1, 1, tzinfo=UTC)


def random_instants(rng: random.Random, n: int, start: datetime, end: datetime
                    ) -> list[datetime]:
    span = int((end - start).total_seconds())
    return [start + timedelta(seconds=rng.randrange(span)) for _ in range(n)]


def _overlap_middle(a: datetime, b: datetime, c: datetime, d: datetime) -> datetime | None:
    """The middle of [a, b) and [c, d) overlapping, or None when they do not."""
    lo, hi = max(a, c), min(b, d)
    return lo + (hi - lo) / 2 if lo < hi else None


def _overlap_instants(team: Team) -> list[datetime | None]:
    """Inside overlapping overrides of one rotation, and inside an override whose
    person is away."""
    out: list[datetime | None] = []
    by_user: dict[str, list] = defaultdict(list)
    for t in team.time_off:
        by_user[t.user].append(t)
    by_rot: dict[str, list] = defaultdict(list)
    for o in team.overrides:
        for t in by_user.get(o.user, ()):
            out.append(_overlap_middle(o.start, o.end, t.start, t.end))
        for p in by_rot[o.rotation]:
            out.append(_overlap_middle(o.start, o.end, p.start, p.end))
        by_rot[o.rotation].append(o)
    return out


def _dst_instants(team: Team, span_days: int) -> list[datetime]:
    """Shift starts and ends around each DST change of a rotation's zone."""
    out: list[datetime] = []
    for rot in team.rotations:
        tz = ZoneInfo(rot.timezone)
        for i in range(span_days):
            day = WINDOW_START.date() + timedelta(days=i)
            a = datetime.combine(day, time(0), tzinfo=tz).utcoffset()
            b = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz).utcoffset()
            if a == b:
                continue
            for d in (day - timedelta(days=1), day):
                end_day = d + timedelta(days=1) if rot.crosses_midnight else d
                for t in (datetime.combine(d, rot.shift_start, tzinfo=tz),
                          datetime.combine(end_day, rot.shift_end, tzinfo=tz)):
                    out += [t, t - timedelta(seconds=1), t - timedelta(hours=1)]
    return out


def _boundary_instants(rng: random.Random, team: Team, n: int, span_days: int
                       ) -> list[datetime]:
    """Override and time-off boundaries, random handoffs, and the second before them
    (intervals are half-open)."""
    out: list[datetime] = []
    for o in team.overrides:
        out += [o.start, o.end, o.start - timedelta(seconds=1)]
    for t in team.time_off:
        out += [t.start, t.end, t.end - timedelta(seconds=1)]
    for _ in range(max(n, 1) * 2 if team.rotations else 0):
        rot = rng.choice(team.rotations)
        day = WINDOW_START.date() + timedelta(days=rng.randrange(span_days))
        at = rng.choice((rot.shift_start, rot.shift_end))
        t = datetime.combine(day, at, tzinfo=ZoneInfo(rot.timezone)).astimezone(UTC)
        out += [t, t - timedelta(seconds=1)]
    return out


def _in_window(xs: list[datetime | None]) -> list[datetime]:
    return sorted({x.astimezone(UTC) for x in xs
                   if x is not None and WINDOW_START <= x < WINDOW_END})


def edge_instants(rng: random.Random, team: Team, n: int) -> list[datetime]:
    """Instants where the rules bite, for the correctness check: inside overlapping
    overrides of one rotation, inside an override whose person is away, at shift
    starts and ends around DST changes (up to half of them), then handoffs, override
    and time-off boundaries and the second before them (intervals are half-open)."""
    span_days = (WINDOW_END - WINDOW_START).days
    special = _overlap_instants(team) + _dst_instants(team, span_days)
    # Drawn before the sample below so that a seed gives the instants it always gave.
    plain = _boundary_instants(rng, team, n, span_days)
    special_ok = _in_window(special)
    out = rng.sample(special_ok, min(n // 2, len(special_ok)))
    plain_ok = _in_window(plain)
    return out + rng.sample(plain_ok, min(n - len(out), len(plain_ok)))
