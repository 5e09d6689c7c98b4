"""Slash-command option text (`shift=08:00-16:00`, `days=mon-fri`, `handoff=3d`, ...)
-> arguments of the edits in `bot.core.edits`, raising `EditError` with the wording of
a slash-command reply. The syntax of each value is `bot.core.parsers`.

Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time
from typing import Any

from bot.core import parsers, refs
from bot.core.checks import did_you_mean
from bot.core.edits import EXAMPLES, ROTATION_KEYS, EditError
from bot.core.model import WEEKDAYS
from bot.core.parsers import ParseError

__all__ = [
    "parse_date",
    "parse_days",
    "parse_handoff",
    "parse_languages",
    "parse_rotation_options",
    "parse_shift",
    "parse_tier",
    "parse_when",
]


def parse_shift(text: str) -> tuple[time, time]:
    """'08:00-16:00' -> (08:00, 16:00); '22:00-06:00' ends the next day; '00:00-24:00'."""
    example = "shift=08:00-16:00, or shift=22:00-06:00 for one that ends the next day"
    try:
        return parsers.parse_shift(text)
    except ParseError as e:
        if e.kind == "range":
            raise EditError(f"shift '{text}' is out of range: hours are 00-23 and minutes "
                            f"00-59; e.g. {example}") from None
        raise EditError(f"shift '{text}' is not a window HH:MM-HH:MM (24-hour local wall "
                        f"clock); e.g. {example}") from None


def parse_days(text: str) -> frozenset[int]:
    """'mon-fri', 'mon,wed,fri', 'sat', 'fri-mon' (wraps) -> weekday numbers (0 = Monday)."""
    try:
        return parsers.parse_days(text.replace(" ", "").lower())
    except ParseError:
        raise EditError(f"'{text}' is not a list of days; use three-letter names "
                        f"({', '.join(WEEKDAYS)}), a range or a list: days=mon-fri, "
                        "days=mon,wed,fri or days=mon-sun") from None


def parse_handoff(text: str) -> int:
    """'daily' -> 1, 'weekly' -> 7, '3d' -> 3."""
    try:
        return parsers.parse_handoff(text)
    except ParseError:
        raise EditError(f"handoff '{text}' is not daily, weekly or every N days; e.g. "
                        "handoff=daily, handoff=weekly or handoff=3d") from None


def parse_tier(text: str) -> str:
    """'Primary ' -> 'primary'. Whether it is a tier is a team rule, which the edit
    checks (`bot.core.checks`)."""
    return text.strip().lower()


def parse_date(text: str, example: str = "2026-01-05") -> date:
    return _edit_value(parsers.parse_date, text, example)


def parse_when(text: str) -> date | datetime:
    """'2026-12-24' -> date; '2026-12-24T08:00' -> naive local datetime (no offset)."""
    return _edit_value(parsers.parse_when, text)


def parse_languages(text: str, key: str = "languages") -> tuple[str, ...]:
    """'ar,fr,en' -> ('ar', 'fr', 'en'); an empty value is an empty list (backup=)."""
    codes = tuple(c for c in (p.strip() for p in text.split(",")) if c)
    for c in codes:
        try:
            parsers.parse_language(c)
        except ParseError as e:
            hint = (f"language codes are lowercase: use '{e.part}'" if e.kind == "case"
                    else "use two-letter ISO 639-1 codes")
            raise EditError(f"'{c}' in {key}= is not a language code; {hint}, e.g. "
                            f"{key}=ar,fr,en") from None
    return codes


def _edit_value(parse, *args):
    """`parse(*args)` with its ParseError turned into an EditError (same message)."""
    try:
        return parse(*args)
    except ParseError as e:
        raise EditError(e.message) from None


def parse_rotation_options(options: Mapping[str, str]) -> dict[str, Any]:
    """Slash-command `key=value` text (YAML field names) -> keyword arguments of
    `create_rotation` / `set_rotation`. Raises EditError naming the bad key or value."""
    out: dict[str, Any] = {}
    for key, value in options.items():
        if key == "members":
            raise EditError("change members with " + refs.command(
                "oncall rotation add|remove|move <name> @user [position]"))
        if key not in ROTATION_KEYS:
            raise EditError(f"unknown key '{key}'; keys: {', '.join(ROTATION_KEYS)}"
                            f"{did_you_mean(key, ROTATION_KEYS)}; e.g. {EXAMPLES['set']}")
        if key == "shift":
            out["shift_start"], out["shift_end"] = parse_shift(value)
        elif key == "days":
            out["days"] = parse_days(value)
        elif key == "handoff":
            out["handoff_days"] = parse_handoff(value)
        elif key == "start":
            out["start"] = parse_date(value)
        elif key == "tier":
            out["tier"] = parse_tier(value)
        else:  # name, timezone: checked by the edit
            out[key] = value.strip()
    return out
