"""Reading one field of a team file: YAML shapes (a mapping of known fields, a single
value, a list) and typed values (Slack IDs, zones, names, dates, languages, shifts, days,
handoffs, holiday calendars).

The syntax of each value is `bot.core.parsers`; `FieldReader` only knows where a value
is (file, line, field path) and reports each problem there, so that one bad file yields
every problem at once.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time

import holidays
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from bot.core import parsers
from bot.core.checks import did_you_mean
from bot.core.model import WEEKDAYS
from bot.core.parsers import ParseError
from bot.schedules.problems import Problem, line_of
from bot.schedules.schema import EXAMPLES, NULL

__all__ = ["FieldReader", "describe"]


def describe(node: Node) -> str:
    """What a node holds, for 'must be X, not Y' messages."""
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    if node.tag == NULL:
        return "an empty value"
    return f"the value '{node.value}'"


class FieldReader:
    """Problems of one file, and readers of its fields that report into them."""

    def __init__(self, filename: str):
        self.file = filename
        self.problems: list[Problem] = []

    def err(self, node: Node | None, field: str, message: str) -> None:
        self.problems.append(Problem(self.file, line_of(node), field, message))

    def checked(self, node: Node, path: str, parse, value: str):
        """`parse(value)`, or None with its ParseError reported at the node."""
        try:
            return parse(value)
        except ParseError as e:
            self.err(node, path, e.message)
            return None

    # generic shapes ---------------------------------------------------------------------

    def fields(
        self,
        node: Node,
        path: str,
        allowed: tuple[str, ...],
        required: tuple[str, ...],
        what: str,
        examples: dict[str, str] | None = None,
    ) -> dict[str, tuple[Node, Node]] | None:
        """A mapping's fields by name (key node, value node); reports shape problems."""
        where = f"in {path}" if path else "at the top level"
        if not isinstance(node, MappingNode):
            self.err(
                node,
                path,
                f"{what} must be a mapping of fields, not {describe(node)}; "
                f"fields: {', '.join(allowed)}",
            )
            return None
        out: dict[str, tuple[Node, Node]] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, ScalarNode) else None
            sub = f"{path}.{key}" if path else str(key)
            if key is None:
                self.err(
                    key_node,
                    path,
                    f"field names must be plain words; allowed: {', '.join(allowed)}",
                )
            elif key == "<<":
                self.err(
                    key_node, sub, "YAML merge keys ('<<') are not supported; write the fields out"
                )
            elif key in out:
                first = line_of(out[key][0])
                self.err(
                    key_node,
                    sub,
                    f"duplicate key '{key}' {where} (first on line {first}); give each field once",
                )
            elif key not in allowed:
                self.err(
                    key_node,
                    sub,
                    f"unknown field '{key}' {where}; allowed: {', '.join(allowed)}"
                    + did_you_mean(key, allowed),
                )
            else:
                out[key] = (key_node, value_node)
        for name in required:
            if name not in out:
                example = (examples or EXAMPLES).get(name, "...")
                self.err(
                    node,
                    f"{path}.{name}" if path else name,
                    f"missing required field '{name}' {where}; e.g. {name}: {example}",
                )
        return out

    def read(self, f: dict[str, tuple[Node, Node]], path: str, key: str, reader, default=None):
        """`reader(node, path)` of field `key` of a mapping read by `fields`, or `default`
        when the field is absent (a missing required field is reported already)."""
        return reader(f[key][1], f"{path}.{key}" if path else key) if key in f else default

    def scalar(self, node: Node, path: str, example: str) -> str | None:
        """A single non-empty value as text, or None (reported)."""
        if not isinstance(node, ScalarNode):
            self.err(node, path, f"must be a single value, not {describe(node)}; e.g. {example}")
            return None
        if node.tag == NULL or node.value.strip() == "":
            self.err(node, path, f"is empty; give a value, e.g. {example}")
            return None
        return node.value

    def seq(
        self, node: Node, path: str, example: str, *, allow_empty: bool = True
    ) -> list[Node] | None:
        """A list's items; an empty value counts as an empty list when allowed."""
        if isinstance(node, ScalarNode) and node.tag == NULL:
            if allow_empty:
                return []
            self.err(node, path, f"is empty; give a list, e.g. {example}")
            return None
        if not isinstance(node, SequenceNode):
            self.err(node, path, f"must be a list, not {describe(node)}; e.g. {example}")
            return None
        if not node.value and not allow_empty:
            self.err(node, path, f"must not be empty; e.g. {example}")
            return None
        return list(node.value)

    def optional(self, node: Node) -> bool:
        """True when a field is present but empty (`holidays:`), meaning 'not set'."""
        return isinstance(node, ScalarNode) and node.tag == NULL

    # typed values -------------------------------------------------------------------------

    def matching(self, node: Node, path: str, example: str, pattern, message: str) -> str | None:
        """A single value that must match `pattern`; `message` has `{v}` for the value."""
        v = self.scalar(node, path, example)
        if v is not None and not pattern.fullmatch(v):
            self.err(node, path, message.format(v=v))
            return None
        return v

    def user_id(self, node: Node, path: str) -> str | None:
        return self.matching(
            node, path, "U0AR00001", parsers.USER_ID,
            "'{v}' is not a Slack user ID; user IDs are U or W followed by capital "
            "letters and digits, e.g. U0AR00001 (Slack: profile > More > Copy member ID)",
        )  # fmt: skip

    def channel_id(self, node: Node, path: str) -> str | None:
        return self.matching(
            node, path, "C0INTAKE01", parsers.CHANNEL_ID,
            "'{v}' is not a Slack channel ID; use the ID (C or G followed by capital "
            "letters and digits, e.g. C0INTAKE01), shown at the bottom of the channel's "
            "details",
        )  # fmt: skip

    def group_id(self, node: Node, path: str) -> str | None:
        return self.matching(
            node, path, "S0MGRGRP1", parsers.GROUP_ID,
            "'{v}' is not a Slack user group ID; use S followed by capital letters and "
            "digits, e.g. S0MGRGRP1",
        )  # fmt: skip

    def name(self, node: Node, path: str, what: str, example: str) -> str | None:
        message = f"{what} '{{v}}' must be {parsers.NAME_RULE}, e.g. {example}"
        return self.matching(node, path, example, parsers.NAME, message)

    def zone(self, node: Node, path: str) -> str | None:
        v = self.scalar(node, path, "Europe/Dublin")
        return None if v is None else self.checked(node, path, parsers.parse_zone, v)

    def text(self, node: Node, path: str, example: str) -> str | None:
        v = self.scalar(node, path, example)
        if v is not None and not parsers.is_printable_line(v):
            self.err(node, path, f"must be printable text on one line, e.g. {example}")
            return None
        return v

    def date(self, node: Node, path: str, example: str) -> date | None:
        v = self.scalar(node, path, example)
        if v is None:
            return None
        return self.checked(node, path, lambda s: parsers.parse_date(s, example), v)

    def when(self, node: Node, path: str, example: str) -> date | datetime | None:
        """An ISO date (`2026-12-24`) or a local date-time without offset (`2026-12-24T08:00`)."""
        v = self.scalar(node, path, example)
        if v is None:
            return None
        return self.checked(node, path, lambda s: parsers.parse_when(s, example), v)

    def language(self, node: Node, path: str) -> str | None:
        v = self.scalar(node, path, "en")
        return None if v is None else self.checked(node, path, parsers.parse_language, v)

    def language_list(
        self, node: Node, path: str, *, iso: bool, allow_empty: bool, example: str
    ) -> tuple[str, ...] | None:
        """A list of language codes; `iso` checks each is an ISO 639-1 code (the team's
        list). Which codes a list may hold, and repeats, are team rules (core.checks)."""
        items = self.seq(node, path, example, allow_empty=allow_empty)
        if items is None:
            return None
        read = self.language if iso else (lambda n, p: self.scalar(n, p, "en"))
        codes = [read(item, f"{path}[{i}]") for i, item in enumerate(items)]
        return None if None in codes else tuple(codes)

    def holidays(self, node: Node, path: str) -> str | None:
        v = self.scalar(node, path, "MX")
        if v is None:
            return None
        country, _, subdiv = v.partition("-")
        hint = (
            "use an uppercase country code the `holidays` package supports, optionally with "
            "a subdivision, e.g. MX, IE or US-TX"
        )
        if not parsers.HOLIDAYS.fullmatch(v):
            self.err(node, path, f"holidays '{v}' is not a country code; {hint}")
            return None
        try:
            holidays.country_holidays(country)
        except (NotImplementedError, KeyError):
            self.err(node, path, f"holidays '{v}': unknown country '{country}'; {hint}")
            return None
        if subdiv:
            try:
                holidays.country_holidays(country, subdiv=subdiv)
            except (NotImplementedError, KeyError):
                known = holidays.list_supported_countries().get(country, [])
                some = ", ".join(f"{country}-{x}" for x in known[:4])
                self.err(
                    node,
                    path,
                    f"holidays '{v}': '{subdiv}' is not a subdivision of {country} that the "
                    f"`holidays` package knows; use {country} alone"
                    + (f" or one such as {some}" if some else ""),
                )
                return None
        return v

    def boolean(self, node: Node, path: str, example: str) -> bool | None:
        """true or false (any case); YAML's yes/no/on/off are not booleans here."""
        v = self.scalar(node, path, example)
        if v is None:
            return None
        if v.strip().lower() in ("true", "false"):
            return v.strip().lower() == "true"
        self.err(node, path, f"'{v}' must be true or false, e.g. {example}")
        return None

    def whole(self, node: Node, path: str, example: str, meaning: str) -> int | None:
        """A whole number >= 1; `meaning` says what it counts, for the message."""
        v = self.scalar(node, path, example)
        if v is None:
            return None
        if re.fullmatch(r"[0-9]{1,9}", v.strip()) and int(v) >= 1:
            return int(v)
        self.err(node, path, f"'{v}' must be a whole number >= 1 ({meaning}), e.g. {example}")
        return None

    def word_list(self, node: Node, path: str, example: str) -> tuple[str, ...] | None:
        """A list of single values (skills, a category's fields); an empty value is none.
        What each may be, and repeats, are team rules (core.checks)."""
        items = self.seq(node, path, example)
        if items is None:
            return None
        words = [self.scalar(item, f"{path}[{i}]", example.strip("[]").split(",")[0])
                 for i, item in enumerate(items)]
        return None if None in words else tuple(words)

    def shift(self, node: Node, path: str) -> tuple[time, time] | None:
        v = self.scalar(node, path, '"08:00-16:00"')
        return None if v is None else self.checked(node, path, parsers.parse_shift, v)

    def days(self, node: Node, path: str) -> frozenset[int] | None:
        if isinstance(node, ScalarNode) and node.tag != NULL:
            # Compatible form, as in slash commands: "mon-fri", "mon,wed,fri", "sat".
            try:
                return parsers.parse_days(node.value)
            except ParseError as e:
                self.err(node, path, f"{e.message}, e.g. [mon, tue, wed, thu, fri]")
                return None
        items = self.seq(node, path, "[mon, tue, wed, thu, fri]", allow_empty=False)
        if items is None:
            return None
        out: set[int] = set()
        ok = True
        for i, item in enumerate(items):
            v = self.scalar(item, f"{path}[{i}]", "mon")
            if v is None:
                ok = False
            elif v in WEEKDAYS:
                out.add(WEEKDAYS.index(v))
            else:
                self.err(item, f"{path}[{i}]", f"unknown day '{v}'; {parsers.DAY_HINT}")
                ok = False
        return frozenset(out) if ok else None

    def handoff(self, node: Node, path: str) -> int | None:
        v = self.scalar(node, path, "weekly")
        return None if v is None else self.checked(node, path, parsers.parse_handoff, v)
