"""Block Kit renderers: transport-neutral views (`bot.core.messages`) -> Slack payloads.

Pure functions: no Slack calls, no database, no clock. Messages come back as
`(text, blocks)`, where `text` is the notification fallback and reads well on its own;
modals come back as view dicts for `views.open`.

Conventions:
- Everything that came from a person (request text, outcome notes, labels) is treated
  as plain text and escaped for mrkdwn (`&`, `<`, `>`), so it can neither mention
  `@channel` nor forge links. Renderers expect it decoded: if Slack handed it over
  escaped (`&amp;`), decode it once before storing.
- Times are Slack date tokens, so each reader sees their own zone; the fallback inside
  the token (and in `text`) is UTC.
- Block Kit limits are enforced here (section 3000, field 2000, header 150, button and
  option text 75, modal title 24, 50 blocks a message, 100 a modal), and odd input
  (empty or huge text, None fields, unknown states) renders something sensible.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from bot.core import timezones
from bot.core.messages import PageView, RequestView, TimelineEntry
from bot.core.model import SEVERITIES
from bot.slack import ids

__all__ = [
    "channel_alert",
    "emergency_modal",
    "ephemeral_confirmation",
    "handover_modal",
    "language_name",
    "manager_alert",
    "page_message",
    "requester_note",
    "resolve_modal",
    "slack_date",
    "ticket_card",
    "timeline_line",
]

Blocks = list[dict[str, Any]]

# Block Kit limits.
SECTION_TEXT_MAX = 3000
FIELD_TEXT_MAX = 2000
HEADER_TEXT_MAX = 150
BUTTON_TEXT_MAX = 75
OPTION_TEXT_MAX = 75
OPTION_VALUE_MAX = 150
MODAL_TITLE_MAX = 24
MESSAGE_BLOCKS_MAX = 50
MODAL_BLOCKS_MAX = 100
SELECT_OPTIONS_MAX = 100
FIELDS_MAX = 10
CONTEXT_ELEMENTS_MAX = 10

TEXT_BUDGET = 2500  # the quoted request text in a page or a card
FALLBACK_EXCERPT = 200  # the request text inside a notification fallback
MENTIONS_SHOWN = 10  # "Paging <@A>, <@B> and 12 more"

NO_TIME = "—"

# --- languages ----------------------------------------------------------------------

_LANGUAGES = {
    "af": "Afrikaans", "am": "Amharic", "ar": "Arabic", "az": "Azerbaijani",
    "be": "Belarusian", "bg": "Bulgarian", "bn": "Bengali", "bs": "Bosnian",
    "ca": "Catalan", "cs": "Czech", "cy": "Welsh", "da": "Danish", "de": "German",
    "el": "Greek", "en": "English", "es": "Spanish", "et": "Estonian", "eu": "Basque",
    "fa": "Persian", "fi": "Finnish", "fil": "Filipino", "fr": "French", "ga": "Irish",
    "gl": "Galician", "gu": "Gujarati", "ha": "Hausa", "he": "Hebrew", "hi": "Hindi",
    "hr": "Croatian", "ht": "Haitian Creole", "hu": "Hungarian", "hy": "Armenian",
    "id": "Indonesian", "ig": "Igbo", "is": "Icelandic", "it": "Italian", "ja": "Japanese",
    "jv": "Javanese", "ka": "Georgian", "kk": "Kazakh", "km": "Khmer", "kn": "Kannada",
    "ko": "Korean", "ku": "Kurdish", "ky": "Kyrgyz", "lo": "Lao", "lt": "Lithuanian",
    "lv": "Latvian", "mg": "Malagasy", "mk": "Macedonian", "ml": "Malayalam",
    "mn": "Mongolian", "mr": "Marathi", "ms": "Malay", "mt": "Maltese", "my": "Burmese",
    "nb": "Norwegian Bokmål", "ne": "Nepali", "nl": "Dutch", "nn": "Norwegian Nynorsk",
    "no": "Norwegian", "om": "Oromo", "pa": "Punjabi", "pl": "Polish", "ps": "Pashto",
    "pt": "Portuguese", "qu": "Quechua", "ro": "Romanian", "ru": "Russian",
    "rw": "Kinyarwanda", "sd": "Sindhi", "si": "Sinhala", "sk": "Slovak",
    "sl": "Slovenian", "so": "Somali", "sq": "Albanian", "sr": "Serbian", "sv": "Swedish",
    "sw": "Swahili", "ta": "Tamil", "te": "Telugu", "tg": "Tajik", "th": "Thai",
    "ti": "Tigrinya", "tk": "Turkmen", "tl": "Tagalog", "tr": "Turkish", "ug": "Uyghur",
    "uk": "Ukrainian", "ur": "Urdu", "uz": "Uzbek", "vi": "Vietnamese", "xh": "Xhosa",
    "yi": "Yiddish", "yo": "Yoruba", "zh": "Chinese", "zu": "Zulu",
}


def language_name(code: str | None) -> str:
    """English name of an ISO 639-1 code ("ar" -> "Arabic"); "pt-BR" -> "Portuguese (BR)";
    unknown codes come back as given, a missing one as "unknown"."""
    raw = _plain(code).strip()
    if not raw:
        return "unknown"
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
# Slack markup a service may put in a timeline line, kept as is; bare user IDs
# (U + 8 or 10 characters, at least one digit) become mentions.
_MARKUP_OR_ID = re.compile(
    r"<(?P<mk>[@#][UWCG][A-Z0-9]+)(?:\|[^<>]*)?>"
    r"|(?<![A-Za-z0-9@#])(?P<id>[UW](?=[A-Z]*[0-9])[A-Z0-9]{8}(?:[A-Z0-9]{2})?)(?![A-Za-z0-9])"
)

_SEV_EMOJI = {"sev1": ":rotating_light:", "sev2": ":warning:", "sev3": ":large_blue_circle:"}
_STATUS = {
    "open": (":rotating_light:", "Open"),
    "acknowledged": (":eyes:", "Acknowledged"),
    "resolved": (":white_check_mark:", "Resolved"),
}
_VIA = {
    "command": "/emergency",
    "modal": "the emergency form",
    "shortcut": "the message shortcut",
    "demo": "the demo",
    "cli": "the command line",
}


def _plain(value: object) -> str:
    """Any value as text with line ends normalised and control characters dropped."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", text)


def _esc(value: object) -> str:
    """Escape for mrkdwn: `&`, `<`, `>` (Slack's three control characters)."""
    text = _plain(value)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _units(text: str) -> int:
    """Length as Slack counts it (UTF-16 code units: an emoji outside the BMP is 2)."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def _prefix(text: str, limit: int) -> str:
    """The longest prefix of `text` that is at most `limit` UTF-16 units long."""
    if _units(text) <= limit:
        return text
    used = 0
    for i, ch in enumerate(text):
        used += 2 if ord(ch) > 0xFFFF else 1
        if used > limit:
            return text[:i]
    return text


def _clip(text: str, limit: int) -> str:
    """Plain text cut to `limit` (UTF-16 units), marked with an ellipsis."""
    if _units(text) <= limit:
        return text
    return _prefix(text, max(limit - 1, 0)).rstrip() + "…"


def _clip_mrkdwn(text: str, limit: int) -> str:
    """Cut mrkdwn to `limit` without breaking an entity (`&amp;`) or a `<...>` token."""
    if _units(text) <= limit:
        return text
    cut = _prefix(text, max(limit - 1, 0))
    lt, gt = cut.rfind("<"), cut.rfind(">")
    if lt > gt:
        cut = cut[:lt]
    amp, semi = cut.rfind("&"), cut.rfind(";")
    if amp > semi:
        cut = cut[:amp]
    return cut.rstrip() + "…"


def _esc_clip(value: object, budget: int, *, one_line: bool = False) -> str:
    """Escape and cut so that the escaped result fits `budget` (entities kept whole)."""
    text = _plain(value).strip()
    if one_line:
        text = " ".join(text.split())
    out: list[str] = []
    used = 0
    for ch in text:
        piece = _ESCAPES.get(ch, ch)
        if used + _units(piece) > budget - 1:
            return "".join(out).rstrip() + "…"
        out.append(piece)
        used += _units(piece)
    return "".join(out)


def _quote(value: object, budget: int = TEXT_BUDGET) -> str:
    """The text as an escaped mrkdwn block quote of at most `budget` characters."""
    text = _plain(value).strip()
    if not text:
        return "> _(no text)_"
    out = ["> "]
    used = 2
    for ch in text:
        piece = "\n> " if ch == "\n" else _ESCAPES.get(ch, ch)
        if used + _units(piece) > budget - 1:
            return "".join(out).rstrip() + "…"
        out.append(piece)
        used += _units(piece)
    return "".join(out)


def _mrkdwn_with_mentions(value: object, budget: int) -> str:
    """Service-written text: user/channel markup kept, bare user IDs mentioned, rest escaped."""
    text = _plain(value).strip()
    parts: list[str] = []
    pos = 0
    for m in _MARKUP_OR_ID.finditer(text):
        parts.append(_esc(text[pos : m.start()]))
        parts.append(f"<{m.group('mk')}>" if m.group("mk") else f"<@{m.group('id')}>")
        pos = m.end()
    parts.append(_esc(text[pos:]))
    return _clip_mrkdwn("".join(parts), budget)


def _user(uid: object) -> str:
    """`<@U123>` for a Slack user ID; anything else escaped ("bot", a name)."""
    text = _plain(uid).strip()
    if _USER_ID.fullmatch(text):
        return f"<@{text}>"
    return _esc_clip(text, 100) or "someone"


def _channel(cid: object) -> str | None:
    text = _plain(cid).strip()
    if not text:
        return None
    return f"<#{text}>" if _CHANNEL_ID.fullmatch(text) else _esc_clip(text, 100)


def _group(gid: object) -> str | None:
    text = _plain(gid).strip()
    if not text:
        return None
    return f"<!subteam^{text}>" if _GROUP_ID.fullmatch(text) else None


def _mentions(users: Iterable[str] | None, shown: int = MENTIONS_SHOWN) -> str:
    seen: list[str] = []
    for u in users or ():
        if u and u not in seen:
            seen.append(u)
    if not seen:
        return ""
    head = [_user(u) for u in seen[:shown]]
    rest = len(seen) - len(head)
    if rest > 0:
        return ", ".join(head) + f" and {rest} more"
    if len(head) == 1:
        return head[0]
    return ", ".join(head[:-1]) + " and " + head[-1]


def _link(url: object, label: str = "Open link") -> str | None:
    """A clickable `<url|label>` for http(s) URLs; anything else shown as escaped text."""
    text = _plain(url).strip()
    if not text:
        return None
    if _URL.fullmatch(text) and len(text) <= 2000:
        return f"<{text.replace('&', '&amp;')}|{_esc(label)}>"
    return _esc_clip(text, 500, one_line=True)


def _utc_text(at: datetime | None) -> str:
    if not isinstance(at, datetime):
        return NO_TIME
    return timezones.format_local(at, "UTC")


def slack_date(at: datetime | None, fmt: str = "{date_short_pretty} {time}") -> str:
    """A Slack date token: each reader sees `at` in their own zone; UTC as the fallback."""
    if not isinstance(at, datetime):
        return NO_TIME
    stamp = int(timezones.utc(at).timestamp())
    return f"<!date^{stamp}^{fmt}|{_utc_text(at)}>"


def _sev(severity: object) -> str:
    """"SEV1", plain text (escape it for mrkdwn with `_sev_md`)."""
    return _clip(_plain(severity).strip().upper() or "SEV?", 12)


def _sev_md(severity: object) -> str:
    return _esc(_sev(severity))


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


def _how_chosen(req: RequestView) -> str:
    """How the language was chosen: "detected 93%", "set by requester", "fallback"."""
    source = _plain(req.language_source).strip()
    pct = _percent(req.confidence)
    if source == "detected":
        return f"detected {pct}%" if pct is not None else "detected"
    if source == "explicit":
        return "set by requester"
    if source == "fallback":
        guess = _plain(req.detected).strip()
        if guess and guess != req.language:
            extra = f" {pct}%" if pct is not None else ""
            return f"fallback; best guess {language_name(guess)}{extra}"
        return "fallback"
    return _clip(source, 40) or "unknown"


def _language_label(req: RequestView) -> str:
    """"Arabic (detected 93%)" — plain text, callers escape."""
    return f"{language_name(req.language)} ({_how_chosen(req)})"


def _status(req: RequestView) -> tuple[str, str]:
    status = _plain(req.status).strip()
    return _STATUS.get(status, (":grey_question:", _clip(status.capitalize() or "Unknown", 40)))


# --- block builders -----------------------------------------------------------------


def _pt(text: str, limit: int) -> dict[str, Any]:
    return {"type": "plain_text", "text": _clip(text.strip() or "—", limit), "emoji": True}


def _header(text: str) -> dict[str, Any]:
    return {"type": "header", "text": _pt(text, HEADER_TEXT_MAX)}


def _section(text: str, block_id: str | None = None) -> dict[str, Any]:
    block: dict[str, Any] = {
        "type": "section",
        "text": {"type": "mrkdwn", "text": _clip_mrkdwn(text or "—", SECTION_TEXT_MAX)},
    }
    if block_id:
        block["block_id"] = block_id
    return block


def _fields(pairs: Sequence[tuple[str, str]]) -> dict[str, Any]:
    fields = [
        {"type": "mrkdwn", "text": _clip_mrkdwn(f"*{name}*\n{value or '—'}", FIELD_TEXT_MAX)}
        for name, value in pairs[:FIELDS_MAX]
    ]
    return {"type": "section", "fields": fields}


def _context(*texts: str) -> dict[str, Any]:
    elements = [
        {"type": "mrkdwn", "text": _clip_mrkdwn(t, FIELD_TEXT_MAX)} for t in texts if t
    ][:CONTEXT_ELEMENTS_MAX]
    return {"type": "context", "elements": elements or [{"type": "mrkdwn", "text": "—"}]}


def _button(
    text: str,
    action_id: str,
    value: object,
    style: str | None = None,
    confirm: dict[str, Any] | None = None,
) -> dict[str, Any]:
    button: dict[str, Any] = {
        "type": "button",
        "text": _pt(text, BUTTON_TEXT_MAX),
        "action_id": action_id,
        "value": _clip(_plain(value), 2000),
    }
    if style:
        button["style"] = style
    if confirm:
        button["confirm"] = confirm
    return button


def _option(text: str, value: str, description: str | None = None) -> dict[str, Any]:
    option: dict[str, Any] = {"text": _pt(text, OPTION_TEXT_MAX), "value": value}
    if description:
        option["description"] = _pt(description, OPTION_TEXT_MAX)
    return option


def _cap(blocks: Blocks, limit: int = MESSAGE_BLOCKS_MAX) -> Blocks:
    return blocks[:limit]


def _fallback(text: str) -> str:
    return _clip_mrkdwn(text, 3000)


# --- the page DM --------------------------------------------------------------------

_DECLINE_CONFIRM = {
    "title": {"type": "plain_text", "text": "Decline this page?"},
    "text": {"type": "plain_text", "text": "It goes to the next person right away."},
    "confirm": {"type": "plain_text", "text": "Decline"},
    "deny": {"type": "plain_text", "text": "Keep it"},
}


def _why_you(page: PageView, lang: str) -> str:
    return {
        "on_call": f"You're on call for {lang}",
        "backup": f"You're an off-shift backup for {lang}",
        "translation": f"Nobody on call reads {lang}; you're on call",
        "handover": "Handed over to you",
    }.get(_plain(page.source), _clip(_plain(page.source).strip() or "—", 100))


def _resolved_line(req: RequestView) -> str:
    who = _user(req.assignee) if req.assignee else "someone"
    outcome = _esc_clip(req.outcome, 1500, one_line=True)
    return f"Resolved by {who}: {outcome}" if outcome else f"Resolved by {who}"


def _page_state(page: PageView) -> tuple[list[dict[str, Any]] | None, list[str]]:
    """(buttons, or None) and the context lines that say what happened."""
    req = page.request
    state = _plain(page.state)
    status = _plain(req.status)
    mine = bool(req.assignee) and req.assignee == page.user
    if status == "resolved":
        lines = ["You declined"] if state == "declined" else []
        return None, [*lines, ":white_check_mark: " + _resolved_line(req)]
    if status == "acknowledged" and mine and state in ("acknowledged", "pending"):
        return [
            _button("Resolve", ids.RESOLVE, req.id, style="primary"),
            _button("Hand over", ids.HANDOVER, req.id),
        ], ["You acknowledged this"]
    if state == "pending" and status == "open":
        return [
            _button("Acknowledge", ids.ACK, page.id, style="primary"),
            _button("Decline", ids.DECLINE, page.id, confirm=_DECLINE_CONFIRM),
        ], []
    taken = f"Acknowledged by {_user(req.assignee)}" if req.assignee else ""
    if state == "declined":
        return None, ["You declined", taken or "Passed on to the next person"]
    if state == "acknowledged":  # acknowledged, then handed over
        if taken:
            return None, [f"You handed this over · now with {_user(req.assignee)}"]
        return None, ["You handed this over; waiting for the next person"]
    if taken:
        return None, [taken]
    if state in ("closed", "pending"):
        return None, ["No longer waiting for you"]
    return None, [_esc_clip(state or "unknown state", 100)]


def page_message(page: PageView) -> tuple[str, Blocks]:
    """The page DM: what happened, in which language, and the buttons for this state."""
    req = page.request
    lang = language_name(req.language)
    sev = _sev(req.severity)
    ticket = _plain(req.ticket).strip() or f"#{req.id}"
    emoji = _SEV_EMOJI.get(_plain(req.severity).lower(), ":rotating_light:")

    buttons, lines = _page_state(page)
    warn = " · NEEDS TRANSLATION" if page.needs_translation else ""
    text = _fallback(
        f"{_esc(sev)} · {_esc(ticket)} · {_esc(lang)}{warn}: "
        f"{_esc_clip(req.text, FALLBACK_EXCERPT, one_line=True) or '(no text)'}"
        f" — from {_user(req.requester)}"
    )

    blocks: Blocks = [_header(f"{emoji} {sev} · {ticket} · {lang}")]
    if page.needs_translation:
        blocks.append(_section(
            f":warning: *NEEDS TRANSLATION* — this request is in {_esc(lang)}, which you "
            "may not read. Nobody on call who reads it could be reached: get a translation "
            "before acting on it."
        ))
    blocks.append(_section(_quote(req.text)))
    pairs = [
        ("Language", _esc(_language_label(req))),
        ("Severity", _esc(sev)),
        ("Requester", _user(req.requester)),
        ("Filed", slack_date(req.created)),
    ]
    link = _link(req.link)
    if link:
        pairs.append(("Link", link))
    pairs.append(("Why you", _esc(_why_you(page, lang))))
    blocks.append(_fields(pairs))
    origin = _origin(req)
    if origin:
        blocks.append(_context(origin))
    if buttons:
        blocks.append({"type": "actions", "block_id": ids.PAGE_ACTIONS_BLOCK,
                       "elements": buttons})
        if lines:
            blocks.append(_context(*lines))
    else:
        blocks.append(_context(" · ".join(lines)))
    return text, _cap(blocks)


def _origin(req: RequestView) -> str:
    via = _plain(req.via).strip()
    label = _VIA.get(via, _esc_clip(via, 40)) if via else ""
    channel = _channel(req.origin_channel)
    if label and channel:
        return f"Filed with {label} in {channel}"
    if label:
        return f"Filed with {label}"
    return f"Filed in {channel}" if channel else ""


# --- the ticket card ----------------------------------------------------------------


def ticket_card(req: RequestView) -> tuple[str, Blocks]:
    """The card in the intake channel, re-rendered in place as the request moves."""
    emoji, status_label = _status(req)
    lang = language_name(req.language)
    sev = _sev(req.severity)
    ticket = _plain(req.ticket).strip() or f"#{req.id}"
    resolved = _plain(req.status) == "resolved"

    who = ""
    if req.assignee:
        who = f" · {_user(req.assignee)}"
    elif req.paged:
        who = f" · paging {_mentions(req.paged, 3)}"
    text = _fallback(
        f"{emoji} {_esc(ticket)} {_esc(status_label)} · {_esc(sev)} · {_esc(lang)}{who}: "
        f"{_esc_clip(req.text, FALLBACK_EXCERPT, one_line=True) or '(no text)'}"
    )

    blocks: Blocks = [_header(f"{emoji} {ticket} · {status_label} · {sev} · {lang}")]
    if req.needs_translation and not resolved:
        blocks.append(_section(
            f":warning: *NEEDS TRANSLATION* — nobody on call who reads {_esc(lang)} could "
            "be reached; the person paged may need a translation."
        ))
    if req.exhausted and _plain(req.status) == "open":
        blocks.append(_section(
            ":sos: *Nobody has acknowledged this yet.* The managers have been alerted."
        ))

    pairs = [
        ("Status", f"{emoji} {_esc(status_label)}"),
        ("Severity", _esc(sev)),
        ("Language", _esc(_language_label(req))),
    ]
    if req.assignee:
        pairs.append(("Assignee", _user(req.assignee)))
    elif req.paged:
        pairs.append(("Paging", _mentions(req.paged)))
    else:
        pairs.append(("Assignee", "nobody yet"))
    if not resolved:
        pairs.append(("Escalation", _esc_clip(req.escalation, 200, one_line=True) or "—"))
    pairs.append(("Requester", _user(req.requester)))
    pairs.append(("Filed", slack_date(req.created)))
    if req.acknowledged:
        pairs.append(("Acknowledged", slack_date(req.acknowledged)))
    if req.resolved:
        pairs.append(("Resolved", slack_date(req.resolved)))
    blocks.append(_fields(pairs))
    blocks.append(_section(_quote(req.text)))
    link = _link(req.link)
    if link:
        blocks.append(_section(f"*Link:* {link}"))
    if resolved:
        blocks.append(_section(":white_check_mark: " + _resolved_line(req)))
    origin = _origin(req)
    blocks.append(_context(*(x for x in (_esc(ticket), origin, "Timeline in the thread") if x)))
    return text, _cap(blocks)


# --- the timeline -------------------------------------------------------------------

_ACTION_EMOJI = {
    "filed": ":inbox_tray:",
    "paged": ":pager:",
    "acknowledged": ":eyes:",
    "declined": ":no_entry_sign:",
    "escalated": ":arrow_double_up:",
    "handover": ":handshake:",
    "handed_over": ":handshake:",
    "resolved": ":white_check_mark:",
    "exhausted": ":sos:",
    "manager_alert": ":bell:",
    "channel_alert": ":mega:",
}


def timeline_line(entry: TimelineEntry) -> tuple[str, Blocks]:
    """One line of the card's thread: when (date token), who, what."""
    actor = _plain(entry.actor).strip()
    who = "bot" if not actor or actor == "bot" else _user(actor)
    body = _mrkdwn_with_mentions(entry.text, 2500) or _esc_clip(entry.action, 100)
    emoji = _ACTION_EMOJI.get(_plain(entry.action).strip().lower(), "")
    lead = f"{emoji} " if emoji else ""
    text = _fallback(f"{_utc_text(entry.at)} {who}: {body}")
    line = _clip_mrkdwn(f"{lead}{slack_date(entry.at)} · *{who}* {body}", FIELD_TEXT_MAX)
    return text, [_context(line)]


# --- notes to the requester, managers and the escalation channel --------------------

NOTE_KINDS = ("filed", "acknowledged", "resolved", "exhausted")


def _who_has_it(req: RequestView) -> str:
    if req.assignee:
        return f"{_user(req.assignee)} has it"
    if req.paged:
        return f"paging {_mentions(req.paged, 5)}"
    if req.exhausted:
        return "nobody has answered yet; the managers have been alerted"
    return "finding someone to page"


def requester_note(
    req: RequestView, kind: str, channel: str | None = None
) -> tuple[str, Blocks]:
    """A private note to the requester. `kind`: filed | acknowledged | resolved | exhausted.
    `channel` (the intake channel) is named in the "filed" note when given."""
    ticket = _esc(_plain(req.ticket).strip() or f"#{req.id}")
    lang = _esc(f"{language_name(req.language)}, {_how_chosen(req)}")
    summary = f"{_sev_md(req.severity)}, {lang}"
    updates = _channel(channel)
    if kind == "filed":
        where = f" Updates in the thread in {updates}." if updates else " I'll DM you updates."
        line = f":inbox_tray: Your request *{ticket}* is filed ({summary}) — {_who_has_it(req)}."
        line += where
        blocks = [_section(line), _section(_quote(req.text, 1000))]
    elif kind == "acknowledged":
        who = _user(req.assignee) if req.assignee else "A specialist"
        when = f" at {slack_date(req.acknowledged)}" if req.acknowledged else ""
        line = f":eyes: {who} acknowledged *{ticket}*{when} and is on it."
        blocks = [_section(line)]
    elif kind == "resolved":
        who = _user(req.assignee) if req.assignee else "a specialist"
        outcome = _plain(req.outcome).strip()
        line = f":white_check_mark: *{ticket}* was resolved by {who}."
        blocks = [_section(line)]
        if outcome:
            line += " Outcome: " + _esc_clip(outcome, 300, one_line=True)
            blocks.append(_section("*Outcome*\n" + _quote(outcome, 2500)))
    elif kind == "exhausted":
        line = (
            f":sos: Nobody has acknowledged *{ticket}* yet. Every escalation step has run and "
            "the managers have been alerted; the request stays open and anyone paged can "
            "still take it."
        )
        blocks = [_section(line)]
    else:
        emoji, status = _status(req)
        line = f"{emoji} Update on *{ticket}*: {status.lower()} — {_who_has_it(req)}."
        blocks = [_section(line)]
    return _fallback(line), _cap(blocks)


def _alert_blocks(req: RequestView, lead: str) -> Blocks:
    pairs = [
        ("Severity", _sev_md(req.severity)),
        ("Language", _esc(_language_label(req))),
        ("Requester", _user(req.requester)),
        ("Filed", slack_date(req.created)),
        ("Paged", _mentions(req.paged) or "nobody waiting"),
        ("Escalation", _esc_clip(req.escalation, 200, one_line=True) or "—"),
    ]
    link = _link(req.link)
    if link:
        pairs.append(("Link", link))
    blocks: Blocks = [_section(lead), _fields(pairs), _section(_quote(req.text, 1500))]
    if req.needs_translation:
        blocks.append(_context(":warning: NEEDS TRANSLATION"))
    return blocks


def manager_alert(req: RequestView) -> tuple[str, Blocks]:
    """A DM to a manager: a request nobody has acknowledged."""
    ticket = _esc(_plain(req.ticket).strip() or f"#{req.id}")
    lang = _esc(language_name(req.language))
    lead = (
        f":bell: *{ticket}* ({_sev_md(req.severity)}, {lang}) has not been acknowledged — "
        f"filed {slack_date(req.created)} by {_user(req.requester)}."
    )
    text = (
        f"Unacknowledged: {ticket} ({_sev_md(req.severity)}, {lang}) filed "
        f"{_utc_text(req.created)} by {_user(req.requester)}"
    )
    return _fallback(text), _cap(_alert_blocks(req, lead))


def channel_alert(req: RequestView, manager_group: str | None) -> tuple[str, Blocks]:
    """A post in the escalation channel, mentioning the managers' user group if given."""
    ticket = _esc(_plain(req.ticket).strip() or f"#{req.id}")
    lang = _esc(language_name(req.language))
    group = _group(manager_group)
    prefix = f"{group} " if group else ""
    lead = (
        f"{prefix}:mega: *{ticket}* ({_sev_md(req.severity)}, {lang}) is still unacknowledged — "
        f"filed {slack_date(req.created)} by {_user(req.requester)}. Can anyone take it?"
    )
    text = (
        f"{prefix}Unacknowledged: {ticket} ({_sev_md(req.severity)}, {lang}) filed "
        f"{_utc_text(req.created)} — can anyone take it?"
    )
    return _fallback(text), _cap(_alert_blocks(req, lead))


def ephemeral_confirmation(req: RequestView, channel: str | None = None) -> str:
    """The one-line private reply to /emergency:
    "Filed T-42 (sev1, Arabic, detected 93%) — paging <@U1>. Updates in <#C1>."
    `channel` is the intake channel whose thread carries the updates."""
    ticket = _esc(_plain(req.ticket).strip() or f"#{req.id}")
    sev = _esc(_plain(req.severity).strip().lower() or "sev?")
    if _plain(req.status) == "received":
        # Committed, not routed yet (the bot is busy): the language may still be unknown.
        lang = (f", {_esc(language_name(req.language))}, set by requester"
                if _plain(req.language_source) == "explicit" else "")
        return _fallback(f"Filed {ticket} ({sev}{lang}) — finding the on-call reader now; "
                         "I'll DM you who is paged.")
    lang = _esc(f"{language_name(req.language)}, {_how_chosen(req)}")
    extra = ", needs translation" if req.needs_translation else ""
    updates = _channel(channel)
    tail = f" Updates in {updates}." if updates else " I'll DM you updates."
    return _fallback(f"Filed {ticket} ({sev}, {lang}{extra}) — {_who_has_it(req)}.{tail}")


# --- modals -------------------------------------------------------------------------


def _modal(
    callback_id: str,
    title: str,
    blocks: Blocks,
    *,
    submit: str | None,
    close: str = "Cancel",
    private_metadata: str = "",
) -> dict[str, Any]:
    view: dict[str, Any] = {
        "type": "modal",
        "callback_id": callback_id,
        "title": _pt(title, MODAL_TITLE_MAX),
        "close": _pt(close, MODAL_TITLE_MAX),
        "private_metadata": private_metadata,
        "blocks": blocks[:MODAL_BLOCKS_MAX],
    }
    if submit:
        view["submit"] = _pt(submit, MODAL_TITLE_MAX)
    return view


_SEVERITY_HELP = {
    "sev1": "Most urgent: the fastest escalation",
    "sev2": "Urgent",
    "sev3": "Needs a specialist, less urgent",
}


def emergency_modal(
    languages: list[str], default_severity: str, private_metadata: str = ""
) -> dict[str, Any]:
    """The /emergency form: text, language ("Detect automatically" preselected), severity
    (the team's default preselected), optional link."""
    detect = _option("Detect automatically", ids.DETECT)
    options = [detect]
    seen = {ids.DETECT}
    for code in languages or ():
        value = _plain(code).strip()
        if not value or value in seen or len(value) > OPTION_VALUE_MAX:
            continue
        seen.add(value)
        options.append(_option(language_name(value), value))
    options = options[:SELECT_OPTIONS_MAX]

    sev_options = [_option(s.upper(), s, _SEVERITY_HELP.get(s)) for s in SEVERITIES]
    default = _plain(default_severity).strip().lower()
    severity: dict[str, Any] = {
        "type": "radio_buttons",
        "action_id": ids.SEVERITY_ACTION,
        "options": sev_options,
    }
    for opt in sev_options:
        if opt["value"] == default:
            severity["initial_option"] = opt

    blocks: Blocks = [
        {
            "type": "input",
            "block_id": ids.TEXT_BLOCK,
            "label": _pt("What is happening?", 2000),
            "element": {
                "type": "plain_text_input",
                "action_id": ids.TEXT_ACTION,
                "multiline": True,
                "max_length": 3000,
                "placeholder": _pt("Who is at risk, where, what you have seen. Any language.",
                                   150),
            },
        },
        {
            "type": "input",
            "block_id": ids.LANGUAGE_BLOCK,
            "label": _pt("Language", 2000),
            "element": {
                "type": "static_select",
                "action_id": ids.LANGUAGE_ACTION,
                "options": options,
                "initial_option": detect,
            },
            "hint": _pt("Detected from the text unless you pick one.", 2000),
        },
        {
            "type": "input",
            "block_id": ids.SEVERITY_BLOCK,
            "label": _pt("Severity", 2000),
            "element": severity,
        },
        {
            "type": "input",
            "block_id": ids.LINK_BLOCK,
            "optional": True,
            "label": _pt("Link", 2000),
            "element": {
                "type": "url_text_input",
                "action_id": ids.LINK_ACTION,
                "placeholder": _pt("https://…", 150),
            },
            "hint": _pt("The post, profile or message this is about (optional).", 2000),
        },
    ]
    return _modal(ids.EMERGENCY_MODAL, "Emergency request", blocks, submit="File and page",
                  private_metadata=_plain(private_metadata))


def _summary(req: RequestView, budget: int = 1200) -> str:
    ticket = _esc(_plain(req.ticket).strip() or f"#{req.id}")
    head = f"*{ticket}* · {_sev_md(req.severity)} · {_esc(_language_label(req))}"
    return head + "\n" + _quote(req.text, budget)


def resolve_modal(request: RequestView) -> dict[str, Any]:
    """Resolve with a required outcome note; private_metadata carries the request id."""
    ticket = _plain(request.ticket).strip() or f"#{request.id}"
    blocks: Blocks = [
        _section(_summary(request)),
        {
            "type": "input",
            "block_id": ids.OUTCOME_BLOCK,
            "optional": False,
            "label": _pt("Outcome", 2000),
            "element": {
                "type": "plain_text_input",
                "action_id": ids.OUTCOME_ACTION,
                "multiline": True,
                "max_length": 3000,
                "placeholder": _pt("What was done, and what the requester should know.", 150),
            },
            "hint": _pt("The requester and the intake channel see this note.", 2000),
        },
    ]
    return _modal(ids.RESOLVE_MODAL, f"Resolve {ticket}", blocks, submit="Resolve",
                  private_metadata=str(request.id))


def handover_modal(request: RequestView, candidates: list[tuple[str, str]]) -> dict[str, Any]:
    """Pick who takes the request over: (user id, label) options. With no candidates,
    a message that nobody else is on call for the language, and no submit button."""
    ticket = _plain(request.ticket).strip() or f"#{request.id}"
    lang = language_name(request.language)
    options: list[dict[str, Any]] = []
    seen: set[str] = set()
    for user, label in candidates or ():
        value = _plain(user).strip()
        if not value or value in seen or len(value) > OPTION_VALUE_MAX:
            continue
        seen.add(value)
        options.append(_option(_plain(label).strip() or value, value))
    options = options[:SELECT_OPTIONS_MAX]
    title = f"Hand over {ticket}"
    if not options:
        blocks: Blocks = [
            _section(_summary(request, 800)),
            _section(
                f"Nobody else is on call for {_esc(lang)} right now, so there is nobody to "
                f"hand *{_esc(ticket)}* over to. Keep it, or ask a manager to find cover."
            ),
        ]
        return _modal(ids.HANDOVER_MODAL, title, blocks, submit=None, close="Close",
                      private_metadata=str(request.id))
    blocks = [
        _section(_summary(request, 800)),
        {
            "type": "input",
            "block_id": ids.HANDOVER_TARGET_BLOCK,
            "label": _pt("Hand over to", 2000),
            "element": {
                "type": "static_select",
                "action_id": ids.HANDOVER_TARGET_ACTION,
                "placeholder": _pt(f"Someone on call who reads {lang}", 150),
                "options": options,
            },
            "hint": _pt("They get a page and must acknowledge it.",
                        2000),
        },
    ]
    return _modal(ids.HANDOVER_MODAL, title, blocks, submit="Hand over",
                  private_metadata=str(request.id))
