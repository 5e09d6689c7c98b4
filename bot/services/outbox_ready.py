"""Which claimed-to-be rows of a request can go now, and how a request whose card is a
digest (bot.core.surge) has its updates and thread lines delivered."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlalchemy.orm import Session

from bot.core.messages import CARD, CARD_UPDATE, PAGE, PAGE_UPDATE, TIMELINE, RequestView
from bot.services.outbox_items import Delivery, Item
from bot.services.requests import request_view, ticket
from bot.store import digests as dq
from bot.store import paging as q
from bot.store.paging_writes import outbox_values


def ready_rows(session: Session, rows: list, req, pages: dict, now: datetime) -> list:
    """The rows that can go now: thread lines and card updates wait for the card,
    updates of a page DM for the page DM (when another thread or process is sending
    them). Thread lines of a card refused for good fail with it (nowhere to go)."""
    card_here = any(r.kind == CARD for r in rows)
    pages_here = {r.page_id for r in rows if r.kind == PAGE}
    wanted, homeless = [], []
    card_waits: bool | None = None
    for row in rows:
        if (row.kind in q.NEEDS_CARD and req is not None and req.card_ts is None
                and not card_here):
            if card_waits is None:
                card_waits = q.card_unsettled(session, req.id)
                if not card_waits:
                    _read_again(session, req)
            if card_waits:
                continue  # wait for the card: thread lines and updates go under it
            if row.kind == TIMELINE and req.card_ts is None:
                homeless.append(row.id)  # its card is settled and nowhere: refused
                continue
        if row.kind == PAGE_UPDATE and row.page_id not in pages_here:
            page = pages.get(row.page_id)
            if page is not None and page.dm_ts is None:
                if q.page_unsettled(session, page.id):
                    continue  # the page is still on its way
                _read_again(session, page)
        wanted.append(row)
    if homeless:
        q.retry_or_fail_outbox_rows(session, homeless, "its ticket card was refused", now,
                                    0, permanent=True)
    return wanted


def _read_again(session: Session, row) -> None:
    """A card or page DM found settled after its row was read without it: it may have
    been settled in between (on PostgreSQL each statement reads what is committed
    then), so read where it went. Sent with the old read, its thread lines would go
    under no card and its updates nowhere, and be marked sent (the chaos bench's
    "thread lines missing")."""
    session.refresh(row)


def digest_lines(session: Session, req, items: list[Item]) -> None:
    """A request whose card is a digest: its card updates re-render the whole digest
    (every request it lists, as they are now), and its thread lines name its ticket
    (the digest's thread holds several requests' lines)."""
    if req is None or not req.card_digest:
        return
    if any(i.kind == CARD_UPDATE for i in items):
        views = digest_views(session, req.card_channel, req.card_ts)
        for item in items:
            if item.kind == CARD_UPDATE:
                item.delivery = replace(item.delivery, digest=views)
    for item in items:
        if item.kind == TIMELINE:
            item.delivery = lines_named(item.delivery, req)


def digest_views(session: Session, channel: str, ts: str) -> tuple[RequestView, ...]:
    """Every request the digest at (channel, ts) lists, as they are now."""
    members = dq.digest_members(session, channel, ts)
    pages = q.pages_of_requests(session, [m.id for m in members])
    return tuple(request_view(m, pages.get(m.id, ())) for m in members)


def restate_digest(session: Session, card: tuple[str, str],
                   shown: tuple[RequestView, ...], now: datetime) -> None:
    """A digest edit is rendered before it goes out, and Slack keeps the edit that
    lands last: one rendered before a listed request was acknowledged can land after
    that acknowledgement's own edit, and show the request unanswered again. So each
    edit, once sent, is checked in the transaction that settles it: when a request it
    shows has changed since, one more edit is queued (a card update of a listed
    request re-renders the whole digest, as it is then), unless one is waiting already."""
    now_views = {v.id: v for v in digest_views(session, *card)}
    if (now_views and any(now_views.get(v.id, v) != v for v in shown)
            and not dq.update_waiting(session, list(now_views), CARD_UPDATE)):
        first = min(now_views)
        q.insert_outbox_rows(session, [outbox_values(first, CARD_UPDATE, card[0], {}, now)])


def named(line: dict, req) -> dict:
    """A thread line of a request whose card is a digest names its ticket: the digest's
    thread holds several requests' lines. (Every such line is named here.)"""
    return {**line, "ticket": ticket(req)}


def lines_named(d: Delivery, req) -> Delivery:
    """A thread post's lines, all `req`'s, each naming its ticket (`named`)."""
    return replace(d, payload={"lines": [named(line, req) for line in d.payload["lines"]]})


def placed(d: Delivery, card: tuple[str, str] | None, in_digest: bool,
           posted: dict) -> Delivery:
    """A send where an earlier send of its batch put what it refers to: the card its
    lines and updates go under (`in_digest`: the request's card, found in a digest: its
    lines name its ticket), the page DM (page id -> where `posted`) an update edits."""
    if d.kind in q.NEEDS_CARD and d.card is None and card is not None:
        d = replace(d, card=card)
    if in_digest and d.kind == TIMELINE:
        d = lines_named(d, d.request)
    if d.kind == PAGE_UPDATE and d.page_message is None and d.page is not None:
        d = replace(d, page_message=posted.get(d.page.id))
    return d
