"""mrkdwn text: escaping, clipping, mentions, date tokens, severity and language names.

Pure functions over values that may be odd (None, huge, control characters). Everything
that came from a person is plain text and escaped here for mrkdwn (`&`, `<`, `>`), so it
can neither mention `@channel` nor forge links; text the bot's services wrote carries
transport-neutral references (bot/core/refs.py), rendered by `bot_text`. Lengths are
counted the way Slack counts them (UTF-16 code units).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from datetime import datetime
from functools import lru_cache, wraps
from typing import TypeVar

from bot.core import refs, timezones
from bot.core.languages import LANGUAGE_NAMES
from bot.core.messages import RequestView
from bot.slack.text import from_neutral

TEXT_BUDGET = 2500  # the quoted request text in a page or a card
FALLBACK_EXCERPT = 200  # the request text inside a notification fallback
MENTIONS_SHOWN = 10  # "Paging <@A>, <@B> and 12 more"

NO_TIME = "—"

# --- languages ----------------------------------------------------------------------

_LANGUAGES = LANGUAGE_NAMES  # every ISO 639-1 code and the detector's other languages


def language_name(code: str | None) -> str:
    """English name of an ISO 639-1 code ("ar" -> "Arabic"); "pt-BR" -> "Portuguese (BR)";
    unknown codes come back as given, a missing one as "unknown"."""
    return _language_name(as_text(code).strip())


@lru_cache(maxsize=1024)
def _language_name(raw: str) -> str:
    """`language_name` of a code already as text (a handful of codes, named again on
    every page and card: looked up once each)."""
    if not raw:
        return "unknown"
    if raw == "und":  # core.model.UNKNOWN_LANGUAGE: the text's language not recognised
        return "Unknown language"
    base, _, region = raw.replace("_", "-").partition("-")
    name = _LANGUAGES.get(base.lower())
    if name is None:
        return raw
    return f"{name} ({region.upper()})" if region else name


# --- text helpers -------------------------------------------------------------------

_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_USER_ID = re.compile(r"[UW][A-Z0-9]+")
_CHANNEL_ID = re.compile(r"[CGD][A-Z0-9]+")
_GROUP_ID = re.compile(r"S[A-Z0-9]+")
_URL = re.compile(r"https?://[^\s<>|\"]+", re.IGNORECASE)
# The mentions a service's references render to (and older stored lines hold), kept as
# they are; bare user IDs (U + 8 or 10 characters, at least one digit) become mentions.
_MARKUP_OR_ID = re.compile(
    r"<(?P<mk>[@#][UWCG][A-Z0-9]+|!subteam\^S[A-Z0-9]+)(?:\|[^<>]*)?>"
    r"|(?<![A-Za-z0-9@#])(?P<id>[UW](?=[A-Z]*[0-9])[A-Z0-9]{8}(?:[A-Z0-9]{2})?)(?![A-Za-z0-9])"
)

SEVERITY_EMOJI = {"sev1": ":rotating_light:", "sev2": ":warning:", "sev3": ":large_blue_circle:"}
_STATUS = {
    "open": (":rotating_light:", "Open"),
    "acknowledged": (":eyes:", "Acknowledged"),
    "resolved": (":white_check_mark:", "Resolved"),
}

def as_text(value: object) -> str:
    """Any value as text with line ends normalised and control characters dropped."""
    # Fast path, the usual case (a rendering asks this of every field, about a hundred
    # times a request): `isprintable()` is False for every character this function
    # changes (`\r` and `_CONTROL`'s are all in Unicode's "Cc" category), so a printable
    # str comes back as it is. Anything else (a line break, None, not a str) takes
    # the general path below.
    if type(value) is str and value.isprintable():
        return value
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", text)


def escape(value: object) -> str:
    """Escape for mrkdwn: `&`, `<`, `>` (Slack's three control characters)."""
    return _escape_text(as_text(value))


def _escape_text(text: str) -> str:
    """`_ESCAPES` applied to a whole string at once."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def utf16_units(text: str) -> int:
    """Length as Slack counts it (UTF-16 code units: an emoji outside the BMP is 2)."""
    if text.isascii():  # O(1) in CPython; every ASCII character is one unit
        return len(text)
    # Encoding runs in C: counting astral characters in Python cost more than the rest
    # of a page's rendering. `surrogatepass`: a lone surrogate counts as the one unit it is.
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def fits(text: str, limit: int) -> bool:
    """Whether `text` is at most `limit` UTF-16 units long (`utf16_units(text) <= limit`),
    without encoding it when its length decides: a character is one or two units, so
    `len(text) <= utf16_units(text) <= 2 * len(text)`."""
    n = len(text)
    if n > limit:
        return False
    if n * 2 <= limit or text.isascii():
        return True
    return utf16_units(text) <= limit


def _prefix(text: str, limit: int) -> str:
    """The longest prefix of `text` that is at most `limit` UTF-16 units long."""
    if fits(text, limit):
        return text
    if text.isascii():  # one unit a character: the loop below would stop at `limit`
        return text[:max(limit, 0)]
    used = 0
    for i, ch in enumerate(text):
        used += 2 if ord(ch) > 0xFFFF else 1
        if used > limit:
            return text[:i]
    return text


def clip(text: str, limit: int) -> str:
    """Plain text cut to `limit` (UTF-16 units), marked with an ellipsis."""
    if fits(text, limit):
        return text
    return _prefix(text, max(limit - 1, 0)).rstrip() + "…"


def clip_mrkdwn(text: str, limit: int) -> str:
    """Cut mrkdwn to `limit` without breaking an entity (`&amp;`) or a `<...>` token."""
    if fits(text, limit):
        return text
    cut = _prefix(text, max(limit - 1, 0))
    lt, gt = cut.rfind("<"), cut.rfind(">")
    if lt > gt:
        cut = cut[:lt]
    amp, semi = cut.rfind("&"), cut.rfind(";")
    if amp > semi:
        cut = cut[:amp]
    return cut.rstrip() + "…"


def escape_clip(value: object, budget: int, *, one_line: bool = False) -> str:
    """Escape and cut so that the escaped result fits `budget` (entities kept whole)."""
    text = as_text(value).strip()
    if one_line:
        text = " ".join(text.split())
    whole = _escape_text(text)
    if fits(whole, budget - 1):  # the usual case: it fits, no cut to look for
        return whole
    out: list[str] = []
    used = 0
    for ch in text:
        piece = _ESCAPES.get(ch, ch)
        units = utf16_units(piece)
        if used + units > budget - 1:
            return "".join(out).rstrip() + "…"
        out.append(piece)
        used += units
    return "".join(out)


def quote(value: object, budget: int = TEXT_BUDGET) -> str:
    """The text as an escaped mrkdwn block quote of at most `budget` characters."""
    text = as_text(value).strip()
    if not text:
        return "> _(no text)_"
    whole = "> " + _escape_text(text).replace("\n", "\n> ")
    if fits(whole, budget - 1):  # the usual case: it fits, no cut to look for
        return whole
    out = ["> "]
    used = 2
    for ch in text:
        piece = "\n> " if ch == "\n" else _ESCAPES.get(ch, ch)
        units = utf16_units(piece)
        if used + units > budget - 1:
            return "".join(out).rstrip() + "…"
        out.append(piece)
        used += units
    return "".join(out)


def bot_text(value: object, budget: int) -> str:
    """Text a service wrote (a timeline line, an audit note): its references rendered as
    mentions (`from_neutral`, applied here and nowhere else on the way), bare user IDs
    mentioned, the rest escaped. What a person typed in it (`refs.typed`: a resolve
    note) is only escaped: no mention, channel link or URL is made of it."""
    text = as_text(value).strip()
    if len(text) > _KEPT_LINE_MAX:  # a long note seldom comes again: not worth keeping
        return _bot_text(text, budget)
    return _kept_bot_text(text, budget)


_KEPT_LINE_MAX = 500


def _bot_text(text: str, budget: int) -> str:
    """`bot_text` of a text already as text."""
    parts: list[str] = []
    # Without a "{" the text holds no reference and no typed span: `split_typed` would
    # hand it back as one service piece (and `from_neutral` leave it as it is).
    pieces = refs.split_typed(text) if "{" in text else ((False, text),)
    for was_typed, piece in pieces:
        if was_typed:
            parts.append(escape(piece))
            continue
        rendered = from_neutral(piece)
        pos = 0
        for m in _MARKUP_OR_ID.finditer(rendered):
            parts.append(escape(rendered[pos : m.start()]))
            parts.append(f"<{m.group('mk')}>" if m.group("mk") else f"<@{m.group('id')}>")
            pos = m.end()
        parts.append(escape(rendered[pos:]))
    return clip_mrkdwn("".join(parts), budget)


# A service writes the same lines again and again (the filing line, "the managers are
# alerted...", a step's paging line), and what `_bot_text` makes of one depends on the
# text and the budget alone: each short line is rendered once.
_kept_bot_text = lru_cache(maxsize=2048)(_bot_text)


def user_mention(uid: object) -> str:
    """`<@U123>` for a Slack user ID; anything else escaped ("bot", a name)."""
    text = as_text(uid).strip()
    if _USER_ID.fullmatch(text):
        return f"<@{text}>"
    return escape_clip(text, 100) or "someone"


def channel_link(cid: object) -> str | None:
    text = as_text(cid).strip()
    if not text:
        return None
    return f"<#{text}>" if _CHANNEL_ID.fullmatch(text) else escape_clip(text, 100)


def group_mention(gid: object) -> str | None:
    text = as_text(gid).strip()
    if not text:
        return None
    return f"<!subteam^{text}>" if _GROUP_ID.fullmatch(text) else None


def mention_list(users: Iterable[str] | None, shown: int = MENTIONS_SHOWN) -> str:
    seen: list[str] = []
    for u in users or ():
        if u and u not in seen:
            seen.append(u)
    if not seen:
        return ""
    head = [user_mention(u) for u in seen[:shown]]
    rest = len(seen) - len(head)
    if rest > 0:
        return ", ".join(head) + f" and {rest} more"
    if len(head) == 1:
        return head[0]
    return ", ".join(head[:-1]) + " and " + head[-1]


def url_link(url: object, label: str = "Open link") -> str | None:
    """A clickable `<url|label>` for http(s) URLs; anything else shown as escaped text."""
    text = as_text(url).strip()
    if not text:
        return None
    if _URL.fullmatch(text) and len(text) <= 2000:
        return f"<{text.replace('&', '&amp;')}|{escape(label)}>"
    return escape_clip(text, 500, one_line=True)


_T = TypeVar("_T")


def kept_per_instant(fn: Callable[..., _T]) -> Callable[..., _T]:
    """`fn(at, *rest)`, a pure function of the instant `at` (a datetime) and hashable
    `rest`, computed once per instant. A request's times (filed, acknowledged, its
    deadline, each timeline line's) are rendered again and again: its page, its card,
    its thread lines and every re-render of them. Kept by the datetime and its `fold`:
    datetimes that compare equal are the same instant (aware: compared in UTC; naive:
    the same fields, taken as UTC), except two with the same tzinfo that differ only in
    `fold` (a wall time inside a fall-back fold, PEP 495), which the key tells apart."""
    kept = lru_cache(maxsize=4096)(lambda at, _fold, *rest: fn(at, *rest))

    @wraps(fn)
    def one(at: datetime, *rest: object) -> _T:
        return kept(at, at.fold, *rest)

    return one


def utc_text(at: datetime | None) -> str:
    if not isinstance(at, datetime):
        return NO_TIME
    return _utc_text(at)


@kept_per_instant
def _utc_text(at: datetime) -> str:
    return timezones.format_local(at, "UTC")


def slack_date(at: datetime | None, fmt: str = "{date_short_pretty} {time}") -> str:
    """A Slack date token: each reader sees `at` in their own zone; UTC as the fallback."""
    if not isinstance(at, datetime):
        return NO_TIME
    return _slack_date(at, fmt)


@kept_per_instant
def _slack_date(at: datetime, fmt: str) -> str:
    stamp = int(timezones.utc(at).timestamp())
    return f"<!date^{stamp}^{fmt}|{_utc_text(at)}>"


def severity_label(severity: object) -> str:
    """"SEV1", plain text (escape it for mrkdwn with `severity_mrkdwn`)."""
    return clip(as_text(severity).strip().upper() or "SEV?", 12)


def severity_mrkdwn(severity: object) -> str:
    return escape(severity_label(severity))


def _percent(confidence: float | None) -> int | None:
    if confidence is None:
        return None
    try:
        c = float(confidence)
    except (TypeError, ValueError):
        return None
    if math.isnan(c):
        return None
    if c <= 1.0:
        c *= 100
    return max(0, min(100, round(c)))


def how_chosen(req: RequestView) -> str:
    """How the language was chosen: "detected 93%", "set by requester", "fallback"."""
    source = as_text(req.language_source).strip()
    pct = _percent(req.confidence)
    if source == "detected":
        return f"detected {pct}%" if pct is not None else "detected"
    if source == "explicit":
        return "set by requester"
    if source == "corrected":
        return "corrected by hand"
    if source == "unserved":
        # Written in a language the team does not read: its readers of the fallback
        # languages were paged (each page says which language they were chosen for).
        how = f"detected {pct}%" if pct is not None else "set by requester"
        return f"not served by this team, {how}"
    if source in ("fallback", "unknown"):
        guess = as_text(req.detected).strip()
        head = "language not recognised" if source == "unknown" else "fallback"
        if guess and guess != req.language:
            extra = f" {pct}%" if pct is not None else ""
            return f"{head}; best guess {language_name(guess)}{extra}"
        return head
    return clip(source, 40) or "unknown"


def request_language(req: RequestView) -> str:
    """The language a request is written in, for titles ("Italian"; "Unknown language"
    when nobody could tell). The request's language is the one it is written in, served
    by the team or not; routing finds its readers (or its fallback languages')."""
    code = as_text(req.language).strip()
    if code == "und" or not code:
        return "Unknown language"
    return language_name(code)


def language_field(req: RequestView) -> str:
    """A ticket's Language field: how the language was chosen, naming a language the team
    does not serve ("German, not served by this team, detected 99%; routed to English
    readers") — plain text, callers escape."""
    if as_text(req.language_source).strip() in ("unserved", "unknown"):
        return f"{request_language(req)}, {how_chosen(req)}"
    return how_chosen(req)


def language_label(req: RequestView) -> str:
    """"Arabic (detected 93%)" — plain text, callers escape."""
    source = as_text(req.language_source).strip()
    if source in ("unserved", "unknown"):
        return f"{request_language(req)} ({how_chosen(req)})"
    return f"{language_name(req.language)} ({how_chosen(req)})"


def status_badge(req: RequestView) -> tuple[str, str]:
    status = as_text(req.status).strip()
    return _STATUS.get(status, (":grey_question:", clip(status.capitalize() or "Unknown", 40)))

