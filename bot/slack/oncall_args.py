"""The arguments of `/oncall`: tokens, typed values (people, names, counts, languages,
zones, shifts, days, handoffs, dates and local times), `key=value` settings, and
`CommandError`, whose `str()` is the whole reply to bad input.

The syntax of each value is `bot.core.parsers`; this module words a failure for the
person who typed it, with the command's usage line and example."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import NoReturn

from bot.core import contacts, parsers
from bot.core.model import TIERS, WEEKDAYS
from bot.core.parsers import ParseError
from bot.slack.oncall_commands import MAX_DAYS, MAX_YEAR, MIN_YEAR, LocalTime
from bot.slack.oncall_help import HELP, Usage
from bot.slack.oncall_text import decode, did_you_mean, escape, quote


@dataclass(frozen=True)
class Clockface:
    """When and where a command is typed: the aware instant and the zone in which
    `today`, `mon`, `+2h` and `18:00` are read."""

    now: datetime
    tz: str


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
        return escape(f"{self.message}\nUsage: `{self.usage}`\nExample: `{self.example}`")




class Args:
    """The arguments of one command and how to complain about them."""

    def __init__(self, key: str, args: list[str], usage: Usage | None = None,
                 now: Clockface | None = None):
        self.key = key
        self.args = args
        self.u = usage or HELP[key]
        # The asker's instant and zone: with them, dates and times may be typed as
        # people say them (today, mon, +2h, 18:00); without, ISO forms only.
        self.now = now

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
                self.fail(f"`/oncall {self.key}` takes no arguments; remove {quote(extra)}.")
            self.fail(f"Unexpected {quote(extra)} after {' '.join(names)}.")


# -- tokens -------------------------------------------------------------------------------

_TOKEN = re.compile(r"(?:<[^<>]*>|[^\s<]|<)+")
_MENTION = re.compile(r"<@([^|<>]*)(?:\|[^<>]*)?>")
_DIGITS = re.compile(r"[0-9]+")
_KEY_TOKEN = re.compile(r"[A-Za-z_]+=")
_KEY_ALIASES = {
    "tz": "timezone", "zone": "timezone", "time_zone": "timezone", "hours": "shift",
    "window": "shift", "handover": "handoff", "weekdays": "days", "day": "days",
    "lang": "languages", "language": "languages", "langs": "languages",
    "from": "start", "members": None, "member": None, "name": None,
}  # fmt: skip


def split_tokens(text: str) -> list[str]:
    """Whitespace-separated tokens; `<...>` (a mention, which may hold spaces) stays whole.
    Entities are not decoded here: `<` in a token is always Slack markup."""
    return _TOKEN.findall(text or "")


# -- values -------------------------------------------------------------------------------


def user_arg(c: Args, tok: str, what: str = "@user") -> str:
    m = _MENTION.fullmatch(tok)
    if m:
        if parsers.USER_ID.fullmatch(m.group(1)):
            return m.group(1)
        c.fail(f"{quote(tok)} is not a mention of a person; pick them from Slack's @ list.")
    if tok.startswith("<#"):
        c.fail(f"{quote(tok)} is a channel; {what} must be a person, mentioned with @.")
    if tok.startswith("<!"):
        c.fail(f"{quote(tok)} is a group mention; {what} must be one person, mentioned with @.")
    d = decode(tok)
    if parsers.USER_ID.fullmatch(d):
        return d
    if d.startswith("@"):
        c.fail(
            f"{quote(d)} is plain text, not a mention. Type @ and pick the person from Slack's "
            "mention autocomplete (or give their member ID, such as U0AR00001)."
        )
    c.fail(
        f"{quote(d)} is not a person; for {what}, type @ and pick the person from Slack's "
        "mention autocomplete (or give their member ID, such as U0AR00001)."
    )


def is_person(tok: str) -> bool:
    """For the `[rotation|@user]` slot: a mention, a plain `@name` or a bare member ID."""
    d = decode(tok)
    return tok.startswith("<") or d.startswith("@") or bool(parsers.USER_ID.fullmatch(d))


def name_arg(c: Args, tok: str, what: str = "rotation name") -> str:
    d = decode(tok)
    if parsers.NAME.fullmatch(d):
        return d
    if "=" in d and what == "rotation name":
        c.fail(f"Missing the rotation name before {quote(d)}; give the name first.")
    c.fail(
        f"{what.capitalize()} {quote(d)} must be {parsers.NAME_RULE}, e.g. emea-night."
    )


def count_arg(c: Args, tok: str, what: str, lo: int, hi: int | None) -> int:
    d = decode(tok)
    if not _DIGITS.fullmatch(d):
        rng = f"from {lo} to {hi}" if hi is not None else f"of at least {lo}"
        c.fail(f"{what.capitalize()} {quote(d)} must be a whole number {rng}.")
    n = int(d) if len(d) <= 9 else None  # no giant ints from giant inputs
    if n is None or n < lo or (hi is not None and n > hi):
        rng = f"from {lo} to {hi}" if hi is not None else f"at least {lo} and at most 999999999"
        c.fail(f"{what.capitalize()} must be {rng}, not {quote(d)}.")
    return n


def days_arg(c: Args, tok: str) -> int:
    d = decode(tok)
    if d.lower().startswith("days="):
        tok = d[5:]
    return count_arg(c, tok, "days", 1, MAX_DAYS)


def looks_like_days(tok: str) -> bool:
    d = decode(tok)
    return bool(_DIGITS.fullmatch(d)) or d.lower().startswith("days=")


def language_arg(c: Args, v: str, what: str = "language") -> str:
    try:
        return parsers.parse_language(v)
    except ParseError as e:
        if e.kind == "case":
            c.fail(f"Language codes are lowercase: use '{e.part}' instead of {quote(v)}.")
        if e.kind == "three_letter":
            c.fail(f"{quote(v)} is a three-letter code; use the two-letter code '{e.part}'.")
        c.fail(
            f"{what.capitalize()} {quote(v)} is not an ISO 639-1 code; use two lowercase "
            "letters such as en, es, ar, pt or fr."
        )


def _language_list(c: Args, key: str, v: str) -> tuple[str, ...]:
    out: list[str] = []
    for part in v.split(","):
        if not part:
            c.fail(
                f"{key}={quote(v)} has an empty item; separate codes with single commas, "
                f"e.g. {key}=ar,fr,en."
            )
        code = language_arg(c, part, f"{key} item")
        if code in out:
            c.fail(f"Language '{code}' is listed twice in {key}=; list each once.")
        out.append(code)
    return tuple(out)


def _zone(c: Args, v: str) -> str:
    try:
        return parsers.parse_zone(v)
    except ParseError as e:
        c.fail(f"Unknown time zone {quote(v)}; use an IANA name such as {e.part}.")


def _shift(c: Args, v: str) -> tuple[time, time]:
    try:
        return parsers.parse_shift(v)
    except ParseError as e:
        if e.kind == "range":
            c.fail(
                f"Shift {quote(v)} has a time out of range; hours are 00-23 and minutes 00-59 "
                "(24:00 may end a shift), e.g. shift=08:00-16:00."
            )
        c.fail(
            f"Shift {quote(v)} is not a window HH:MM-HH:MM (24-hour local wall clock); e.g. "
            "shift=08:00-16:00, or shift=22:00-06:00 for one that ends the next day."
        )


def _days(c: Args, v: str) -> frozenset[int]:
    try:
        return parsers.parse_days(v.lower())
    except ParseError as e:
        c.fail(
            f"Days {quote(v)}: {quote(e.part)} is not a day or range of days; use "
            f"{', '.join(WEEKDAYS)}, ranges such as mon-fri, and commas: days=mon,wed,fri."
        )


def _handoff(c: Args, v: str) -> int:
    try:
        return parsers.parse_handoff(v, max_digits=4)
    except ParseError:
        c.fail(
            f"Handoff {quote(v)} is not daily, weekly or every N days; e.g. handoff=weekly or "
            "handoff=3d (N from 1 to 9999)."
        )


def date_arg(c: Args, v: str, what: str) -> date:
    if c.now is not None and not parsers.parse_date_shaped(v):
        try:
            typed = parsers.parse_when_typed(v, c.now.now, c.now.tz)
        except ParseError:
            typed = None
        if isinstance(typed, date) and not isinstance(typed, datetime):
            return typed
        if typed is not None:
            c.fail(f"{what.capitalize()} must be a day, not a time: e.g. tomorrow, fri or "
                   "2026-12-24.")
    try:
        d = parsers.parse_date(v)
    except ParseError as e:
        if e.kind == "invalid":
            c.fail(
                f"{what.capitalize()} {quote(v)} is not a real date; use YYYY-MM-DD, "
                "e.g. 2026-12-24."
            )
        if e.kind == "has_time":
            c.fail(f"{what.capitalize()} must be a date without a time: use {quote(v[:10])}.")
        c.fail(f"{what.capitalize()} {quote(v)} is not a date; use YYYY-MM-DD, e.g. 2026-12-24.")
    _year(c, d.year, v, what)
    return d


def _year(c: Args, year: int, v: str, what: str) -> None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        c.fail(
            f"{what.capitalize()} {quote(v)} is out of range; use a year from {MIN_YEAR} "
            f"to {MAX_YEAR}."
        )


def _tier(c: Args, v: str) -> str:
    if v.lower() in TIERS:
        return v.lower()
    c.fail(f"Unknown tier {quote(v)}; use {' or '.join(TIERS)}." + did_you_mean(v.lower(), TIERS))


def _when(c: Args, tok: str, what: str) -> LocalTime:
    """`<from>` or `<to>` -> LocalTime (see the grammar's docstring for date-only `to`)."""
    v = decode(tok)
    try:
        when = (parsers.parse_when(v) if c.now is None
                else parsers.parse_when_typed(v, c.now.now, c.now.tz))
    except ParseError as e:
        if e.kind == "zero":
            c.fail(f"{what} {quote(v)} is no time from now; e.g. +30m, +2h or +3d.")
        if e.kind == "invalid":
            c.fail(
                f"{what} {quote(v)} is not a real date or time; use YYYY-MM-DD or "
                "YYYY-MM-DDTHH:MM (hours 00-23), e.g. 2026-12-24T08:00."
            )
        hint = {
            "time_only": " To give a time, join it to the date with T, e.g. 2026-12-24T08:00.",
            "offset": " Leave out the UTC offset: the time zone is implied.",
        }.get(e.kind, "")
        forms = (f"{parsers.WHEN_FORMS}" if c.now is not None
                 else "YYYY-MM-DD or YYYY-MM-DDTHH:MM, e.g. 2026-12-24 or 2026-12-24T08:00")
        c.fail(f"{what} {quote(v)} is not a date or date-time; use {forms}.{hint}")
    _year(c, when.year, v, what)
    if isinstance(when, datetime):
        return LocalTime(when, date_only=False)
    at = datetime.combine(when, time())
    return LocalTime(at + timedelta(days=1) if what == "<to>" else at, date_only=True)


def span_arg(c: Args, a: str, b: str) -> tuple[LocalTime, LocalTime]:
    start, end = _when(c, a, "<from>"), _when(c, b, "<to>")
    if end.at <= start.at:
        incl = " (a date as <to> includes that day)" if end.date_only else ""
        c.fail(f"<to> {quote(decode(b))} must be after <from> {quote(decode(a))}{incl}.")
    return start, end


def skills_arg(c: Args, tokens: list[str]) -> tuple[str, ...]:
    """One or more skill slugs (`parsers.SKILL`), separated by spaces or commas, each
    once."""
    out: list[str] = []
    for tok in tokens:
        for part in decode(tok).split(","):
            if not part:
                continue
            if part.startswith("<") or part.startswith("@"):
                c.fail(f"Unexpected {quote(part)}; only skill names may follow add or remove.")
            if not parsers.SKILL.fullmatch(part):
                hint = ""
                if parsers.SKILL.fullmatch(part.lower()):
                    hint = f" Skill names are lowercase: use '{part.lower()}'."
                c.fail(f"{quote(part)} is not a skill name; use {parsers.SKILL_RULE}.{hint}")
            if part in out:
                c.fail(f"Skill '{part}' is listed twice; list each once.")
            out.append(part)
    if not out:
        c.fail("Missing <skill>: say which skill(s), e.g. le_requests.")
    return tuple(out)


# -- key=value settings -------------------------------------------------------------------

ROTATION_VALUES: dict[str, Callable[[Args, str], object]] = {
    "timezone": _zone,
    "shift": _shift,
    "days": _days,
    "handoff": _handoff,
    "start": lambda c, v: date_arg(c, v, "start"),
    "tier": _tier,
}


def _specialist_text(c: Args, v: str) -> str:
    if len(v) > 100 or not parsers.is_printable_line(v):
        c.fail(
            f"Name {quote(v)} must be printable text of at most 100 characters, "
            "e.g. name=Layla Haddad."
        )
    return v


def _holidays(c: Args, v: str) -> str | None:
    if v.lower() == "none":
        return None
    if parsers.HOLIDAYS.fullmatch(v):
        return v
    c.fail(
        f"Holidays {quote(v)} is not a country code; use an uppercase country code, "
        "optionally with a region, e.g. holidays=MX or holidays=US-TX (none clears it)."
    )


_LINK = re.compile(r"<(?:mailto|tel):([^|>]*)(?:\|[^>]*)?>")


def _phone(c: Args, v: str) -> str | None:
    """`phone=+353861234567` (Slack's `<tel:...>` link unwrapped; dashes, dots and
    brackets dropped); `none` clears it."""
    m = _LINK.fullmatch(v)
    v = m.group(1) if m else v
    if v.lower() == "none":
        return None
    number = re.sub(r"[-.()]", "", v)
    if not contacts.E164.fullmatch(number):
        c.fail(f"Phone {quote(v)} is not an E.164 number; write it with + and the country "
               "code, e.g. phone=+353861234567 (none clears it).")
    return number


def _email(c: Args, v: str) -> str | None:
    """`email=layla@example.org` (Slack's `<mailto:...>` link unwrapped); `none` clears."""
    m = _LINK.fullmatch(v)
    v = m.group(1) if m else v
    if v.lower() == "none":
        return None
    if len(v) > 254 or not contacts.EMAIL.fullmatch(v):
        c.fail(f"Email {quote(v)} is not an email address; e.g. "
               "email=layla.haddad@example.org (none clears it).")
    return v


SPECIALIST_VALUES: dict[str, Callable[[Args, str], object]] = {
    "languages": lambda c, v: _language_list(c, "languages", v),
    "timezone": _zone,
    "backup": lambda c, v: () if v.lower() == "none" else _language_list(c, "backup", v),
    "name": _specialist_text,
    "holidays": _holidays,
    "phone": _phone,
    "email": _email,
}
EXAMPLE_VALUE = {
    "timezone": "Europe/Dublin", "shift": "08:00-16:00", "days": "mon-fri",
    "handoff": "weekly", "start": "2026-01-05", "tier": "primary", "languages": "ar,fr,en",
    "backup": "ar", "name": "Layla Haddad", "holidays": "MX", "phone": "+353861234567",
    "email": "layla.haddad@example.org",
    # category keys
    "label": '"Legal hold request"', "severity": "sev1", "policy": "le-emergency",
    "skills": "le_requests", "due": "30m", "sensitive": "true", "exposure_weight": "3",
    "verification": "two_person", "fields": "agency,callback_number",
}  # fmt: skip


def settings(
    c: Args,
    tokens: list[str],
    allowed: tuple[str, ...],
    values: dict[str, Callable[[Args, str], object]],
    *,
    multiword: tuple[str, ...] = (),
) -> dict:
    out: dict = {}
    keys = ", ".join(allowed)
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        d = decode(tok)
        i += 1
        if d.startswith("=") or (
            "=" not in d and i < len(tokens) and decode(tokens[i]).startswith("=")
        ):
            c.fail(
                "Write settings as key=value with no spaces around '=', "
                f"e.g. {allowed[0]}={EXAMPLE_VALUE[allowed[0]]}."
            )
        if "=" not in d:
            if tok.startswith("<") or d.startswith("@"):
                c.fail(
                    f"Unexpected {quote(d)}; only key=value settings may follow here "
                    f"(keys: {keys})."
                )
            c.fail(f"Expected key=value, not {quote(d)}; keys: {keys}.")
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
                hint = did_you_mean(key, allowed)
            c.fail(f"Unknown key {quote(key)}; allowed keys: {keys}.{hint}")
        if key in out:
            c.fail(f"Key '{key}' is given twice; give each key once.")
        if key in multiword:
            while i < len(tokens) and not _KEY_TOKEN.match(decode(tokens[i])):
                value = f"{value} {decode(tokens[i])}" if value else decode(tokens[i])
                i += 1
        if not value:
            c.fail(
                f"'{key}=' needs a value (no space after '='), e.g. {key}={EXAMPLE_VALUE[key]}."
            )
        out[key] = values[key](c, value)
    return out

