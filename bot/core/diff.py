"""What changed between two versions of a team, as lines a manager can read.

    + specialist U0AR00001 Layla Haddad (Asia/Dubai; reads ar, fr, en; backup ar)
    ~ rotation emea: shift 08:00-16:00 -> 07:00-15:00
    - override emea: U0ES00002 2026-12-24 08:00 -> 2026-12-24 16:00 (Europe/Dublin)

`+` added, `-` removed, `~` changed (one line per changed field). The list is empty
exactly when the two teams are equal, order of entries included (the order of
overrides matters: where two overlap, the later one wins). Pure: no I/O, no YAML.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import TypeVar

from bot.core import contacts, parsers, team_file, timezones
from bot.core.model import (
    ALL_ON_CALL,
    DEFAULT_CATEGORY,
    DEFAULT_MAX_OPEN,
    DEFAULT_VIA,
    WEEKDAYS,
    Category,
    EscalationPolicy,
    Override,
    Rotation,
    Specialist,
    Team,
    TimeOff,
)

T = TypeVar("T")
K = TypeVar("K", bound=Hashable)


def diff_teams(old: Team | None, new: Team) -> list[str]:
    """Human-readable change lines from `old` to `new` (`old` None: a new team)."""
    out: list[str] = []
    if old is None:
        out.append(
            f"+ team {new.name} (languages {_list(new.languages)}; intake {new.intake_channel}"
            + (f", also {_list(new.intake_channels)}" if new.intake_channels else "") + "; "
            f"escalation channel {new.escalation_channel}; managers {_list(new.managers)}"
            + (f"; manager group {new.manager_group}" if new.manager_group else "")
            + f"; default severity {new.default_severity}"
            + (f"; default category {new.default_category}"
               if new.default_category is not None else "")
            + (f"; at most {new.max_open_per_person} open requests per person"
               if new.max_open_per_person != DEFAULT_MAX_OPEN else "")
            + "".join(f"; {field} {value}" for field, value in _care_settings(new)
                      if (field, value) not in _care_settings(Team("", (), "", "")))
            + ")"
        )
        base = Team(
            new.name,
            (),
            new.intake_channel,
            new.escalation_channel,
            default_severity=new.default_severity,
            default_category=new.default_category,
            max_open_per_person=new.max_open_per_person,
        )
        out.extend(_diff_body(base, new))
        return out
    out.extend(_diff_header(old, new))
    out.extend(_diff_body(old, new))
    return out


# -- sections ---------------------------------------------------------------------------------


def _diff_header(old: Team, new: Team) -> list[str]:
    out = []
    default = f"{DEFAULT_CATEGORY} (unset)"
    pairs: list[tuple[str, str, str]] = [
        ("name", old.name, new.name),
        ("languages", _list(old.languages), _list(new.languages)),
        ("intake_channel", old.intake_channel, new.intake_channel),
        ("intake_channels", _list(old.intake_channels), _list(new.intake_channels)),
        ("escalation_channel", old.escalation_channel, new.escalation_channel),
        ("managers", _list(old.managers), _list(new.managers)),
        ("manager_group", old.manager_group or "none", new.manager_group or "none"),
        ("default_category", old.default_category or default,
         new.default_category or default),
        ("trends_channel", old.trends_channel or "none", new.trends_channel or "none"),
        ("trends_every", parsers.format_period(old.trends_every),
         parsers.format_period(new.trends_every)),
    ]
    pairs += [(field, a, b) for (field, a), (_, b) in zip(_care_settings(old),
                                                          _care_settings(new), strict=True)]
    pairs.append(("crisis.update_every", parsers.format_duration(old.crisis_update_every),
                  parsers.format_duration(new.crisis_update_every)))
    for field, a, b in pairs:
        if a != b:
            out.append(f"~ team {new.name}: {field} {a} -> {b}")
    if old.max_open_per_person != new.max_open_per_person:
        out.append(f"~ team {new.name}: at most {old.max_open_per_person} -> "
                   f"{new.max_open_per_person} open requests per person "
                   "(routing.max_open_per_person)")
    return out


def _care_settings(team: Team) -> list[tuple[str, str]]:
    """The `wellbeing` and `retention` settings, as the file writes them."""
    w = team.wellbeing
    return [("wellbeing.exposure_limit", str(w.exposure_limit)),
            ("wellbeing.exposure_window", parsers.format_period(w.exposure_window)),
            ("wellbeing.checkin", "true" if w.checkin else "false"),
            ("retention", parsers.format_period(team.retention))]


def _diff_body(old: Team, new: Team) -> list[str]:
    out: list[str] = []
    out.extend(
        _keyed(
            old.specialists,
            new.specialists,
            key=lambda s: s.id,
            what="specialist",
            label=lambda s: f"{s.id} {s.name}",
            summary=_specialist_summary,
            fields=_specialist_fields,
        )
    )
    out.extend(
        _keyed(
            old.rotations,
            new.rotations,
            key=lambda r: r.name,
            what="rotation",
            label=lambda r: r.name,
            summary=_rotation_summary,
            fields=_rotation_fields,
        )
    )
    out.extend(
        _multiset(
            old.overrides,
            new.overrides,
            what="override",
            old_fmt=lambda o: _override(o, old),
            new_fmt=lambda o: _override(o, new),
            reorder="overrides: same entries in a new order (where two overlap, the later wins)",
        )
    )
    out.extend(
        _multiset(
            old.time_off,
            new.time_off,
            what="time off",
            old_fmt=lambda t: _time_off(t, old),
            new_fmt=lambda t: _time_off(t, new),
            reorder="time off: same entries in a new order",
        )
    )
    if old.default_severity != new.default_severity:
        out.append(
            f"~ escalation: default_severity {old.default_severity} -> {new.default_severity}"
        )
    # The keyed sections that follow name each entry by its first element or its name.
    def first(pair):
        return pair[0]

    out += _keyed(_policies(old), _policies(new), key=first, what="policy", label=first,
                  summary=lambda p: _policy_summary(p[1]), fields=lambda p: _policy_fields(p[1]))
    out += _keyed(old.categories, new.categories, key=lambda c: c.name, what="category",
                  label=lambda c: c.name, summary=_category_summary, fields=_category_fields)
    out += _keyed(old.oncall_groups, new.oncall_groups, key=first, what="on-call group",
                  label=first, summary=_group_summary,
                  fields=lambda g: [("user group", g[1])])
    # `+ language fallback it (es, pt)`, `~ language fallback it: languages es, pt -> es`
    out += _keyed(old.language_fallbacks, new.language_fallbacks, key=first,
                  what="language fallback", label=first, summary=lambda f: _list(f[1]),
                  fields=lambda f: [("languages", _list(f[1]))])
    return out


def _group_summary(group: tuple[str, str]) -> str:
    lang, group_id = group
    who = "everyone on call" if lang == ALL_ON_CALL else f"the on-call readers of {lang}"
    return f"user group {group_id} kept equal to {who}"


def _keyed(
    old: Sequence[T],
    new: Sequence[T],
    *,
    key: Callable[[T], K],
    what: str,
    label: Callable[[T], str],
    summary: Callable[[T], str],
    fields: Callable[[T], list[tuple[str, str]]],
) -> list[str]:
    """Entries matched by key: removed, then added or changed in the new order, then order."""
    out: list[str] = []
    old_by = {key(x): x for x in old}
    new_by = {key(x): x for x in new}
    for x in old:
        if key(x) not in new_by:
            out.append(f"- {what} {label(x)}")
    for x in new:
        k = key(x)
        if k not in old_by:
            out.append(f"+ {what} {label(x)} ({summary(x)})")
            continue
        before = old_by[k]
        if before == x:
            continue
        changed = [
            f"{name} {a} -> {b}"
            for (name, a), (_, b) in zip(fields(before), fields(x), strict=True)
            if a != b
        ]
        if not changed:  # equal when shown, different underneath (e.g. seconds)
            changed = ["changed"]
        out.extend(f"~ {what} {label(x)}: {c}" for c in changed)
    old_order = [key(x) for x in old if key(x) in new_by]
    new_order = [key(x) for x in new if key(x) in old_by]
    if old_order != new_order:
        out.append(f"~ {what} order: {_list(map(str, old_order))} -> {_list(map(str, new_order))}")
    return out


def _multiset(
    old: Sequence[T],
    new: Sequence[T],
    *,
    what: str,
    old_fmt: Callable[[T], str],
    new_fmt: Callable[[T], str],
    reorder: str,
) -> list[str]:
    out: list[str] = []
    removed = Counter(old) - Counter(new)
    added = Counter(new) - Counter(old)
    for x in old:
        if removed[x] > 0:
            removed[x] -= 1
            out.append(f"- {what} {old_fmt(x)}")
    for x in new:
        if added[x] > 0:
            added[x] -= 1
            out.append(f"+ {what} {new_fmt(x)}")
    if not out and tuple(old) != tuple(new):
        out.append(f"~ {reorder}")
    return out


# -- formatting -------------------------------------------------------------------------------


def _list(items: Iterable[str]) -> str:
    items = list(items)
    return ", ".join(items) if items else "none"


def _days(days: frozenset[int]) -> str:
    """{0,1,2,3,4} -> 'mon-fri'; {0,2,4} -> 'mon, wed, fri'."""
    runs: list[list[int]] = []
    for d in sorted(days):
        if runs and d == runs[-1][-1] + 1:
            runs[-1].append(d)
        else:
            runs.append([d])
    parts = []
    for run in runs:
        if len(run) >= 3:
            parts.append(f"{WEEKDAYS[run[0]]}-{WEEKDAYS[run[-1]]}")
        else:
            parts.extend(WEEKDAYS[d] for d in run)
    return ", ".join(parts) if parts else "none"


def _specialist_fields(s: Specialist) -> list[tuple[str, str]]:
    return [
        ("id", s.id),
        ("name", s.name),
        ("timezone", s.timezone),
        ("languages", _list(s.languages)),
        ("backup", _list(s.backup)),
        ("holidays", s.holidays or "none"),
        ("skills", _list(s.skills)),
        ("phone", contacts.mask_phone(s.phone)),
        ("email", s.email or "none"),
    ]


def _specialist_summary(s: Specialist) -> str:
    text = f"{s.timezone}; reads {_list(s.languages)}"
    if s.backup:
        text += f"; backup {_list(s.backup)}"
    if s.holidays:
        text += f"; holidays {s.holidays}"
    if s.skills:
        text += f"; skills {_list(s.skills)}"
    if s.phone:
        text += f"; phone {contacts.mask_phone(s.phone)}"
    if s.email:
        text += f"; email {s.email}"
    return text


def _rotation_fields(r: Rotation) -> list[tuple[str, str]]:
    return [
        ("name", r.name),
        ("timezone", r.timezone),
        ("shift", r.shift_label),
        ("days", _days(r.days)),
        ("handoff", r.handoff_label),
        ("start", r.start.isoformat()),
        ("tier", r.tier),
        ("members", _list(r.members)),
    ]


def _rotation_summary(r: Rotation) -> str:
    return (
        f"{r.timezone} {r.shift_label}, {_days(r.days)}, {r.handoff_label} from "
        f"{r.start.isoformat()}, {r.tier}; members {_list(r.members)}"
    )


def _local(instant: datetime, tz: str) -> str:
    loc = timezones.to_local(instant, tz)
    return loc.strftime("%Y-%m-%d %H:%M:%S" if loc.second else "%Y-%m-%d %H:%M")


def _override(o: Override, team: Team) -> str:
    tz = team_file.override_zone(team, o)
    return f"{o.rotation}: {o.user} {_local(o.start, tz)} -> {_local(o.end, tz)} ({tz})"


def _time_off(t: TimeOff, team: Team) -> str:
    tz = team_file.time_off_zone(team, t)
    if t.all_day:
        first = timezones.local_date(t.start, tz)
        last = timezones.local_date(t.end, tz) - timedelta(days=1)
        return f"{t.user}: {first.isoformat()} to {last.isoformat()} ({tz})"
    return f"{t.user}: {_local(t.start, tz)} -> {_local(t.end, tz)} ({tz})"


def _policies(team: Team) -> list[tuple[str, EscalationPolicy]]:
    return list(team.policies)


def _wait(d: timedelta | None) -> str:
    return "" if d is None else " " + parsers.format_duration(d)


def _steps(p: EscalationPolicy) -> str:
    return ", ".join(f"{s.notify}{_wait(s.wait)}{_via(s.via)}" for s in p.steps)


def _via(via: tuple[str, ...]) -> str:
    return "" if via == DEFAULT_VIA else f" via {'+'.join(via)}"


def _ack(p: EscalationPolicy) -> str:
    return "none" if p.ack_timeout is None else parsers.format_duration(p.ack_timeout)


def _policy_fields(p: EscalationPolicy) -> list[tuple[str, str]]:
    return [("steps", _steps(p)), ("repeat", str(p.repeat)), ("ack_timeout", _ack(p))]


def _policy_summary(p: EscalationPolicy) -> str:
    ack = "" if p.ack_timeout is None else f"; ack_timeout {_ack(p)}"
    return f"{_steps(p)}; repeat {p.repeat}{ack}"


def _category_fields(c: Category) -> list[tuple[str, str]]:
    weight = "default" if c.exposure_weight is None else str(c.exposure_weight)
    return [
        ("label", f"\"{c.label}\""),
        ("severity", c.severity or "the default"),
        ("policy", c.policy or "the severity's"),
        ("skills", _list(c.skills)),
        ("due", "none" if c.due is None else parsers.format_duration(c.due)),
        ("sensitive", "yes" if c.sensitive else "no"),
        ("exposure_weight", f"{weight} (counts {c.weight})"),
        ("verification", c.verification or "none"),
        ("fields", _list(c.fields)),
    ]


def _category_summary(c: Category) -> str:
    """'Law-enforcement emergency request'; sev1; policy le-emergency; skills le_requests;
    due 30m; verification two_person; fields agency, officer."""
    parts = [f"\"{c.label}\""]
    if c.severity:
        parts.append(c.severity)
    if c.policy:
        parts.append(f"policy {c.policy}")
    if c.skills:
        parts.append(f"only people with skills {_list(c.skills)}")
    if c.due is not None:
        parts.append(f"due in {parsers.format_duration(c.due)}")
    if c.sensitive:
        parts.append("sensitive")
    if c.exposure_weight is not None:
        parts.append(f"exposure weight {c.exposure_weight}")
    if c.verification:
        parts.append(f"verification {c.verification}")
    if c.fields:
        parts.append(f"asks {_list(c.fields)}")
    return "; ".join(parts)
