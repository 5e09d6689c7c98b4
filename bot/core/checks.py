"""Rules every team must satisfy.

- `problems(team)`: every rule the team breaks, each as a `Problem`: the path of the
  offending value in the team file's shape (("specialists", 3, "backup", 0)) and the
  rule's one wording (and, where a reply naming the entry needs other words, its
  `reply`). Each rule is written here once: duplicate keys, unknown members
  and users, languages outside the team's list, unknown zones and tiers, empty or
  inverted intervals, escalation policies that cannot run. The YAML reader
  (`bot.schedules`) maps the path to a file line; the edits made from Slack ask
  `introduced`, so a team edited there is one `schedules validate` would accept.
- `warnings(team)`: what is allowed but probably not meant (a category needs a skill
  nobody holds); reported, never refused.
- `validate_team(team)`: the same problems as readable lines ("rotation emea: ...").
- `integrity_problems(team)`: the subset the store relies on (unique keys, references
  that resolve, aware intervals); `save_team` refuses a team that breaks one.
- `introduced(before, after)`: the problems an edit brought in; the edits of
  `bot.core.edits` refuse an edit on them, in each rule's reply wording.
- `coverage_loss`, `changed_shifts`, `format_span`: what an edit does to coverage and to
  people's shifts, kept in `bot.core.edit_effects` and named here too.

Pure: no I/O.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.core import category_checks, contacts, fallback_checks, parsers
from bot.core.check_base import Problem, Where, did_you_mean, keys, listed_twice, repeats
from bot.core.edit_effects import changed_shifts, coverage_loss, format_span
from bot.core.languages import LANGUAGE_NAMES
from bot.core.model import (
    ALL_ON_CALL,
    SEVERITIES,
    STEP_KINDS,
    TIERS,
    EscalationStep,
    Specialist,
    Team,
)
from bot.core.team_file import override_zone, time_off_zone

__all__ = [
    "LANGUAGE_NAMES",
    "Problem",
    "Where",
    "changed_shifts",
    "coverage_loss",
    "describe",
    "did_you_mean",
    "format_span",
    "integrity_problems",
    "introduced",
    "language_label",
    "problems",
    "validate_team",
    "warnings",
]


def language_label(code: str) -> str:
    """'ar' -> 'Arabic (ar)'; an unnamed code stays as it is."""
    name = LANGUAGE_NAMES.get(code)
    return f"{name} ({code})" if name else code


# -- the rules ---------------------------------------------------------------------------------

def problems(team: Team) -> list[Problem]:
    """Every rule the team breaks."""
    return [*_team_header(team), *_specialists(team), *_rotations(team),
            *_integrity(team), *_escalation(team), *category_checks.categories(team),
            *_oncall_groups(team), *fallback_checks.fallbacks(team), *contacts.problems(team)]


def warnings(team: Team) -> list[Problem]:
    """What the team allows but probably does not mean (see `category_checks.warnings`
    and `contacts.warnings`)."""
    return [*category_checks.warnings(team), *contacts.warnings(team)]


def validate_team(team: Team) -> list[str]:
    """Every rule the team breaks, one readable line each; empty when it is valid."""
    return [describe(team, p) for p in problems(team)]


def integrity_problems(team: Team) -> list[str]:
    """The rules a stored team must keep for its rows to point at each other: unique keys,
    references that resolve, aware non-empty intervals, storable numbers. Empty when
    the team can be stored (the store refuses it otherwise)."""
    return [describe(team, p) for p in _integrity(team)]


def introduced(before: Team, after: Team) -> list[Problem]:
    """The problems of `after` that `before` did not have: what an edit broke. A problem
    counts as the same when it reads the same, so one the team already had, and kept,
    is not blamed on the edit."""
    old = {describe(before, p) for p in problems(before)}
    return [p for p in problems(after) if describe(after, p) not in old]


def describe(team: Team, problem: Problem) -> str:
    """A problem as one line that names the entry it is about: 'rotation emea: ...'."""
    label = _label(team, problem.where)
    text = problem.reply or problem.message
    return f"{label}: {text}" if label else text


def _label(team: Team, where: Where) -> str:
    head, index = where[0], where[1] if len(where) > 1 else None
    if head == "specialists" and isinstance(index, int):
        return f"specialist {team.specialists[index].id}"
    if head == "rotations" and isinstance(index, int):
        return f"rotation {team.rotations[index].name}"
    if head == "overrides" and isinstance(index, int):
        o = team.overrides[index]
        return f"override {index + 1} ({o.rotation}, {o.user})"
    if head == "time_off" and isinstance(index, int):
        return f"time off {index + 1} ({team.time_off[index].user})"
    if head == "oncall_groups" and isinstance(index, str):
        return f"on-call group {index}"
    if head == "categories" and isinstance(index, int):
        return f"category {team.categories[index].name}"
    if head == "language_fallbacks" and index is not None:
        return f"language fallbacks for {index}"
    if where[:2] == ("escalation", "policies") and len(where) > 2:
        step = f" step {where[4] + 1}" if len(where) > 4 else ""
        return f"policy {where[2]}{step}"
    return ""


def _integrity(team: Team) -> list[Problem]:
    out = _unique(team)
    known = {s.id for s in team.specialists}
    rotation_names = [r.name for r in team.rotations]
    for i, r in enumerate(team.rotations):
        at = ("rotations", i)
        out += [_unknown_specialist((*at, "members", j), "member", u, known)
                for j, u in enumerate(r.members) if u not in known]
        if r.handoff_days < 1:
            out.append(Problem((*at, "handoff"),
                               "handoff must be daily, weekly or every N days with N >= 1"))
        if any(not 0 <= d <= 6 for d in r.days):
            out.append(Problem((*at, "days"), "days must be weekdays mon..sun"))
    for i, o in enumerate(team.overrides):
        if o.rotation not in rotation_names:
            names = ", ".join(rotation_names) or "none yet"
            out.append(Problem(("overrides", i, "rotation"),
                               f"unknown rotation '{o.rotation}' (no such rotation in the "
                               f"team); use the name of one under `rotations` ({names})"
                               + did_you_mean(o.rotation, rotation_names)))
        if o.user not in known:
            out.append(_unknown_specialist(("overrides", i, "user"), "user", o.user, known))
        out += _interval(("overrides", i), o.start, o.end, override_zone(team, o),
                         "an override covers [from, to)", 'an override covers [from, to), '
                         'e.g. from: "2026-12-24T08:00", to: "2026-12-24T16:00"')
    for i, t in enumerate(team.time_off):
        if t.user not in known:
            out.append(_unknown_specialist(("time_off", i, "user"), "user", t.user, known))
        out += _interval(("time_off", i), t.start, t.end, time_off_zone(team, t),
                         "time off is [from, to)", 'date-times are half-open [from, to), '
                         'e.g. from: "2026-12-24T08:00", to: "2026-12-24T13:00"')
    for sev, policy in team.policies:
        at = ("escalation", "policies", sev)
        if policy.repeat < 0:
            out.append(Problem((*at, "repeat"), "repeat must be a whole number >= 0"))
        for i, step in enumerate(policy.steps):
            w = step.wait
            if w is not None and (w < timedelta(0) or w % timedelta(seconds=1)):
                out.append(Problem((*at, "steps", i, "wait"),
                                   f"wait {w} must be whole seconds, not negative"))
    return out


def _unknown_specialist(where: Where, what: str, user: str, known: set[str]) -> Problem:
    """A member or user who is not among the team's specialists."""
    shown = ", ".join(sorted(known)[:5]) + (", ..." if len(known) > 5 else "")
    listed = f" (known: {shown})" if known else ""
    hint = did_you_mean(user, sorted(known), cutoff=0.8)
    return Problem(where, f"unknown {what} '{user}'; a {what} must be the id of a specialist "
                          f"listed under `specialists`{listed}{hint}",
                   reply=f"{what} '{user}' is not a specialist of the team{hint}")


def _unique(team: Team) -> list[Problem]:
    out = [Problem(("specialists", i, "id"),
                   f"duplicate specialist id '{team.specialists[i].id}' is listed twice; list "
                   "each specialist once and put them in several rotations instead",
                   ("specialists", first, "id"))
           for i, first in repeats(s.id for s in team.specialists)]
    out += [Problem(("rotations", i, "name"),
                    f"duplicate rotation name '{n}'; give each rotation its own name, "
                    f"e.g. {n}-2", ("rotations", first, "name"),
                    reply=f"there is already a rotation named '{n}'; pick another name "
                          f"(e.g. {n}-2)")
            for i, first in repeats(r.name for r in team.rotations)
            for n in [team.rotations[i].name]]
    out += listed_twice(("managers",), team.managers, "manager")
    out += [Problem(("escalation", "policies", team.policies[i][0]),
                    f"policy {team.policies[i][0]} is defined twice")
            for i, _ in repeats(s for s, _ in team.policies)]
    out += [Problem(("categories", i, "name"),
                    f"duplicate category name '{team.categories[i].name}'; give each "
                    "category its own name", ("categories", first, "name"),
                    reply=f"there is already a category named '{team.categories[i].name}'")
            for i, first in repeats(c.name for c in team.categories)]
    return out


def _team_header(team: Team) -> list[Problem]:
    out = []
    if not parsers.NAME.fullmatch(team.name or ""):
        out.append(Problem(("team",), f"team name '{team.name}' must be 1-64 letters, "
                                      "digits, '-', '_' or '.'"))
    if not team.languages:
        out.append(Problem(("languages",), "the team needs at least one language, e.g. "
                                           "languages: [en, es, ar]"))
    for j, code in enumerate(team.languages):
        if not parsers.is_language(code):
            out.append(Problem(("languages", j),
                               f"team language '{code}' is not a two-letter ISO 639-1 code"))
    out += listed_twice(("languages",), team.languages, "team language")
    for label, value in (("intake_channel", team.intake_channel),
                         ("escalation_channel", team.escalation_channel)):
        if not parsers.CHANNEL_ID.fullmatch(value or ""):
            out.append(Problem((label,), f"{label} '{value}' is not a Slack channel ID "
                                         "(e.g. C0INTAKE01)"))
    for j, c in enumerate(team.intake_channels):
        if not parsers.CHANNEL_ID.fullmatch(c or ""):
            out.append(Problem(("intake_channels", j), f"intake channel '{c}' is not a Slack "
                                                       "channel ID (e.g. C0INTAKE02)"))
    out += listed_twice(("intake_channels",), team.intake_channels, "intake channel")
    for j, m in enumerate(team.managers):
        if not parsers.USER_ID.fullmatch(m):
            out.append(Problem(("managers", j),
                               f"manager '{m}' is not a Slack user ID (e.g. U0MGR0001)"))
    if team.manager_group is not None and not parsers.GROUP_ID.fullmatch(team.manager_group):
        out.append(Problem(("manager_group",), f"manager_group '{team.manager_group}' is not "
                                               "a Slack user group ID (e.g. S0MGRGRP1)"))
    if team.max_open_per_person < 1:
        out.append(Problem(("routing", "max_open_per_person"),
                           f"max_open_per_person {team.max_open_per_person} must be a whole "
                           "number >= 1 (how many unresolved requests one person holds before "
                           "the next reader is preferred), e.g. max_open_per_person: 3",
                           reply=f"max_open_per_person {team.max_open_per_person} must be a "
                                 "whole number >= 1 (how many unresolved requests one person "
                                 "holds before the next reader is preferred)"))
    return out


def _oncall_groups(team: Team) -> list[Problem]:
    """`oncall_groups`: each key a language the team serves (or `all`), each value a
    user group of its own (the bot rewrites its members, so never the managers')."""
    out = []
    served = ", ".join(team.languages)
    first: dict[str, str] = {}
    for key, group in team.oncall_groups:
        at = ("oncall_groups", key)
        if key != ALL_ON_CALL and key not in team.languages:
            out.append(Problem(at, f"'{key}' is not one of the team's languages [{served}]; "
                                   "a group follows the on-call readers of a language the "
                                   "team serves, or `all` for everyone on call, e.g. "
                                   "oncall_groups: {ar: S0ONCALLAR}"
                                   + did_you_mean(key, [*team.languages, ALL_ON_CALL])))
        if not parsers.GROUP_ID.fullmatch(group or ""):
            out.append(Problem(at, f"'{group}' is not a Slack user group ID; use S followed "
                                   "by capital letters and digits, e.g. S0ONCALLAR"))
        elif group == team.manager_group:
            out.append(Problem(at, f"{group} is the team's manager_group; the bot replaces "
                                   "an on-call group's members at every handoff, so give "
                                   "the on-call group a user group of its own"))
        elif group in first:
            out.append(Problem(at, f"user group {group} already follows '{first[group]}'; "
                                   "give each key its own user group",
                               ("oncall_groups", first[group])))
        else:
            first[group] = key
    out += [Problem(("oncall_groups", team.oncall_groups[i][0]),
                    f"'{team.oncall_groups[i][0]}' is listed twice; give each language one "
                    "group", ("oncall_groups", team.oncall_groups[j][0]))
            for i, j in repeats(k for k, _ in team.oncall_groups)]
    return out


def _specialists(team: Team) -> list[Problem]:
    out = []
    for i, s in enumerate(team.specialists):
        at = ("specialists", i)
        if not parsers.USER_ID.fullmatch(s.id):
            out.append(Problem((*at, "id"), f"'{s.id}' is not a Slack user ID (U or W "
                                            "followed by capital letters and digits, e.g. "
                                            "U0AR00001)",
                               reply=f"'{s.id}' is not a Slack user; mention them"))
        if not s.name.strip() or not parsers.is_printable_line(s.name):
            out.append(Problem((*at, "name"),
                               "name must be printable text on one line, e.g. Layla Haddad",
                               reply="name must be printable text on one line"))
        out += _zone((*at, "timezone"), s.timezone)
        if not s.languages:
            out.append(Problem((*at, "languages"), "needs at least one language, strongest "
                                                   "first, e.g. [ar, fr, en]",
                               reply="languages must list at least one language, strongest "
                                     "first"))
        out += _languages(team, at, s)
        if s.holidays is not None and not parsers.HOLIDAYS.fullmatch(s.holidays):
            out.append(Problem((*at, "holidays"), f"holidays '{s.holidays}' is not a country "
                                                  "code such as MX or US-TX"))
        out += keys((*at, "skills"), s.skills, "skill")
    return out


def _languages(team: Team, at: Where, s: Specialist) -> list[Problem]:
    """A specialist reads languages of the team, and backs up only languages they read."""
    out = []
    team_list = ", ".join(team.languages)
    for j, code in enumerate(s.languages):
        if code not in team.languages:
            unknown = f"language '{code}' is not one of the team's languages [{team_list}]"
            out.append(Problem((*at, "languages", j),
                               f"{unknown}; add it to the team's `languages` or remove it from "
                               "this specialist's", reply=unknown))
    out += listed_twice((*at, "languages"), s.languages, "language")
    read = ", ".join(s.languages)
    for j, code in enumerate(s.backup):
        if code not in s.languages:
            rule = "a backup can only cover a language in their own `languages`"
            out.append(Problem((*at, "backup", j),
                               f"backup language '{code}' is not one this specialist reads "
                               f"[{read}]; {rule}",
                               reply=f"backup language '{code}' is not one they read [{read}]; "
                                     f"{rule}"))
    out += listed_twice((*at, "backup"), s.backup, "backup language")
    return out


def _rotations(team: Team) -> list[Problem]:
    out = []
    for i, r in enumerate(team.rotations):
        at = ("rotations", i)
        if not parsers.NAME.fullmatch(r.name):
            out.append(Problem((*at, "name"),
                               f"name must be {parsers.NAME_RULE}, e.g. emea-night",
                               reply=f"rotation name '{r.name}' must be {parsers.NAME_RULE}"))
        out += _zone((*at, "timezone"), r.timezone)
        if r.shift_start.tzinfo is not None or r.shift_end.tzinfo is not None:
            out.append(Problem((*at, "shift"),
                               "the shift is local wall-clock time, without a zone"))
        if not r.days:
            out.append(Problem((*at, "days"), "needs at least one day on which shifts start, "
                                              "e.g. mon-fri",
                               reply="days needs at least one day on which shifts start "
                                     "(at least one weekday of mon..sun)"))
        if r.tier not in TIERS:
            out.append(Problem((*at, "tier"),
                               f"unknown tier '{r.tier}'; allowed: {', '.join(TIERS)}"))
        out += [Problem((*at, "members", j),
                        f"member '{r.members[j]}' is listed twice in this rotation; list each "
                        "member once (order decides who is on call in which handoff period)",
                        (*at, "members", first))
                for j, first in repeats(r.members)]
    return out


def _zone(at: Where, tz: str) -> list[Problem]:
    """An IANA zone; the wording (with a close zone to suggest) is the zone parser's."""
    try:
        parsers.parse_zone(tz)
    except parsers.ParseError as e:
        return [Problem(at, e.message)]
    return []


def _escalation(team: Team) -> list[Problem]:
    out = []
    named = [sev for sev, _ in team.policies]
    default = team.default_severity
    if default not in SEVERITIES:
        out.append(Problem(("escalation", "default_severity"),
                           f"default_severity '{default}' is an unknown severity; allowed: "
                           f"{', '.join(SEVERITIES)}"))
    elif named and default not in named:
        have = ", ".join(named) or "none"
        out.append(Problem(("escalation", "default_severity"),
                           f"default_severity '{default}' has no policy (policies given: "
                           f"{have}); add escalation.policies.{default} or set "
                           "default_severity to one of those"))
    for sev, policy in team.policies:
        at = ("escalation", "policies", sev)
        if parsers.SEVERITY_LIKE.fullmatch(sev) and sev not in SEVERITIES:
            out.append(Problem(at, f"unknown severity '{sev}'; allowed: {', '.join(SEVERITIES)}"))
        elif not parsers.SLUG.fullmatch(sev):
            out.append(Problem(at, f"policy name '{sev}' must be {parsers.SLUG_RULE}: a "
                                   "severity (sev1, sev2, sev3) or a name such as "
                                   "le-emergency"))
        if not policy.steps:
            out.append(Problem((*at, "steps"), "needs at least one step"))
        for i, step in enumerate(policy.steps):
            out += _step(team, (*at, "steps", i), step, last=i == len(policy.steps) - 1)
    return out


def _step(team: Team, at: Where, step: EscalationStep, *, last: bool) -> list[Problem]:
    out = []
    if step.notify not in STEP_KINDS:
        out.append(Problem((*at, "notify"),
                           f"unknown step kind '{step.notify}'; allowed: "
                           f"{', '.join(STEP_KINDS)}" + did_you_mean(step.notify, STEP_KINDS)))
    if step.notify == "managers" and not team.managers and team.manager_group is None:
        out.append(Problem((*at, "notify"),
                           "a 'managers' step needs someone to notify; list user IDs under "
                           "`managers` (e.g. [U0MGR0001]) or set `manager_group` "
                           "(e.g. S0MGRGRP1)"))
    if step.wait is None and not last:
        out.append(Problem((*at, "wait"),
                           "every step but the last needs a wait (how long to wait for an "
                           "acknowledgement before the next step), e.g. "
                           "{notify: language_oncall, wait: 5m}"))
    if step.wait is not None and step.wait <= timedelta(0):
        out.append(Problem((*at, "wait"), "wait must be positive"))
    return out


def _interval(at: Where, start: datetime, end: datetime, tz: str, span: str,
              rule: str) -> list[Problem]:
    """An aware [start, end) that is not empty; told in local time of `tz` as a team
    file writes it (`tz`, a valid zone), and in UTC. `span` says what the interval is,
    for a reply."""
    for dt in (start, end):
        if dt.tzinfo is None or dt.utcoffset() is None:
            return [Problem((*at, "from" if dt is start else "to"),
                            f"naive datetime {dt.isoformat()} has no time zone "
                            "(aware UTC expected)")]
    if end <= start:
        a, b = parsers.format_local(start, tz), parsers.format_local(end, tz)
        return [Problem((*at, "to"),
                        f"to ({b}) must be after from ({a}) in {tz} (it ends at "
                        f"{end.isoformat()}, not after its start {start.isoformat()}); {rule}",
                        reply=f"'to' must be after 'from' ({span}; it ends at {b}, not "
                              f"after its start {a}, in {tz})")]
    return []
