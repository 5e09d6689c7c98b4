"""The digest card: the requests an intake channel in a surge lists together (one post,
updated in place as more arrive; bot.core.surge). Short: a line per request, its text
clipped, and nothing of a redacted request's text (`content.shown`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.core.messages import RequestView
from bot.slack.render import blocks as kit
from bot.slack.render import content, language, pages
from bot.slack.render import mrkdwn as md

EXCERPT = 140  # characters of a request's text on its line
PER_SECTION = 5  # request lines per section block (a section holds 3000 characters)


def digest_line(req: RequestView, now: datetime | None = None) -> str:
    """One request on the digest: ticket, status, severity, language, kind, who has it,
    and the start of its text (or what stands in for it)."""
    req = content.shown(req)
    emoji, status = md.status_badge(req)
    ticket = md.escape(md.as_text(req.ticket).strip() or f"#{req.id}")
    kind = pages.category_label(req)
    parts = [f"{emoji} *{ticket}* · {md.escape(status)}",
             md.escape(md.severity_label(req.severity)), md.escape(language.name(req)),
             *([md.escape(kind)] if kind else [])]
    if req.assignee:
        parts.append(f"{md.user_mention(req.assignee)} has it")
    elif req.paged:
        parts.append(f"paging {md.mention_list(req.paged, 3)}")
    if pages.overdue(req, now):
        parts.append("OVERDUE")
    text = content.hidden_line(req) or md.escape_clip(req.text, EXCERPT, one_line=True)
    return " · ".join(parts) + (f"\n>{text}" if text else "")


def digest_card(requests: Sequence[RequestView], now: datetime | None = None
                ) -> tuple[str, kit.Blocks]:
    """The digest of `requests` (in the order they were filed)."""
    shown = [content.shown(r) for r in requests]
    n = len(shown)
    tickets = ", ".join(md.as_text(r.ticket) for r in shown)
    text = kit.fallback(f"{n} new emergency request{'s' if n != 1 else ''}: {tickets}")
    blocks: kit.Blocks = [
        kit.header(f":rotating_light: {n} new emergency request{'s' if n != 1 else ''}"),
        kit.section("Many requests are coming in at once, so they are listed together here "
                    "and this list is kept up to date. The people paged got their page DMs "
                    "as usual; each request's timeline is in this thread, under its ticket."),
    ]
    for start in range(0, n, PER_SECTION):
        blocks.append(kit.section("\n".join(digest_line(r, now)
                                            for r in shown[start:start + PER_SECTION])))
    if shown:
        first, last = min(r.created for r in shown), max(r.created for r in shown)
        blocks.append(kit.context(f"Filed {md.slack_date(first)} to {md.slack_date(last)}"))
    return text, kit.cap(blocks)
