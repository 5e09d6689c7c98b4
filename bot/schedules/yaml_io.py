"""Schedules as code: a team's YAML file <-> `bot.core.model.Team`.

`parse_team` checks the whole file and reports every problem it finds at once, each
with the file, the line of the offending field, the field's path and a message that
says what was wrong and what is allowed. `dump_team` writes the same schema back
(times converted from UTC to the rotation's or the person's zone), so that
`parse_team(dump_team(team)) == team` for every team `parse_team` accepts.

The YAML is read with `yaml.compose` (nodes with line marks), never constructed into
Python objects, so `no` stays the Norwegian language code and `8:00` stays text.
The field reference is docs/schedules.md.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

import holidays
import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from bot.core import timezones
from bot.core.checks import CHANNEL_ID, GROUP_ID, NAME, USER_ID, handoff_days
from bot.core.model import (
    SEVERITIES,
    STEP_KINDS,
    TIERS,
    WEEKDAYS,
    EscalationPolicy,
    EscalationStep,
    Override,
    Rotation,
    Specialist,
    Team,
    TimeOff,
)

__all__ = [
    "ISO_639_1",
    "Problem",
    "ScheduleError",
    "dump_team",
    "load_schedules",
    "load_team_file",
    "parse_duration",
    "format_duration",
    "parse_team",
]

# The ISO 639-1 two-letter language codes: the 183 current ones plus "sh"
# (Serbo-Croatian, deprecated but still in use), 184 in all.
_ISO_639_1_CODES = """
    aa ab ae af ak am an ar as av ay az ba be bg bi bm bn bo br bs ca ce ch co cr cs cu cv cy
    da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht
    hu hy hz ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky
    la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn no nr nv ny
    oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg sh si sk sl sm sn so sq sr
    ss st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi
    yo za zh zu
"""
ISO_639_1 = frozenset(_ISO_639_1_CODES.split())

# A few three-letter (ISO 639-2/3) codes people type, for a helpful suggestion.
_THREE_LETTER = {
    "eng": "en", "spa": "es", "ara": "ar", "por": "pt", "fra": "fr", "fre": "fr",
    "deu": "de", "ger": "de", "ita": "it", "rus": "ru", "zho": "zh", "chi": "zh",
    "jpn": "ja", "kor": "ko", "hin": "hi", "tur": "tr", "fas": "fa", "per": "fa",
    "urd": "ur", "ukr": "uk", "pol": "pl", "nld": "nl", "dut": "nl", "ind": "id",
    "vie": "vi", "tha": "th", "heb": "he", "swa": "sw", "tgl": "tl", "ben": "bn",
}  # fmt: skip

TEAM_FIELDS = (
    "team", "languages", "intake_channel", "escalation_channel", "managers", "manager_group",
    "specialists", "rotations", "overrides", "time_off", "escalation",
)  # fmt: skip
SPECIALIST_FIELDS = ("id", "name", "timezone", "languages", "backup", "holidays")
ROTATION_FIELDS = ("name", "timezone", "shift", "days", "handoff", "start", "tier", "members")
OVERRIDE_FIELDS = ("rotation", "user", "from", "to")
TIME_OFF_FIELDS = ("user", "from", "to")
ESCALATION_FIELDS = ("default_severity", "policies")
POLICY_FIELDS = ("steps", "repeat")
STEP_FIELDS = ("notify", "wait")

_EXAMPLES = {
    "team": "safety-escalations",
    "languages": "[en, es, ar, pt, fr]",
    "intake_channel": "C0INTAKE01",
    "escalation_channel": "C0ESCAL01",
    "id": "U0AR00001",
    "name": "Layla Haddad",
    "timezone": "Asia/Dubai",
    "shift": '"08:00-16:00"',
    "start": "2026-01-05",
    "members": "[U0AR00001, U0ES00002]",
    "rotation": "emea",
    "user": "U0ES00002",
    "from": '"2026-12-24T08:00"',
    "to": '"2026-12-24T16:00"',
    "notify": "language_oncall",
    "steps": "[{notify: language_oncall, wait: 5m}, {notify: channel}]",
    "policies": "{sev2: {steps: [{notify: language_oncall, wait: 5m}, {notify: channel}]}}",
}

_NULL = "tag:yaml.org,2002:null"
_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"

# One definition of what a Slack ID and a rotation/team name look like (core.checks).
_USER_ID, _CHANNEL_ID, _GROUP_ID, _NAME = USER_ID, CHANNEL_ID, GROUP_ID, NAME
_SHIFT = re.compile(r"(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATETIME = re.compile(r"(\d{4}-\d{2}-\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?")
_DURATION = re.compile(r"([0-9]+)([smh])")
_HANDOFF_N = re.compile(r"([0-9]+)d")
_WEEKDAY_LIST = ", ".join(WEEKDAYS)
_DAY_HINT = f"use three-letter lowercase names ({_WEEKDAY_LIST}) or a range such as mon-fri"


# -- problems -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a schedule file, where it is and how to put it right."""

    file: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return (
            f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        )


class ScheduleError(Exception):
    """Every problem found in one or more schedule files."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems: list[Problem] = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)


# -- small value parsers (shared with slash-command argument parsing) -----------------------


def parse_duration(text: str) -> timedelta | None:
    """'30s' | '5m' | '1h' -> timedelta; None when malformed or not positive."""
    m = _DURATION.fullmatch(text.strip())
    if not m or int(m.group(1)) <= 0:
        return None
    n = int(m.group(1))
    return {"s": timedelta(seconds=n), "m": timedelta(minutes=n), "h": timedelta(hours=n)}[
        m.group(2)
    ]


def format_duration(d: timedelta) -> str:
    """The largest whole unit: 120 s -> '2m', 90 s -> '90s'."""
    secs = int(d.total_seconds())
    if secs % 3600 == 0:
        return f"{secs // 3600}h"
    if secs % 60 == 0:
        return f"{secs // 60}m"
    return f"{secs}s"


_suggest_zone = timezones.suggest_zone


def _suggest(word: str, allowed: Iterable[str]) -> str:
    hit = difflib.get_close_matches(word, list(allowed), n=1, cutoff=0.6)
    return f" (did you mean '{hit[0]}'?)" if hit else ""


# -- the parser ---------------------------------------------------------------------------


def _line(node: Node | None) -> int | None:
    return None if node is None else node.start_mark.line + 1


def _kind(node: Node) -> str:
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    if node.tag == _NULL:
        return "an empty value"
    return f"the value '{node.value}'"


class _Parser:
    def __init__(self, filename: str):
        self.file = filename
        self.problems: list[Problem] = []
        self._known_users: set[str] = set()
        self._check_refs = True  # False when `specialists` is not a list: no cascades
        self._rotation_zones: dict[str, str | None] = {}
        self._user_zones: dict[str, str] = {}

    def err(self, node: Node | None, field: str, message: str) -> None:
        self.problems.append(Problem(self.file, _line(node), field, message))

    # generic shapes ---------------------------------------------------------------------

    def fields(
        self,
        node: Node,
        path: str,
        allowed: tuple[str, ...],
        required: tuple[str, ...],
        what: str,
    ) -> dict[str, tuple[Node, Node]] | None:
        """A mapping's fields by name (key node, value node); reports shape problems."""
        where = f"in {path}" if path else "at the top level"
        if not isinstance(node, MappingNode):
            self.err(
                node,
                path,
                f"{what} must be a mapping of fields, not {_kind(node)}; "
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
                first = _line(out[key][0])
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
                    + _suggest(key, allowed),
                )
            else:
                out[key] = (key_node, value_node)
        for name in required:
            if name not in out:
                example = _EXAMPLES.get(name, "...")
                self.err(
                    node,
                    f"{path}.{name}" if path else name,
                    f"missing required field '{name}' {where}; e.g. {name}: {example}",
                )
        return out

    def scalar(self, node: Node, path: str, example: str) -> str | None:
        """A single non-empty value as text, or None (reported)."""
        if not isinstance(node, ScalarNode):
            self.err(node, path, f"must be a single value, not {_kind(node)}; e.g. {example}")
            return None
        if node.tag == _NULL or node.value.strip() == "":
            self.err(node, path, f"is empty; give a value, e.g. {example}")
            return None
        return node.value

    def seq(
        self, node: Node, path: str, example: str, *, allow_empty: bool = True
    ) -> list[Node] | None:
        """A list's items; an empty value counts as an empty list when allowed."""
        if isinstance(node, ScalarNode) and node.tag == _NULL:
            if allow_empty:
                return []
            self.err(node, path, f"is empty; give a list, e.g. {example}")
            return None
        if not isinstance(node, SequenceNode):
            self.err(node, path, f"must be a list, not {_kind(node)}; e.g. {example}")
            return None
        if not node.value and not allow_empty:
            self.err(node, path, f"must not be empty; e.g. {example}")
            return None
        return list(node.value)

    def optional(self, node: Node) -> bool:
        """True when a field is present but empty (`holidays:`), meaning 'not set'."""
        return isinstance(node, ScalarNode) and node.tag == _NULL

    # typed values -------------------------------------------------------------------------

    def user_id(self, node: Node, path: str) -> str | None:
        v = self.scalar(node, path, "U0AR00001")
        if v is not None and not _USER_ID.fullmatch(v):
            self.err(
                node,
                path,
                f"'{v}' is not a Slack user ID; user IDs are U or W followed by capital "
                "letters and digits, e.g. U0AR00001 (Slack: profile > More > Copy member ID)",
            )
            return None
        return v

    def channel_id(self, node: Node, path: str) -> str | None:
        v = self.scalar(node, path, "C0INTAKE01")
        if v is not None and not _CHANNEL_ID.fullmatch(v):
            self.err(
                node,
                path,
                f"'{v}' is not a Slack channel ID; use the ID (C or G followed by capital "
                "letters and digits, e.g. C0INTAKE01), shown at the bottom of the channel's "
                "details",
            )
            return None
        return v

    def group_id(self, node: Node, path: str) -> str | None:
        v = self.scalar(node, path, "S0MGRGRP1")
        if v is not None and not _GROUP_ID.fullmatch(v):
            self.err(
                node,
                path,
                f"'{v}' is not a Slack user group ID; use S followed by capital letters and "
                "digits, e.g. S0MGRGRP1",
            )
            return None
        return v

    def zone(self, node: Node, path: str) -> str | None:
        v = self.scalar(node, path, "Europe/Dublin")
        if v is not None and not timezones.is_valid_zone(v):
            self.err(
                node,
                path,
                f"unknown time zone '{v}'; use an IANA name such as {_suggest_zone(v)}",
            )
            return None
        return v

    def name(self, node: Node, path: str, what: str, example: str) -> str | None:
        v = self.scalar(node, path, example)
        if v is not None and not _NAME.fullmatch(v):
            self.err(
                node,
                path,
                f"{what} '{v}' must be 1-64 letters, digits, '-', '_' or '.', starting with a "
                f"letter or digit (no spaces), e.g. {example}",
            )
            return None
        return v

    def text(self, node: Node, path: str, example: str) -> str | None:
        v = self.scalar(node, path, example)
        if v is not None and any(unicodedata.category(c) in ("Cc", "Cs") for c in v):
            self.err(node, path, f"must be printable text on one line, e.g. {example}")
            return None
        return v

    def date(self, node: Node, path: str, example: str) -> date | None:
        v = self.scalar(node, path, example)
        if v is None:
            return None
        if _DATE.fullmatch(v.strip()):
            try:
                return date.fromisoformat(v.strip())
            except ValueError:
                pass
        self.err(node, path, f"'{v}' is not a date; use YYYY-MM-DD, e.g. {example}")
        return None

    def when(self, node: Node, path: str, example: str) -> date | datetime | None:
        """An ISO date (`2026-12-24`) or a local date-time without offset (`2026-12-24T08:00`)."""
        v = self.scalar(node, path, example)
        if v is None:
            return None
        s = v.strip()
        try:
            if _DATE.fullmatch(s):
                return date.fromisoformat(s)
            m = _DATETIME.fullmatch(s)
            if m:
                return datetime.combine(
                    date.fromisoformat(m.group(1)),
                    time(int(m.group(2)), int(m.group(3)), int(m.group(4) or 0)),
                )
        except ValueError:
            pass
        hint = ""
        if re.search(r"(Z|[+-]\d{2}:?\d{2})$", s):
            hint = " without a UTC offset (the zone is implied)"
        self.err(
            node,
            path,
            f"'{v}' is not a date or local date-time; use YYYY-MM-DD or YYYY-MM-DDTHH:MM"
            f"{hint}, e.g. {example}",
        )
        return None

    def language(self, node: Node, path: str) -> str | None:
        v = self.scalar(node, path, "en")
        if v is None:
            return None
        if v in ISO_639_1:
            return v
        if v.lower() in ISO_639_1:
            msg = f"language codes are lowercase: use '{v.lower()}' instead of '{v}'"
        elif v.lower() in _THREE_LETTER:
            msg = (
                f"'{v}' is a three-letter code; use the ISO 639-1 two-letter code "
                f"'{_THREE_LETTER[v.lower()]}'"
            )
        else:
            msg = (
                f"'{v}' is not an ISO 639-1 language code; use two-letter codes such as "
                "en, es, ar, pt, fr"
            )
        self.err(node, path, msg)
        return None

    def language_list(
        self,
        node: Node,
        path: str,
        allowed: tuple[str, ...] | None,
        *,
        allow_empty: bool,
        example: str,
    ) -> tuple[str, ...] | None:
        items = self.seq(node, path, example, allow_empty=allow_empty)
        if items is None:
            return None
        out: list[str] = []
        ok = True
        for i, item in enumerate(items):
            p = f"{path}[{i}]"
            if allowed is None:
                code = self.language(item, p)
            else:
                code = self.scalar(item, p, "en")
                if code is not None and code not in allowed:
                    self.err(
                        item,
                        p,
                        f"language '{code}' is not one of the team's languages "
                        f"[{', '.join(allowed)}]; add it to the team's `languages` "
                        "or remove it here",
                    )
                    code = None
            if code is None:
                ok = False
            elif code in out:
                self.err(item, p, f"language '{code}' is listed twice; list each language once")
                ok = False
            else:
                out.append(code)
        return tuple(out) if ok else None

    # the team -----------------------------------------------------------------------------

    def team(self, root: Node | None) -> Team | None:
        if root is None:
            self.err(
                None,
                "",
                "the file is empty; a team file starts with `team: <name>` (see docs/schedules.md)",
            )
            return None
        f = self.fields(
            root,
            "",
            TEAM_FIELDS,
            ("team", "languages", "intake_channel", "escalation_channel"),
            "a team file",
        )
        if f is None:
            return None

        def get(key: str) -> Node | None:
            return f[key][1] if key in f else None

        name = (
            self.name(get("team"), "team", "team name", "safety-escalations")
            if "team" in f
            else None
        )
        languages = None
        if "languages" in f:
            languages = self.language_list(
                get("languages"), "languages", None, allow_empty=False, example="[en, es, ar]"
            )
        # Specialists' languages must be among the team's; when the team's own list is
        # broken, only check that they are ISO codes, so one mistake is reported once.
        team_languages = languages
        intake = (
            self.channel_id(get("intake_channel"), "intake_channel")
            if "intake_channel" in f
            else None
        )
        escal = (
            self.channel_id(get("escalation_channel"), "escalation_channel")
            if "escalation_channel" in f
            else None
        )
        managers: tuple[str, ...] = ()
        if "managers" in f:
            items = self.seq(get("managers"), "managers", "[U0MGR0001]") or []
            ids = [self.user_id(n, f"managers[{i}]") for i, n in enumerate(items)]
            managers = tuple(i for i in ids if i is not None)
            self.no_duplicates(items, "managers", "manager")
        group = None
        if "manager_group" in f and not self.optional(get("manager_group")):
            group = self.group_id(get("manager_group"), "manager_group")

        specialists = (
            self.specialists(get("specialists"), team_languages) if "specialists" in f else ()
        )
        known_users = self._known_users
        rotations = self.rotations(get("rotations"), known_users) if "rotations" in f else ()
        overrides = (
            self.overrides(get("overrides"), known_users, self._rotation_zones)
            if "overrides" in f
            else ()
        )
        time_off = (
            self.time_off(get("time_off"), known_users, self._user_zones) if "time_off" in f else ()
        )
        default_severity, policies = "sev2", ()
        if "escalation" in f and not self.optional(get("escalation")):
            has_managers = (
                "managers" in f
                and isinstance(get("managers"), SequenceNode)
                and bool(get("managers").value)
            ) or ("manager_group" in f and not self.optional(get("manager_group")))
            default_severity, policies = self.escalation(get("escalation"), has_managers)

        if self.problems:
            return None
        assert name and languages and intake and escal
        return Team(
            name=name,
            languages=languages,
            intake_channel=intake,
            escalation_channel=escal,
            managers=managers,
            manager_group=group,
            specialists=specialists,
            rotations=rotations,
            overrides=overrides,
            time_off=time_off,
            default_severity=default_severity,
            policies=policies,
        )

    def no_duplicates(self, items: list[Node], path: str, what: str) -> None:
        seen: dict[str, int | None] = {}
        for i, n in enumerate(items):
            if isinstance(n, ScalarNode) and n.tag != _NULL:
                if n.value in seen:
                    self.err(
                        n,
                        f"{path}[{i}]",
                        f"{what} '{n.value}' is listed twice (first on line {seen[n.value]}); "
                        "list each once",
                    )
                else:
                    seen[n.value] = _line(n)

    # specialists ----------------------------------------------------------------------------

    def specialists(
        self, node: Node, team_languages: tuple[str, ...] | None
    ) -> tuple[Specialist, ...]:
        self._known_users = set()
        example = "[{id: U0AR00001, name: Layla Haddad, timezone: Asia/Dubai, languages: [ar, en]}]"
        items = self.seq(node, "specialists", example)
        if items is None:
            self._check_refs = False
            items = []
        out: list[Specialist] = []
        first_line: dict[str, int | None] = {}
        for i, item in enumerate(items):
            path = f"specialists[{i}]"
            f = self.fields(
                item,
                path,
                SPECIALIST_FIELDS,
                ("id", "name", "timezone", "languages"),
                "a specialist",
            )
            if f is None:
                continue
            sid = self.user_id(f["id"][1], f"{path}.id") if "id" in f else None
            if "id" in f and isinstance(f["id"][1], ScalarNode):
                raw = f["id"][1].value
                if raw in first_line:
                    self.err(
                        f["id"][1],
                        f"{path}.id",
                        f"duplicate specialist id '{raw}' (first on line {first_line[raw]}); "
                        "list each specialist once and put them in several rotations instead",
                    )
                    sid = None
                else:
                    first_line[raw] = _line(f["id"][1])
                    self._known_users.add(raw)
            name = self.text(f["name"][1], f"{path}.name", "Layla Haddad") if "name" in f else None
            tz = self.zone(f["timezone"][1], f"{path}.timezone") if "timezone" in f else None
            if tz is not None and "id" in f and isinstance(f["id"][1], ScalarNode):
                self._user_zones.setdefault(f["id"][1].value, tz)
            langs = None
            if "languages" in f:
                langs = self.language_list(
                    f["languages"][1],
                    f"{path}.languages",
                    team_languages,
                    allow_empty=False,
                    example="[ar, fr, en] (strongest first)",
                )
            backup: tuple[str, ...] | None = ()
            if "backup" in f:
                backup = self.language_list(
                    f["backup"][1],
                    f"{path}.backup",
                    team_languages,
                    allow_empty=True,
                    example="[ar]",
                )
                if backup and langs is not None:
                    items_b = f["backup"][1].value
                    for j, code in enumerate(backup):
                        if code not in langs:
                            self.err(
                                items_b[j],
                                f"{path}.backup[{j}]",
                                f"backup language '{code}' is not one this specialist reads "
                                f"[{', '.join(langs)}]; a backup can only cover a language in "
                                "their own `languages`",
                            )
                            backup = None
                            break
            hol = None
            if "holidays" in f and not self.optional(f["holidays"][1]):
                hol = self.holidays(f["holidays"][1], f"{path}.holidays")
            if None in (sid, name, tz, langs, backup):
                continue
            out.append(Specialist(sid, name, tz, langs, backup, hol))
        return tuple(out)

    def holidays(self, node: Node, path: str) -> str | None:
        v = self.scalar(node, path, "MX")
        if v is None:
            return None
        country, _, subdiv = v.partition("-")
        hint = (
            "use an uppercase country code the `holidays` package supports, optionally with "
            "a subdivision, e.g. MX, IE or US-TX"
        )
        if not re.fullmatch(r"[A-Z]{2,3}(-[A-Za-z0-9]+)?", v):
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

    # rotations ------------------------------------------------------------------------------

    def rotations(self, node: Node, known_users: set[str]) -> tuple[Rotation, ...]:
        self._rotation_zones = {}
        example = '[{name: emea, timezone: Europe/Dublin, shift: "08:00-16:00", ...}]'
        items = self.seq(node, "rotations", example) or []
        out: list[Rotation] = []
        first_line: dict[str, int | None] = {}
        for i, item in enumerate(items):
            path = f"rotations[{i}]"
            f = self.fields(
                item,
                path,
                ROTATION_FIELDS,
                ("name", "timezone", "shift", "start", "members"),
                "a rotation",
            )
            if f is None:
                continue
            name = (
                self.name(f["name"][1], f"{path}.name", "rotation name", "emea-night")
                if "name" in f
                else None
            )
            tz = self.zone(f["timezone"][1], f"{path}.timezone") if "timezone" in f else None
            if "name" in f and isinstance(f["name"][1], ScalarNode):
                raw = f["name"][1].value
                if raw in first_line:
                    self.err(
                        f["name"][1],
                        f"{path}.name",
                        f"duplicate rotation name '{raw}' (first on line {first_line[raw]}); "
                        "give each rotation its own name, e.g. emea-2",
                    )
                    name = None
                else:
                    first_line[raw] = _line(f["name"][1])
                    self._rotation_zones[raw] = tz
            shift = self.shift(f["shift"][1], f"{path}.shift") if "shift" in f else None
            days: frozenset[int] | None = frozenset(range(7))
            if "days" in f:
                days = self.days(f["days"][1], f"{path}.days")
            handoff: int | None = 7
            if "handoff" in f:
                handoff = self.handoff(f["handoff"][1], f"{path}.handoff")
            start = (
                self.date(f["start"][1], f"{path}.start", "2026-01-05") if "start" in f else None
            )
            tier: str | None = "primary"
            if "tier" in f:
                tier = self.scalar(f["tier"][1], f"{path}.tier", "primary")
                if tier is not None and tier not in TIERS:
                    self.err(
                        f["tier"][1],
                        f"{path}.tier",
                        f"unknown tier '{tier}'; allowed: {', '.join(TIERS)}",
                    )
                    tier = None
            members = (
                self.members(f["members"][1], f"{path}.members", known_users)
                if "members" in f
                else None
            )
            if None in (name, tz, shift, days, handoff, start, tier, members):
                continue
            out.append(Rotation(name, tz, shift[0], shift[1], days, handoff, start, tier, members))
        return tuple(out)

    def shift(self, node: Node, path: str) -> tuple[time, time] | None:
        v = self.scalar(node, path, '"08:00-16:00"')
        if v is None:
            return None
        m = _SHIFT.fullmatch(v.strip())
        if not m:
            self.err(
                node,
                path,
                f"shift '{v}' is not a window HH:MM-HH:MM (24-hour local wall clock); "
                'e.g. "08:00-16:00", or "22:00-06:00" for one that ends the next day',
            )
            return None
        h1, m1, h2, m2 = (int(g) for g in m.groups())
        bad = []
        if h1 > 23:
            bad.append(f"start hour {h1:02d}")
        if h2 > 24 or (h2 == 24 and m2 != 0):
            bad.append(f"end hour {h2:02d}")
        if m1 > 59:
            bad.append(f"start minute {m1:02d}")
        if m2 > 59:
            bad.append(f"end minute {m2:02d}")
        if bad:
            self.err(
                node,
                path,
                f"shift '{v}' has {' and '.join(bad)} out of range; hours are 00-23 and minutes "
                '00-59, e.g. "08:00-16:00" or "22:00-06:00"',
            )
            return None
        return time(h1, m1), time(h2 % 24, m2)

    def days(self, node: Node, path: str) -> frozenset[int] | None:
        out: set[int] = set()
        ok = True
        if isinstance(node, ScalarNode) and node.tag != _NULL:
            # Compatible form, as in slash commands: "mon-fri", "mon,wed,fri", "sat".
            for part in node.value.split(","):
                got = self._day_range(part.strip())
                if got is None:
                    self.err(
                        node,
                        path,
                        f"'{node.value}' is not a list of days; {_DAY_HINT}, "
                        "e.g. [mon, tue, wed, thu, fri]",
                    )
                    return None
                out |= got
        else:
            items = self.seq(node, path, "[mon, tue, wed, thu, fri]", allow_empty=False)
            if items is None:
                return None
            for i, item in enumerate(items):
                v = self.scalar(item, f"{path}[{i}]", "mon")
                if v is None:
                    ok = False
                elif v in WEEKDAYS:
                    out.add(WEEKDAYS.index(v))
                else:
                    self.err(item, f"{path}[{i}]", f"unknown day '{v}'; {_DAY_HINT}")
                    ok = False
        if ok and not out:
            self.err(node, path, "needs at least one day, e.g. [mon, tue, wed, thu, fri]")
            return None
        return frozenset(out) if ok else None

    @staticmethod
    def _day_range(part: str) -> set[int] | None:
        if part in WEEKDAYS:
            return {WEEKDAYS.index(part)}
        a, sep, b = part.partition("-")
        if sep and a in WEEKDAYS and b in WEEKDAYS:
            i, j = WEEKDAYS.index(a), WEEKDAYS.index(b)
            return {(i + k) % 7 for k in range((j - i) % 7 + 1)}
        return None

    def handoff(self, node: Node, path: str) -> int | None:
        v = self.scalar(node, path, "weekly")
        if v is None:
            return None
        days = handoff_days(v)
        if days is not None:
            return days
        self.err(
            node,
            path,
            f"handoff '{v}' is not daily, weekly or every N days; allowed: daily, weekly, "
            'or "Nd" with N >= 1, e.g. "3d"',
        )
        return None

    def members(self, node: Node, path: str, known: set[str]) -> tuple[str, ...] | None:
        items = self.seq(node, path, "[U0AR00001, U0ES00002]")
        if items is None:
            return None
        out: list[str] = []
        ok = True
        for i, item in enumerate(items):
            p = f"{path}[{i}]"
            v = self.scalar(item, p, "U0AR00001")
            if v is None:
                ok = False
            elif v not in known and self._check_refs:
                self.err(item, p, self._unknown_user(v, known, "member"))
                ok = False
            elif v in out:
                self.err(
                    item,
                    p,
                    f"member '{v}' is listed twice in this rotation; list each member once "
                    "(order decides who is on call in which handoff period)",
                )
                ok = False
            else:
                out.append(v)
        return tuple(out) if ok else None

    def _unknown_user(self, v: str, known: set[str], what: str) -> str:
        shown = ", ".join(sorted(known)[:5]) + (", ..." if len(known) > 5 else "")
        listed = f" (known: {shown})" if known else ""
        hit = difflib.get_close_matches(v, sorted(known), n=1, cutoff=0.8)
        guess = f" (did you mean '{hit[0]}'?)" if hit else ""
        return (
            f"unknown {what} '{v}'; a {what} must be the id of a specialist listed under "
            f"`specialists`{listed}{guess}"
        )

    # overrides and time off -----------------------------------------------------------------

    def overrides(
        self, node: Node, known: set[str], rotation_zones: dict[str, str | None]
    ) -> tuple[Override, ...]:
        example = (
            '[{rotation: emea, user: U0ES00002, from: "2026-12-24T08:00", to: "2026-12-24T16:00"}]'
        )
        items = self.seq(node, "overrides", example) or []
        out: list[Override] = []
        for i, item in enumerate(items):
            path = f"overrides[{i}]"
            f = self.fields(item, path, OVERRIDE_FIELDS, OVERRIDE_FIELDS, "an override")
            if f is None:
                continue
            rot = (
                self.scalar(f["rotation"][1], f"{path}.rotation", "emea")
                if "rotation" in f
                else None
            )
            tz = None
            if rot is not None:
                if rot not in rotation_zones:
                    names = ", ".join(rotation_zones) or "none yet"
                    self.err(
                        f["rotation"][1],
                        f"{path}.rotation",
                        f"unknown rotation '{rot}'; use the name of one under `rotations` "
                        f"({names})" + _suggest(rot, rotation_zones),
                    )
                    rot = None
                else:
                    tz = rotation_zones[rot]
            user = self.scalar(f["user"][1], f"{path}.user", "U0ES00002") if "user" in f else None
            if user is not None and user not in known:
                if self._check_refs:
                    self.err(f["user"][1], f"{path}.user", self._unknown_user(user, known, "user"))
                user = None
            start = (
                self.when(f["from"][1], f"{path}.from", _EXAMPLES["from"]) if "from" in f else None
            )
            end = self.when(f["to"][1], f"{path}.to", _EXAMPLES["to"]) if "to" in f else None
            if start is None or end is None or tz is None:
                continue
            s_utc = timezones.to_utc(_as_datetime(start), tz)
            e_utc = timezones.to_utc(_as_datetime(end), tz)
            if e_utc <= s_utc:
                self.err(
                    f["to"][1],
                    f"{path}.to",
                    f"to ({f['to'][1].value}) must be after from ({f['from'][1].value}) in "
                    f'{tz}; an override covers [from, to), e.g. from: "2026-12-24T08:00", '
                    'to: "2026-12-24T16:00"',
                )
                continue
            if rot is not None and user is not None:
                out.append(Override(rot, user, s_utc, e_utc))
        return tuple(out)

    def time_off(self, node: Node, known: set[str], zones: dict[str, str]) -> tuple[TimeOff, ...]:
        example = "[{user: U0AR00001, from: 2026-12-20, to: 2027-01-03}]"
        items = self.seq(node, "time_off", example) or []
        out: list[TimeOff] = []
        for i, item in enumerate(items):
            path = f"time_off[{i}]"
            f = self.fields(item, path, TIME_OFF_FIELDS, TIME_OFF_FIELDS, "a time-off entry")
            if f is None:
                continue
            user = self.scalar(f["user"][1], f"{path}.user", "U0AR00001") if "user" in f else None
            if user is not None and user not in known:
                if self._check_refs:
                    self.err(f["user"][1], f"{path}.user", self._unknown_user(user, known, "user"))
                user = None
            start = self.when(f["from"][1], f"{path}.from", "2026-12-20") if "from" in f else None
            end = self.when(f["to"][1], f"{path}.to", "2027-01-03") if "to" in f else None
            if start is None or end is None:
                continue
            all_day = not isinstance(start, datetime)
            if all_day != (not isinstance(end, datetime)):
                self.err(
                    f["to"][1],
                    f"{path}.to",
                    "from and to must both be dates (whole days, inclusive: from: 2026-12-20, "
                    'to: 2026-12-24) or both date-times (from: "2026-12-24T08:00", '
                    'to: "2026-12-24T13:00")',
                )
                continue
            if all_day and end < start:
                self.err(
                    f["to"][1],
                    f"{path}.to",
                    f"to ({end}) is before from ({start}); dates are inclusive, so a single "
                    "day is from: 2026-12-24, to: 2026-12-24",
                )
                continue
            if user is None or user not in zones:
                continue
            tz = zones[user]
            if all_day:
                s_utc = timezones.start_of_day(start, tz)
                e_utc = timezones.start_of_day(end + timedelta(days=1), tz)
            else:
                s_utc, e_utc = timezones.to_utc(start, tz), timezones.to_utc(end, tz)
                if e_utc <= s_utc:
                    self.err(
                        f["to"][1],
                        f"{path}.to",
                        f"to ({f['to'][1].value}) must be after from ({f['from'][1].value}) "
                        f"in {tz}; date-times are half-open [from, to), e.g. "
                        'from: "2026-12-24T08:00", to: "2026-12-24T13:00"',
                    )
                    continue
            out.append(TimeOff(user, s_utc, e_utc, all_day))
        return tuple(out)

    # escalation -----------------------------------------------------------------------------

    def escalation(
        self, node: Node, has_managers: bool
    ) -> tuple[str, tuple[tuple[str, EscalationPolicy], ...]]:
        f = self.fields(node, "escalation", ESCALATION_FIELDS, ("policies",), "escalation")
        if f is None:
            return "sev2", ()
        policies: dict[str, EscalationPolicy] = {}
        pnode = f["policies"][1] if "policies" in f else None
        if pnode is not None:
            pf = self.fields(pnode, "escalation.policies", SEVERITIES, (), "policies")
            if pf is not None and not pnode.value:
                self.err(
                    pnode,
                    "escalation.policies",
                    f"needs at least one policy (sev1, sev2 or sev3), e.g. {_EXAMPLES['policies']}",
                )
            for sev, (_, value) in (pf or {}).items():
                pol = self.policy(value, f"escalation.policies.{sev}", has_managers)
                if pol is not None:
                    policies[sev] = pol
        default = "sev2"
        if "default_severity" in f:
            dnode = f["default_severity"][1]
            v = self.scalar(dnode, "escalation.default_severity", "sev2")
            if v is not None and v not in SEVERITIES:
                self.err(
                    dnode,
                    "escalation.default_severity",
                    f"unknown severity '{v}'; allowed: {', '.join(SEVERITIES)}",
                )
            elif v is not None:
                default = v
        named = pf_names(pnode)
        if named and default not in named:
            where = f["default_severity"][1] if "default_severity" in f else node
            have = ", ".join(s for s in SEVERITIES if s in named) or "none"
            self.err(
                where,
                "escalation.default_severity",
                f"default_severity '{default}' has no policy (policies given: {have}); add "
                f"escalation.policies.{default} or set default_severity to one of those",
            )
        ordered = tuple((s, policies[s]) for s in SEVERITIES if s in policies)
        return default, ordered

    def policy(self, node: Node, path: str, has_managers: bool) -> EscalationPolicy | None:
        f = self.fields(node, path, POLICY_FIELDS, ("steps",), "a policy")
        if f is None:
            return None
        steps_out: list[EscalationStep] = []
        ok = True
        if "steps" in f:
            items = self.seq(f["steps"][1], f"{path}.steps", _EXAMPLES["steps"], allow_empty=False)
            if items is None:
                ok = False
            for i, item in enumerate(items or []):
                p = f"{path}.steps[{i}]"
                sf = self.fields(item, p, STEP_FIELDS, ("notify",), "a step")
                if sf is None:
                    ok = False
                    continue
                kind = (
                    self.scalar(sf["notify"][1], f"{p}.notify", "language_oncall")
                    if "notify" in sf
                    else None
                )
                if kind is not None and kind not in STEP_KINDS:
                    self.err(
                        sf["notify"][1],
                        f"{p}.notify",
                        f"unknown step kind '{kind}'; allowed: {', '.join(STEP_KINDS)}"
                        + _suggest(kind, STEP_KINDS),
                    )
                    kind = None
                if kind == "managers" and not has_managers:
                    self.err(
                        sf["notify"][1],
                        f"{p}.notify",
                        "a 'managers' step needs someone to notify; list user IDs under "
                        "`managers` (e.g. [U0MGR0001]) or set `manager_group` (e.g. S0MGRGRP1)",
                    )
                    kind = None
                wait = None
                last = i == len(items) - 1
                if "wait" in sf:
                    wnode = sf["wait"][1]
                    if not (last and self.optional(wnode)):
                        w = self.scalar(wnode, f"{p}.wait", "5m")
                        wait = parse_duration(w) if w is not None else None
                        if w is not None and wait is None:
                            self.err(
                                wnode,
                                f"{p}.wait",
                                f"malformed duration '{w}'; use a positive whole number with s, "
                                "m or h, e.g. 30s, 5m or 1h",
                            )
                        if wait is None:
                            ok = False
                elif not last:
                    self.err(
                        item,
                        f"{p}.wait",
                        "every step but the last needs a wait (how long to wait for an "
                        "acknowledgement before the next step), e.g. "
                        "{notify: language_oncall, wait: 5m}",
                    )
                    ok = False
                if kind is None:
                    ok = False
                else:
                    steps_out.append(EscalationStep(kind, wait))
        repeat = 0
        if "repeat" in f:
            rnode = f["repeat"][1]
            v = self.scalar(rnode, f"{path}.repeat", "repeat: 1")
            if v is not None and re.fullmatch(r"[0-9]+", v.strip()):
                repeat = int(v)
            elif v is not None:
                self.err(
                    rnode,
                    f"{path}.repeat",
                    f"repeat '{v}' must be a whole number >= 0 (how many more times the "
                    "chain runs), e.g. repeat: 2",
                )
                ok = False
            else:
                ok = False
        if not ok or not steps_out:
            return None
        return EscalationPolicy(tuple(steps_out), repeat)


def pf_names(pnode: Node | None) -> set[str] | None:
    """The severities named under `policies`, or None when that is not a mapping."""
    if not isinstance(pnode, MappingNode):
        return None
    return {k.value for k, _ in pnode.value if isinstance(k, ScalarNode)}


def _as_datetime(value: date | datetime) -> datetime:
    return value if isinstance(value, datetime) else datetime.combine(value, time(0, 0))


# -- public entry points ------------------------------------------------------------------


def _parse(text: str, filename: str) -> tuple[Team, int | None]:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        what = "; ".join(x for x in (e.context, e.problem) if x)
        raise ScheduleError(
            [
                Problem(
                    filename,
                    mark.line + 1 if mark else None,
                    "",
                    f"YAML syntax error: {what}; check the indentation (spaces, not tabs) "
                    "and quote values that contain ': ' or ' #' or start with [, {, * or &, "
                    'e.g. name: "Dr. Ana: Ruiz"',
                )
            ]
        ) from None
    except yaml.YAMLError as e:
        raise ScheduleError([Problem(filename, None, "", f"YAML error: {e}")]) from None
    p = _Parser(filename)
    team = p.team(root)
    if team is None:
        raise ScheduleError(sorted(p.problems, key=lambda x: x.line or 0))
    team_line = None
    if isinstance(root, MappingNode):
        team_line = next((_line(v) for k, v in root.value if k.value == "team"), None)
    return team, team_line


def parse_team(text: str, filename: str) -> Team:
    """One team file's text -> Team; raises ScheduleError listing every problem found."""
    return _parse(text, filename)[0]


def _read(path: Path, shown: str) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ScheduleError(
            [Problem(shown, None, "", "no such file; give a team's .yaml file or a folder of them")]
        ) from None
    except UnicodeDecodeError as e:
        raise ScheduleError(
            [Problem(shown, None, "", f"not UTF-8 text ({e.reason}); save the file as UTF-8")]
        ) from None


def load_team_file(path: str | Path) -> Team:
    shown = str(path)
    return parse_team(_read(Path(path), shown), shown)


def load_schedules(path: str | Path) -> list[Team]:
    """A team file, or every *.yaml / *.yml file directly in a folder (sorted by name).

    Problems of all files are collected and raised together; a team name defined in two
    files is an error."""
    p = Path(path)
    if p.is_dir():
        files = sorted(
            (
                f
                for f in p.iterdir()
                if f.suffix in (".yaml", ".yml") and not f.name.startswith(".") and f.is_file()
            ),
            key=lambda f: f.name,
        )
    elif p.exists():
        files = [p]
    else:
        raise ScheduleError(
            [
                Problem(
                    str(path),
                    None,
                    "",
                    "no such file or folder; give a team's .yaml file or a folder of them",
                )
            ]
        )
    teams: list[Team] = []
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    for f in files:
        shown = str(f)
        try:
            team, line = _parse(_read(f, shown), shown)
        except ScheduleError as e:
            problems.extend(e.problems)
            continue
        if team.name in seen:
            problems.append(
                Problem(
                    shown,
                    line,
                    "team",
                    f"team '{team.name}' is already defined in {seen[team.name]}; each team has "
                    "exactly one file, so rename this team or merge the files",
                )
            )
            continue
        seen[team.name] = shown
        teams.append(team)
    if problems:
        raise ScheduleError(problems)
    return teams


# -- dump -----------------------------------------------------------------------------------


class _Dumper(yaml.SafeDumper):
    """Indents list items under their key, as the examples in the docs do."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        return super().increase_indent(flow, False)


def _s(value: str, style: str | None = None) -> ScalarNode:
    return ScalarNode(_STR, value, style=style)


def _seq(items: list[Node], flow: bool = False) -> SequenceNode:
    return SequenceNode(_SEQ, items, flow_style=flow)


def _map(pairs: list[tuple[str, Node]], flow: bool = False) -> MappingNode:
    return MappingNode(_MAP, [(_s(k), v) for k, v in pairs], flow_style=flow)


def _flow_list(values: Iterable[str]) -> SequenceNode:
    return _seq([_s(v) for v in values], flow=True)


def _date_node(d: date) -> ScalarNode:
    return ScalarNode(_TIMESTAMP, d.isoformat())


def _local_text(instant: datetime, tz: str) -> str:
    loc = timezones.to_local(instant, tz)
    return loc.strftime("%Y-%m-%dT%H:%M:%S" if loc.second else "%Y-%m-%dT%H:%M")


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
                        ("from", _s(_local_text(o.start, tz), style='"')),
                        ("to", _s(_local_text(o.end, tz), style='"')),
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
                    ("from", _s(_local_text(t.start, tz), style='"')),
                    ("to", _s(_local_text(t.end, tz), style='"')),
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
                    row.append(("wait", _s(format_duration(st.wait))))
                steps.append(_map(row, flow=True))
            policies.append(
                (sev, _map([("steps", _seq(steps)), ("repeat", ScalarNode(_INT, str(pol.repeat)))]))
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
