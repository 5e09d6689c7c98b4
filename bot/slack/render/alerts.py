"""Alerts about a request nobody has acknowledged: a manager's DM and a post in the
escalation channel, each with "Take it" and "Page someone" while the request is open.
Times are Slack date tokens (each reader sees their own zone)."""

from __future__ import annotations

from datetime import datetime

from bot.core.messages import RequestView
from bot.slack import ids
from bot.slack.render import blocks as kit
from bot.slack.render import content, language, pages
from bot.slack.render import mrkdwn as md


def _alert_blocks(req: RequestView, lead: str, now: datetime | None = None) -> kit.Blocks:
    req = content.shown(req)
    kind = pages.category_label(req)
    pairs = [
        *([("Category", md.escape(kind))] if kind else []),
        ("Severity", md.severity_mrkdwn(req.severity)),
        ("Language", md.escape(md.language_label(req))),
        ("Requester", md.user_mention(req.requester)),
        ("Filed", md.slack_date(req.created)),
        ("Paged", md.mention_list(req.paged) or "nobody waiting"),
        ("Escalation", md.escape_clip(req.escalation, 200, one_line=True) or "—"),
    ]
    link = md.url_link(req.link)
    if link:
        pairs.append(("Link", link))
    blocks: kit.Blocks = [kit.section(lead)]
    target = pages.due_line(req, now)
    if target:
        blocks.append(kit.section(target))
    blocks += [kit.fields(pairs), kit.section(content.quoted(req, 1500))]
    if req.needs_translation:
        blocks.append(kit.context(":warning: NEEDS TRANSLATION"))
    blocks += alert_actions(req)
    return blocks


def alert_actions(req: RequestView, block_id: str = ids.ALERT_ACTIONS_BLOCK) -> kit.Blocks:
    """"Take it" (acknowledge as whoever clicks) and "Page someone" (pick a specialist)
    for a request nobody has yet; nothing once someone has it or it is resolved."""
    if md.as_text(req.status) != "open":
        return []
    return [
        {"type": "actions", "block_id": block_id, "elements": [
            kit.button("Take it", ids.TAKE, req.id, style="primary"),
            kit.button("Page someone", ids.PAGE_SOMEONE, req.id),
        ]},
        kit.context("*Take it*: you acknowledge it and become the assignee; its pages stop. "
                    "*Page someone*: pick any specialist to page now."),
    ]


def manager_alert(req: RequestView, now: datetime | None = None) -> tuple[str, kit.Blocks]:
    """A DM to a manager: a request nobody has acknowledged; flagged when its response
    target has passed at `now`."""
    req = content.shown(req)
    ticket = md.escape(md.as_text(req.ticket).strip() or f"#{req.id}")
    lang = md.escape(language.name(req))
    late = pages.overdue(req, now)
    lead = (
        f":bell: *{ticket}* ({md.severity_mrkdwn(req.severity)}, {lang}) has not been "
        "acknowledged — "
        f"filed {md.slack_date(req.created)} by {md.user_mention(req.requester)}."
    )
    text = (
        f"Unacknowledged: {ticket} ({md.severity_mrkdwn(req.severity)}, {lang}) filed "
        f"{md.utc_text(req.created)} by {md.user_mention(req.requester)}"
    )
    if late and req.due is not None and now is not None:
        words = pages.due_words(req.due, now)
        lead = f":alarm_clock: *OVERDUE* ({words}) · " + lead
        text = f"OVERDUE ({words}) · " + text
    return kit.fallback(text), kit.cap(_alert_blocks(req, lead, now))


def channel_alert(req: RequestView, manager_group: str | None,
                  now: datetime | None = None) -> tuple[str, kit.Blocks]:
    """A post in the escalation channel, mentioning the managers' user group if given."""
    req = content.shown(req)
    ticket = md.escape(md.as_text(req.ticket).strip() or f"#{req.id}")
    lang = md.escape(language.name(req))
    group = md.group_mention(manager_group)
    prefix = f"{group} " if group else ""
    lead = (
        f"{prefix}:mega: *{ticket}* ({md.severity_mrkdwn(req.severity)}, {lang}) is still "
        f"unacknowledged — filed {md.slack_date(req.created)} by "
        f"{md.user_mention(req.requester)}. Can anyone take it?"
    )
    text = (
        f"{prefix}Unacknowledged: {ticket} ({md.severity_mrkdwn(req.severity)}, {lang}) filed "
        f"{md.utc_text(req.created)} — can anyone take it?"
    )
    return kit.fallback(text), kit.cap(_alert_blocks(req, lead, now))
