"""Shifts as the swap, cover and time-off rules see them: a person's on-call stints,
local spans resolved to UTC, and the checks on them (pure: a roster and values in)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from bot.core import edits, intervals, refs, timezones
from bot.core.checks import format_span
from bot.core.edits import EditError
from bot.core.model import Team
from bot.core.roster import Roster
from bot.services.errors import ServiceError

SWAP_LOOKAHEAD = timedelta(days=60)


@dataclass(frozen=True)
class Shift:
    rotation: str
    user: str
    start: datetime  # UTC
    end: datetime  # UTC

    def to_list(self) -> list[str]:
        return [self.rotation, self.user, _iso(self.start), _iso(self.end)]

    @classmethod
    def from_list(cls, v: list[str]) -> Shift:
        return cls(v[0], v[1], _from_iso(v[2]), _from_iso(v[3]))


def _iso(dt: datetime) -> str:
    return timezones.utc(dt).strftime("%Y-%m-%dT%H:%M:%SZ")


def _from_iso(text: str) -> datetime:
    return timezones.utc(datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ"))


def need_specialist(team: Team, user: str, who: str | None = None):
    spec = team.specialist(user)
    if spec is None:
        subject = "you are" if who == "you" else f"{refs.person(user)} is"
        raise ServiceError(f"{subject} not a specialist of {team.name}")
    return spec


def resolve_span(start: date | datetime, end: date | datetime, tz: str, example: str
                 ) -> tuple[datetime, datetime]:
    """Local `start`/`end` in `tz` -> UTC; a bare date `end` is inclusive (whole day)."""
    s = _local_to_utc(start, tz, end_of_day=False)
    e = _local_to_utc(end, tz, end_of_day=True)
    if e <= s:
        raise ServiceError(f"'to' must be after 'from' (times in {tz}); e.g. {example}")
    return s, e


def _local_to_utc(value: date | datetime, tz: str, end_of_day: bool) -> datetime:
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            return timezones.utc(value)
        return timezones.to_utc(value, tz)
    if end_of_day:
        return timezones.start_of_day(value + timedelta(days=1), tz)
    return timezones.start_of_day(value, tz)


def resolve_away(start: date | datetime, end: date | datetime, tz: str
                 ) -> tuple[datetime, datetime, bool]:
    s_dt, e_dt = isinstance(start, datetime), isinstance(end, datetime)
    if s_dt != e_dt:
        raise ServiceError("from and to must both be dates (whole days, inclusive: "
                           f"{refs.command('oncall away 2026-12-20 2026-12-24')}) or both "
                           "date-times "
                           f"({refs.command('oncall away 2026-12-24T08:00 2026-12-24T13:00')})")
    if not s_dt and end < start:
        raise ServiceError(f"to ({end}) is before from ({start}); dates are inclusive, so a "
                           f"single day is {refs.command('oncall away 2026-12-24 2026-12-24')}")
    s, e = resolve_span(start, end, tz, edits.EXAMPLES["away"])
    return s, e, not s_dt


def stints(roster: Roster, user: str, start: datetime, end: datetime, clip: bool = False
           ) -> list[Shift]:
    """`user`'s on-call time meeting [start, end), merged per rotation, by start."""
    per: dict[str, list[tuple[datetime, datetime]]] = {}
    for a in roster.assignments(start, end, user=user, include_uncovered=False):
        per.setdefault(a.rotation, []).append((a.start, a.end))
    out = []
    for rot, spans in per.items():
        for s, e in intervals.merge(spans):
            if clip:
                s, e = max(s, start), min(e, end)
            if s < e:
                out.append(Shift(rot, user, s, e))
    out.sort(key=lambda x: (x.start, x.rotation))
    return out


def stints_starting_on(roster: Roster, user: str, day: date, tz: str) -> list[Shift]:
    a = timezones.start_of_day(day, tz)
    b = timezones.start_of_day(day + timedelta(days=1), tz)
    return [s for s in stints(roster, user, a - timedelta(days=1), b + timedelta(days=1))
            if a <= s.start < b]


def next_stint(roster: Roster, user: str, after: Shift, now: datetime) -> list[Shift]:
    found = stints(roster, user, after.start, now + SWAP_LOOKAHEAD)
    same = [s for s in found if s.rotation == after.rotation and s.start >= after.end]
    return same[:1]


def next_shift_lines(roster: Roster, user: str, now: datetime, tz: str, days: int = 30,
                     limit: int = 3) -> list[str]:
    """The person's shifts going on or starting in `days`, one text each, in `tz`."""
    found = [s for s in stints(roster, user, now, now + timedelta(days=days)) if s.end > now]
    return [shift_text(s, tz) for s in found[:limit]]


def next_shifts_text(roster: Roster, user: str, now: datetime, tz: str, days: int = 30,
                     limit: int = 3) -> str:
    lines = next_shift_lines(roster, user, now, tz, days, limit)
    return "; ".join(lines) if lines else f"none in the next {days} days"


def shift_text(s: Shift, tz: str) -> str:
    return f"{s.rotation} {format_span(s.start, s.end, tz)}"


def swap_team(team: Team, give: Shift, take: Shift) -> Team:
    try:
        return edits.swap_shifts(team, give.rotation, give.user, give.start, give.end,
                                 take.user, take.rotation, take.start, take.end)
    except EditError as err:
        raise ServiceError(str(err)) from None


def on_call_throughout(roster: Roster, s: Shift) -> bool:
    spans = intervals.merge(
        (a.start, a.end) for a in roster.assignments(s.start, s.end, rotation=s.rotation,
                                                     user=s.user, include_uncovered=False))
    return not intervals.subtract([(s.start, s.end)], spans)
