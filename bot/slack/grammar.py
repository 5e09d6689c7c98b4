"""The `/oncall` slash command: one grammar and one help text.

`parse(text)` turns the text Slack sends with `/oncall` (escaped, `should_escape: true`)
into one frozen Command dataclass, or raises `CommandError`, whose `str()` is a complete
ephemeral reply: what was wrong, the usage line and a correct example. `help_text(topic)`
renders the help from `HELP`, the one table of usage lines, descriptions, examples and
who may use each command, so the help, the errors and the parser cannot drift apart.

This module is pure: no Slack SDK, no database, no clock and no time zone arithmetic.

Conventions (PRODUCT.md, "Slash commands" and "Time semantics"):

- People are Slack mentions, `<@U123|name>` or `<@U123>` -> "U123"; a bare member ID
  (`U0AR00001`) is accepted too. Plain text `@bob` is refused: Slack resolves a mention
  only when it is picked from the autocomplete.
- `&amp; &lt; &gt;` are decoded once in every argument. `str(CommandError)` and
  `help_text()` are Slack mrkdwn with `& < >` escaped again; echoed input is shortened.
- `<from>`/`<to>` are ISO dates (`2026-12-24`) or local date-times (`2026-12-24T08:00`,
  seconds optional, no UTC offset) and become `LocalTime`: a naive wall-clock `at` and
  `date_only`. `at` is always the half-open boundary: a bare date as `<from>` is 00:00
  of that day; a bare date as `<to>` is inclusive, so `at` is 00:00 of the *next* day
  (`away 2026-12-24 2026-12-24` is the whole of the 24th). The service converts `at` to
  UTC in the right zone (the rotation's for `override`, the person's for `away` and
  `cover`) with `bot.core.timezones.to_utc`, which applies the gap/fold policy.
  `to` after `from` is checked on the wall clock only: the service checks again after
  converting (a span inside a spring-forward gap becomes empty). Unlike a YAML override,
  whose bare-date `to` means midnight at its start, a bare-date `<to>` here is inclusive
  in every command. Years are 2000..2100 (no overflow when converting).
- Counts of days are whole numbers 1..90 (defaults in `DEFAULT_DAYS`); positions are
  whole numbers >= 1. In `shifts [rotation|@user] [days]` a lone number is the days; in
  the `[rotation|@user]` slot a mention, `@text` or a token shaped like a member ID
  (U or W, then capitals and digits) is a person, anything else a rotation name.
- Keys of `rotation create|set` are the YAML field names; values arrive parsed into the
  model's types (see `ROTATION_KEYS`); those of `specialist` likewise (`SPECIALIST_KEYS`).
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import ClassVar, NoReturn

from bot.core import timezones
from bot.core.model import TIERS, WEEKDAYS
from bot.schedules.yaml_io import (
    _HANDOFF_N,
    _NAME,
    _SHIFT,
    _THREE_LETTER,
    _USER_ID,
    ISO_639_1,
    ROTATION_FIELDS,
    SPECIALIST_FIELDS,
    _Parser,
    _suggest_zone,
)

__all__ = [
    "COMMAND_TYPES",
    "DEFAULT_DAYS",
    "HELP",
    "MAX_DAYS",
    "ROTATION_KEYS",
    "SPECIALIST_KEYS",
    "Away",
    "Command",
    "CommandError",
    "Cover",
    "Coverage",
    "Export",
    "Help",
    "LocalTime",
    "Me",
    "OverrideCmd",
    "Report",
    "RotationAdd",
    "RotationCreate",
    "RotationCreateModal",
    "RotationDelete",
    "RotationEdit",
    "RotationList",
    "RotationMove",
    "RotationRemove",
    "RotationSet",
    "RotationShow",
    "Shifts",
    "SpecialistCmd",
    "Swap",
    "Usage",
    "Who",
    "help_text",
    "parse",
]

MAX_DAYS = 90
DEFAULT_DAYS = {"report": 30, "shifts": 7, "coverage": 14}
MIN_YEAR, MAX_YEAR = 2000, 2100

# The keys of `rotation create|set`: the YAML field names, minus `name` (an argument)
# and `members` (rotation add/remove/move). Values: timezone str, shift (time, time),
# days frozenset[int] (0 = Monday), handoff int (days), start date, tier str.
ROTATION_KEYS = tuple(k for k in ROTATION_FIELDS if k not in ("name", "members"))
ROTATION_REQUIRED = ("timezone", "shift")
# The keys of `specialist`: languages tuple[str, ...] (strongest first), timezone str,
# backup tuple[str, ...] (() clears), name str, holidays str | None (None clears).
SPECIALIST_KEYS = ("languages", "timezone", "backup", "name", "holidays")
assert set(SPECIALIST_KEYS) == set(SPECIALIST_FIELDS) - {"id"}


# -- commands -----------------------------------------------------------------------------


@dataclass(frozen=True)
class LocalTime:
    """A local wall-clock boundary; the grammar knows no zones.

    `at` is naive. For a bare date, `date_only` is True and `at` is midnight: of that
    day for a `<from>`, of the *next* day for a `<to>` (dates are inclusive). So the
    interval is always `[start.at, end.at)`."""

    at: datetime
    date_only: bool = False

    @property
    def last_day(self) -> date:
        """For a date-only `<to>`: the inclusive last day as typed."""
        return (self.at - timedelta(days=1)).date() if self.date_only else self.at.date()


@dataclass(frozen=True)
class Help:
    topic: str | None = None  # normalized: lowercase, single spaces; may be unknown
    command: ClassVar[str] = "help"


@dataclass(frozen=True)
class Who:
    language: str | None = None  # ISO 639-1; None: every language
    command: ClassVar[str] = "who"


@dataclass(frozen=True)
class Me:
    command: ClassVar[str] = "me"


@dataclass(frozen=True)
class Report:
    days: int = DEFAULT_DAYS["report"]
    command: ClassVar[str] = "report"


@dataclass(frozen=True)
class Shifts:
    rotation: str | None = None  # at most one of rotation and user; neither: the caller
    user: str | None = None
    days: int = DEFAULT_DAYS["shifts"]
    command: ClassVar[str] = "shifts"


@dataclass(frozen=True)
class Coverage:
    days: int = DEFAULT_DAYS["coverage"]
    command: ClassVar[str] = "coverage"


@dataclass(frozen=True)
class RotationList:
    command: ClassVar[str] = "rotation list"


@dataclass(frozen=True)
class RotationShow:
    name: str
    command: ClassVar[str] = "rotation show"


@dataclass(frozen=True)
class RotationDelete:
    name: str
    command: ClassVar[str] = "rotation delete"


@dataclass(frozen=True)
class RotationEdit:
    name: str  # opens the edit modal
    command: ClassVar[str] = "rotation edit"


@dataclass(frozen=True)
class RotationCreateModal:
    command: ClassVar[str] = "rotation create"


@dataclass(frozen=True)
class RotationCreate:
    name: str
    fields: dict  # ROTATION_KEYS -> parsed values; always has timezone and shift
    command: ClassVar[str] = "rotation create"


@dataclass(frozen=True)
class RotationSet:
    name: str
    fields: dict  # ROTATION_KEYS -> parsed values; at least one
    command: ClassVar[str] = "rotation set"


@dataclass(frozen=True)
class RotationAdd:
    name: str
    user: str
    position: int | None = None  # 1-based; None: at the end
    command: ClassVar[str] = "rotation add"


@dataclass(frozen=True)
class RotationRemove:
    name: str
    user: str
    command: ClassVar[str] = "rotation remove"


@dataclass(frozen=True)
class RotationMove:
    name: str
    user: str
    position: int  # 1-based
    command: ClassVar[str] = "rotation move"


@dataclass(frozen=True)
class OverrideCmd:
    rotation: str
    user: str
    start: LocalTime  # in the rotation's zone
    end: LocalTime
    command: ClassVar[str] = "override"


@dataclass(frozen=True)
class Away:
    user: str | None  # None: the caller
    start: LocalTime  # in the person's zone
    end: LocalTime
    command: ClassVar[str] = "away"


@dataclass(frozen=True)
class Swap:
    user: str  # the person to swap with
    day: date  # the day of the caller's shift, in the caller's zone
    command: ClassVar[str] = "swap"


@dataclass(frozen=True)
class Cover:
    start: LocalTime  # in the caller's zone
    end: LocalTime
    command: ClassVar[str] = "cover"


@dataclass(frozen=True)
class SpecialistCmd:
    user: str
    fields: dict  # SPECIALIST_KEYS -> parsed values; may be empty (show the specialist)
    command: ClassVar[str] = "specialist"


@dataclass(frozen=True)
class Export:
    rotation: str | None = None  # at most one of rotation and user; neither: the caller
    user: str | None = None
    command: ClassVar[str] = "export"


Command = (
    Help | Who | Me | Report | Shifts | Coverage | RotationList | RotationShow | RotationDelete
    | RotationEdit | RotationCreateModal | RotationCreate | RotationSet | RotationAdd
    | RotationRemove | RotationMove | OverrideCmd | Away | Swap | Cover | SpecialistCmd | Export
)  # fmt: skip
COMMAND_TYPES: tuple[type, ...] = Command.__args__


# -- help ---------------------------------------------------------------------------------

EVERYONE = "everyone"
MANAGERS = "managers"
SELF = "the person themself"
SELF_OR_MANAGERS = "the person themself; managers for anyone"


@dataclass(frozen=True)
class Usage:
    usage: str  # "/oncall rotation add <name> @user [position]"
    description: str  # one sentence
    example: str  # a correct command, with @name standing for a picked mention
    access: str  # who may use it: EVERYONE, MANAGERS, SELF or SELF_OR_MANAGERS
    notes: str = ""  # details shown by `help <command>`


_ZONE_NOTE = "Time zones are IANA names such as Europe/Dublin, Asia/Singapore or America/Chicago."
_WHEN_NOTE = (
    "<from> and <to> are dates (2026-12-24) or date-times (2026-12-24T08:00). A date as "
    "<to> includes that whole day; a date-time <to> is the first minute no longer covered."
)
_ROTATION_KEYS_NOTE = (
    "Keys: timezone=<Area/City>, shift=<HH:MM-HH:MM> (local wall clock; 22:00-06:00 ends "
    "the next day), days=mon-sun or mon,wed,fri (days on which a shift starts; default "
    "every day), handoff=daily|weekly|<N>d (default weekly), start=<YYYY-MM-DD> (first "
    "day of the first member's turn), tier=primary|secondary (default primary). " + _ZONE_NOTE
)

HELP: dict[str, Usage] = {
    "help": Usage(
        "/oncall help [command]",
        "Shows every command, or the details of one.",
        "/oncall help rotation create",
        EVERYONE,
    ),
    "who": Usage(
        "/oncall who [lang]",
        "Shows who is on call now, for one language or for all of them.",
        "/oncall who ar",
        EVERYONE,
        "lang is a two-letter ISO 639-1 code such as en, es, ar, pt or fr.",
    ),
    "me": Usage(
        "/oncall me",
        "Shows your next shifts, your languages and your time off.",
        "/oncall me",
        EVERYONE,
    ),
    "report": Usage(
        "/oncall report [days]",
        "Shows how fast pages were answered, by language and severity, over the last days.",
        "/oncall report 30",
        MANAGERS,
        f"days is 1 to {MAX_DAYS} (default {DEFAULT_DAYS['report']}).",
    ),
    "shifts": Usage(
        "/oncall shifts [rotation|@user] [days]",
        "Lists the coming shifts of a rotation, of a person, or your own.",
        "/oncall shifts emea 14",
        EVERYONE,
        f"days is 1 to {MAX_DAYS} (default {DEFAULT_DAYS['shifts']}). A lone number is "
        "the days; a bare member ID such as U0AR00001 is a person.",
    ),
    "coverage": Usage(
        "/oncall coverage [days]",
        "Charts which languages are covered when, and lists the gaps.",
        "/oncall coverage 30",
        EVERYONE,
        f"days is 1 to {MAX_DAYS} (default {DEFAULT_DAYS['coverage']}).",
    ),
    "rotation list": Usage(
        "/oncall rotation list",
        "Lists the rotations with their zone, shift, handoff and members.",
        "/oncall rotation list",
        EVERYONE,
    ),
    "rotation show": Usage(
        "/oncall rotation show <name>",
        "Shows one rotation's settings, members in order and who is on call next.",
        "/oncall rotation show emea",
        EVERYONE,
    ),
    "rotation create": Usage(
        "/oncall rotation create [<name> timezone=<Area/City> shift=<HH:MM-HH:MM> "
        "[days=mon-sun|mon,wed,fri] [handoff=daily|weekly|<N>d] [start=<YYYY-MM-DD>] "
        "[tier=primary|secondary]]",
        "Creates a rotation; with no arguments it opens a form.",
        "/oncall rotation create emea timezone=Europe/Dublin shift=08:00-16:00 days=mon-fri "
        "handoff=weekly start=2026-01-05",
        MANAGERS,
        "timezone and shift are required. " + _ROTATION_KEYS_NOTE + " Names are letters, "
        "digits, '-', '_' and '.'. Add people with /oncall rotation add.",
    ),
    "rotation set": Usage(
        "/oncall rotation set <name> <key>=<value> ...",
        "Changes settings of a rotation (the same keys as rotation create).",
        "/oncall rotation set emea shift=07:00-15:00 handoff=daily",
        MANAGERS,
        _ROTATION_KEYS_NOTE,
    ),
    "rotation edit": Usage(
        "/oncall rotation edit <name>",
        "Opens a form to edit a rotation.",
        "/oncall rotation edit emea",
        MANAGERS,
    ),
    "rotation delete": Usage(
        "/oncall rotation delete <name>",
        "Deletes a rotation (its members stay specialists).",
        "/oncall rotation delete emea",
        MANAGERS,
    ),
    "rotation add": Usage(
        "/oncall rotation add <name> @user [position]",
        "Adds a person to a rotation, at the end or at a position (1 is first).",
        "/oncall rotation add emea @layla 2",
        MANAGERS,
        "The order of members decides whose turn each handoff period is.",
    ),
    "rotation remove": Usage(
        "/oncall rotation remove <name> @user",
        "Removes a person from a rotation.",
        "/oncall rotation remove emea @layla",
        MANAGERS,
    ),
    "rotation move": Usage(
        "/oncall rotation move <name> @user <position>",
        "Moves a member to another position in the rotation's order (1 is first).",
        "/oncall rotation move emea @layla 1",
        MANAGERS,
    ),
    "override": Usage(
        "/oncall override <rotation> @user <from> <to>",
        "Puts someone on call for a rotation for a while, in place of whoever is scheduled.",
        "/oncall override emea @ana 2026-12-24T08:00 2026-12-24T16:00",
        MANAGERS,
        "Times are in the rotation's time zone. " + _WHEN_NOTE,
    ),
    "away": Usage(
        "/oncall away [@user] <from> <to>",
        "Marks time off: nobody pages the person then, and their shifts pass to the next member.",
        "/oncall away 2026-12-20 2027-01-03",
        SELF_OR_MANAGERS,
        "Dates and times are in the person's own time zone. " + _WHEN_NOTE,
    ),
    "swap": Usage(
        "/oncall swap @user <date>",
        "Asks someone to swap your shift on that day with theirs; they accept or decline.",
        "/oncall swap @ana 2026-12-24",
        SELF,
        "The date is the day your shift starts, in your time zone (YYYY-MM-DD).",
    ),
    "cover": Usage(
        "/oncall cover <from> <to>",
        "Asks your team to cover your shifts in that time; anyone who reads the languages "
        "can take it.",
        "/oncall cover 2026-12-24T08:00 2026-12-24T12:00",
        SELF,
        "Dates and times are in your own time zone. " + _WHEN_NOTE,
    ),
    "specialist": Usage(
        "/oncall specialist @user [languages=ar,fr,en] [timezone=<Area/City>] [backup=ar]",
        "Adds a specialist or changes their languages, time zone or backup languages; with "
        "no keys it shows them.",
        "/oncall specialist @layla languages=ar,fr,en timezone=Asia/Dubai backup=ar",
        MANAGERS,
        "languages are two-letter codes, strongest first. backup lists languages (among "
        "their own) for which they may be paged off shift; backup=none clears it. Also: "
        "name=<full name> (may contain spaces, up to the next key) and holidays=<country> "
        "such as MX or US-TX (their public holidays count as time off; holidays=none "
        "clears it). " + _ZONE_NOTE,
    ),
    "export": Usage(
        "/oncall export [rotation|@user]",
        "Gives a private calendar feed URL (iCalendar) for a rotation, a person, or you.",
        "/oncall export emea",
        EVERYONE,
        "Subscribe to the URL in Google Calendar or Outlook. Managers may export anyone's "
        "feed; others their own or a rotation's.",
    ),
}

TOP_LEVEL = (
    "help", "who", "me", "report", "shifts", "coverage", "rotation", "override", "away",
    "swap", "cover", "specialist", "export",
)  # fmt: skip
ROTATION_SUBCOMMANDS = ("list", "show", "create", "set", "edit", "delete", "add", "remove", "move")
_OVERVIEW = Usage(
    "/oncall <command> [arguments]", "", "/oncall help", EVERYONE
)  # for errors outside any one command
_ROTATION_OVERVIEW = Usage(
    "/oncall rotation list|show|create|set|edit|delete|add|remove|move ...",
    "",
    "/oncall rotation show emea",
    EVERYONE,
)


def _topics() -> list[str]:
    keys = list(HELP)
    return [*keys[: keys.index("rotation list")], "rotation", *keys[keys.index("rotation list") :]]


def _normalize_topic(topic: str) -> str:
    words = _decode(topic).lower().split()
    if words and words[0] in ("/oncall", "oncall"):
        words = words[1:]
    return " ".join(words)


def _entry(u: Usage, detailed: bool) -> str:
    lines = [f"`{u.usage}`", f"{u.description} _Who may use it: {u.access}._"]
    if detailed:
        if u.notes:
            lines.append(u.notes)
        lines.append(f"Example: `{u.example}`")
    return "\n".join(lines)


def help_text(topic: str | None = None) -> str:
    """The full help (topic None or empty), one command's, or all `rotation` commands'.

    Slack mrkdwn (`&`, `<`, `>` escaped), usage lines in monospace. An unknown topic says
    so, suggests the closest and lists the topics."""
    key = _normalize_topic(topic or "")
    if not key:
        parts = ["*/oncall commands*"]
        parts += [_entry(u, detailed=False) for u in HELP.values()]
        parts.append(
            "Mention people with @ and pick them from Slack's list. "
            + _WHEN_NOTE
            + " `/oncall help <command>` shows the details and an example."
        )
        text = "\n\n".join(parts)
    elif key in HELP:
        text = f"*/oncall {key}*\n" + _entry(HELP[key], detailed=True)
    elif key == "rotation":
        parts = ["*/oncall rotation commands*"]
        parts += [_entry(u, detailed=True) for k, u in HELP.items() if k.startswith("rotation ")]
        text = "\n\n".join(parts)
    else:
        hit = difflib.get_close_matches(key, _topics(), n=1, cutoff=0.6)
        guess = f" Did you mean `{hit[0]}`?" if hit else ""
        text = (
            f"There is no command {_q(key)} to explain.{guess}\n"
            f"Topics: {', '.join(f'`{t}`' for t in _topics())}\n"
            "Example: `/oncall help rotation create`"
        )
    return _escape(text)


# -- errors -------------------------------------------------------------------------------


class CommandError(Exception):
    """Bad arguments: nothing was changed.

    `message` says what was wrong (plain text; user input quoted and shortened), `usage`
    is the command's usage line and `example` a correct command. `str()` is the whole
    ephemeral reply in Slack mrkdwn, with `&`, `<` and `>` escaped."""

    def __init__(self, message: str, usage: str, example: str):
        super().__init__(message)
        self.message = message
        self.usage = usage
        self.example = example

    def __str__(self) -> str:
        return _escape(f"{self.message}\nUsage: `{self.usage}`\nExample: `{self.example}`")


def _escape(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _q(s: str, limit: int = 40) -> str:
    """User text echoed in a message: shortened, on one line, in quotes."""
    s = " ".join(s.split())
    if len(s) > limit:
        s = s[: limit - 1] + "…"
    return f"'{s}'"


def _suggest(word: str, allowed: list[str] | tuple[str, ...]) -> str:
    hit = difflib.get_close_matches(word, list(allowed), n=1, cutoff=0.6)
    return f" Did you mean `{hit[0]}`?" if hit else ""


class _Cmd:
    """The arguments of one command and how to complain about them."""

    def __init__(self, key: str, args: list[str], usage: Usage | None = None):
        self.key = key
        self.args = args
        self.u = usage or HELP[key]

    def fail(self, message: str) -> NoReturn:
        raise CommandError(message, self.u.usage, self.u.example)

    def arity(self, names: list[str], optional: int = 0) -> None:
        """`names` are the placeholders in order; the last `optional` may be left out."""
        n = len(self.args)
        if n < len(names) - optional:
            missing = ", ".join(names[n : len(names) - optional])
            self.fail(f"Missing {missing}.")
        if n > len(names):
            extra = " ".join(self.args[len(names) :])
            if not names:
                self.fail(f"`/oncall {self.key}` takes no arguments; remove {_q(extra)}.")
            self.fail(f"Unexpected {_q(extra)} after {' '.join(names)}.")


# -- tokens -------------------------------------------------------------------------------

_TOKEN = re.compile(r"(?:<[^<>]*>|[^\s<]|<)+")
_ENTITY = re.compile(r"&(amp|lt|gt);")
_MENTION = re.compile(r"<@([^|<>]*)(?:\|[^<>]*)?>")
_BARE_ID = _USER_ID
_DIGITS = re.compile(r"[0-9]+")
_DATE_RE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_DATETIME_RE = re.compile(r"([0-9]{4}-[0-9]{2}-[0-9]{2})[Tt]([0-9]{2}):([0-9]{2})(?::([0-9]{2}))?")
_KEY_TOKEN = re.compile(r"[A-Za-z_]+=")
_LANG_RE = re.compile(r"[a-z]{2}")
_HOLIDAYS = re.compile(r"[A-Z]{2,3}(-[A-Za-z0-9]+)?")
_KEY_ALIASES = {
    "tz": "timezone", "zone": "timezone", "time_zone": "timezone", "hours": "shift",
    "window": "shift", "handover": "handoff", "weekdays": "days", "day": "days",
    "lang": "languages", "language": "languages", "langs": "languages",
    "from": "start", "members": None, "member": None, "name": None,
}  # fmt: skip


def _decode(s: str) -> str:
    return _ENTITY.sub(lambda m: {"amp": "&", "lt": "<", "gt": ">"}[m.group(1)], s)


def _tokens(text: str) -> list[str]:
    """Whitespace-separated tokens; `<...>` (a mention, which may hold spaces) stays whole.
    Entities are not decoded here: `<` in a token is always Slack markup."""
    return _TOKEN.findall(text or "")


# -- values -------------------------------------------------------------------------------


def _user(c: _Cmd, tok: str, what: str = "@user") -> str:
    m = _MENTION.fullmatch(tok)
    if m:
        if _USER_ID.fullmatch(m.group(1)):
            return m.group(1)
        c.fail(f"{_q(tok)} is not a mention of a person; pick them from Slack's @ list.")
    if tok.startswith("<#"):
        c.fail(f"{_q(tok)} is a channel; {what} must be a person, mentioned with @.")
    if tok.startswith("<!"):
        c.fail(f"{_q(tok)} is a group mention; {what} must be one person, mentioned with @.")
    d = _decode(tok)
    if _BARE_ID.fullmatch(d):
        return d
    if d.startswith("@"):
        c.fail(
            f"{_q(d)} is plain text, not a mention. Type @ and pick the person from Slack's "
            "mention autocomplete (or give their member ID, such as U0AR00001)."
        )
    c.fail(
        f"{_q(d)} is not a person; for {what}, type @ and pick the person from Slack's "
        "mention autocomplete (or give their member ID, such as U0AR00001)."
    )


def _is_person(tok: str) -> bool:
    """For the `[rotation|@user]` slot: a mention, a plain `@name` or a bare member ID."""
    d = _decode(tok)
    return tok.startswith("<") or d.startswith("@") or bool(_BARE_ID.fullmatch(d))


def _name(c: _Cmd, tok: str, what: str = "rotation name") -> str:
    d = _decode(tok)
    if _NAME.fullmatch(d):
        return d
    if "=" in d and what == "rotation name":
        c.fail(f"Missing the rotation name before {_q(d)}; give the name first.")
    c.fail(
        f"{what.capitalize()} {_q(d)} must be 1-64 letters, digits, '-', '_' or '.', "
        "starting with a letter or digit (no spaces), e.g. emea-night."
    )


def _count(c: _Cmd, tok: str, what: str, lo: int, hi: int | None) -> int:
    d = _decode(tok)
    if not _DIGITS.fullmatch(d):
        rng = f"from {lo} to {hi}" if hi is not None else f"of at least {lo}"
        c.fail(f"{what.capitalize()} {_q(d)} must be a whole number {rng}.")
    n = int(d) if len(d) <= 9 else None  # no giant ints from giant inputs
    if n is None or n < lo or (hi is not None and n > hi):
        rng = f"from {lo} to {hi}" if hi is not None else f"at least {lo} and at most 999999999"
        c.fail(f"{what.capitalize()} must be {rng}, not {_q(d)}.")
    return n


def _days_count(c: _Cmd, tok: str) -> int:
    d = _decode(tok)
    if d.lower().startswith("days="):
        tok = d[5:]
    return _count(c, tok, "days", 1, MAX_DAYS)


def _looks_like_days(tok: str) -> bool:
    d = _decode(tok)
    return bool(_DIGITS.fullmatch(d)) or d.lower().startswith("days=")


def _language(c: _Cmd, v: str, what: str = "language") -> str:
    if _LANG_RE.fullmatch(v) and v in ISO_639_1:
        return v
    if v.lower() in ISO_639_1:
        c.fail(f"Language codes are lowercase: use '{v.lower()}' instead of {_q(v)}.")
    if v.lower() in _THREE_LETTER:
        c.fail(
            f"{_q(v)} is a three-letter code; use the two-letter code '{_THREE_LETTER[v.lower()]}'."
        )
    c.fail(
        f"{what.capitalize()} {_q(v)} is not an ISO 639-1 code; use two lowercase letters "
        "such as en, es, ar, pt or fr."
    )


def _language_list(c: _Cmd, key: str, v: str) -> tuple[str, ...]:
    out: list[str] = []
    for part in v.split(","):
        if not part:
            c.fail(
                f"{key}={_q(v)} has an empty item; separate codes with single commas, "
                f"e.g. {key}=ar,fr,en."
            )
        code = _language(c, part, f"{key} item")
        if code in out:
            c.fail(f"Language '{code}' is listed twice in {key}=; list each once.")
        out.append(code)
    return tuple(out)


def _zone(c: _Cmd, v: str) -> str:
    if timezones.is_valid_zone(v):
        return v
    c.fail(f"Unknown time zone {_q(v)}; use an IANA name such as {_suggest_zone(v)}.")


def _shift(c: _Cmd, v: str) -> tuple[time, time]:
    m = _SHIFT.fullmatch(v) if v.isascii() else None
    if not m:
        c.fail(
            f"Shift {_q(v)} is not a window HH:MM-HH:MM (24-hour local wall clock); e.g. "
            "shift=08:00-16:00, or shift=22:00-06:00 for one that ends the next day."
        )
    h1, m1, h2, m2 = (int(g) for g in m.groups())
    if h1 > 23 or m1 > 59 or m2 > 59 or h2 > 24 or (h2 == 24 and m2 != 0):
        c.fail(
            f"Shift {_q(v)} has a time out of range; hours are 00-23 and minutes 00-59 "
            "(24:00 may end a shift), e.g. shift=08:00-16:00."
        )
    return time(h1, m1), time(h2 % 24, m2)


def _days(c: _Cmd, v: str) -> frozenset[int]:
    out: set[int] = set()
    for part in v.lower().split(","):
        got = _Parser._day_range(part)
        if got is None:
            c.fail(
                f"Days {_q(v)}: {_q(part)} is not a day or range of days; use "
                f"{', '.join(WEEKDAYS)}, ranges such as mon-fri, and commas: days=mon,wed,fri."
            )
        out |= got
    return frozenset(out)


def _handoff(c: _Cmd, v: str) -> int:
    low = v.lower()
    if low == "daily":
        return 1
    if low == "weekly":
        return 7
    m = _HANDOFF_N.fullmatch(low) if low.isascii() else None
    if m and len(m.group(1)) <= 4 and int(m.group(1)) >= 1:
        return int(m.group(1))
    c.fail(
        f"Handoff {_q(v)} is not daily, weekly or every N days; e.g. handoff=weekly or "
        "handoff=3d (N from 1 to 9999)."
    )


def _date(c: _Cmd, v: str, what: str) -> date:
    m = _DATE_RE.fullmatch(v)
    if m:
        try:
            d = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            c.fail(
                f"{what.capitalize()} {_q(v)} is not a real date; use YYYY-MM-DD, e.g. 2026-12-24."
            )
        _year(c, d.year, v, what)
        return d
    if _DATETIME_RE.fullmatch(v):
        c.fail(f"{what.capitalize()} must be a date without a time: use {_q(v[:10])}.")
    c.fail(f"{what.capitalize()} {_q(v)} is not a date; use YYYY-MM-DD, e.g. 2026-12-24.")


def _year(c: _Cmd, year: int, v: str, what: str) -> None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        c.fail(
            f"{what.capitalize()} {_q(v)} is out of range; use a year from {MIN_YEAR} "
            f"to {MAX_YEAR}."
        )


def _tier(c: _Cmd, v: str) -> str:
    if v.lower() in TIERS:
        return v.lower()
    c.fail(f"Unknown tier {_q(v)}; use {' or '.join(TIERS)}." + _suggest(v.lower(), TIERS))


def _when(c: _Cmd, tok: str, what: str) -> LocalTime:
    """`<from>` or `<to>` -> LocalTime (see the module docstring for date-only `to`)."""
    v = _decode(tok)
    m = _DATETIME_RE.fullmatch(v)
    if _DATE_RE.fullmatch(v) or m:
        try:
            day = date.fromisoformat(m.group(1) if m else v)
            at = datetime.combine(
                day, time(int(m.group(2)), int(m.group(3)), int(m.group(4) or 0)) if m else time()
            )
        except ValueError:
            c.fail(
                f"{what} {_q(v)} is not a real date or time; use YYYY-MM-DD or "
                "YYYY-MM-DDTHH:MM (hours 00-23), e.g. 2026-12-24T08:00."
            )
        _year(c, day.year, v, what)
        if m:
            return LocalTime(at, date_only=False)
        return LocalTime(at + timedelta(days=1) if what == "<to>" else at, date_only=True)
    hint = ""
    if re.fullmatch(r"[0-9]{1,2}:[0-9]{2}(:[0-9]{2})?", v):
        hint = " To give a time, join it to the date with T, e.g. 2026-12-24T08:00."
    elif re.search(r"(Z|[+-][0-9]{2}:?[0-9]{2})$", v) and _DATETIME_RE.match(v):
        hint = " Leave out the UTC offset: the time zone is implied."
    c.fail(
        f"{what} {_q(v)} is not a date or date-time; use YYYY-MM-DD or YYYY-MM-DDTHH:MM, "
        f"e.g. 2026-12-24 or 2026-12-24T08:00.{hint}"
    )


def _span(c: _Cmd, a: str, b: str) -> tuple[LocalTime, LocalTime]:
    start, end = _when(c, a, "<from>"), _when(c, b, "<to>")
    if end.at <= start.at:
        incl = " (a date as <to> includes that day)" if end.date_only else ""
        c.fail(f"<to> {_q(_decode(b))} must be after <from> {_q(_decode(a))}{incl}.")
    return start, end


# -- key=value settings -------------------------------------------------------------------

_ROTATION_VALUES: dict[str, Callable[[_Cmd, str], object]] = {
    "timezone": _zone,
    "shift": _shift,
    "days": _days,
    "handoff": _handoff,
    "start": lambda c, v: _date(c, v, "start"),
    "tier": _tier,
}


def _specialist_text(c: _Cmd, v: str) -> str:
    if len(v) > 100 or any(unicodedata.category(ch) in ("Cc", "Cs") for ch in v):
        c.fail(
            f"Name {_q(v)} must be printable text of at most 100 characters, "
            "e.g. name=Layla Haddad."
        )
    return v


def _holidays(c: _Cmd, v: str) -> str | None:
    if v.lower() == "none":
        return None
    if _HOLIDAYS.fullmatch(v):
        return v
    c.fail(
        f"Holidays {_q(v)} is not a country code; use an uppercase country code, "
        "optionally with a region, e.g. holidays=MX or holidays=US-TX (none clears it)."
    )


_SPECIALIST_VALUES: dict[str, Callable[[_Cmd, str], object]] = {
    "languages": lambda c, v: _language_list(c, "languages", v),
    "timezone": _zone,
    "backup": lambda c, v: () if v.lower() == "none" else _language_list(c, "backup", v),
    "name": _specialist_text,
    "holidays": _holidays,
}
_EXAMPLE_VALUE = {
    "timezone": "Europe/Dublin", "shift": "08:00-16:00", "days": "mon-fri",
    "handoff": "weekly", "start": "2026-01-05", "tier": "primary", "languages": "ar,fr,en",
    "backup": "ar", "name": "Layla Haddad", "holidays": "MX",
}  # fmt: skip


def _settings(
    c: _Cmd,
    tokens: list[str],
    allowed: tuple[str, ...],
    values: dict[str, Callable[[_Cmd, str], object]],
    *,
    multiword: tuple[str, ...] = (),
) -> dict:
    out: dict = {}
    keys = ", ".join(allowed)
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        d = _decode(tok)
        i += 1
        if d.startswith("=") or (
            "=" not in d and i < len(tokens) and _decode(tokens[i]).startswith("=")
        ):
            c.fail(
                "Write settings as key=value with no spaces around '=', "
                f"e.g. {allowed[0]}={_EXAMPLE_VALUE[allowed[0]]}."
            )
        if "=" not in d:
            if tok.startswith("<") or d.startswith("@"):
                c.fail(
                    f"Unexpected {_q(d)}; only key=value settings may follow here (keys: {keys})."
                )
            c.fail(f"Expected key=value, not {_q(d)}; keys: {keys}.")
        key, _, value = d.partition("=")
        key = key.lower()
        if key not in allowed:
            hint = ""
            alias = _KEY_ALIASES.get(key, "")
            if alias and alias in allowed:
                hint = f" Did you mean `{alias}`?"
            elif key in ("members", "member") and "shift" in allowed:
                hint = " Add people with `/oncall rotation add <name> @user`."
            elif key == "name" and "shift" in allowed:
                hint = " The rotation's name comes first, without name=."
            else:
                hint = _suggest(key, allowed)
            c.fail(f"Unknown key {_q(key)}; allowed keys: {keys}.{hint}")
        if key in out:
            c.fail(f"Key '{key}' is given twice; give each key once.")
        if key in multiword:
            while i < len(tokens) and not _KEY_TOKEN.match(_decode(tokens[i])):
                value = f"{value} {_decode(tokens[i])}" if value else _decode(tokens[i])
                i += 1
        if not value:
            c.fail(
                f"'{key}=' needs a value (no space after '='), e.g. {key}={_EXAMPLE_VALUE[key]}."
            )
        out[key] = values[key](c, value)
    return out


# -- commands -----------------------------------------------------------------------------


def _p_help(args: list[str]) -> Help:
    topic = _normalize_topic(" ".join(args))
    return Help(topic or None)


def _p_who(args: list[str]) -> Who:
    c = _Cmd("who", args)
    c.arity(["[lang]"], optional=1)
    if not args:
        return Who(None)
    v = _decode(args[0])
    for prefix in ("lang:", "lang="):
        if v.lower().startswith(prefix):
            v = v[len(prefix) :]
    return Who(_language(c, v))


def _p_me(args: list[str]) -> Me:
    _Cmd("me", args).arity([])
    return Me()


def _p_report(args: list[str]) -> Report:
    c = _Cmd("report", args)
    c.arity(["[days]"], optional=1)
    return Report(_days_count(c, args[0])) if args else Report()


def _p_coverage(args: list[str]) -> Coverage:
    c = _Cmd("coverage", args)
    c.arity(["[days]"], optional=1)
    return Coverage(_days_count(c, args[0])) if args else Coverage()


def _target(c: _Cmd, tok: str) -> tuple[str | None, str | None]:
    """The `[rotation|@user]` slot: (rotation, None) or (None, user)."""
    if _is_person(tok):
        return None, _user(c, tok)
    d = _decode(tok)
    if not _NAME.fullmatch(d):
        c.fail(
            f"{_q(d)} is neither a rotation name nor a person; give a rotation's name "
            "(e.g. emea) or mention someone with @."
        )
    return d, None


def _p_shifts(args: list[str]) -> Shifts:
    c = _Cmd("shifts", args)
    c.arity(["[rotation|@user]", "[days]"], optional=2)
    days = DEFAULT_DAYS["shifts"]
    rotation = user = None
    if len(args) == 1 and _looks_like_days(args[0]):
        days = _days_count(c, args[0])
    elif args:
        rotation, user = _target(c, args[0])
        if len(args) == 2:
            days = _days_count(c, args[1])
    return Shifts(rotation, user, days)


def _p_export(args: list[str]) -> Export:
    c = _Cmd("export", args)
    c.arity(["[rotation|@user]"], optional=1)
    if not args:
        return Export()
    rotation, user = _target(c, args[0])
    return Export(rotation, user)


def _p_override(args: list[str]) -> OverrideCmd:
    c = _Cmd("override", args)
    c.arity(["<rotation>", "@user", "<from>", "<to>"])
    name = _name(c, args[0])
    user = _user(c, args[1])
    start, end = _span(c, args[2], args[3])
    return OverrideCmd(name, user, start, end)


def _p_away(args: list[str]) -> Away:
    c = _Cmd("away", args)
    if args and _is_person(args[0]):
        c.arity(["[@user]", "<from>", "<to>"])
        user: str | None = _user(c, args[0])
        rest = args[1:]
    else:
        c.arity(["<from>", "<to>"])
        user, rest = None, args
    start, end = _span(c, rest[0], rest[1])
    return Away(user, start, end)


def _p_swap(args: list[str]) -> Swap:
    c = _Cmd("swap", args)
    c.arity(["@user", "<date>"])
    return Swap(_user(c, args[0]), _date(c, _decode(args[1]), "<date>"))


def _p_cover(args: list[str]) -> Cover:
    c = _Cmd("cover", args)
    c.arity(["<from>", "<to>"])
    start, end = _span(c, args[0], args[1])
    return Cover(start, end)


def _p_specialist(args: list[str]) -> SpecialistCmd:
    c = _Cmd("specialist", args)
    if not args:
        c.fail("Missing @user.")
    user = _user(c, args[0])
    fields = _settings(c, args[1:], SPECIALIST_KEYS, _SPECIALIST_VALUES, multiword=("name",))
    backup, langs = fields.get("backup"), fields.get("languages")
    if backup and langs is not None:
        extra = [b for b in backup if b not in langs]
        if extra:
            c.fail(
                f"Backup language '{extra[0]}' is not among their languages "
                f"({','.join(langs)}); a backup can only be a language they read."
            )
    return SpecialistCmd(user, fields)


def _p_rotation(args: list[str]) -> Command:
    if not args:
        raise CommandError(
            "Which rotation command? Use one of: " + ", ".join(ROTATION_SUBCOMMANDS) + ".",
            _ROTATION_OVERVIEW.usage,
            _ROTATION_OVERVIEW.example,
        )
    sub = _decode(args[0]).lower()
    rest = args[1:]
    if sub not in ROTATION_SUBCOMMANDS:
        raise CommandError(
            f"Unknown rotation command {_q(sub)}.{_suggest(sub, ROTATION_SUBCOMMANDS)} "
            f"Use one of: {', '.join(ROTATION_SUBCOMMANDS)}.",
            _ROTATION_OVERVIEW.usage,
            _ROTATION_OVERVIEW.example,
        )
    c = _Cmd(f"rotation {sub}", rest)
    if sub == "list":
        c.arity([])
        return RotationList()
    if sub in ("show", "delete", "edit"):
        c.arity(["<name>"])
        cls = {"show": RotationShow, "delete": RotationDelete, "edit": RotationEdit}[sub]
        return cls(_name(c, rest[0]))
    if sub == "create":
        if not rest:
            return RotationCreateModal()
        name = _name(c, rest[0])
        fields = _settings(c, rest[1:], ROTATION_KEYS, _ROTATION_VALUES)
        missing = [k for k in ROTATION_REQUIRED if k not in fields]
        if missing:
            need = " and ".join(f"{k}=" for k in missing)
            c.fail(
                f"Missing {need}: a new rotation needs "
                + " and ".join(f"{k}= (e.g. {k}={_EXAMPLE_VALUE[k]})" for k in missing)
                + ". Or run `/oncall rotation create` alone to fill in a form."
            )
        return RotationCreate(name, fields)
    if sub == "set":
        if not rest:
            c.fail("Missing <name>.")
        name = _name(c, rest[0])
        fields = _settings(c, rest[1:], ROTATION_KEYS, _ROTATION_VALUES)
        if not fields:
            c.fail(
                f"Nothing to set; give at least one key=value (keys: {', '.join(ROTATION_KEYS)})."
            )
        return RotationSet(name, fields)
    if sub == "add":
        c.arity(["<name>", "@user", "[position]"], optional=1)
        pos = _count(c, rest[2], "position", 1, None) if len(rest) > 2 else None
        return RotationAdd(_name(c, rest[0]), _user(c, rest[1]), pos)
    if sub == "remove":
        c.arity(["<name>", "@user"])
        return RotationRemove(_name(c, rest[0]), _user(c, rest[1]))
    # move
    c.arity(["<name>", "@user", "<position>"])
    name, user = _name(c, rest[0]), _user(c, rest[1])
    return RotationMove(name, user, _count(c, rest[2], "position", 1, None))


_PARSERS: dict[str, Callable[[list[str]], Command]] = {
    "help": _p_help,
    "who": _p_who,
    "me": _p_me,
    "report": _p_report,
    "shifts": _p_shifts,
    "coverage": _p_coverage,
    "rotation": _p_rotation,
    "override": _p_override,
    "away": _p_away,
    "swap": _p_swap,
    "cover": _p_cover,
    "specialist": _p_specialist,
    "export": _p_export,
}
assert tuple(_PARSERS) == TOP_LEVEL


def parse(text: str) -> Command:
    """The text after `/oncall` (as Slack sends it, escaped) -> one Command.

    Empty text is `Help(None)`. Raises CommandError (and nothing else) on bad input."""
    tokens = _tokens(text)
    if not tokens:
        return Help(None)
    word = _decode(tokens[0]).lower()
    if word in _PARSERS:
        return _PARSERS[word](tokens[1:])
    guess = _suggest(word, TOP_LEVEL)
    if not guess and word in ROTATION_SUBCOMMANDS:
        guess = f" Did you mean `rotation {word}`?"
    raise CommandError(
        f"Unknown command {_q(word)}.{guess} Commands: {', '.join(TOP_LEVEL)}.",
        _OVERVIEW.usage,
        _OVERVIEW.example,
    )
