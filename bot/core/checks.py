"""Rules every team must satisfy, and what an edit does to coverage and to people's shifts.

- `validate_team(team)`: the domain-level rules of the YAML reader (`bot.schedules`)
  that a `Team` value can break: duplicate names, unknown members and users, languages
  outside the team's list, unknown zones, empty or inverted intervals, escalation
  policies that cannot run. Edits made from Slack go through it, so a team edited there
  is one `schedules validate` would accept. (The YAML parser reports with file and line;
  here the messages name the entry instead.)
- `integrity_problems(team)`: the subset the store relies on (unique keys, references
  that resolve, aware intervals); `save_team` refuses a team that breaks one.
- `coverage_loss(before, after, start, end)`: where an edit leaves a language with
  nobody on call that had someone before; swaps, cover and time off are refused on it.
- `changed_shifts(before, after, start, end)`: per person, readable lines about the
  on-call time they gained or lost, to tell them.

Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, time, timedelta
from typing import Any

from bot.core import intervals, parsers, timezones
from bot.core.intervals import Interval
from bot.core.model import SEVERITIES, STEP_KINDS, TIERS, Team
from bot.core.roster import Roster

__all__ = [
    "LANGUAGE_NAMES",
    "changed_shifts",
    "coverage_loss",
    "format_span",
    "integrity_problems",
    "language_label",
    "validate_team",
]

# English names for messages ("Arabic (ar)"); other codes are shown as they are.
LANGUAGE_NAMES = {
    "ar": "Arabic", "bn": "Bengali", "de": "German", "el": "Greek", "en": "English",
    "es": "Spanish", "fa": "Persian", "fr": "French", "he": "Hebrew", "hi": "Hindi",
    "id": "Indonesian", "it": "Italian", "ja": "Japanese", "ko": "Korean", "ms": "Malay",
    "nl": "Dutch", "pl": "Polish", "pt": "Portuguese", "ru": "Russian", "sw": "Swahili",
    "th": "Thai", "tl": "Tagalog", "tr": "Turkish", "uk": "Ukrainian", "ur": "Urdu",
    "vi": "Vietnamese", "zh": "Chinese",
}  # fmt: skip


def language_label(code: str) -> str:
    """'ar' -> 'Arabic (ar)'; an unnamed code stays as it is."""
    name = LANGUAGE_NAMES.get(code)
    return f"{name} ({code})" if name else code


# -- validation --------------------------------------------------------------------------------


def integrity_problems(team: Team) -> list[str]:
    """The rules a stored team must keep for its rows to point at each other: unique keys,
    references that resolve, aware non-empty intervals, storable numbers. Empty when
    the team can be stored (the store refuses it otherwise)."""
    out = _unique(team)
    known = {s.id for s in team.specialists}
    rotation_names = {r.name for r in team.rotations}
    for r in team.rotations:
        where = f"rotation {r.name}"
        out += [f"{where}: member '{u}' is not a specialist of the team"
                for u in r.members if u not in known]
        if r.handoff_days < 1:
            out.append(f"{where}: handoff must be daily, weekly or every N days with N >= 1")
        if any(not 0 <= d <= 6 for d in r.days):
            out.append(f"{where}: days must be weekdays mon..sun")
    for i, o in enumerate(team.overrides):
        where = f"override {i + 1} ({o.rotation}, {o.user})"
        if o.rotation not in rotation_names:
            out.append(f"{where}: unknown rotation '{o.rotation}' (no such rotation in the team)")
        if o.user not in known:
            out.append(f"{where}: '{o.user}' is not a specialist of the team")
        out += _interval(where, o.start, o.end)
    for i, t in enumerate(team.time_off):
        where = f"time off {i + 1} ({t.user})"
        if t.user not in known:
            out.append(f"{where}: '{t.user}' is not a specialist of the team")
        out += _interval(where, t.start, t.end)
    for sev, policy in team.policies:
        if policy.repeat < 0:
            out.append(f"policy {sev}: repeat must be a whole number >= 0")
        for i, step in enumerate(policy.steps):
            w = step.wait
            if w is not None and (w < timedelta(0) or w % timedelta(seconds=1)):
                out.append(f"policy {sev} step {i + 1}: wait {w} must be whole seconds, "
                           "not negative")
    return out


def validate_team(team: Team) -> list[str]:
    """Every rule the team breaks, one readable line each; empty when it is valid."""
    return [*_team_header(team), *_specialists(team), *_rotations(team),
            *integrity_problems(team), *_escalation(team)]


def _unique(team: Team) -> list[str]:
    out = [f"specialist {u}: listed twice (duplicate id); each specialist is listed once"
           for u in _duplicates(s.id for s in team.specialists)]
    out += [f"rotation {n}: there is already a rotation named '{n}'"
            for n in _duplicates(r.name for r in team.rotations)]
    out += [f"manager '{m}' is listed twice" for m in _duplicates(team.managers)]
    out += [f"policy {sev} is defined twice" for sev in _duplicates(s for s, _ in team.policies)]
    return out


def _team_header(team: Team) -> list[str]:
    out = []
    if not parsers.NAME.fullmatch(team.name or ""):
        out.append(f"team name '{team.name}' must be 1-64 letters, digits, '-', '_' or '.'")
    if not team.languages:
        out.append("the team needs at least one language, e.g. languages: [en, es, ar]")
    for code in team.languages:
        if not parsers.is_language(code):
            out.append(f"team language '{code}' is not a two-letter ISO 639-1 code")
    out += [f"team language '{c}' is listed twice" for c in _duplicates(team.languages)]
    for label, value in (("intake_channel", team.intake_channel),
                         ("escalation_channel", team.escalation_channel)):
        if not parsers.CHANNEL_ID.fullmatch(value or ""):
            out.append(f"{label} '{value}' is not a Slack channel ID (e.g. C0INTAKE01)")
    for m in team.managers:
        if not parsers.USER_ID.fullmatch(m):
            out.append(f"manager '{m}' is not a Slack user ID (e.g. U0MGR0001)")
    if team.manager_group is not None and not parsers.GROUP_ID.fullmatch(team.manager_group):
        out.append(f"manager_group '{team.manager_group}' is not a Slack user group ID "
                   "(e.g. S0MGRGRP1)")
    return out


def _specialists(team: Team) -> list[str]:
    out = []
    languages = set(team.languages)
    team_list = ", ".join(team.languages)
    for s in team.specialists:
        who = f"specialist {s.id}"
        if not parsers.USER_ID.fullmatch(s.id):
            out.append(f"{who}: '{s.id}' is not a Slack user ID (U or W followed by capital "
                       "letters and digits, e.g. U0AR00001)")
        if not s.name.strip() or not parsers.is_printable_line(s.name):
            out.append(f"{who}: name must be printable text on one line, e.g. Layla Haddad")
        if not timezones.is_valid_zone(s.timezone):
            out.append(f"{who}: unknown time zone '{s.timezone}'; use an IANA name such as "
                       "Asia/Dubai")
        if not s.languages:
            out.append(f"{who}: needs at least one language, strongest first, e.g. [ar, fr, en]")
        for code in s.languages:
            if code not in languages:
                out.append(f"{who}: language '{code}' is not one of the team's languages "
                           f"[{team_list}]")
        out += [f"{who}: language '{c}' is listed twice" for c in _duplicates(s.languages)]
        for code in s.backup:
            if code not in s.languages:
                out.append(f"{who}: backup language '{code}' is not one they read "
                           f"[{', '.join(s.languages)}]")
        out += [f"{who}: backup language '{c}' is listed twice" for c in _duplicates(s.backup)]
        if s.holidays is not None and not parsers.HOLIDAYS.fullmatch(s.holidays):
            out.append(f"{who}: holidays '{s.holidays}' is not a country code such as MX or "
                       "US-TX")
    return out


def _rotations(team: Team) -> list[str]:
    out = []
    for r in team.rotations:
        where = f"rotation {r.name}"
        if not parsers.NAME.fullmatch(r.name):
            out.append(f"{where}: name must be {parsers.NAME_RULE}, e.g. emea-night")
        if not timezones.is_valid_zone(r.timezone):
            out.append(f"{where}: unknown time zone '{r.timezone}'; use an IANA name such as "
                       "Europe/Dublin")
        if r.shift_start.tzinfo is not None or r.shift_end.tzinfo is not None:
            out.append(f"{where}: the shift is local wall-clock time, without a zone")
        if not r.days:
            out.append(f"{where}: needs at least one day on which shifts start, e.g. mon-fri")
        if r.tier not in TIERS:
            out.append(f"{where}: unknown tier '{r.tier}'; allowed: {', '.join(TIERS)}")
        out += [f"{where}: member '{u}' is listed twice" for u in _duplicates(r.members)]
    return out


def _escalation(team: Team) -> list[str]:
    out = []
    if team.default_severity not in SEVERITIES:
        out.append(f"default_severity '{team.default_severity}' is not one of "
                   f"{', '.join(SEVERITIES)}")
    named = [sev for sev, _ in team.policies]
    if named and team.default_severity not in named:
        out.append(f"default_severity '{team.default_severity}' has no policy")
    has_managers = bool(team.managers) or team.manager_group is not None
    for sev, policy in team.policies:
        if sev not in SEVERITIES:
            out.append(f"policy '{sev}': unknown severity; allowed: {', '.join(SEVERITIES)}")
        if not policy.steps:
            out.append(f"policy {sev}: needs at least one step")
        for i, step in enumerate(policy.steps):
            where = f"policy {sev} step {i + 1}"
            if step.notify not in STEP_KINDS:
                out.append(f"{where}: unknown step kind '{step.notify}'")
            if step.notify == "managers" and not has_managers:
                out.append(f"{where}: a 'managers' step needs managers or a manager_group")
            last = i == len(policy.steps) - 1
            if step.wait is None and not last:
                out.append(f"{where}: every step but the last needs a wait, e.g. 5m")
            if step.wait is not None and step.wait <= timedelta(0):
                out.append(f"{where}: wait must be positive")
    return out


def _interval(where: str, start: datetime, end: datetime) -> list[str]:
    for dt in (start, end):
        if dt.tzinfo is None or dt.utcoffset() is None:
            return [f"{where}: naive datetime {dt.isoformat()} has no time zone "
                    "(aware UTC expected)"]
    if end <= start:
        return [f"{where}: ends at {end.isoformat()}, not after its start {start.isoformat()}"]
    return []


def _duplicates(values: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    dups: list[str] = []
    for v in values:
        if v in seen and v not in dups:
            dups.append(v)
        seen.add(v)
    return dups


# -- what an edit does --------------------------------------------------------------------------


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
        tz = zones.get(user) or "UTC"
        if not timezones.is_valid_zone(tz):
            tz = "UTC"
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
