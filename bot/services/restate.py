"""Editing what the bot already posted about a request, in place, to how it reads now:
when it is marked sensitive (its text must leave the channel) or its text is purged
after the team's retention. One rule for both: every message the bot posted for the
request is re-rendered from the request's current state (which the renderers redact).

The card and the page DMs have their own in-place updates (CARD_UPDATE, PAGE_UPDATE);
every other posted message (thread posts, manager DMs, escalation-channel alerts,
requester notes, verify asks, "paged again" pings) gets a RESTATE row naming where it
was posted (recorded on its outbox rows when it went out).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core.messages import CARD_UPDATE, PAGE_UPDATE, RESTATABLE, RESTATE, TIMELINE
from bot.services.escalation import resolved_line
from bot.store.paging_tables import OutboxRow, PageRow
from bot.store.paging_writes import RequestWrites


def posted_messages(session: Session, request_id: int) -> dict[tuple[str, str], list[OutboxRow]]:
    """The request's posted messages that RESTATE edits, by (channel, ts), each with its
    outbox rows in order (a thread post holds the lines of several rows)."""
    rows = session.scalars(
        select(OutboxRow).where(OutboxRow.request_id == request_id,
                                OutboxRow.kind.in_(RESTATABLE),
                                OutboxRow.posted_ts.is_not(None))
        .order_by(OutboxRow.id))
    out: dict[tuple[str, str], list[OutboxRow]] = {}
    for row in rows:
        out.setdefault((row.posted_channel, row.posted_ts), []).append(row)
    return out


def restate_posted(w: RequestWrites, pages: Iterable[PageRow]) -> int:
    """Queue an in-place edit of every message the bot posted for `w`'s request (the
    request as `w`'s transaction leaves it); how many edits. A page or card still on its
    way gets its update too (it waits for the post), in case it was rendered before."""
    row = w.request
    count = 0
    if row.card_ts or row.card_channel:
        w.outbox(CARD_UPDATE, row.card_channel)
        count += 1
    for page in pages:
        if page.dm_ts is not None or page.state in ("pending", "acknowledged"):
            w.outbox(PAGE_UPDATE, page.user, page_id=page.id)
            count += 1
    for (channel, ts), rows in posted_messages(w.session, row.id).items():
        first = rows[0]
        payload = {**(first.payload or {}), "kind": first.kind, "ts": ts}
        if first.kind == TIMELINE:
            payload = {"kind": TIMELINE, "ts": ts,
                       "lines": [_line_now(row, r.payload or {}) for r in rows]}
        w.outbox(RESTATE, channel, payload, page_id=first.page_id)
        count += 1
    return count


def _line_now(row, line: dict) -> dict:
    """A thread line as it reads now: a resolve line carries the note only while the
    request is not graphic and not purged (the note is the request's `outcome`)."""
    if line.get("action") != "resolved":
        return line
    return {**line, "text": resolved_line(line.get("actor", ""), row.resolution, row.outcome,
                                          row.sensitive)}
