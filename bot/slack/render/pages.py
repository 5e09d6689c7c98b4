"""What a page says first, and a request text too long for one block.

- Under a page's title: the deadline and what happens then, in the reader's words and
  zone ("Acknowledge within 2 min (by 03:14 your time), or every Arabic reader on call
  is paged, then the managers.").
- The short ping posted in a page DM's thread when the same person is paged again for
  the same request (the page itself is updated in place).
- A request text cut for Block Kit's limits says how much was cut and offers "Show full
  text", which opens a modal with all of it.

Times are Slack date tokens (each reader sees their own zone), with the fallback in the
reader's roster zone when it is known, so a notification preview reads right too.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.core import intake_fields, timezones
from bot.core.escalation import language_name
from bot.core.messages import PageView, RequestView
from bot.core.model import DEFAULT_CATEGORY
from bot.core.wellbeing import window_words
from bot.slack import ids
from bot.slack.render import blocks as kit
from bot.slack.render import content
from bot.slack.render import mrkdwn as md
from bot.slack.text import from_neutral

# Declining a page, on the page DM and the Home tab alike.
DECLINE_CONFIRM = kit.confirm("Decline this page?", "It goes to the next person right away.",
                              "Decline", "Keep it")

MODAL_SECTION = 2900  # a modal's text sections, under Block Kit's 3000


def _wait_words(seconds: float) -> str:
    minutes = max(round(seconds / 60), 1)
    if minutes < 90:
        return f"{minutes} min"
    hours = seconds / 3600
    return f"{hours:.0f} h" if hours == int(hours) else f"{hours:.1f} h"


@md.kept_per_instant
def local_time(at: datetime, tz: str | None) -> str:
    """'03:14' in `tz` (a date token: Slack shows each reader their own zone), with
    '03:14 UTC' as the fallback when the reader's zone is unknown."""
    stamp = int(timezones.utc(at).timestamp())
    try:
        shown = f"{timezones.to_local(at, tz):%H:%M}" if tz else f"{md.utc_text(at)}"
    except Exception:  # noqa: BLE001 - an unknown zone name: UTC is still right
        shown = md.utc_text(at)
    return f"<!date^{stamp}^{{time}}|{shown}>"


def crisis_blocks(req: RequestView) -> kit.Blocks:
    """'Part of crisis *beirut-port*' for a request that joined crises (nothing
    otherwise): on its card and page DM, so a reader knows it belongs to the event."""
    names = [f"*{md.escape_clip(n, 80, one_line=True)}*" for n in req.crises if n]
    if not names:
        return []
    if len(names) == 1:
        return [kit.section(f":rotating_light: Part of crisis {names[0]}")]
    return [kit.section(f":rotating_light: Part of crises {', '.join(names[:-1])} and "
                        f"{names[-1]}")]


def overdue(req: RequestView, now: datetime | None) -> bool:
    """Whether the request's response target has passed at `now` (never once resolved,
    nor when the message is rendered without a clock)."""
    return (req.due is not None and now is not None and md.as_text(req.status) != "resolved"
            and timezones.utc(now) >= timezones.utc(req.due))


def due_words(due: datetime, now: datetime) -> str:
    """'due in 24 min' / 'overdue by 3 min', counted from `now` (when the message is
    rendered)."""
    seconds = (timezones.utc(due) - timezones.utc(now)).total_seconds()
    if seconds > 0:
        return f"due in {_wait_words(seconds)}"
    return f"overdue by {_wait_words(-seconds)}"


def due_line(req: RequestView, now: datetime | None, tz: str | None = None,
             your_time: bool = False) -> str:
    """The response target of an unresolved request, as a line: ':hourglass: *Response
    due in 24 min* (by 03:14 your time)' or ':alarm_clock: *Overdue by 3 min*: the
    response target was 03:14.' '' without a target, or once resolved."""
    if req.due is None or md.as_text(req.status) == "resolved":
        return ""
    by = local_time(req.due, tz) + (" your time" if your_time else "")
    if now is None:
        return f":hourglass_flowing_sand: *Response due* by {by}"
    if overdue(req, now):
        words = due_words(req.due, now)
        return (f":alarm_clock: *{words[:1].upper() + words[1:]}*: the response target "
                f"was {by}.")
    return f":hourglass_flowing_sand: *Response {due_words(req.due, now)}* (by {by})"


def request_fields(req: RequestView) -> kit.Blocks:
    """What the category asked (agency, officer, callback number...), labelled in words,
    as one fields section per ten; nothing when the request has none."""
    pairs = [(md.clip(intake_fields.label(md.as_text(name)), 60),
              md.escape_clip(value, 500, one_line=True))
             for name, value in req.fields if md.as_text(value).strip()]
    return [kit.fields(pairs[i:i + kit.FIELDS_MAX])
            for i in range(0, len(pairs), kit.FIELDS_MAX)]


def category_label(req: RequestView) -> str:
    """The request's category in words, '' for the plain default ("Other")."""
    if md.as_text(req.category) in ("", DEFAULT_CATEGORY):
        return ""
    return md.clip(md.as_text(req.category_label).strip() or md.as_text(req.category), 100)


def deadline_line(page: PageView, tz: str | None = None) -> str:
    """'*Acknowledge within 2 min* (by 03:14 your time), or every Arabic reader on call
    is paged, then the managers.' '' when the page waits for nothing. A page sent past
    the reader's exposure limit says so under it (`PageView.over_limit`), also once
    acknowledged."""
    line, over, state = _deadline(page, tz), page.over_limit, md.as_text(page.state)
    if not over or state not in ("pending", "acknowledged"):
        return line
    lang = md.escape(language_name(page.read_as or page.request.language))
    points = (f"{over[0]} sensitive-request points in the last {window_words(over[2])} "
              f"(limit {over[1]})")
    if state == "acknowledged":  # still said once it is theirs: the break is still due
        note = (f":warning: You took this one past your exposure limit: {points}. Tell a "
                "manager if you need a break.")
    else:
        note = (f":warning: You have handled {points}; nobody else who reads {lang} is "
                "free, so this one came to you. Tell a manager if you need a break.")
    return f"{line}\n{note}" if line else note


def _deadline(page: PageView, tz: str | None = None) -> str:
    req = page.request
    if md.as_text(page.state) != "pending" or md.as_text(req.status) != "open":
        return ""
    if page.deadline is None:
        return ""  # the last step: nothing fires after it
    sent = page.deadline if page.sent is None else page.sent
    within = _wait_words((page.deadline - sent).total_seconds())
    line = f"*Acknowledge within {within}* (by {local_time(page.deadline, tz)} your time)"
    then = md.bot_text(page.if_nobody, 400)
    return f"{line}, or {then}." if then else f"{line}."


def ping(page: PageView, tz: str | None = None) -> tuple[str, kit.Blocks]:
    """The short re-notification in a page DM's thread: paged again, by when."""
    req = page.request
    ticket = md.escape(md.as_text(req.ticket).strip() or f"#{req.id}")
    lang = md.escape(md.request_language(req))
    lead = (f":rotating_light: *Paged again:* {ticket} ({md.severity_mrkdwn(req.severity)}, "
            f"{lang}) is still waiting for someone to acknowledge.")
    line = deadline_line(page, tz)
    body = f"{lead} {line} The buttons are on the page above." if line else lead
    return kit.fallback(body.replace("*", "")), [kit.section(body)]


def ack_reminder(payload: dict) -> tuple[str, kit.Blocks]:
    """The reminder to the assignee of a request acknowledged and not resolved (a
    policy's ack_timeout), with "Snooze 30m". Its words are the service's; the ticket
    and times in it are not the request's text, so nothing here needs redacting."""
    body = ":alarm_clock: " + from_neutral(md.as_text(payload.get("text")))
    return kit.fallback(body), [
        kit.section(body),
        {"type": "actions", "block_id": f"ack_snooze:{payload.get('request')}",
         "elements": [kit.button("Snooze 30m", ids.ACK_SNOOZE, payload.get("request"))]}]


def _cut(text: str, budget: int) -> tuple[str, int]:
    """The longest start of `text` whose quote fits `budget`, and how many characters
    of it are left out (0: all of it fits)."""
    whole = md.quote(text, budget + 1000)
    if md.utf16_units(whole) <= budget:
        return whole, 0
    used, kept = 2, 0
    for ch in text:
        piece = "\n> " if ch == "\n" else md.escape(ch)
        units = md.utf16_units(piece)
        if used + units > budget - 2:
            break
        used += units
        kept += 1
    shown = text[:kept].rstrip()
    return md.quote(shown, budget + 1000) + "…", len(text) - len(shown)


def text_blocks(req: RequestView, budget: int = md.TEXT_BUDGET, page: bool = False
                ) -> kit.Blocks:
    """The request text as a quote; cut to `budget`, it says how much more there is
    and offers "Show full text". A redacted request shows the line that stands in for
    its text (on a `page`, the content warning) instead."""
    hidden = content.hidden_line(req, page)
    if hidden:
        return [kit.section(hidden)]
    text = md.as_text(req.text).strip()
    quoted, more = _cut(text, budget)
    if not more:
        return [kit.section(md.quote(text, budget))]
    return [
        kit.section(quoted),
        {"type": "actions", "block_id": ids.FULL_TEXT_BLOCK, "elements": [
            kit.button("Show full text", ids.SHOW_TEXT, req.id)]},
        kit.context(f"… {more:,} more characters"),
    ]


def full_text_modal(req: RequestView) -> dict[str, Any]:
    """A modal with the whole request text, in as many sections as it needs (a
    redacted request's says it is hidden: its text opens with "Show details")."""
    req = content.shown(req)
    ticket = md.as_text(req.ticket).strip() or f"#{req.id}"
    if req.redacted:
        return kit.modal(ids.FULL_TEXT_MODAL, f"{ticket}: full text",
                         [kit.section(content.hidden_line(req))], submit=None, close="Close")
    text = md.as_text(req.text).strip() or "(no text)"
    parts: kit.Blocks = []
    rest = text
    while rest and len(parts) < kit.MODAL_BLOCKS_MAX - 1:
        piece = rest[:MODAL_SECTION // 2]  # escaping may double it: stays under 3000
        rest = rest[len(piece):]
        parts.append(kit.section(md.escape(piece)))
    head = kit.context(f"{md.escape(ticket)} · from {md.user_mention(req.requester)} · "
                       f"{md.utf16_units(text):,} characters")
    return kit.modal(ids.FULL_TEXT_MODAL, f"{ticket}: full text", [head, *parts],
                     submit=None, close="Close")

