"""Breaks (`/oncall pause`, "Take a break", the check-in's "I need a break") and the
end of a shift: the rules, written once. Pure: the roster and the pauses are given.

The coverage rule of a break (PRODUCT.md, "Graphic content and the people who read it"):

- A break of `user` over [start, end) is refused when, at some instant of it, `user` is
  on call (any rotation, any tier) and for one of the team's languages that they read
  no OTHER person on call then reads it, counting out the people on a break then.
  People away are not on call (the roster already skips them), so they never count.
- Off-shift backups (`backup:`) do not count as cover: they are reached only by a
  later step of some policies (`language_backup`), so a break that leaves only a
  backup would send every request of that language to the managers first.
- The whole break is checked, not only its first instant: a colleague whose shift ends
  halfway through leaves the rest of the break uncovered.
- A person who is not on call during the break may always take one (it also keeps
  them from being paged as a backup).
The rule is the same for a break the person asks for, one a manager gives them, and
one the check-in's "I need a break" asks for.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.core import intervals
from bot.core.intervals import Interval
from bot.core.roster import Assignment, Roster

MIN_BREAK = timedelta(minutes=5)
MAX_BREAK = timedelta(hours=12)  # longer than a shift: that is time off (`/oncall away`)
CHECKIN_BREAK = timedelta(hours=1)  # what the check-in's "I need a break" asks for
BREAK_CHOICES = (timedelta(minutes=15), timedelta(minutes=30), timedelta(hours=1))


@dataclass(frozen=True, order=True)
class Gap:
    """`language` would have no reader on call during [start, end)."""

    start: datetime
    end: datetime
    language: str


def break_length_problem(length: timedelta) -> str | None:
    """Why a break of `length` cannot be taken, in plain words; None when it can."""
    if length < MIN_BREAK:
        return "a break is at least 5 minutes"
    if length > MAX_BREAK:
        return ("a break is at most 12 hours; for longer, mark the time off with "
                "/oncall away, which passes your shifts to someone else")
    return None


def uncovered_by_break(roster: Roster, user: str, start: datetime, end: datetime,
                       paused: Mapping[str, Sequence[Interval]]) -> list[Gap]:
    """The parts of [start, end) when a break of `user` would leave a team language
    with no reader on call (see the module docstring). `paused`: each other person's
    breaks (intervals). Empty: the break may go ahead."""
    spec = roster.specialist(user)
    if spec is None or end <= start:
        return []
    pieces = roster.assignments(start, end, include_uncovered=False)
    mine = intervals.merge(_clip(a, start, end) for a in pieces if a.user == user)
    if not mine:
        return []
    gaps: list[Gap] = []
    for lang in roster.team.languages:
        if not spec.reads(lang):
            continue
        others: list[Interval] = []
        for a in pieces:
            other = roster.specialist(a.user or "")
            if a.user == user or other is None or not other.reads(lang):
                continue
            off = intervals.merge(paused.get(a.user or "", ()))
            others += intervals.subtract([_clip(a, start, end)], off)
        gaps += [Gap(s, e, lang) for s, e in intervals.subtract(mine, intervals.merge(others))]
    return sorted(gaps)


def _clip(a: Assignment, start: datetime, end: datetime) -> Interval:
    return max(a.start, start), min(a.end, end)


def shift_ends(roster: Roster, lo: datetime, hi: datetime,
               margin: timedelta = timedelta(minutes=1)) -> list[tuple[str, datetime, datetime]]:
    """(user, stint start, stint end) of each on-call stretch that ENDS in (lo, hi]: a
    stretch is the person's back-to-back pieces of any rotation (an override extending
    a shift, a follow-the-sun leg handed to themself), so the end is when they really
    go off call. Starts are searched back at most 7 days."""
    if hi <= lo:
        return []
    pieces = roster.assignments(lo - margin, hi + margin, include_uncovered=False)
    out = []
    seen: set[tuple[str, datetime]] = set()
    for p in pieces:
        if not (lo < p.end <= hi) or p.user is None or (p.user, p.end) in seen:
            continue
        if any(q.user == p.user and q.start <= p.end < q.end for q in pieces):
            continue  # still on call right after: not the end of the stretch
        seen.add((p.user, p.end))
        out.append((p.user, _stint_start(roster, p.user, p.start), p.end))
    return sorted(out, key=lambda t: (t[2], t[0]))


def _stint_start(roster: Roster, user: str, start: datetime) -> datetime:
    floor = start - timedelta(days=7)
    for _ in range(64):
        before = [p for p in roster.assignments(max(floor, start - timedelta(days=1)), start,
                                                user=user, include_uncovered=False)
                  if p.start < start <= p.end]
        if not before or start <= floor:
            break
        start = min(p.start for p in before)
    return start
