"""What an edit does to the schedule, for the people it touches and the languages it
covers: where it leaves a language with nobody on call that had someone before
(`coverage_loss`; swaps, cover and time off are refused on it), and, per person, the
on-call time they gained or lost (`changed_shifts`, worded with `format_span`), to tell
them.

Pure: no I/O.
"""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from bot.core import intervals, timezones
from bot.core.intervals import Interval
from bot.core.roster import Roster
from bot.core.team_file import zone_or_utc

__all__ = ["changed_shifts", "coverage_loss", "format_span"]


def coverage_loss(before: Roster, after: Roster, start: datetime, end: datetime
                  ) -> list[tuple[str, datetime, datetime]]:
    """(language, from, to), sorted by time: parts of [start, end) where `before` had an
    on-call reader of the language and `after` has none. Languages of either team."""
    langs = list(dict.fromkeys((*before.team.languages, *after.team.languages)))
    gaps_before = before.coverage_gaps(start, end, langs)
    gaps_after = after.coverage_gaps(start, end, langs)
    out = []
    for lang in langs:
        for s, e in intervals.subtract(gaps_after[lang], gaps_before[lang]):
            out.append((lang, s, e))
    out.sort(key=lambda x: (x[1], x[0]))
    return out


def changed_shifts(before: Roster, after: Roster, start: datetime, end: datetime
                   ) -> dict[str, list[str]]:
    """Per person, what changed in their on-call time in [start, end), as lines such as
    'now on call for emea: Tue 2026-03-10 07:00-15:00 GMT' and 'no longer on call for ...'
    (times in the person's own zone, else UTC). People with no change are left out."""
    was = _stints(before, start, end)
    now = _stints(after, start, end)
    zones = {s.id: s.timezone for s in before.team.specialists}
    zones.update({s.id: s.timezone for s in after.team.specialists})
    events: dict[str, list[tuple[datetime, int, str]]] = {}
    for key in sorted(set(was) | set(now)):
        user, rotation = key
        tz = zone_or_utc(zones.get(user))
        old, new = was.get(key, []), now.get(key, [])
        for at, span in _describe(intervals.subtract(new, old), tz):
            events.setdefault(user, []).append((at, 0, f"now on call for {rotation}: {span}"))
        for at, span in _describe(intervals.subtract(old, new), tz):
            events.setdefault(user, []).append(
                (at, 1, f"no longer on call for {rotation}: {span}"))
    return {user: [text for _, _, text in sorted(evs)] for user, evs in events.items()}


def _stints(roster: Roster, start: datetime, end: datetime
            ) -> dict[tuple[str, str], list[Interval]]:
    """(user, rotation) -> merged on-call intervals clipped to [start, end)."""
    out: dict[tuple[str, str], list[Interval]] = {}
    for a in roster.assignments(start, end, include_uncovered=False):
        if a.user is None:
            continue
        out.setdefault((a.user, a.rotation), []).append((max(a.start, start), min(a.end, end)))
    return {k: intervals.merge(v) for k, v in out.items()}


def _describe(spans: list[Interval], tz: str) -> list[tuple[datetime, str]]:
    """Spans as text; runs of the same local window on consecutive days become one line
    ('Mon 2026-02-02 to Sun 2026-02-08, 08:00-16:00 CET each day')."""
    runs: list[list[Any]] = []  # [key, first start, last local date, count, first span]
    for s, e in spans:
        a, b = timezones.to_local(s, tz), timezones.to_local(e, tz)
        key = (a.time(), b.time(), a.tzname(), b.tzname(), (b.date() - a.date()).days)
        if (runs and runs[-1][0] == key and (a.date() - runs[-1][2]).days == 1
                and key[4] <= 1):
            runs[-1][2] = a.date()
            runs[-1][3] += 1
        else:
            runs.append([key, s, a.date(), 1, (s, e)])
    out = []
    for key, first, last, count, (s, e) in runs:
        if count == 1:
            out.append((first, format_span(s, e, tz)))
            continue
        a = timezones.to_local(first, tz)
        window = format_span(s, e, tz).split(" ", 2)[2]  # '08:00-16:00 CET'
        if key[4] == 1 and key[1] != time(0, 0):
            window = f"{key[0]:%H:%M}-{key[1]:%H:%M} (ending the next day) {key[2]}"
        out.append((first, f"{a:%a %Y-%m-%d} to {last:%a %Y-%m-%d}, {window} each day"))
    return out


def format_span(start: datetime, end: datetime, tz: str) -> str:
    """'Tue 2026-03-10 07:00-15:00 GMT', or with both dates when it crosses midnight:
    'Tue 2026-03-10 23:00 GMT - Wed 2026-03-11 07:00 GMT'."""
    a, b = timezones.to_local(start, tz), timezones.to_local(end, tz)
    midnight_end = (b.hour, b.minute, b.second) == (0, 0, 0) and (b.date() - a.date()).days == 1
    if a.date() == b.date() or midnight_end:
        end_text = "24:00" if midnight_end else f"{b:%H:%M}"
        zone = a.tzname() if a.tzname() == b.tzname() else f"{a.tzname()}/{b.tzname()}"
        return f"{a:%a %Y-%m-%d %H:%M}-{end_text} {zone}"
    return f"{a:%a %Y-%m-%d %H:%M} {a.tzname()} - {b:%a %Y-%m-%d %H:%M} {b.tzname()}"
