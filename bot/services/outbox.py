"""Delivering the outbox: claim a row, hand it to the sender, record what happened.

Delivery is at least once: a row is marked `sending` before the Slack call and
`sent` after it. If the process dies between the two, the row goes back to
`pending` when a worker starts (`recover`) and is sent again: a rare duplicate
message is better than a page that never arrives.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Protocol

from sqlalchemy.orm import Session

from bot.clock import Clock
from bot.core.messages import (
    CARD,
    CARD_UPDATE,
    DIRECT,
    PAGE,
    PAGE_UPDATE,
    TIMELINE,
    PageView,
    RequestView,
)
from bot.store import paging as q
from bot.store.paging_tables import OutboxRow, PageRow, RequestRow

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8


class PermanentError(Exception):
    """The message can never be delivered (channel gone, bot not in channel...)."""


@dataclass(frozen=True)
class Delivery:
    kind: str
    target: str | None
    payload: dict
    request: RequestView | None
    page: PageView | None
    card: tuple[str, str] | None  # (channel, ts) of the ticket card, once posted
    page_message: tuple[str, str] | None  # (channel, ts) of the page DM, once posted


class Sender(Protocol):
    def send(self, delivery: Delivery) -> tuple[str, str] | None:
        """Deliver; return (channel, ts) of a posted message, if any. Raise
        PermanentError for errors that retrying cannot fix; anything else is retried."""


ViewBuilder = Callable[[Session, RequestRow], RequestView]
PageViewBuilder = Callable[[Session, PageRow], PageView]


class Outbox:
    def __init__(self, session_factory: Callable[[], Session], clock: Clock,
                 request_view: ViewBuilder, page_view: PageViewBuilder):
        self._sf = session_factory
        self._clock = clock
        self._request_view = request_view
        self._page_view = page_view
        self._locks: dict[int, threading.Lock] = {}
        self._locks_guard = threading.Lock()

    def _lock_for(self, request_id: int | None) -> threading.Lock:
        with self._locks_guard:
            if len(self._locks) > 10_000:
                self._locks = {k: v for k, v in self._locks.items() if v.locked()}
            return self._locks.setdefault(request_id or 0, threading.Lock())

    def recover(self, stale_after: timedelta = timedelta(seconds=0)) -> int:
        """Put rows a dead process left in `sending` back to `pending`."""
        with self._sf() as session, session.begin():
            return q.release_stuck_outbox(session, self._clock.now() - stale_after)

    def deliver_pages(self, sender: Sender, request_id: int) -> int:
        """Only the page DMs of a request: what someone is waiting for, sent ahead of the
        card and the thread lines."""
        with self._lock_for(request_id):
            items = self._claim_batch(request_id, kinds=(PAGE,))
            if not items:
                return 0
            outcomes, _ = self._send_batch(sender, items)
            self._finish_batch(outcomes)
            return sum(len(o.ids) for o in outcomes if o.action == "sent")

    def deliver(self, sender: Sender, request_id: int | None = None, limit: int = 500) -> int:
        """Send what is due, pages first, in order per request. Returns rows settled.

        With `request_id`, only that request's messages; without, a sweep of everything
        due (rows with no request, such as swap asks, included)."""
        if request_id is not None:
            with self._lock_for(request_id):
                return self._deliver(sender, request_id, limit)
        with self._sf() as session:
            ids = sorted({r.request_id for r in q.outbox_candidates(
                session, self._clock.now(), q.ANY_REQUEST, limit)}, key=lambda x: x or 0)
        sent = 0
        for rid in ids:
            with self._lock_for(rid):
                sent += self._deliver(sender, rid, limit)
        return sent

    def _deliver(self, sender: Sender, request_id: int | None, limit: int) -> int:
        settled = 0
        while settled < limit:
            items = self._claim_batch(request_id)
            if not items:
                return settled
            outcomes, stopped = self._send_batch(sender, items)
            self._finish_batch(outcomes)
            settled += sum(len(o.ids) for o in outcomes if o.action in ("sent", "failed"))
            if stopped:
                return settled
        return settled

    def _claim_batch(self, request_id: int | None, kinds: tuple[str, ...] | None = None
                     ) -> list[_Item]:
        """Claim every message of one request that can go now, in one transaction, and
        fold the redundant ones: a card posted in this batch needs no update, several
        updates of one message are one, and thread lines go out as one post."""
        now = self._clock.now()
        with self._sf() as session, session.begin():
            rows = q.outbox_candidates(session, now, request_id, 100)
            if kinds is not None:
                rows = [r for r in rows if r.kind in kinds]
            if not rows:
                return []
            req = session.get(RequestRow, request_id) if request_id is not None else None
            if req is not None:
                # Another process may have posted the card since this session last
                # looked: deliver against what is committed now.
                session.refresh(req)
            card_here = any(r.kind == CARD for r in rows)
            pages_here = {r.page_id for r in rows if r.kind == PAGE}
            wanted: list[OutboxRow] = []
            card_waits: bool | None = None
            for row in rows:
                if (row.kind in q.NEEDS_CARD and req is not None and req.card_ts is None
                        and not card_here):
                    if card_waits is None:
                        card_waits = q.card_unsettled(session, req.id)
                    if card_waits:
                        continue  # wait for the card: thread lines and updates go under it
                if row.kind == PAGE_UPDATE and row.page_id not in pages_here:
                    page = session.get(PageRow, row.page_id)
                    session.refresh(page)
                    if page.dm_ts is None and q.page_unsettled(session, page.id):
                        continue  # the page is still on its way in another process
                wanted.append(row)
            got = q.claim_outbox_rows(session, [r.id for r in wanted], now)
            claimed = [r for r in wanted if r.id in got]
            if not claimed:
                return []
            view = self._request_view(session, req) if req is not None else None
            page_views: dict[int, tuple[PageView, tuple[str, str] | None]] = {}
            for row in claimed:
                if row.page_id and row.page_id not in page_views:
                    page = session.get(PageRow, row.page_id)
                    session.refresh(page)
                    page_views[row.page_id] = (
                        self._page_view(session, page),
                        (page.dm_channel, page.dm_ts) if page.dm_ts else None)
            card = (req.card_channel, req.card_ts) if req is not None and req.card_ts else None
            return _fold(claimed, view, page_views, card, card_here, pages_here)

    def _send_batch(self, sender: Sender, items: list[_Item]) -> tuple[list[_Outcome], bool]:
        outcomes: list[_Outcome] = []
        card = next((i.delivery.card for i in items if i.delivery.card), None)
        posted_pages: dict[int, tuple[str, str]] = {}
        stopped = False
        for item in items:
            if stopped:
                outcomes.append(_Outcome(item.ids, item.kind, "release"))
                continue
            if item.noop:
                outcomes.append(_Outcome(item.ids, item.kind, "sent"))
                continue
            d = item.delivery
            if d.kind in q.NEEDS_CARD and d.card is None and card is not None:
                d = replace(d, card=card)
            if d.kind == PAGE_UPDATE and d.page_message is None and d.page is not None:
                d = replace(d, page_message=posted_pages.get(d.page.id))
            try:
                result = sender.send(d)
            except PermanentError as err:
                outcomes.append(_Outcome(item.ids, item.kind, "failed", error=f"permanent: "
                                                                              f"{err}"))
            except Exception as err:  # noqa: BLE001 - any transport failure is retried later
                log.warning("outbox rows %s (%s) failed: %s", item.ids, item.kind, err)
                outcomes.append(_Outcome(item.ids, item.kind, "retry",
                                         error=str(err) or type(err).__name__))
                stopped = True
            else:
                outcomes.append(_Outcome(item.ids, item.kind, "sent", result=result,
                                         page_id=d.page.id if d.page else None,
                                         request_id=d.request.id if d.request else None))
                if result is not None and d.kind == CARD:
                    card = result
                if result is not None and d.kind == PAGE and d.page is not None:
                    posted_pages[d.page.id] = result
        return outcomes, stopped

    def _finish_batch(self, outcomes: list[_Outcome]) -> None:
        now = self._clock.now()
        with self._sf() as session, session.begin():
            q.mark_outbox_sent(session, [i for o in outcomes if o.action == "sent"
                                         for i in o.ids], now)
            for o in outcomes:
                for row_id in o.ids if o.action != "sent" else ():
                    row = session.get(OutboxRow, row_id)
                    if o.action == "release":
                        row.state, row.attempts = "pending", max(row.attempts - 1, 0)
                    elif o.action == "failed" or row.attempts >= MAX_ATTEMPTS:
                        row.state, row.error = "failed", (o.error or "")[:2000]
                        log.error("outbox row %s (%s to %s) given up: %s", row.id, row.kind,
                                  row.target, o.error)
                    else:
                        row.state, row.error = "pending", (o.error or "")[:2000]
                        row.next_attempt_utc = now + q.retry_delay(row.attempts)
                if o.action == "sent" and o.result is not None:
                    if o.kind == CARD and o.request_id:
                        req = session.get(RequestRow, o.request_id)
                        req.card_channel, req.card_ts = o.result
                    elif o.kind == PAGE and o.page_id:
                        page = session.get(PageRow, o.page_id)
                        page.dm_channel, page.dm_ts = o.result

    def enqueue_direct(self, messages: list[tuple[str, dict]]) -> int:
        """Plain DMs ({"text", "blocks"}) that must survive a crash, like swap and cover
        asks: written as outbox rows now, delivered by `deliver`."""
        if not messages:
            return 0
        now = self._clock.now()
        with self._sf() as session, session.begin():
            session.add_all(OutboxRow(kind=DIRECT, target=target, payload=payload,
                                      priority=4, state="pending", attempts=0,
                                      created_utc=now, next_attempt_utc=now)
                            for target, payload in messages)
        return len(messages)

    def in_flight(self) -> int:
        """Rows being sent right now (claimed, not yet settled)."""
        with self._sf() as session:
            return q.sending_outbox_count(session)

    def pending(self) -> int:
        with self._sf() as session:
            return q.pending_outbox_count(session)


@dataclass
class _Item:
    """One send, covering one or more outbox rows."""

    ids: list[int]
    kind: str
    delivery: Delivery
    order: tuple[int, int]
    noop: bool = False  # folded away: nothing to send, the rows count as sent


@dataclass
class _Outcome:
    ids: list[int]
    kind: str
    action: str  # sent | failed | retry | release (not attempted)
    result: tuple[str, str] | None = None
    error: str | None = None
    page_id: int | None = None
    request_id: int | None = None


def _fold(rows: list[OutboxRow], view: RequestView | None,
          page_views: dict[int, tuple[PageView, tuple[str, str] | None]],
          card: tuple[str, str] | None, card_here: bool, pages_here: set[int]
          ) -> list[_Item]:
    items: list[_Item] = []
    updates: dict[tuple[str, int | None], _Item] = {}
    timeline: _Item | None = None
    for row in rows:
        page, page_msg = page_views.get(row.page_id, (None, None)) if row.page_id else (
            None, None)
        d = Delivery(kind=row.kind, target=row.target, payload=dict(row.payload),
                     request=view, page=page, card=card, page_message=page_msg)
        order = (row.priority, row.id)
        if row.kind == TIMELINE:
            if timeline is None:
                timeline = _Item([row.id], TIMELINE,
                                 replace(d, payload={"lines": [dict(row.payload)]}), order)
                items.append(timeline)
            else:
                timeline.ids.append(row.id)
                timeline.delivery.payload["lines"].append(dict(row.payload))
            continue
        if row.kind in (CARD_UPDATE, PAGE_UPDATE):
            # The card or page posted in this batch already shows the current state.
            noop = (row.kind == CARD_UPDATE and card_here) or (
                row.kind == PAGE_UPDATE and row.page_id in pages_here)
            key = (row.kind, row.page_id)
            if key in updates:
                updates[key].ids.append(row.id)
                continue
            updates[key] = _Item([row.id], row.kind, d, order, noop=noop)
            items.append(updates[key])
            continue
        items.append(_Item([row.id], row.kind, d, order))
    items.sort(key=lambda i: i.order)
    return items
