"""What of a request a message may show (issue 13): written once, used by every renderer.

A request is *redacted* when it is sensitive (graphic content: its category, the
requester's `graphic` or checkbox, or a handler's mark) or its text was purged after
the team's retention period. A redacted request's text, link, category field values
and resolve note appear in no message and no `text` field (Slack shows those in push
notifications): only its ticket, category, language, severity, status, people and
times. The one place they open is the details modal ("Show details"), for the people
handling it, and every opening is audited by the service that allows it.

- `shown(req)`: the request as a message may show it. Every renderer of a message or
  a form calls it first, so a renderer that forgets to ask still has nothing to leak.
- `excerpt(req)`, `hidden_line(req)`: what stands in for the text in a notification
  and in a message.
- `details_modal(req)`: the modal "Show details" opens (the full view; purged: says so).
- `sensitive_block(req, page=...)`: "Show details", "Mark sensitive", "Unmark
  sensitive", as fit the request and where they are shown.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from bot.core import intake_fields
from bot.core.messages import RequestView
from bot.slack import ids
from bot.slack.render import blocks as kit
from bot.slack.render import mrkdwn as md

MODAL_SECTION = 2900  # a modal's text sections, under Block Kit's 3000

WARNING = ("Graphic content: this request was marked sensitive. Its text opens only when "
           "you choose.")
HIDDEN = ("Graphic content: the text, link and details of this request are hidden here. "
          "The people paged for it open them with *Show details* on their page.")
PURGED = ("The text, link and details of this request were removed after the team's "
          "retention period.")


def shown(req: RequestView) -> RequestView:
    """`req` as a message may show it: a redacted request without its text, link, field
    values and resolve note; any other request as it is."""
    if not req.redacted:
        return req
    return dataclasses.replace(req, text="", link=None, fields=(), outcome=None)


def excerpt(req: RequestView, budget: int = md.FALLBACK_EXCERPT) -> str:
    """The start of the request text for a notification (`text` field), one line; for a
    redacted request, what stands in for it."""
    if req.purged is not None:
        return "(text removed after the retention period)"
    if req.sensitive:
        return "(graphic content, text hidden)"
    return md.escape_clip(req.text, budget, one_line=True) or "(no text)"


def hidden_line(req: RequestView, page: bool = False) -> str:
    """The line a redacted request shows where its text would be ('' when it is not
    redacted): on a page DM the content warning, elsewhere that the text is hidden."""
    if req.purged is not None:
        return f":wastebasket: {PURGED}"
    if not req.sensitive:
        return ""
    return f":warning: *{WARNING}*" if page else f":see_no_evil: {HIDDEN}"


def sensitive_block(req: RequestView, page: bool = False) -> list[dict[str, Any]]:
    """The buttons of graphic content, as an actions block (none when none apply):
    on a page DM, "Show details" of a sensitive request, or "Mark sensitive"; on the
    card, "Mark sensitive", or "Unmark sensitive" for a request marked by a person
    (a sensitive category's request stays sensitive). Nothing once purged."""
    if req.purged is not None:
        return []
    buttons = []
    if req.sensitive and page:
        buttons.append(kit.button("Show details", ids.SHOW_DETAILS, req.id))
    elif not req.sensitive:
        buttons.append(kit.button("Mark sensitive", ids.MARK_SENSITIVE, req.id,
                                  confirm=_MARK_CONFIRM))
    elif not req.sensitive_category:
        buttons.append(kit.button("Unmark sensitive", ids.UNMARK_SENSITIVE, req.id))
    if not buttons:
        return []
    return [{"type": "actions", "block_id": f"{ids.SENSITIVE_BLOCK}:{req.id}",
             "elements": buttons}]


_MARK_CONFIRM = kit.confirm(
    "Mark as graphic content?",
    "Its text and link are taken off the card, its thread and the pages; the people "
    "handling it open them with Show details. Only a manager can undo this.",
    "Mark sensitive", "Cancel")


def _pieces(text: str, budget: int) -> list[str]:
    out = []
    rest = text
    while rest and len(out) < budget:
        piece = rest[:MODAL_SECTION // 2]  # escaping may double it: stays under 3000
        rest = rest[len(piece):]
        out.append(md.escape(piece))
    return out


def details_modal(req: RequestView) -> dict[str, Any]:
    """What "Show details" opens: the request text in full, its link, what its category
    asked and its resolve note; for a purged request, that they were removed."""
    ticket = md.as_text(req.ticket).strip() or f"#{req.id}"
    title = f"{ticket}: details"
    head = kit.context(f"{md.escape(ticket)} · from {md.user_mention(req.requester)} · "
                       f"filed {md.slack_date(req.created)}")
    if req.purged is not None:
        return kit.modal(ids.DETAILS_MODAL, title, [
            head, kit.section(f":wastebasket: {PURGED} Its ticket, times, language, "
                              "category and outcome are kept.")],
            submit=None, close="Close")
    blocks: kit.Blocks = [head]
    if req.sensitive:
        blocks.append(kit.context(":warning: Graphic content. You opened it; the view is "
                                  "recorded on the request's timeline."))
    text = md.as_text(req.text).strip() or "(no text)"
    blocks += [kit.section(p) for p in _pieces(text, kit.MODAL_BLOCKS_MAX - 10)]
    link = md.url_link(req.link)
    if link:
        blocks.append(kit.section(f"*Link:* {link}"))
    pairs = [(md.clip(intake_fields.label(md.as_text(name)), 60),
              md.escape_clip(value, 500, one_line=True))
             for name, value in req.fields if md.as_text(value).strip()]
    for i in range(0, len(pairs), kit.FIELDS_MAX):
        blocks.append(kit.fields(pairs[i:i + kit.FIELDS_MAX]))
    note = md.as_text(req.outcome).strip()
    if note:
        blocks.append(kit.section("*Resolve note*\n" + md.quote(note, 2500)))
    return kit.modal(ids.DETAILS_MODAL, title, blocks, submit=None, close="Close")


def quoted(req: RequestView, budget: int) -> str:
    """The request text as a quote (mrkdwn) within `budget`; for a redacted request,
    the line that stands in for it."""
    return hidden_line(req) or md.quote(req.text, budget)
