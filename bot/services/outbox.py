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
from bot.services.requests import page_view, request_view
from bot.store import paging as q
from bot.store.paging_writes import OutboxEntry, outbox_values

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8
BATCH = 100  # rows of one request claimed at once


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


@dataclass(frozen=True)
class Claimed:
    """Outbox rows a use case wrote already claimed (`sending`), with the views to
    render them: delivered by `Outbox.deliver_claimed` without reading anything."""

    request: RequestView
    rows: tuple[OutboxEntry, ...]
    pages: tuple[PageView, ...]


Later = Callable[[Callable[[], None]], None]  # runs a task later (e.g. a pool's submit)


Refused = Callable[[int, str], None]  # (page id, Slack's error code)


class Outbox:
    def __init__(self, session_factory: Callable[[], Session], clock: Clock,
                 on_refused: Refused | None = None):
        """`on_refused`: called for each page DM Slack refused for good, once its row
        is marked failed, so the escalation can move on at once instead of waiting out
        the step (it runs on the delivering thread, under that request's lock)."""
        self._sf = session_factory
        self._clock = clock
        self._on_refused = on_refused
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

    def deliver_claimed(self, sender: Sender, claimed: Claimed, later: Later | None = None
                        ) -> None:
        """Send what a filing wrote already claimed: the page DMs now (someone is
        waiting for them), the card, its thread and the notes through `later` (inline
        when None), then settle every row in one transaction."""
        rid = claimed.request.id
        pages_here = {p.id for p in claimed.pages}
        items = _fold(list(claimed.rows), claimed.request,
                      {p.id: (p, None) for p in claimed.pages}, None,
                      any(r.kind == CARD for r in claimed.rows), pages_here)
        with self._lock_for(rid):
            first, stopped = self._send_batch(sender, [i for i in items if i.kind == PAGE])
        rest = [i for i in items if i.kind != PAGE]

        def finish() -> None:
            with self._lock_for(rid):
                if stopped:  # Slack failed us: the rest waits for the retry too
                    outcomes = [_Outcome(i.ids, i.kind, "release") for i in rest]
                else:
                    outcomes, _ = self._send_batch(sender, rest)
                self._finish_batch(first + outcomes)

        if later is None:
            finish()
        else:
            try:
                later(finish)
            except RuntimeError:  # shutting down: settle here rather than leave it
                finish()

    def deliver_pages(self, sender: Sender, request_id: int) -> int:
        """Only the page DMs of a request: what someone is waiting for, sent ahead of the
        card and the thread lines."""
        with self._lock_for(request_id):
            items, _ = self._claim_batch(request_id, kinds=(PAGE,))
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
            items, more = self._claim_batch(request_id)
            if items:
                outcomes, stopped = self._send_batch(sender, items)
                self._finish_batch(outcomes)
                settled += sum(len(o.ids) for o in outcomes
                               if o.action in ("sent", "failed"))
                if stopped:
                    return settled
            if not more:
                return settled
        return settled

    def _claim_batch(self, request_id: int | None, kinds: tuple[str, ...] | None = None
                     ) -> tuple[list[_Item], bool]:
        """Claim every message of one request that can go now, in one transaction, and
        fold the redundant ones: a card posted in this batch needs no update, several
        updates of one message are one, and thread lines go out as one post. Also says
        whether more may be waiting (a full batch, or rows held back this time)."""
        now = self._clock.now()
        with self._sf() as session, session.begin():
            rows = q.outbox_candidates(session, now, request_id, BATCH)
            more = len(rows) == BATCH
            if kinds is not None:
                rows = [r for r in rows if r.kind in kinds]
            if not rows:
                return [], False
            # A fresh session: the request and its pages as committed now, read once.
            req = q.get_request(session, request_id) if request_id is not None else None
            pages = {p.id: p for p in q.pages_of(session, req.id)} if req is not None else {}
            wanted = self._ready(session, rows, req, pages)
            more = more or len(wanted) < len(rows)
            got = q.claim_outbox_rows(session, [r.id for r in wanted], now)
            claimed = [r for r in wanted if r.id in got]
            if not claimed:
                return [], False
            view = request_view(req, pages.values()) if req is not None else None
            page_views = {
                p.id: (page_view(p, view), (p.dm_channel, p.dm_ts) if p.dm_ts else None)
                for p in (pages[r.page_id] for r in claimed if r.page_id in pages)}
            card = (req.card_channel, req.card_ts) if req is not None and req.card_ts else None
            return _fold(claimed, view, page_views, card, any(r.kind == CARD for r in rows),
                         {r.page_id for r in rows if r.kind == PAGE}), more

    @staticmethod
    def _ready(session: Session, rows: list, req, pages: dict) -> list:
        """The rows that can go now: thread lines and card updates wait for the card,
        updates of a page DM for the page DM (when another process is sending them)."""
        card_here = any(r.kind == CARD for r in rows)
        pages_here = {r.page_id for r in rows if r.kind == PAGE}
        wanted = []
        card_waits: bool | None = None
        for row in rows:
            if (row.kind in q.NEEDS_CARD and req is not None and req.card_ts is None
                    and not card_here):
                if card_waits is None:
                    card_waits = q.card_unsettled(session, req.id)
                if card_waits:
                    continue  # wait for the card: thread lines and updates go under it
            if row.kind == PAGE_UPDATE and row.page_id not in pages_here:
                page = pages.get(row.page_id)
                if page is not None and page.dm_ts is None and q.page_unsettled(
                        session, page.id):
                    continue  # the page is still on its way in another process
            wanted.append(row)
        return wanted

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
                                                                              f"{err}",
                                         page_id=d.page.id if d.page else None,
                                         code=str(err)))
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
                if o.action == "release":
                    q.release_outbox_rows(session, o.ids)
                elif o.action != "sent":
                    for row in q.retry_or_fail_outbox_rows(session, o.ids, o.error or "",
                                                          now, MAX_ATTEMPTS,
                                                          permanent=o.action == "failed"):
                        log.error("outbox row %s (%s to %s) given up: %s", row.id, row.kind,
                                  row.target, o.error)
            q.record_posted(
                session,
                cards={o.request_id: o.result for o in outcomes if o.action == "sent"
                       and o.result is not None and o.kind == CARD and o.request_id},
                pages={o.page_id: o.result for o in outcomes if o.action == "sent"
                       and o.result is not None and o.kind == PAGE and o.page_id})
        # Pages Slack refused for good, now that their rows are failed (committed).
        for o in outcomes:
            if (self._on_refused is not None and o.action == "failed" and o.kind == PAGE
                    and o.page_id is not None):
                try:
                    self._on_refused(o.page_id, o.code or "")
                except Exception:  # the step's deadline still moves the request on
                    log.exception("moving on from refused page %s failed", o.page_id)

    def enqueue_direct(self, messages: list[tuple[str, dict]]) -> int:
        """Plain DMs ({"text", "blocks"}) that must survive a crash, like swap and cover
        asks: written as outbox rows now, delivered by `deliver`."""
        if not messages:
            return 0
        now = self._clock.now()
        with self._sf() as session, session.begin():
            q.insert_outbox_rows(session, [outbox_values(None, DIRECT, target, payload, now)
                                           for target, payload in messages])
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
    code: str | None = None  # Slack's error code, when it refused the message for good


def _fold(rows: list, view: RequestView | None,
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
