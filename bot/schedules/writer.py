"""Schedules as code, write side: `Team` -> YAML text in the schema the reader reads,
fields in the documented order. Each entry's fields and values (times in the rotation's
zone for overrides, the person's for time off) are `bot.core.team_file`'s, the same the
audit trail records; here they only get their YAML styles."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from bot.core import parsers
from bot.core.model import (
    DEFAULT_MAX_OPEN,
    DEFAULT_RETENTION,
    DEFAULT_VIA,
    EscalationPolicy,
    Team,
    Wellbeing,
)
from bot.core.team_file import (
    category_dict,
    override_dict,
    rotation_dict,
    specialist_dict,
    time_off_dict,
)
from bot.schedules.schema import BOOL, INT, MAP, SEQ, STR, TIMESTAMP

__all__ = ["dump_team"]


class _Dumper(yaml.SafeDumper):
    """Indents list items under their key, as the examples in the docs do."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        return super().increase_indent(flow, False)


def _s(value: str, style: str | None = None) -> ScalarNode:
    return ScalarNode(STR, value, style=style)


def _seq(items: list[Node], flow: bool = False) -> SequenceNode:
    return SequenceNode(SEQ, items, flow_style=flow)


def _map(pairs: list[tuple[str, Node]], flow: bool = False) -> MappingNode:
    return MappingNode(MAP, [(_s(k), v) for k, v in pairs], flow_style=flow)


def _flow_list(values: Iterable[str]) -> SequenceNode:
    return _seq([_s(v) for v in values], flow=True)


def _entry(fields: dict[str, Any], *, dates: Iterable[str] = (), quoted: Iterable[str] = (),
           flow: bool = False) -> MappingNode:
    """An entry's fields as `bot.core.team_file` gives them: lists in flow style, `dates`
    as YAML dates, `quoted` in double quotes (so a shift or a local date-time reads back
    as text, never as a number or a timestamp)."""
    dates, quoted = set(dates), set(quoted)

    def node(key: str, value: Any) -> Node:
        if isinstance(value, list):
            return _flow_list(value)
        if isinstance(value, bool):
            return ScalarNode(BOOL, "true" if value else "false")
        if isinstance(value, int):
            return ScalarNode(INT, str(value))
        if key in dates:
            return ScalarNode(TIMESTAMP, value)
        return _s(value, style='"' if key in quoted else None)

    return _map([(k, node(k, v)) for k, v in fields.items()], flow=flow)


def _care(team: Team) -> list[tuple[str, Node]]:
    """`wellbeing` (only the keys that differ from the defaults) and `retention`."""
    out: list[tuple[str, Node]] = []
    w, default = team.wellbeing, Wellbeing()
    keys = [("exposure_limit", ScalarNode(INT, str(w.exposure_limit)),
             w.exposure_limit != default.exposure_limit),
            ("exposure_window", _s(parsers.format_period(w.exposure_window)),
             w.exposure_window != default.exposure_window),
            ("checkin", ScalarNode(BOOL, "true" if w.checkin else "false"),
             w.checkin != default.checkin)]
    if any(changed for *_, changed in keys):
        out.append(("wellbeing", _map([(k, v) for k, v, changed in keys if changed])))
    if team.retention != DEFAULT_RETENTION:
        out.append(("retention", _s(parsers.format_period(team.retention))))
    return out


def _trends(team: Team) -> list[tuple[str, Node]]:
    """`trends_channel` and `trends_every`, each only when set / not the default."""
    out: list[tuple[str, Node]] = []
    if team.trends_channel is not None:
        out.append(("trends_channel", _s(team.trends_channel)))
    if team.trends_every != Team.trends_every:
        out.append(("trends_every", _s(parsers.format_period(team.trends_every))))
    return out


def _ack_timeout(pol: EscalationPolicy) -> list[tuple[str, Node]]:
    """A policy's `ack_timeout`, when it has one (left out: never reminded)."""
    if pol.ack_timeout is None:
        return []
    return [("ack_timeout", _s(parsers.format_duration(pol.ack_timeout)))]


def _step(st) -> MappingNode:
    row: list[tuple[str, Node]] = [("notify", _s(st.notify))]
    if st.wait is not None:
        row.append(("wait", _s(parsers.format_duration(st.wait))))
    if st.via != DEFAULT_VIA:
        row.append(("via", _flow_list(st.via)))
    return _map(row, flow=True)


def _escalation(team: Team) -> MappingNode:
    policies = [(sev, _map([("steps", _seq([_step(st) for st in pol.steps])),
                            ("repeat", ScalarNode(INT, str(pol.repeat))),
                            *_ack_timeout(pol)]))
                for sev, pol in team.policies]
    return _map([("default_severity", _s(team.default_severity)),
                 ("policies", _map(policies))])


def dump_team(team: Team) -> str:
    """Team -> YAML text in the schema `parse_team` reads (fields in the documented order)."""
    sections: list[list[tuple[str, Node]]] = []
    head: list[tuple[str, Node]] = [
        ("team", _s(team.name)),
        ("languages", _flow_list(team.languages)),
        ("intake_channel", _s(team.intake_channel)),
    ]
    if team.intake_channels:
        head.append(("intake_channels", _flow_list(team.intake_channels)))
    head += [
        ("escalation_channel", _s(team.escalation_channel)),
        ("managers", _flow_list(team.managers)),
    ]
    if team.manager_group is not None:
        head.append(("manager_group", _s(team.manager_group)))
    sections.append(head)
    sections.append([("specialists", _seq([_entry(specialist_dict(sp))
                                           for sp in team.specialists]))])
    sections.append([("rotations", _seq([_entry(rotation_dict(r), dates=("start",),
                                                quoted=("shift",))
                                         for r in team.rotations]))])
    if team.overrides:
        sections.append([("overrides", _seq([
            _entry(override_dict(o, team), quoted=("from", "to"), flow=True)
            for o in team.overrides]))])
    if team.time_off:
        # Whole days are written as dates, part days as local date-times.
        sections.append([("time_off", _seq([
            _entry(time_off_dict(t, team), flow=True,
                   **{"dates" if t.all_day else "quoted": ("from", "to")})
            for t in team.time_off]))])

    if team.policies or team.default_severity != "sev2":
        sections.append([("escalation", _escalation(team))])

    if team.categories:
        sections.append([("categories", _seq([_entry(category_dict(c))
                                              for c in team.categories]))])
    tail: list[tuple[str, Node]] = []
    if team.default_category is not None:
        tail.append(("default_category", _s(team.default_category)))
    if team.max_open_per_person != DEFAULT_MAX_OPEN:
        tail.append(("routing", _map([("max_open_per_person",
                                       ScalarNode(INT, str(team.max_open_per_person)))])))
    if team.language_fallbacks:
        tail.append(("language_fallbacks", _map([(k, _flow_list(v))
                                                 for k, v in team.language_fallbacks])))
    tail += _care(team)
    tail += _trends(team)
    if team.crisis_update_every != Team.crisis_update_every:
        tail.append(("crisis", _map([("update_every", _s(parsers.format_duration(
            team.crisis_update_every)))])))
    if tail:
        sections.append(tail)
    if team.oncall_groups:
        sections.append([("oncall_groups", _map([(key, _s(group))
                                                 for key, group in team.oncall_groups]))])

    chunks = [
        yaml.serialize(_map(section), Dumper=_Dumper, allow_unicode=True, width=4096)
        for section in sections
    ]
    return "\n".join(chunks)
