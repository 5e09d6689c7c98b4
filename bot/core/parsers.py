"""Shared value parsers and patterns: the one definition of each value's syntax.

Durations (`30s`, `5m`, `1h`), ISO dates, local date-times, local `HH:MM` times and
`HH:MM-HH:MM` shift windows, handoffs (`daily`, `weekly`, `Nd`), day lists and ranges
(`mon-fri,sat`), rotation and team names, Slack user/channel/group IDs, ISO 639-1
language codes, holiday country codes and IANA time zones (with a suggestion).

Every parser raises `ParseError`: `message` is a neutral sentence with a correct
example (the YAML reader shows it as it is after `file:line: field:`), `kind` says which
rule failed and `part` holds the piece a caller may want to quote, so the `/oncall`
grammar, the rotation modal and the edits can word the same failure for their own reply
without restating the rule.

Pure: stdlib only (plus `timezones` for zone names).
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta

from bot.core import timezones
from bot.core.model import WEEKDAYS

__all__ = [
    "CHANNEL_ID",
    "DAY_HINT",
    "GROUP_ID",
    "HOLIDAYS",
    "ISO_639_1",
    "LOCAL_TIME",
    "NAME",
    "NAME_RULE",
    "SKILL",
    "SKILL_RULE",
    "THREE_LETTER",
    "USER_ID",
    "ParseError",
    "closest",
    "format_duration",
    "format_local",
    "is_language",
    "is_printable_line",
    "parse_date",
    "parse_date_shaped",
    "parse_day_range",
    "parse_days",
    "parse_duration",
    "parse_handoff",
    "parse_language",
    "parse_local_time",
    "parse_shift",
    "parse_when",
    "parse_when_typed",
    "parse_zone",
]


class ParseError(ValueError):
    """A value that does not parse. `kind` names the failed rule; `part` is the piece of
    the input (or the suggestion) a caller may quote in its own wording."""

    def __init__(self, message: str, kind: str = "form", part: str | None = None):
        super().__init__(message)
        self.message = message
        self.kind = kind
        self.part = part


# -- identifiers and names -------------------------------------------------------------------

# Slack IDs: a letter for the kind, then capitals and digits.
USER_ID = re.compile(r"[UW][A-Z0-9]{2,20}")
CHANNEL_ID = re.compile(r"[CG][A-Z0-9]{2,20}")
GROUP_ID = re.compile(r"S[A-Z0-9]{2,20}")
# Team and rotation names: safe in URLs, file names and slash-command tokens.
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
NAME_RULE = "1-64 letters, digits, '-', '_' or '.', starting with a letter or digit (no spaces)"
# A skill a specialist holds and a category may require: le_requests, child_safety.
SKILL = re.compile(r"[a-z0-9_-]{1,64}")
SKILL_RULE = "1-64 lowercase letters, digits, '_' or '-' (no spaces), e.g. le_requests"
# Category and escalation policy names: `cat:le-emergency`, `policy: le-emergency`.
SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
SLUG_RULE = "1-64 lowercase letters, digits or '-', starting with a letter or digit"
# A category's fields (asked in the request form): `callback_number`.
KEY = re.compile(r"[a-z][a-z0-9_]{0,63}")
KEY_RULE = "1-64 lowercase letters, digits or '_', starting with a letter"
# A severity's name, known or not: `sev4` is a misspelt severity, never a policy name.
SEVERITY_LIKE = re.compile(r"sev[0-9]+")
# A public-holiday calendar: a country code, optionally with a subdivision (US-TX).
HOLIDAYS = re.compile(r"[A-Z]{2,3}(-[A-Za-z0-9]+)?")


def is_printable_line(text: str) -> bool:
    """No control characters (so no line breaks) and no lone surrogates."""
    return not any(unicodedata.category(c) in ("Cc", "Cs") for c in text)


def closest(word: str, allowed: Iterable[str], cutoff: float = 0.6) -> str | None:
    """The allowed word closest to a mistyped one, for a 'did you mean' hint."""
    hit = difflib.get_close_matches(word, list(allowed), n=1, cutoff=cutoff)
    return hit[0] if hit else None


# -- languages and zones ----------------------------------------------------------------------

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
THREE_LETTER = {
    "eng": "en", "spa": "es", "ara": "ar", "por": "pt", "fra": "fr", "fre": "fr",
    "deu": "de", "ger": "de", "ita": "it", "rus": "ru", "zho": "zh", "chi": "zh",
    "jpn": "ja", "kor": "ko", "hin": "hi", "tur": "tr", "fas": "fa", "per": "fa",
    "urd": "ur", "ukr": "uk", "pol": "pl", "nld": "nl", "dut": "nl", "ind": "id",
    "vie": "vi", "tha": "th", "heb": "he", "swa": "sw", "tgl": "tl", "ben": "bn",
}  # fmt: skip


def is_language(code: str) -> bool:
    return code in ISO_639_1


def parse_language(text: str) -> str:
    """An ISO 639-1 code, exactly as written. Kinds: case (part: the lowercase code),
    three_letter (part: the two-letter code), unknown."""
    if text in ISO_639_1:
        return text
    low = text.lower()
    if low in ISO_639_1:
        raise ParseError(
            f"language codes are lowercase: use '{low}' instead of '{text}'", "case", low
        )
    if low in THREE_LETTER:
        two = THREE_LETTER[low]
        raise ParseError(
            f"'{text}' is a three-letter code; use the ISO 639-1 two-letter code '{two}'",
            "three_letter",
            two,
        )
    raise ParseError(
        f"'{text}' is not an ISO 639-1 language code; use two-letter codes such as "
        "en, es, ar, pt, fr",
        "unknown",
    )


def parse_zone(text: str) -> str:
    """An IANA zone name. Kind unknown; part: a close valid zone to suggest."""
    if timezones.is_valid_zone(text):
        return text
    hint = timezones.suggest_zone(text)
    message = f"unknown time zone '{text}'; use an IANA name such as {hint}"
    raise ParseError(message, "unknown", hint)


# -- durations and handoffs ------------------------------------------------------------------

_DURATION = re.compile(r"([0-9]+)([smh])")
_DURATION_UNITS = {"s": 1, "m": 60, "h": 3600}
_HANDOFF_N = re.compile(r"([0-9]+)d")


def parse_duration(text: str) -> timedelta:
    """'30s' | '5m' | '1h' -> a positive timedelta."""
    m = _DURATION.fullmatch(text.strip())
    if not m or int(m.group(1)) <= 0:
        raise ParseError(
            f"malformed duration '{text}'; use a positive whole number with s, m or h, "
            "e.g. 30s, 5m or 1h"
        )
    return timedelta(seconds=int(m.group(1)) * _DURATION_UNITS[m.group(2)])


_PERIOD = re.compile(r"([0-9]+)([smhd])")
_PERIOD_UNITS = {**_DURATION_UNITS, "d": 86400}


def parse_period(text: str) -> timedelta:
    """A duration that may also be given in days ('30d', '8h', '90m'): how long request
    text is kept, an exposure window."""
    m = _PERIOD.fullmatch(text.strip())
    if not m or int(m.group(1)) <= 0:
        raise ParseError(
            f"malformed duration '{text}'; use a positive whole number with s, m, h or d, "
            "e.g. 8h or 30d"
        )
    return timedelta(seconds=int(m.group(1)) * _PERIOD_UNITS[m.group(2)])


def format_period(d: timedelta) -> str:
    """Like format_duration, in whole days when it is: 30 days -> '30d'."""
    secs = int(d.total_seconds())
    return f"{secs // 86400}d" if secs % 86400 == 0 else format_duration(d)


def format_duration(d: timedelta) -> str:
    """The largest whole unit: 120 s -> '2m', 90 s -> '90s'."""
    secs = int(d.total_seconds())
    if secs % 3600 == 0:
        return f"{secs // 3600}h"
    if secs % 60 == 0:
        return f"{secs // 60}m"
    return f"{secs}s"


def parse_handoff(text: str, max_digits: int | None = None) -> int:
    """'daily' -> 1, 'weekly' -> 7, '3d' -> 3 (any case, N >= 1). `max_digits` bounds N
    where a typed number must stay small."""
    v = text.strip().lower()
    if v == "daily":
        return 1
    if v == "weekly":
        return 7
    m = _HANDOFF_N.fullmatch(v)
    if m and int(m.group(1)) >= 1 and (max_digits is None or len(m.group(1)) <= max_digits):
        return int(m.group(1))
    raise ParseError(
        f"handoff '{text}' is not daily, weekly or every N days; allowed: daily, weekly, "
        'or "Nd" with N >= 1, e.g. "3d"'
    )


# -- days ------------------------------------------------------------------------------------

DAY_HINT = f"use three-letter lowercase names ({', '.join(WEEKDAYS)}) or a range such as mon-fri"


def parse_day_range(part: str) -> frozenset[int]:
    """'sat' or 'fri-mon' (wrapping past Sunday) -> weekday numbers (0 = Monday)."""
    if part in WEEKDAYS:
        return frozenset({WEEKDAYS.index(part)})
    a, sep, b = part.partition("-")
    if sep and a in WEEKDAYS and b in WEEKDAYS:
        i, j = WEEKDAYS.index(a), WEEKDAYS.index(b)
        return frozenset((i + k) % 7 for k in range((j - i) % 7 + 1))
    raise ParseError(f"'{part}' is not a day or range of days; {DAY_HINT}", "form", part)


def parse_days(text: str) -> frozenset[int]:
    """'mon-fri', 'mon,wed,fri', 'sat' -> weekday numbers. Names are matched as written
    (lowercase); `part` of the error is the piece that is not a day."""
    out: set[int] = set()
    for part in text.split(","):
        try:
            out |= parse_day_range(part.strip())
        except ParseError as e:
            message = f"'{text}' is not a list of days; {DAY_HINT}"
            raise ParseError(message, "form", e.part) from None
    return frozenset(out)


# -- dates and local times -------------------------------------------------------------------

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# A local date-time: no offset, seconds optional; a space may stand for the T.
_DATETIME = re.compile(r"([0-9]{4}-[0-9]{2}-[0-9]{2})[Tt ]([0-9]{2}):([0-9]{2})(?::([0-9]{2}))?")
_TIME_ONLY = re.compile(r"[0-9]{1,2}:[0-9]{2}(:[0-9]{2})?")
_OFFSET = re.compile(r"(Z|[+-][0-9]{2}:?[0-9]{2})$")
_SHIFT = re.compile(r"([0-9]{1,2}):([0-9]{2})\s*-\s*([0-9]{1,2}):([0-9]{2})")
# A time of day as a time picker gives it: 00:00 to 23:59.
LOCAL_TIME = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])")
SHIFT_EXAMPLE = '"08:00-16:00", or "22:00-06:00" for one that ends the next day'


def parse_date_shaped(text: str) -> bool:
    """Written as an ISO date or date-time (valid or not): `parse_date` words its error."""
    s = text.strip()
    return bool(_DATE.fullmatch(s) or _DATETIME.fullmatch(s))


def parse_date(text: str, example: str = "2026-01-05") -> date:
    """'2026-01-05' -> date. Kinds: form, invalid (shaped like a date but no such day),
    has_time (a date-time where only a date will do)."""
    s = text.strip()
    message = f"'{text}' is not a date; use YYYY-MM-DD, e.g. {example}"
    if _DATE.fullmatch(s):
        try:
            return date.fromisoformat(s)
        except ValueError:
            raise ParseError(message, "invalid") from None
    raise ParseError(message, "has_time" if _DATETIME.fullmatch(s) else "form")


def parse_when(text: str, example: str = "2026-12-24 or 2026-12-24T08:00") -> date | datetime:
    """'2026-12-24' -> date; '2026-12-24T08:00' -> a naive local datetime (no offset).
    Kinds: invalid (no such day or time), offset (a UTC offset was given), time_only (a
    time without its date), form."""
    s = text.strip()
    m = _DATETIME.fullmatch(s)
    if _DATE.fullmatch(s) or m:
        try:
            if not m:
                return date.fromisoformat(s)
            clock = time(int(m.group(2)), int(m.group(3)), int(m.group(4) or 0))
            return datetime.combine(date.fromisoformat(m.group(1)), clock)
        except ValueError:
            kind = "invalid"
    elif _OFFSET.search(s) and _DATETIME.match(s):
        kind = "offset"
    else:
        kind = "time_only" if _TIME_ONLY.fullmatch(s) else "form"
    hint = " without a UTC offset (the zone is implied)" if kind == "offset" else ""
    raise ParseError(
        f"'{text}' is not a date or local date-time; use YYYY-MM-DD or YYYY-MM-DDTHH:MM"
        f"{hint}, e.g. {example}",
        kind,
    )


# -- what people type: today, tomorrow, weekdays, +2h, 18:00 ---------------------------------

_RELATIVE = re.compile(r"\+([0-9]{1,4})([mhd])")
_RELATIVE_UNITS = {"m": 60, "h": 3600, "d": 86400}
_DAY_NAMES = {name: i for i, name in enumerate(WEEKDAYS)} | {
    name: i for i, name in enumerate(
        ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"))
}
WHEN_FORMS = "today, tomorrow, a weekday (mon), +2h, +30m, 18:00, 2026-12-24 or 2026-12-24T08:00"


def parse_when_typed(text: str, now: datetime, tz: str) -> date | datetime:
    """What a person types for a date or a time, read in their zone `tz` at the aware
    instant `now`: a date (a whole day) or a naive local date-time, like `parse_when`.

    - `today`, `tomorrow`: that local date.
    - `mon` .. `sun`, `monday` .. `sunday`: the next such day after today (today's own
      name means a week ahead; `today` is today), so a day never silently lies behind.
    - `+30m`, `+2h`, `+3d`: that long after `now` (real elapsed time, so a clock change
      in between is counted), as the local wall clock then, to the minute.
    - `18:00` (or `8:00`): that time today, or tomorrow if it has passed.
    - Anything else goes to `parse_when` (ISO date, local date-time) and fails as it does.
    Case is ignored. Pure: the caller gives `now` and the zone."""
    s = text.strip().lower()
    local = timezones.to_local(now, tz).replace(tzinfo=None, second=0, microsecond=0)
    today = local.date()
    if s == "today":
        return today
    if s == "tomorrow":
        return today + timedelta(days=1)
    if s in _DAY_NAMES:
        ahead = (_DAY_NAMES[s] - today.weekday() - 1) % 7 + 1
        return today + timedelta(days=ahead)
    m = _RELATIVE.fullmatch(s)
    if m:
        if int(m.group(1)) == 0:
            raise ParseError(f"'{text}' is no time from now; use e.g. +30m, +2h or +3d", "zero")
        later = now + timedelta(seconds=int(m.group(1)) * _RELATIVE_UNITS[m.group(2)])
        return timezones.to_local(later, tz).replace(tzinfo=None, second=0, microsecond=0)
    if LOCAL_TIME.fullmatch(s) or LOCAL_TIME.fullmatch("0" + s):
        at = datetime.combine(today, parse_local_time(s.zfill(5)))
        return at if at > local else at + timedelta(days=1)
    try:
        return parse_when(text)
    except ParseError as e:
        if e.kind in ("form", "time_only"):
            raise ParseError(
                f"'{text}' is not a date or time; use {WHEN_FORMS}", e.kind
            ) from None
        raise


def format_local(instant: datetime, tz: str) -> str:
    """An aware instant as the local date-time `parse_when` reads back: 2026-12-24T08:00
    (seconds only when there are some)."""
    loc = timezones.to_local(instant, tz)
    return loc.strftime("%Y-%m-%dT%H:%M:%S" if loc.second else "%Y-%m-%dT%H:%M")


def parse_local_time(text: str) -> time:
    """'08:30' -> 08:30 (24-hour, 00:00 to 23:59)."""
    m = LOCAL_TIME.fullmatch(text.strip())
    if not m:
        raise ParseError(f"{text} is not a time of day as HH:MM (24-hour).")
    return time(int(m.group(1)), int(m.group(2)))


def parse_shift(text: str) -> tuple[time, time]:
    """'08:00-16:00' -> (08:00, 16:00); '22:00-06:00' ends the next day; 24:00 may end a
    shift. Kinds: form, range (part: what is out of range, e.g. 'start hour 25')."""
    m = _SHIFT.fullmatch(text.strip())
    if not m:
        raise ParseError(
            f"shift '{text}' is not a window HH:MM-HH:MM (24-hour local wall clock); "
            f"e.g. {SHIFT_EXAMPLE}"
        )
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
        what = " and ".join(bad)
        raise ParseError(
            f"shift '{text}' has {what} out of range; hours are 00-23 and minutes "
            '00-59, e.g. "08:00-16:00" or "22:00-06:00"',
            "range",
            what,
        )
    return time(h1, m1), time(h2 % 24, m2)
