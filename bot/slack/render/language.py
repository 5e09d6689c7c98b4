"""A request's language as people read it, and "Set language" (issue 12).

- The language in the reader's terms: "Italian (not served by this team)" when nobody
  on the team reads it, "Unknown language" when it was not recognised.
- Why someone was paged for a request the team does not serve ("Written in Italian;
  you were chosen as a Spanish reader") and its needs-translation banner.
- "Set language": a static_select on the ticket card and on a page DM, in an actions
  block whose block_id carries the request id; the team's languages first, then other
  common ones (under Slack's 100 options).
"""

from __future__ import annotations

import functools
from typing import Any

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
MAX_OPTIONS = 99  # Slack allows 100 options in a select


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


def set_language_block(req: RequestView, served: tuple[str, ...] = ()) -> dict[str, Any]:
    """The "Set language" select: `served` (the team's languages) first, then other
    common languages; the request's language preselected when listed."""
    current = md.as_text(req.language).strip()
    served = tuple(dict.fromkeys(served))
    uncommon = (current if current and current != UNKNOWN and current not in served
                and current not in COMMON else None)
    first, others = _options(served, uncommon)
    first, others = list(first), list(others)
    select: dict[str, Any] = {
        "type": "static_select", "action_id": ids.SET_LANGUAGE,
        "placeholder": kit.plain_text("Set language", kit.OPTION_TEXT_MAX),
    }
    if first:
        select["option_groups"] = [
            {"label": kit.plain_text("This team's languages", kit.OPTION_TEXT_MAX),
             "options": first},
            *([{"label": kit.plain_text("Other languages", kit.OPTION_TEXT_MAX),
                "options": others}] if others else [])]
    else:
        select["options"] = others
    chosen = _chosen(served, uncommon, current)
    if chosen is not None:
        select["initial_option"] = chosen
    return {"type": "actions", "block_id": f"{ids.SET_LANGUAGE_BLOCK}:{req.id}",
            "elements": [select]}


@functools.lru_cache(maxsize=256)
def _options(served: tuple[str, ...], uncommon: str | None
             ) -> tuple[tuple[dict, ...], tuple[dict, ...]]:
    """The options of "Set language" (the team's, then the others), built once per team
    and uncommon language: two selects of about a hundred options were a tenth of the
    CPU of a filed request. Shared: callers copy the lists and never change an option."""
    first = tuple(kit.option(md.language_name(c), c) for c in served)
    rest = [c for c in COMMON if c not in served]
    if uncommon is not None:
        rest.insert(0, uncommon)  # an uncommon language the request is in
    others = tuple(kit.option(md.language_name(c), c)
                   for c in rest[:max(0, MAX_OPTIONS - len(first))])
    return first, others


@functools.lru_cache(maxsize=1024)
def _chosen(served: tuple[str, ...], uncommon: str | None, current: str) -> dict | None:
    """The option of `current` among `_options(served, uncommon)` (the first with that
    value), looked up once per team and language rather than scanned on every page."""
    first, others = _options(served, uncommon)
    return next((o for o in first + others if o["value"] == current), None)
