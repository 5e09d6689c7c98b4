"""The team's schedule as recurring iCalendar events, and "who is on call at T"
answered from those events alone (with `recurring_ical_events`): the baseline the
engine is measured and checked against."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events

from bot.core.model import Team
from bot.core.roster import TIER_RANK

BYDAY = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
# A shift lasts at most one wall-clock day, i.e. 25 h across a DST change; every
# event that can matter for an instant T lies within this distance of T.
REACH = timedelta(hours=26)
TICK = timedelta(microseconds=1)

Answer = list[tuple[str, str]]  # [(user, rotation)], best first


def export_ics(team: Team) -> bytes:
    """The team's schedule as one iCalendar file of recurring events.

    Member i of a rotation with M members and N-day handoff periods covers the
    shifts starting on days start + i*N + k (0 <= k < N), repeating every M*N days,
    on the rotation's weekdays: one VEVENT per (rotation, member, k) with
    `RRULE:FREQ=DAILY;INTERVAL=M*N;BYDAY=...` and DTSTART/DTEND at the local shift
    start/end with the rotation's TZID (DTSTART moved to the first day the BYDAY
    filter keeps, as RFC 5545 wants). Overrides and time off are single VEVENTs in
    UTC (the model keeps them as UTC instants). X-ONCALL-* properties carry what
    the rules need: kind, rotation, tier, members in order, position, user and
    the order in which overrides are listed.
    """
    cal = icalendar.Calendar()
    cal.add("prodid", "-//oncall-bot//bench schedule export//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", team.name)
    stamp = datetime(2026, 1, 1, tzinfo=UTC)

    for rot in team.rotations:
        tz = ZoneInfo(rot.timezone)
        n, period = len(rot.members), rot.handoff_days
        interval = n * period
        byday = [BYDAY[d] for d in sorted(rot.days)]
        for pos, member in enumerate(rot.members):
            for k in range(period):
                first = rot.start + timedelta(days=pos * period + k)
                day = next((first + timedelta(days=j * interval) for j in range(7)
                            if (first + timedelta(days=j * interval)).weekday() in rot.days),
                           None)
                if day is None:  # this day of the period never falls on a shift weekday
                    continue
                end_day = day + timedelta(days=1) if rot.crosses_midnight else day
                ev = icalendar.Event()
                ev.add("uid", f"{rot.name}.{pos}.{k}@oncall-bot.bench")
                ev.add("dtstamp", stamp)
                ev.add("summary", f"On call: {rot.name} ({member})")
                ev.add("dtstart", datetime.combine(day, rot.shift_start, tzinfo=tz))
                ev.add("dtend", datetime.combine(end_day, rot.shift_end, tzinfo=tz))
                ev.add("rrule", {"freq": "daily", "interval": interval, "byday": byday})
                ev.add("categories", ["ON-CALL"])
                ev.add("x-oncall-kind", "shift")
                ev.add("x-oncall-rotation", rot.name)
                ev.add("x-oncall-tier", rot.tier)
                ev.add("x-oncall-user", member)
                ev.add("x-oncall-position", str(pos))
                ev.add("x-oncall-members", ",".join(rot.members))
                cal.add_component(ev)

    tiers = {r.name: r.tier for r in team.rotations}
    for seq, o in enumerate(team.overrides):
        ev = icalendar.Event()
        ev.add("uid", f"override.{seq}@oncall-bot.bench")
        ev.add("dtstamp", stamp)
        ev.add("summary", f"Override: {o.rotation} ({o.user})")
        ev.add("dtstart", o.start.astimezone(UTC))
        ev.add("dtend", o.end.astimezone(UTC))
        ev.add("categories", ["OVERRIDE"])
        ev.add("x-oncall-kind", "override")
        ev.add("x-oncall-rotation", o.rotation)
        ev.add("x-oncall-tier", tiers.get(o.rotation, "secondary"))
        ev.add("x-oncall-user", o.user)
        ev.add("x-oncall-seq", str(seq))
        cal.add_component(ev)

    for seq, t in enumerate(team.time_off):
        ev = icalendar.Event()
        ev.add("uid", f"time-off.{seq}@oncall-bot.bench")
        ev.add("dtstamp", stamp)
        ev.add("summary", f"Away: {t.user}")
        ev.add("dtstart", t.start.astimezone(UTC))
        ev.add("dtend", t.end.astimezone(UTC))
        ev.add("transp", "TRANSPARENT")
        ev.add("categories", ["TIME-OFF"])
        ev.add("x-oncall-kind", "time-off")
        ev.add("x-oncall-user", t.user)
        cal.add_component(ev)

    cal.add_missing_timezones()
    return cal.to_ical()


@dataclass(frozen=True, slots=True)
class _Shift:
    start: datetime
    end: datetime
    tier: str
    members: tuple[str, ...]
    position: int


_Away = dict[str, list[tuple[datetime, datetime]]]
_Overrides = dict[str, list[tuple[int, str, str]]]  # rotation: [(seq, user, tier)]


def _running(events, instant: datetime) -> tuple[dict[str, _Shift], _Overrides, _Away]:
    """The shifts and overrides running at `instant`, and every time-off entry."""
    shifts: dict[str, _Shift] = {}
    overrides: _Overrides = defaultdict(list)
    away: _Away = defaultdict(list)
    for ev in events:
        kind = str(ev["X-ONCALL-KIND"])
        start, end = ev["DTSTART"].dt, ev["DTEND"].dt
        if kind == "time-off":
            away[str(ev["X-ONCALL-USER"])].append((start, end))
            continue
        if not start <= instant < end:
            continue
        rot = str(ev["X-ONCALL-ROTATION"])
        if kind == "shift":
            if rot in shifts:
                raise AssertionError(f"two shifts of {rot} at {instant}")
            shifts[rot] = _Shift(start, end, str(ev["X-ONCALL-TIER"]),
                                 tuple(str(ev["X-ONCALL-MEMBERS"]).split(",")),
                                 int(ev["X-ONCALL-POSITION"]))
        elif kind == "override":
            overrides[rot].append((int(ev["X-ONCALL-SEQ"]), str(ev["X-ONCALL-USER"]),
                                   str(ev["X-ONCALL-TIER"])))
    return shifts, overrides, away


def _covering(shifts: dict[str, _Shift], overrides: _Overrides, away: _Away,
              instant: datetime) -> list[tuple[str, str, str]]:
    """(user, rotation, tier) on call at `instant`, one per rotation."""
    def is_away(user: str, start: datetime, end: datetime) -> bool:
        return any(a < end and b > start for a, b in away.get(user, ()))

    on_call: list[tuple[str, str, str]] = []
    for rot in sorted(set(shifts) | set(overrides)):
        # Of the overrides running now, the one listed last whose person is not away.
        usable = [o for o in overrides.get(rot, ()) if not is_away(o[1], instant, instant + TICK)]
        if usable:
            _, user, tier = max(usable)
            on_call.append((user, rot, tier))
            continue
        # No usable override: the rotation's own cover applies.
        sh = shifts.get(rot)
        if sh is None:
            continue
        n = len(sh.members)
        for k in range(n):
            user = sh.members[(sh.position + k) % n]
            if not is_away(user, sh.start, sh.end):
                on_call.append((user, rot, sh.tier))
                break
    return on_call


def _ordered(on_call: list[tuple[str, str, str]], team: Team, lang: str | None) -> Answer:
    if lang is None:  # everyone on call, as Roster.on_call orders them
        return [(user, rot) for user, rot, tier in
                sorted(on_call, key=lambda x: (TIER_RANK.get(x[2], 9), x[1], x[0]))]
    specs = {s.id: s for s in team.specialists}
    keyed = []
    for user, rot, tier in on_call:
        spec = specs.get(user)
        if spec is None or not spec.reads(lang):
            continue
        keyed.append(((TIER_RANK.get(tier, 9), spec.rank(lang), user, rot), (user, rot)))
    keyed.sort()
    seen: set[str] = set()
    out: Answer = []
    for _, (user, rot) in keyed:
        if user not in seen:
            seen.add(user)
            out.append((user, rot))
    return out


def ical_answer(cal: icalendar.Calendar, team: Team, lang: str | None, instant: datetime,
                query: recurring_ical_events.CalendarQuery | None = None) -> Answer:
    """Who reads `lang` on call at `instant`, from the calendar alone (plus the team's
    language list per person), with the rules of bot/core/roster.py's docstring;
    ordered like `Roster.on_call_for` (`Roster.on_call` when `lang` is None).

    Builds a fresh `recurring_ical_events.of(cal)` unless `query` is given, then
    expands the events within REACH of the instant once: that one window holds the
    shifts and overrides running at the instant and every time-off entry that meets
    one of those shifts.
    """
    q = query if query is not None else recurring_ical_events.of(cal)
    shifts, overrides, away = _running(q.between(instant - REACH, instant + REACH), instant)
    return _ordered(_covering(shifts, overrides, away, instant), team, lang)
