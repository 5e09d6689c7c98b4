"""Schedules as code, write side: `Team` -> YAML text in the schema the reader reads,
fields in the documented order, times converted from UTC to the rotation's (overrides)
or the person's (time off) zone."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from bot.core import parsers, timezones
from bot.core.model import WEEKDAYS, Team
from bot.schedules.schema import INT, MAP, SEQ, STR, TIMESTAMP

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


def _date_node(d: date) -> ScalarNode:
    return ScalarNode(TIMESTAMP, d.isoformat())


def _zone_or_utc(tz: str | None) -> str:
    return tz if tz and timezones.is_valid_zone(tz) else "UTC"


def dump_team(team: Team) -> str:
    """Team -> YAML text in the schema `parse_team` reads (fields in the documented order)."""
    sections: list[list[tuple[str, Node]]] = []
    head: list[tuple[str, Node]] = [
        ("team", _s(team.name)),
        ("languages", _flow_list(team.languages)),
        ("intake_channel", _s(team.intake_channel)),
        ("escalation_channel", _s(team.escalation_channel)),
        ("managers", _flow_list(team.managers)),
    ]
    if team.manager_group is not None:
        head.append(("manager_group", _s(team.manager_group)))
    sections.append(head)

    specialists = []
    for sp in team.specialists:
        fields: list[tuple[str, Node]] = [
            ("id", _s(sp.id)),
            ("name", _s(sp.name)),
            ("timezone", _s(sp.timezone)),
            ("languages", _flow_list(sp.languages)),
        ]
        if sp.backup:
            fields.append(("backup", _flow_list(sp.backup)))
        if sp.holidays is not None:
            fields.append(("holidays", _s(sp.holidays)))
        specialists.append(_map(fields))
    sections.append([("specialists", _seq(specialists))])

    rotations = []
    for r in team.rotations:
        rotations.append(
            _map(
                [
                    ("name", _s(r.name)),
                    ("timezone", _s(r.timezone)),
                    ("shift", _s(r.shift_label, style='"')),
                    ("days", _flow_list(WEEKDAYS[d] for d in sorted(r.days))),
                    ("handoff", _s(r.handoff_label)),
                    ("start", _date_node(r.start)),
                    ("tier", _s(r.tier)),
                    ("members", _flow_list(r.members)),
                ]
            )
        )
    sections.append([("rotations", _seq(rotations))])

    if team.overrides:
        zones = {r.name: r.timezone for r in team.rotations}
        rows = []
        for o in team.overrides:
            tz = _zone_or_utc(zones.get(o.rotation))
            rows.append(
                _map(
                    [
                        ("rotation", _s(o.rotation)),
                        ("user", _s(o.user)),
                        ("from", _s(parsers.format_local(o.start, tz), style='"')),
                        ("to", _s(parsers.format_local(o.end, tz), style='"')),
                    ],
                    flow=True,
                )
            )
        sections.append([("overrides", _seq(rows))])

    if team.time_off:
        zones = {s.id: s.timezone for s in team.specialists}
        rows = []
        for t in team.time_off:
            tz = _zone_or_utc(zones.get(t.user))
            if t.all_day:
                first = timezones.local_date(t.start, tz)
                last = timezones.local_date(t.end, tz) - timedelta(days=1)
                span: list[tuple[str, Node]] = [
                    ("from", _date_node(first)),
                    ("to", _date_node(last)),
                ]
            else:
                span = [
                    ("from", _s(parsers.format_local(t.start, tz), style='"')),
                    ("to", _s(parsers.format_local(t.end, tz), style='"')),
                ]
            rows.append(_map([("user", _s(t.user)), *span], flow=True))
        sections.append([("time_off", _seq(rows))])

    if team.policies or team.default_severity != "sev2":
        policies = []
        for sev, pol in team.policies:
            steps = []
            for st in pol.steps:
                row: list[tuple[str, Node]] = [("notify", _s(st.notify))]
                if st.wait is not None:
                    row.append(("wait", _s(parsers.format_duration(st.wait))))
                steps.append(_map(row, flow=True))
            policies.append(
                (sev, _map([("steps", _seq(steps)), ("repeat", ScalarNode(INT, str(pol.repeat)))]))
            )
        sections.append(
            [
                (
                    "escalation",
                    _map(
                        [
                            ("default_severity", _s(team.default_severity)),
                            ("policies", _map(policies)),
                        ]
                    ),
                )
            ]
        )

    chunks = [
        yaml.serialize(_map(section), Dumper=_Dumper, allow_unicode=True, width=4096)
        for section in sections
    ]
    return "\n".join(chunks)
