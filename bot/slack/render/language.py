"""A request's language as people read it, and "Set language" (issue 12).

- The language in the reader's terms: "Italian (not served by this team)" when nobody
  on the team reads it, "Unknown language" when it was not recognised.
- Why someone was paged for a request the team does not serve ("Written in Italian;
  you were chosen as a Spanish reader") and its needs-translation banner.
- "Set language": an external_select on the ticket card and on a page DM, in an
  actions block whose block_id carries the request id. Slack asks the app for its
  options when someone opens it or types a few letters (`language_options`): every
  language the bot knows can be reached, the team's first. A static_select holds at
  most 100 options, and its hundred options made the card and the page DM about 9 KB
  each, which every filed request encoded, sent, and decoded again from Slack's echo.
"""

from __future__ import annotations

import functools
from typing import Any

from bot.core.languages import LANGUAGE_NAMES
from bot.core.messages import PageView, RequestView
from bot.slack import ids
from bot.slack.render import blocks as kit
from bot.slack.render import mrkdwn as md

UNKNOWN = "und"  # core.model.UNKNOWN_LANGUAGE: not recognised

# Languages often seen on the desk that a team may not serve, roughly by how often;
# each with a name in mrkdwn's table. Shown after the team's own in "Set language".
COMMON = (
    "en", "es", "ar", "pt", "fr", "de", "it", "ru", "zh", "hi", "bn", "ur", "id", "ms",
    "tr", "fa", "ja", "ko", "vi", "th", "tl", "pl", "uk", "nl", "ro", "el", "he", "sw",
    "am", "ha", "yo", "ig", "so", "ps", "ku", "ta", "te", "mr", "pa", "gu", "ne", "si",
    "my", "km", "sv", "no", "da", "fi", "cs", "sk", "hu", "bg", "sr", "hr", "bs", "sq",
    "mk", "sl", "lt", "lv", "et", "ca", "gl", "eu", "ga", "cy", "hy", "ka", "az", "kk",
    "uz", "tg", "ky", "mn", "ht", "qu", "zu", "xh", "rw", "mg", "ti", "om",
)
MAX_OPTIONS = 100  # Slack shows at most 100 options in an answer


def name(req: RequestView) -> str:
    """'Arabic'; 'Italian (not served by this team)'; 'Unknown language'. Plain text."""
    code = md.as_text(req.language).strip()
    if code == UNKNOWN:
        return "Unknown language"
    shown = md.language_name(code)
    return shown if req.served else f"{shown} (not served by this team)"


def _code_name(code: str | None) -> str:
    if code == UNKNOWN or not code:
        return "unknown language"
    return md.language_name(code)


def _a_reader(code: str | None) -> str:
    shown = _code_name(code)
    return f"{'an' if shown[:1] in 'AEIOU' else 'a'} {shown} reader"


def written_in(req: RequestView) -> str:
    """'Written in Italian' / 'Its language was not recognised'."""
    code = md.as_text(req.language).strip()
    if code == UNKNOWN:
        return "Its language was not recognised"
    return f"Written in {md.language_name(code)}"


def why_read_as(page: PageView) -> str:
    """'Written in Italian; you were chosen as a Spanish reader' ('' when the page was
    not for a fallback language)."""
    if not page.read_as:
        return ""
    role = _a_reader(page.read_as)
    if md.as_text(page.source) == "backup":
        role += " who is an off-shift backup"
    return f"{written_in(page.request)}; you were chosen as {role}"


def page_banner(page: PageView) -> str:
    """The needs-translation banner of a page for a request the team does not serve;
    '' otherwise (the page keeps its usual banner)."""
    if not page.read_as and page.request.served:
        return ""
    req = page.request
    if md.as_text(req.language).strip() == UNKNOWN:
        what = "this request's language was not recognised"
    else:
        what = (f"this request is written in {md.escape(md.language_name(req.language))}, "
                "which nobody on this team reads")
    chosen = (f" You were chosen as {md.escape(_a_reader(page.read_as))}."
              if page.read_as else "")
    return (f":warning: *NEEDS TRANSLATION* — {what}.{chosen} Get a translation before "
            "acting on it; if the language is wrong, correct it with *Set language*.")


def card_banner(req: RequestView) -> str:
    """The card's banner for a request the team does not serve ('' when served)."""
    if req.served:
        return ""
    if md.as_text(req.language).strip() == UNKNOWN:
        what = "its language was not recognised"
    else:
        what = (f"it is written in {md.escape(md.language_name(req.language))}, which "
                "nobody on this team reads")
    return (f":warning: *NEEDS TRANSLATION* — {what}. It goes to readers of the team's "
            "fallback languages; if the language is wrong, correct it with *Set language*.")


def set_language_block(req: RequestView) -> dict[str, Any]:
    """The "Set language" menu: an external_select whose options Slack asks the app for
    when someone opens it or types (`language_options`); the request's language shown
    as chosen. Its block_id carries the request id."""
    select: dict[str, Any] = {
        "type": "external_select", "action_id": ids.SET_LANGUAGE,
        "placeholder": kit.plain_text("Set language", kit.OPTION_TEXT_MAX),
        "min_query_length": 0,  # the list shows as soon as it is opened
    }
    current = md.as_text(req.language).strip()
    if current and current != UNKNOWN:
        select["initial_option"] = _option(current)
    return {"type": "actions", "block_id": f"{ids.SET_LANGUAGE_BLOCK}:{req.id}",
            "elements": [select]}


def language_options(served: tuple[str, ...], current: str | None, query: str = ""
                     ) -> dict[str, Any]:
    """What "Set language" lists when opened or typed into (a block_suggestion answer,
    at most MAX_OPTIONS options): every language whose name or code matches `query`
    (all of them for an empty one), the team's `served` languages first, then the one
    the request is in, the common ones and the rest by name."""
    wanted = query.strip().casefold()
    served = tuple(dict.fromkeys(served))
    first = [c for c in served if _matches(c, wanted)]
    others = [c for c in _others(served, current) if _matches(c, wanted)]
    if wanted:  # the language whose code was typed leads
        first.sort(key=lambda c: c.casefold() != wanted)
        others.sort(key=lambda c: c.casefold() != wanted)
    others = others[:max(0, MAX_OPTIONS - len(first))]
    if not first:
        return {"options": [_option(c) for c in others]}
    return {"option_groups": [
        {"label": kit.plain_text("This team's languages", kit.OPTION_TEXT_MAX),
         "options": [_option(c) for c in first]},
        *([{"label": kit.plain_text("Other languages", kit.OPTION_TEXT_MAX),
            "options": [_option(c) for c in others]}] if others else [])]}


@functools.lru_cache(maxsize=256)
def _others(first: tuple[str, ...], current: str | None) -> tuple[str, ...]:
    """Every language not in `first`: the request's own, the common ones, then the rest
    by name."""
    lead = [current] if current and current != UNKNOWN else []
    rest = sorted(LANGUAGE_NAMES, key=md.language_name)
    return tuple(c for c in dict.fromkeys([*lead, *COMMON, *rest]) if c not in first)


def _matches(code: str, wanted: str) -> bool:
    """Whether `wanted` (casefolded) is the code or begins a word of the language's
    name: "ar" finds Arabic and Armenian (and "ar" itself), not Amharic."""
    return (not wanted or code.casefold() == wanted
            or any(word.startswith(wanted) for word in _name_words(code)))


@functools.lru_cache(maxsize=1024)
def _name_words(code: str) -> tuple[str, ...]:
    """The language's name casefolded, whole and word by word ("Portuguese (BR)")."""
    name = md.language_name(code).casefold()
    return (name, *name.replace("(", " ").replace("-", " ").split())


@functools.lru_cache(maxsize=1024)
def _option(code: str) -> dict[str, Any]:
    """The option of one language (shared: callers never change it)."""
    return kit.option(md.language_name(code), code)
