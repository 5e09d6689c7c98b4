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
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from sqlalchemy.orm import Session

from bot.clock import Clock
from bot.core.messages import CARD, DIRECT, PAGE, PAGE_UPDATE, PageView, RequestView
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

    def deliver(self, sender: Sender, request_id: int | None = None, limit: int = 200) -> int:
        """Send what is due, pages first, in order per request. Returns rows sent."""
        sent = 0
        if request_id is not None:
            with self._lock_for(request_id):
                return self._deliver(sender, request_id, limit)
        with self._sf() as session:
            ids = sorted({r.request_id for r in q.outbox_candidates(
                session, self._clock.now(), None, limit)}, key=lambda x: x or 0)
        for rid in ids:
            with self._lock_for(rid):
                sent += self._deliver(sender, rid, limit)
        return sent

    def _deliver(self, sender: Sender, request_id: int | None, limit: int) -> int:
        sent = 0
        blocked: set[int] = set()
        while sent < limit:
            claimed = self._claim(request_id, blocked)
            if claimed is None:
                return sent
            row_id, delivery = claimed
            try:
                result = sender.send(delivery)
            except PermanentError as err:
                self._finish(row_id, None, f"permanent: {err}", permanent=True)
            except Exception as err:  # noqa: BLE001 - any transport failure is retried later
                log.warning("outbox row %s (%s) failed: %s", row_id, delivery.kind, err)
                self._finish(row_id, None, str(err) or type(err).__name__)
                return sent
            else:
                self._finish(row_id, result, None)
                sent += 1
        return sent

    def _claim(self, request_id: int | None, blocked: set[int]
               ) -> tuple[int, Delivery] | None:
        now = self._clock.now()
        with self._sf() as session, session.begin():
            for row in q.outbox_candidates(session, now, request_id, 50):
                if row.id in blocked:
                    continue
                req = session.get(RequestRow, row.request_id) if row.request_id else None
                if (row.kind in q.NEEDS_CARD and req is not None and req.card_ts is None
                        and q.card_unsettled(session, req.id)):
                    blocked.add(row.id)  # wait for the card: thread lines go under it
                    continue
                page = session.get(PageRow, row.page_id) if row.page_id else None
                if (row.kind == PAGE_UPDATE and page is not None and page.dm_ts is None
                        and q.page_unsettled(session, page.id)):
                    blocked.add(row.id)  # the page is still on its way: update it after
                    continue
                if not q.claim_outbox(session, row.id, now):
                    continue
                # Another process may have posted the card or the page since we read
                # them: deliver against what is committed now, not what we read first.
                if req is not None:
                    session.refresh(req)
                if page is not None:
                    session.refresh(page)
                delivery = Delivery(
                    kind=row.kind, target=row.target, payload=dict(row.payload),
                    request=self._request_view(session, req) if req is not None else None,
                    page=self._page_view(session, page) if page is not None else None,
                    card=(req.card_channel, req.card_ts) if req is not None and req.card_ts
                    else None,
                    page_message=(page.dm_channel, page.dm_ts) if page is not None
                    and page.dm_ts else None)
                return row.id, delivery
        return None

    def _finish(self, row_id: int, result: tuple[str, str] | None, error: str | None,
                permanent: bool = False) -> None:
        now = self._clock.now()
        with self._sf() as session, session.begin():
            row = session.get(OutboxRow, row_id)
            if error is None:
                row.state, row.sent_utc, row.error = "sent", now, None
                if result is not None:
                    if row.kind == CARD and row.request_id:
                        req = session.get(RequestRow, row.request_id)
                        req.card_channel, req.card_ts = result
                    elif row.kind == PAGE and row.page_id:
                        page = session.get(PageRow, row.page_id)
                        page.dm_channel, page.dm_ts = result
                return
            row.error = error[:2000]
            if permanent or row.attempts >= MAX_ATTEMPTS:
                row.state = "failed"
                log.error("outbox row %s (%s to %s) given up: %s", row.id, row.kind,
                          row.target, error)
            else:
                row.state = "pending"
                row.next_attempt_utc = now + q.retry_delay(row.attempts)

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

    def pending(self) -> int:
        with self._sf() as session:
            return q.pending_outbox_count(session)
