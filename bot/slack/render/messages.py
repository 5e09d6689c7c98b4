"""Slack messages: the page DM, the ticket card, timeline lines, notes to the requester,
the /emergency reply and direct DMs (alerts to managers and the escalation channel are
in `alerts`).

Messages come back as `(text, blocks)`, where `text` is the notification fallback and
reads well on its own. Times are Slack date tokens, so each reader sees their own zone;
the fallback inside the token (and in `text`) is UTC.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from bot.core.messages import PageView, RequestView, TimelineEntry
from bot.slack import ids
from bot.slack.render import blocks as kit
from bot.slack.render import checkin, content, language, pages, sweep, trends, verify
from bot.slack.render import mrkdwn as md
from bot.slack.text import from_neutral

_VIA = {
    "command": "/emergency",
    "modal": "the emergency form",
    "shortcut": "the message shortcut",
    "demo": "the demo",
    "cli": "the command line",
    "sweep": "the sweep form",
}

# --- the page DM --------------------------------------------------------------------



def _why_you(page: PageView, lang: str) -> str:
    return {
        "on_call": f"You're on call for {lang}",
        "backup": f"You're an off-shift backup for {lang}",
        "translation": f"Nobody on call reads {lang}; you're on call",
        "handover": "Handed over to you",
        "picked": "Picked from an alert to help",  # Page someone (issue 10)
        "handoff": f"You're the incoming {lang} reader on call",
        # Acknowledged by them and not resolved in time: it re-opened (ack_timeout).
        "reopened": "Re-opened: you acknowledged it and it was not resolved",
    }.get(md.as_text(page.source), md.clip(md.as_text(page.source).strip() or "—", 100))


def _resolved_line(req: RequestView) -> str:
    who = md.user_mention(req.assignee) if req.assignee else "someone"
    outcome = md.escape_clip(req.outcome, 1500, one_line=True)
    ended = verify.resolution_words(req)
    who += f" as *{md.escape(ended)}*" if ended else ""
    return f"Resolved by {who}: {outcome}" if outcome else f"Resolved by {who}"


def _page_state(page: PageView) -> tuple[list[dict[str, Any]] | None, list[str]]:
    """(buttons, or None) and the context lines that say what happened."""
    req = page.request
    state = md.as_text(page.state)
    status = md.as_text(req.status)
    mine = bool(req.assignee) and req.assignee == page.user
    if status == "resolved":
        lines = ["You declined"] if state == "declined" else []
        return None, [*lines, ":white_check_mark: " + _resolved_line(req)]
    if status == "acknowledged" and mine and state in ("acknowledged", "pending"):
        return [
            kit.button("Resolve", ids.RESOLVE, req.id, style="primary"),
            kit.button("Hand over", ids.HANDOVER, req.id),
            *verify.ask_button(req),
        ], ["You acknowledged this"]
    if state == "pending" and status == "open":
        return [
            kit.button("Acknowledge", ids.ACK, page.id, style="primary"),
            kit.button("Decline", ids.DECLINE, page.id, confirm=pages.DECLINE_CONFIRM),
        ], []
    taken = f"Acknowledged by {md.user_mention(req.assignee)}" if req.assignee else ""
    if state == "declined":
        return None, ["You declined", taken or "Passed on to the next person"]
    if state == "acknowledged":  # acknowledged, then handed over
        if taken:
            return None, [f"You handed this over · now with {md.user_mention(req.assignee)}"]
        return None, ["You handed this over; waiting for the next person"]
    if taken:
        return None, [taken]
    if state in ("closed", "pending"):
        others = [u for u in req.paged if u != page.user]
        if others:
            return None, ["No longer waiting for you · now paging "
                          + md.mention_list(others, 5)]
        return None, ["No longer waiting for you"]
    return None, [md.escape_clip(state or "unknown state", 100)]


def page_message(page: PageView, tz: str | None = None, now: datetime | None = None
                 ) -> tuple[str, kit.Blocks]:
    """The page DM: what happened, by when to answer and what happens then (times in
    `tz`, the reader's zone), the response target counted from `now` (when it is
    rendered), the request text and what its category asked, the buttons for this
    state, and "Set language"; for graphic content, a
    warning and "Show details" instead of its text, link and fields."""
    req = content.shown(page.request)
    if req is not page.request:  # redacted: the page as a message may show it
        page = dataclasses.replace(page, request=req)
    lang = language.name(req)
    sev = md.severity_label(req.severity)
    ticket = md.as_text(req.ticket).strip() or f"#{req.id}"
    emoji = md.SEVERITY_EMOJI.get(md.as_text(req.severity).lower(), ":rotating_light:")

    buttons, lines = _page_state(page)
    warn = " · NEEDS TRANSLATION" if page.needs_translation else ""
    text = kit.fallback(
        f"{md.escape(sev)} · {md.escape(ticket)} · {md.escape(lang)}{warn}: "
        f"{content.excerpt(req)} — from {md.user_mention(req.requester)}"
    )

    blocks: kit.Blocks = [kit.header(f"{emoji} {sev} · {ticket} · {lang}")]
    due = pages.deadline_line(page, tz)
    if due:
        blocks.append(kit.section(due))
    target = pages.due_line(req, now, tz, your_time=True)
    if target:
        blocks.append(kit.section(target))
    blocks.extend(pages.crisis_blocks(req))
    banner = language.page_banner(page)
    if banner:
        blocks.append(kit.section(banner))
    elif page.needs_translation:
        blocks.append(kit.section(
            f":warning: *NEEDS TRANSLATION* — this request is in {md.escape(lang)}, which you "
            "may not read. Nobody on call who reads it could be reached: get a translation "
            "before acting on it."
        ))
    blocks.extend(pages.text_blocks(req, page=True))
    if req.sensitive:  # "Show details" under the content warning
        blocks.extend(content.sensitive_block(req, page=True))
    if not req.two_person:  # a two-person request's details come with its checklist
        blocks.extend(pages.request_fields(req))
    blocks.extend(verify.page_blocks(req))  # two-person requests: details, checklist
    # The title names the severity and the language already: only what it does not say.
    kind = pages.category_label(req)
    pairs = [
        *([("Category", md.escape(kind))] if kind else []),
        ("Language", md.escape(md.language_field(req))),
        ("Requester", md.user_mention(req.requester)),
        ("Filed", md.slack_date(req.created)),
    ]
    link = md.url_link(req.link)
    if link:
        pairs.append(("Link", link))
    pairs.append(("Why you", md.escape(language.why_read_as(page) or _why_you(page, lang))))
    blocks.append(kit.fields(pairs))
    origin = _origin(req)
    if origin:
        blocks.append(kit.context(origin))
    if buttons:
        blocks.append({"type": "actions", "block_id": ids.PAGE_ACTIONS_BLOCK,
                       "elements": buttons})
        if lines:
            blocks.append(kit.context(*lines))
    else:
        blocks.append(kit.context(" · ".join(lines)))
    blocks.extend([] if req.sensitive else content.sensitive_block(req, page=True))
    if md.as_text(req.status) != "resolved":
        blocks.append(language.set_language_block(req))
    return text, kit.cap(blocks)


def _origin(req: RequestView) -> str:
    via = md.as_text(req.via).strip()
    label = _VIA.get(via, md.escape_clip(via, 40)) if via else ""
    channel = md.channel_link(req.origin_channel)
    if label and channel:
        return f"Filed with {label} in {channel}"
    if label:
        return f"Filed with {label}"
    return f"Filed in {channel}" if channel else ""


# --- the ticket card ----------------------------------------------------------------


def ticket_card(req: RequestView, now: datetime | None = None) -> tuple[str, kit.Blocks]:
    """The card in the intake channel, re-rendered in place as the request moves; its
    response target counted from `now` (when it is rendered), "OVERDUE" once passed;
    "Set language" while unresolved; no graphic text."""
    req = content.shown(req)
    emoji, status_label = md.status_badge(req)
    late = " · OVERDUE" if pages.overdue(req, now) else ""
    lang = language.name(req)
    sev = md.severity_label(req.severity)
    ticket = md.as_text(req.ticket).strip() or f"#{req.id}"
    resolved = md.as_text(req.status) == "resolved"

    who = ""
    if req.assignee:
        who = f" · {md.user_mention(req.assignee)}"
    elif req.paged:
        who = f" · paging {md.mention_list(req.paged, 3)}"
    text = kit.fallback(
        f"{emoji} {md.escape(ticket)} {md.escape(status_label)}{late} · {md.escape(sev)} · "
        f"{md.escape(lang)}{who}: {content.excerpt(req)}"
    )

    blocks: kit.Blocks = [
        kit.header(f"{emoji} {ticket} · {status_label}{late} · {sev} · {lang}")]
    blocks.extend(pages.crisis_blocks(req))
    target = pages.due_line(req, now)
    if target:
        blocks.append(kit.section(target))
    banner = "" if resolved else _translation_banner(req, lang)
    if banner:
        blocks.append(kit.section(banner))
    if req.busy and md.as_text(req.status) == "open":
        blocks.append(kit.section(
            ":hourglass_flowing_sand: " + md.bot_text(req.busy[:1].upper() + req.busy[1:], 600)
        ))
    if req.exhausted and md.as_text(req.status) == "open":
        blocks.append(kit.section(
            ":sos: *Nobody has acknowledged this yet.* The managers have been alerted."
        ))

    # The request text first; then only what the title does not say already.
    blocks.extend(pages.text_blocks(req))
    blocks.extend(pages.request_fields(req))
    kind = pages.category_label(req)
    pairs = [*([("Category", md.escape(kind))] if kind else []),
             ("Language", md.escape(md.language_field(req)))]
    if req.assignee:
        pairs.append(("Assignee", md.user_mention(req.assignee)))
    elif req.paged:
        pairs.append(("Paging", md.mention_list(req.paged)))
    else:
        pairs.append(("Assignee", "nobody yet"))
    if not resolved:
        pairs.append(("Escalation", md.escape_clip(req.escalation, 200, one_line=True) or "—"))
    pairs.append(("Requester", md.user_mention(req.requester)))
    pairs.append(("Filed", md.slack_date(req.created)))
    if req.acknowledged:
        pairs.append(("Acknowledged", md.slack_date(req.acknowledged)))
    if req.resolved:
        pairs.append(("Resolved", md.slack_date(req.resolved)))
    blocks.append(kit.fields(pairs))
    link = md.url_link(req.link)
    if link:
        blocks.append(kit.section(f"*Link:* {link}"))
    if req.two_person:
        blocks.append(kit.context(verify.verified_line(req) or "Two-person check: not "
                                  "verified yet"))
    blocks.extend(content.sensitive_block(req))  # Mark / Unmark sensitive
    if resolved:
        blocks.append(kit.section(":white_check_mark: " + _resolved_line(req)))
    else:
        blocks.append(language.set_language_block(req))
    origin = _origin(req)
    blocks.append(kit.context(*(x for x in (md.escape(ticket), origin,
                                            "Timeline in the thread") if x)))
    return text, kit.cap(blocks)


def _translation_banner(req: RequestView, lang: str) -> str:
    """The card's needs-translation banner ('' when nobody paged needs one)."""
    if not req.served:
        return language.card_banner(req)
    if req.needs_translation:
        return (f":warning: *NEEDS TRANSLATION* — nobody on call who reads {md.escape(lang)} "
                "could be reached; the person paged may need a translation.")
    return ""


# --- the timeline -------------------------------------------------------------------

_ACTION_EMOJI = {
    "filed": ":inbox_tray:",
    "paged": ":pager:",
    "acknowledged": ":eyes:",
    "declined": ":no_entry_sign:",
    "undeliverable": ":warning:",
    "escalated": ":arrow_double_up:",
    "handover": ":handshake:",
    "handed_over": ":handshake:",
    "ack_reminded": ":alarm_clock:",
    "ack_snoozed": ":zzz:",
    "reopened": ":repeat:",
    "resolved": ":white_check_mark:",
    "exhausted": ":sos:",
    "manager_alert": ":bell:",
    "channel_alert": ":mega:",
    "details_viewed": ":lock:", "marked_sensitive": ":see_no_evil:", "unmarked_sensitive": ":eye:",
}


def timeline_line(entry: TimelineEntry, ticket: str | None = None) -> tuple[str, kit.Blocks]:
    """One line of the card's thread: when (date token), who, what; led by its `ticket`
    in a digest's thread, which holds several requests' lines."""
    actor = md.as_text(entry.actor).strip()
    who = "bot" if not actor or actor == "bot" else md.user_mention(actor)
    body = md.bot_text(entry.text, 2500) or md.escape_clip(entry.action, 100)
    emoji = _ACTION_EMOJI.get(md.as_text(entry.action).strip().lower(), "")
    tag = f"{md.escape(ticket)} · " if ticket else ""
    lead = (f"{emoji} " if emoji else "") + (f"*{md.escape(ticket)}* · " if ticket else "")
    if who != "bot" and who in body:
        # "<@U1> acknowledged", "Details viewed by <@U1>": it names its actor already.
        text = kit.fallback(f"{tag}{md.utc_text(entry.at)} {body}")
        line = f"{lead}{md.slack_date(entry.at)} · {body}"
    else:
        text = kit.fallback(f"{tag}{md.utc_text(entry.at)} {who}: {body}")
        line = f"{lead}{md.slack_date(entry.at)} · *{who}* {body}"
    line = md.clip_mrkdwn(line, kit.FIELD_TEXT_MAX)
    return text, [kit.context(line)]


# --- notes to the requester, managers and the escalation channel --------------------

NOTE_KINDS = ("filed", "acknowledged", "resolved", "exhausted")


def _who_has_it(req: RequestView) -> str:
    if req.assignee:
        return f"{md.user_mention(req.assignee)} has it"
    if req.paged:
        return f"paging {md.mention_list(req.paged, 5)}"
    if req.exhausted:
        return "nobody has answered yet; the managers have been alerted"
    return "finding someone to page"


def requester_note(
    req: RequestView, kind: str, channel: str | None = None
) -> tuple[str, kit.Blocks]:
    """A private note to the requester. `kind`: filed | acknowledged | resolved | exhausted.
    `channel` (the intake channel) is named in the "filed" note when given."""
    req = content.shown(req)
    ticket = md.escape(md.as_text(req.ticket).strip() or f"#{req.id}")
    lang = md.escape(f"{language.name(req)}, {md.how_chosen(req)}")
    summary = f"{md.severity_mrkdwn(req.severity)}, {lang}"
    updates = md.channel_link(channel)
    if kind == "filed":
        where = f" Updates in the thread in {updates}." if updates else " I'll DM you updates."
        line = f":inbox_tray: Your request *{ticket}* is filed ({summary}) — {_who_has_it(req)}."
        line += where
        blocks = [kit.section(line), kit.section(content.quoted(req, 1000))]
    elif kind == "acknowledged":
        who = md.user_mention(req.assignee) if req.assignee else "A specialist"
        line = f":eyes: {who} acknowledged *{ticket}*{_your_time(req.acknowledged)} and is on it."
        blocks = [kit.section(line)]
    elif kind == "resolved":
        who = md.user_mention(req.assignee) if req.assignee else "a specialist"
        outcome = md.as_text(req.outcome).strip()
        line = f":white_check_mark: *{ticket}* was resolved by {who}{_your_time(req.resolved)}."
        blocks = [kit.section(line)]
        ended = verify.resolution_words(req)
        if ended:
            line += f" It ended as *{md.escape(ended)}*."
            blocks = [kit.section(line)]
        if outcome:
            line += " Outcome: " + md.escape_clip(outcome, 300, one_line=True)
            blocks.append(kit.section("*Outcome*\n" + md.quote(outcome, 2500)))
        elif req.sensitive:  # graphic content: the note stays with the request
            blocks.append(kit.context("It is marked as graphic content, so its outcome "
                                      f"note is not sent here; ask {who} if you need it."))
    elif kind == "exhausted":
        line = (
            f":sos: Nobody has acknowledged *{ticket}* yet. Every escalation step has run and "
            "the managers have been alerted; the request stays open and anyone paged can "
            "still take it."
        )
        blocks = [kit.section(line)]
    else:
        emoji, status = md.status_badge(req)
        line = f"{emoji} Update on *{ticket}*: {status.lower()} — {_who_has_it(req)}."
        blocks = [kit.section(line)]
    return kit.fallback(line), kit.cap(blocks)


def _your_time(at) -> str:
    """" at today 03:14 your time": a Slack date token, so each reader sees their own
    zone (the fallback inside the token is UTC)."""
    if at is None:
        return ""
    return f" at {md.slack_date(at)} your time"


def ephemeral_confirmation(req: RequestView, channel: str | None = None,
                           team: str | None = None) -> str:
    """The one-line private reply to /emergency:
    "Filed T-42 (sev1, Arabic, detected 93%) — paging <@U1>. Updates in <#C1>."
    `channel` is the intake channel whose thread carries the updates; `team`, given when
    several teams take requests, is named ("Filed T-42 for *emea-desk* (sev1, ...").
    """
    req = content.shown(req)
    ticket = md.escape(md.as_text(req.ticket).strip() or f"#{req.id}")
    if team:
        ticket += f" for *{md.escape(md.as_text(team))}*"
    sev = md.escape(md.as_text(req.severity).strip().lower() or "sev?")
    if md.as_text(req.status) == "received":
        # Committed, not routed yet (the bot is busy): the language may still be unknown.
        lang = (f", {md.escape(language.name(req))}, set by requester"
                if md.as_text(req.language_source) == "explicit" else "")
        return kit.fallback(f"Filed {ticket} ({sev}{lang}) — finding the on-call reader now; "
                            "I'll DM you who is paged.")
    lang = md.escape(f"{language.name(req)}, {md.how_chosen(req)}")
    extra = ", needs translation" if req.needs_translation else ""
    updates = md.channel_link(channel)
    tail = f" Updates in {updates}." if updates else " I'll DM you updates."
    if req.sensitive:
        tail += " Marked as graphic content: the channel sees no text or link."
    return kit.fallback(f"Filed {ticket} ({sev}, {lang}{extra}) — {_who_has_it(req)}.{tail}")



# --- direct DMs ---------------------------------------------------------------------


def direct_message(payload: dict[str, Any]) -> tuple[str, kit.Blocks | None]:
    """A DIRECT outbox row (a shift change, a handoff note, a swap ask): its text was
    written by a service, with references, and is rendered here once; blocks, when the
    Slack side queued them, are Slack's already."""
    text = from_neutral(md.as_text(payload.get("text")))
    if payload.get("checkin"):  # the end-of-shift check-in: its answers as buttons
        return text, checkin.checkin_blocks(text, payload["checkin"])
    if payload.get("sweep"):  # a sweep turn's DM or nudge: its two answers as buttons
        return text, sweep.sweep_blocks(text, payload["sweep"])
    if payload.get("trends"):  # a trend digest: its groups, from the figures
        return trends.digest_blocks(payload["trends"])
    return text, payload.get("blocks")
