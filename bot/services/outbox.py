"""Delivering the outbox: claim rows under a lease, hand them to the sender, settle.

Exactly once, as far as anything can be:

- A claimed row (`sending`) holds a lease that its holder renews (`renew`) while the
  send is under way. A holder that died stops renewing; once the lease runs out any
  process takes the row over (`take_over`), marked `unsure`.
- Every message carries the ids of its rows (Slack message metadata). An `unsure` row
  (taken over, or its last attempt ended without a clear answer: a timeout, a reset, a
  5xx) is looked up by the sender before it is sent again, so a message that reached
  Slack before its holder died or before its commit failed is not posted twice.
- Settling retries its transaction for a few seconds (a database blip after a
  successful post must not leave the row to be sent again); if it still fails, the
  rows are let go and their lease runs out, so the lookup decides.

Lanes: a sender names the lane of each message (one API method to one channel). A
`Busy` answer (Slack's 429) pauses that lane until its Retry-After and turns away the
lane's other messages meanwhile, without a retry counted; other lanes go on; a channel
turned away is in a surge and its cards and lines are combined (`bot.core.surge`). A
request's page DMs and the rest of its messages are claimed and sent apart (their own
locks), so a page never waits behind a card or a thread line of the same request."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.orm import Session
from tenacity import Retrying, before_sleep_log, stop_after_delay, wait_exponential

from bot.clock import Clock
from bot.core import surge
from bot.core.messages import CARD, DIGEST, DIRECT, PAGE, PAGE_SIDE, STEP_SIDE, TIMELINE
from bot.keyed_locks import KeyedLocks
from bot.services.outbox_items import (
    Busy,
    Claimed,
    Found,
    Item,
    NotSent,
    Outcome,
    PermanentError,
    Sender,
    Unsure,
    fold,
)
from bot.services.outbox_lanes import LanePauses
from bot.services.outbox_leases import Leases
from bot.services.outbox_ready import digest_lines, placed, ready_rows, restate_digest
from bot.services.requests import page_view, request_view
from bot.store import digests as dq
from bot.store import paging as q
from bot.store.paging_writes import outbox_values

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8
BATCH = 100  # rows of one request claimed at once
SETTLE_FOR = 5.0  # seconds a settling transaction is retried before the lease decides
PAGES, REST = "pages", "rest"  # the two sides of a request, each with its own lock
# A page DM that failed is tried again within this (other messages back off further),
# and for longer: about 2.5 minutes of a failing Slack before it is given up.
PAGE_RETRY_MAX, PAGE_MAX_ATTEMPTS = timedelta(seconds=4), 40
COMBINED = (CARD, TIMELINE)  # an intake channel's traffic that a surge combines


Later = Callable[[Callable[[], None]], None]  # runs a task later (e.g. a pool's submit)


class Outbox(LanePauses):
    def __init__(self, session_factory: Callable[[], Session], clock: Clock,
                 on_refused: Callable[[int, str], None] | None = None,
                 on_settled: Callable[[list[Outcome]], None] | None = None):
        """`on_refused(page_id, cause)`: called once a page DM failed for good (after
        its rows are settled), so the page can move on to someone else.
        `on_settled(outcomes)`: what each attempt came to, once recorded (the app counts
        deliveries with it; nothing here knows how they are counted)."""
        self._sf = session_factory
        self._clock = clock
        self._on_refused = on_refused
        self._on_settled = on_settled
        self._sending = KeyedLocks()
        self._guard = threading.Lock()
        self.leases = Leases(session_factory, clock)  # the rows being sent from here
        self._paused: dict[str, datetime] = {}  # lane -> turned away until
        self._turned_away: dict[str, datetime] = {}  # channel -> Slack's last 429 to it
        # Called with an intake channel in a surge whose cards and thread lines wait to
        # be combined (bot.core.surge); the app runs the channel's digest pass then.
        self.on_surge: Callable[[str], None] | None = None

    # -- claims held by this process ----------------------------------------------------

    def _lock_for(self, request_id: int | None, side: str):
        """Held while this process sends one side of a request (its pages, or the rest)."""
        return self._sending.hold((request_id or 0, side))

    def _hold(self, ids) -> None:
        self.leases.hold(ids)

    def _let_go(self, ids) -> None:
        self.leases.let_go(ids)

    def renew(self) -> int:
        """Renew the lease of every row this process is sending (the lease keeper calls
        this every `LEASE / 3`)."""
        return self.leases.renew()

    def take_over(self) -> int:
        """Rows whose holder stopped renewing go back to pending, to be looked up in
        Slack before they are sent again. Returns how many."""
        return self.leases.take_over()

    def take_over_timed(self) -> tuple[int, float | None]:
        """`take_over`, with the seconds until the earliest lease of another holder
        ends (None: none): the lease keeper times its next look by it."""
        return self.leases.take_over_timed()

    def recover(self) -> int:
        """At start-up: what a dead process was sending, once its leases ran out."""
        return self.take_over()

    # -- delivering ----------------------------------------------------------------------

    def deliver_claimed(self, sender: Sender, claimed: Claimed, later: Later | None = None,
                        defer_rest: Callable[[], bool] | None = None) -> bool:
        """Send what a filing wrote already claimed: the page DMs now (someone is
        waiting for them), the card, its thread and the notes through `later` (inline
        when None), then settle every row in one transaction.

        `defer_rest`, asked once the pages went: when it says so (the sending threads
        are backed up, as in a surge), the pages are settled now and the card, thread
        and notes go back to pending in the database instead of waiting in memory,
        claimed, behind thousands of others; True is returned and the caller queues the
        request's rest (`deliver_rest`), which reads them back."""
        rid = claimed.request.id
        self._hold(r.id for r in claimed.rows)
        pages_here = {p.id for p in claimed.pages}
        items = fold(list(claimed.rows), claimed.request,
                     {p.id: (p, None) for p in claimed.pages}, None,
                     any(r.kind == CARD for r in claimed.rows), pages_here)
        early: list[tuple[int, str]] = []
        try:
            with self._lock_for(rid, PAGES):
                first = self._send_batch(sender, [i for i in items if i.kind in STEP_SIDE])
                for o in first:  # the request's first pages: filing to page DM is measured
                    o.filed = claimed.request.created if o.kind == PAGE else None
                if any(o.action != "sent" for o in first):
                    # A page that did not go is retried (or moved on) now, not once the
                    # card and the thread are through, which may take a while.
                    early = self._settle(first)
                    self._let_go(i for o in first for i in o.ids)
                    first = []
        except BaseException:
            self._let_go(r.id for r in claimed.rows)  # the lease decides
            raise
        self._tell_refused(early)
        rest = [i for i in items if i.kind not in STEP_SIDE]
        if rest and defer_rest is not None and defer_rest():
            try:
                refused = self._settle(first) if first else []
                with self._sf() as session, session.begin():
                    # Due now: a row written claimed has its lease's end as its time.
                    q.release_outbox_rows(session, [i for item in rest for i in item.ids],
                                          self._clock.now())
            finally:
                self._let_go(r.id for r in claimed.rows)
            self._tell_refused(refused)
            return True

        def finish() -> None:
            try:
                with self._lock_for(rid, REST):
                    refused = self._settle(first + self._send_batch(sender, rest, first))
                    if early:  # what moving on wrote may have waited for this card
                        refused += self._deliver(sender, rid, None)[1]
            finally:
                self._let_go(r.id for r in claimed.rows)
            self._tell_refused(refused)

        if later is None:
            finish()
        else:
            try:
                later(finish)
            except RuntimeError:  # shutting down: settle here rather than leave it
                finish()
        return False

    def deliver_pages(self, sender: Sender, request_id: int) -> int:
        """Only the page DMs of a request, and its step's alerts to the managers and the
        escalation channel (`STEP_SIDE`): what someone is waiting for, sent ahead of the
        card and the thread lines. Returns rows settled."""
        with self._lock_for(request_id, PAGES):
            settled, refused = self._deliver(sender, request_id, STEP_SIDE)
        self._tell_refused(refused)
        return settled

    def deliver_rest(self, sender: Sender, request_id: int | None) -> int:
        """Everything but the page DMs of a request (or of no request, with None: swap
        asks and other plain DMs). Returns rows settled."""
        with self._lock_for(request_id, REST):
            settled, refused = self._deliver(sender, request_id, None)
        self._tell_refused(refused)
        return settled

    def deliver(self, sender: Sender, request_id: int | None = None, limit: int = 500) -> int:
        """Send what is due, on this thread, pages first. Returns rows settled.

        With `request_id`, only that request's messages; without, everything due (rows
        with no request, such as swap asks, included)."""
        if request_id is not None:
            return (self.deliver_pages(sender, request_id)
                    + self.deliver_rest(sender, request_id))
        settled = 0
        for rid, has_pages in self.due(limit):
            if has_pages and rid is not None:
                settled += self.deliver_pages(sender, rid)
            settled += self.deliver_rest(sender, rid)
        return settled

    def due(self, limit: int = 500) -> list[tuple[int | None, bool]]:
        """The requests with messages due now (None: rows of no request), pages first,
        each with whether page DMs are among them."""
        with self._sf() as session:
            rows = q.outbox_candidates(session, self._clock.now(), q.ANY_REQUEST, limit)
        found: dict[int | None, bool] = {}
        for r in rows:
            found[r.request_id] = found.get(r.request_id, False) or r.kind in STEP_SIDE
        return list(found.items())

    def _deliver(self, sender: Sender, request_id: int | None,
                 kinds: tuple[str, ...] | None) -> tuple[int, list[tuple[int, str]]]:
        """Claim, send and settle batches until nothing more can go; the rows settled
        and the pages refused for good."""
        settled, refused = 0, []
        while settled < 500:
            items, more = self._claim_batch(request_id, kinds)
            if items:
                ids = [i for item in items for i in item.ids]
                try:
                    outcomes = self._send_batch(sender, items)
                    refused += self._settle(outcomes)
                finally:
                    self._let_go(ids)
                settled += sum(len(o.ids) for o in outcomes if o.action in ("sent", "failed"))
                if any(o.action != "sent" and o.action != "failed" for o in outcomes):
                    break  # the rest waits for its lane or its retry
            if not more:
                break
        return settled, refused

    def _claim_batch(self, request_id: int | None, kinds: tuple[str, ...] | None
                     ) -> tuple[list[Item], bool]:
        """Claim the messages of one request that can go now (its pages with
        kinds=(PAGE,), the rest with None), in one transaction, folded into sends. Also
        says whether more may be waiting (a full batch, or rows held back this time)."""
        now = self._clock.now()
        with self._sf() as session, session.begin():
            rows = q.outbox_candidates(session, now, request_id, BATCH)
            more = len(rows) == BATCH
            rows = [r for r in rows if (r.kind in kinds if kinds else r.kind not in STEP_SIDE)]
            if not rows:
                return [], more
            # A fresh session: the request and its pages as committed now, read once.
            req = q.get_request(session, request_id) if request_id is not None else None
            pages = {p.id: p for p in q.pages_of(session, req.id)} if req is not None else {}
            wanted = [r for r in ready_rows(session, rows, req, pages, now)
                      if not self._waits_for_pass(r.kind, r.target, r.unsure)]
            more = more or len(wanted) < len(rows)
            got = q.claim_outbox_rows(session, [r.id for r in wanted], now)
            claimed = [r for r in wanted if r.id in got]
            if not claimed:
                return [], False
            view = request_view(req, pages.values()) if req is not None else None
            page_views = {
                p.id: (page_view(p, view, req.policy),
                       (p.dm_channel, p.dm_ts) if p.dm_ts else None)
                for p in (pages[r.page_id] for r in claimed if r.page_id in pages)}
            card = (req.card_channel, req.card_ts) if req is not None and req.card_ts else None
            items = fold(claimed, view, page_views, card, any(r.kind == CARD for r in rows),
                         {r.page_id for r in rows if r.kind == PAGE})
            digest_lines(session, req, items)
        # Held once the claim is committed: a renewal before then would not see the rows
        # as being sent (PostgreSQL skips a row whose new state it cannot see yet) and
        # would take them for taken over.
        self._hold(r.id for r in claimed)
        return items, more

    # -- sending -------------------------------------------------------------------------

    def surging(self, channel: str | None) -> bool:
        """Is this channel in a surge (Slack turned a post to it away lately)?"""
        with self._guard:
            return surge.in_surge(self._turned_away.get(channel or ""), self._clock.now())

    def send_combined(self, sender: Sender, items: list[Item]) -> list[Outcome]:
        """Send a channel's combined traffic (claimed by the caller), then settle it."""
        self._hold(ids := [i for item in items for i in item.ids])
        try:
            self._settle(outcomes := self._send_batch(sender, items, combine=False))
        finally:
            self._let_go(ids)
        return outcomes

    def _waits_for_pass(self, kind: str, channel: str | None, unsure: bool) -> bool:
        """A card or thread line for a channel in a surge waits for the channel's
        combined pass (queued here); one that may have reached Slack is looked up alone."""
        if kind in COMBINED and not unsure and self.on_surge and self.surging(channel):
            self.on_surge(channel)
            return True
        return False

    def _diverted(self, d) -> datetime | None:
        """Until when a send waits for its channel's combined pass (None: it goes now)."""
        if not self._waits_for_pass(d.kind, d.target, d.unsure):
            return None
        return self._clock.now() + surge.PACE

    def _send_batch(self, sender: Sender, items: list[Item],
                    before: list[Outcome] = (), combine: bool = True) -> list[Outcome]:
        """Send in order. A failure holds back only what depends on it: later messages
        of its lane, and the thread lines and updates of a card that did not go out.
        With `combine`, a channel's cards and lines in a surge wait for its digest pass."""
        outcomes: list[Outcome] = []
        # Combined: each send has its own thread; a new digest's lines wait for it.
        card = next((i.delivery.card for i in items if i.delivery.card and combine), None)
        card = card or next((o.result for o in before if o.kind == CARD and o.result), None)
        posted = {o.page_id: o.result for o in before if o.kind == PAGE and o.result}
        stopped: dict[str, datetime | None] = {}  # lane -> held back (until)
        card_failed = in_digest = card_gone = False  # gone: refused for good
        for item in items:
            if self.leases.lost(item.ids):  # taken over meanwhile: the taker sends it
                outcomes.append(Outcome(item.ids, item.kind, "lost"))
                # Its lines here wait for the taker's card (with none: marked sent, unposted).
                card_failed = card_failed or item.kind in (CARD, DIGEST)
                continue
            if item.noop:
                outcomes.append(Outcome(item.ids, item.kind, "sent"))
                continue
            d = placed(item.ready(), card, in_digest, posted)
            if card_gone and d.kind == TIMELINE and d.card is None:  # nowhere to thread
                outcomes.append(Outcome(item.ids, item.kind, "failed",
                                        error="permanent: its ticket card was refused"))
                continue
            lane = sender.lane(d)
            held = self._diverted(d) if combine else None
            if held is not None:
                outcomes.append(Outcome(item.ids, item.kind, "release", until=held))
                continue
            if lane in stopped or (card_failed and d.kind in q.NEEDS_CARD):
                outcomes.append(Outcome(item.ids, item.kind, "release",
                                        until=stopped.get(lane)))
                continue
            until = self._paused_until(lane)
            if until is not None:  # turned away a moment ago: no call until then
                stopped[lane] = until
                card_failed = card_failed or d.kind in (CARD, DIGEST)
                outcomes.append(Outcome(item.ids, item.kind, "release", until=until))
                continue
            outcome = self._send_one(sender, item, d, lane)
            outcomes.append(outcome)
            if outcome.until is None:  # answered (not turned away): the lane is open
                self._resume(lane)
            if outcome.action == "sent":
                if outcome.result is not None and d.kind in (CARD, DIGEST):
                    card, in_digest = outcome.result, outcome.in_digest
                if outcome.result is not None and d.kind == PAGE and d.page is not None:
                    posted[d.page.id] = outcome.result
            elif outcome.action != "failed":
                stopped[lane] = outcome.until
                card_failed = card_failed or d.kind in (CARD, DIGEST)
            else:
                card_gone = card_gone or d.kind in (CARD, DIGEST)
        return outcomes

    def _send_one(self, sender: Sender, item: Item, d, lane: str) -> Outcome:
        try:
            result = sender.send(d)
        except PermanentError as err:
            return Outcome(item.ids, item.kind, "failed", error=f"permanent: {err}",
                           page_id=d.page.id if d.page else None, target=d.target)
        except Busy as err:  # Slack's pace, not a failure: the lane waits its Retry-After
            log.info("Slack turned away %s (%s) for %g s: %s", lane, item.kind,
                     err.seconds, err)
            if d.kind in (*COMBINED, DIGEST) and d.target:
                with self._guard:
                    self._turned_away[d.target] = self._clock.now()
            return Outcome(item.ids, item.kind, "release", error=str(err),
                           until=self._pause(lane, err.seconds))
        except Exception as err:  # noqa: BLE001 - retried; unless surely not sent, looked up
            log.warning("outbox rows %s (%s) failed: %s", item.ids, item.kind,
                        err if isinstance(err, Unsure | NotSent) else repr(err),
                        extra={"request_id": d.request.id if d.request else None})
            return Outcome(item.ids, item.kind, "retry", error=str(err) or type(err).__name__,
                           unsure=not isinstance(err, NotSent))
        found = result if isinstance(result, Found) else None  # looked up, not sent again
        return Outcome(item.ids, item.kind, "sent", result=found.at if found else result,
                       in_digest=bool(found and found.digest and d.kind == CARD),
                       requests=tuple(d.payload.get("requests", ())) if d.kind == DIGEST else (),
                       digest=(d.card, d.digest) if d.digest and d.card else None,
                       page_id=d.page.id if d.page else None,
                       request_id=d.request.id if d.request else None, at=self._clock.now(),
                       target=d.target)

    # -- settling ------------------------------------------------------------------------

    def _settle(self, outcomes: list[Outcome]) -> list[tuple[int, str]]:
        """Record what happened, retrying the transaction for a few seconds: the
        messages went out already, so giving up here would send them again. Returns
        the pages Slack refused for good, (page id, cause)."""
        if not outcomes:
            return []
        for attempt in Retrying(stop=stop_after_delay(SETTLE_FOR), reraise=True,
                                wait=wait_exponential(multiplier=0.05, max=1.0),
                                before_sleep=before_sleep_log(log, logging.WARNING)):
            with attempt:
                self._finish_batch(outcomes)
        if self._on_settled is not None:
            try:
                self._on_settled(outcomes)
            except Exception:  # counting must never undo a delivery
                log.exception("recording delivery outcomes failed")
        return [(o.page_id, (o.error or "").removeprefix("permanent: "))
                for o in outcomes
                if o.action == "failed" and o.kind in PAGE_SIDE and o.page_id is not None]

    def _tell_refused(self, refused: list[tuple[int, str]]) -> None:
        """Once settled and unlocked: each refused page moves on (may send, here)."""
        if self._on_refused is None:
            return
        for page_id, cause in refused:
            try:
                self._on_refused(page_id, cause)
            except Exception:  # the page's own deadline still moves the request on
                log.exception("moving refused page %s on failed", page_id)

    def _finish_batch(self, outcomes: list[Outcome]) -> None:
        now = self._clock.now()
        with self._sf() as session, session.begin():
            for o in outcomes:
                if o.action == "lost" or (o.action != "sent" and self.leases.lost(o.ids)):
                    continue  # another process took these rows over: its to settle
                if o.action == "release":
                    q.release_outbox_rows(session, o.ids, o.until)
                elif o.action != "sent":
                    page = o.kind in PAGE_SIDE
                    for row in q.retry_or_fail_outbox_rows(
                            session, o.ids, o.error or "", now,
                            PAGE_MAX_ATTEMPTS if page else MAX_ATTEMPTS,
                            permanent=o.action == "failed", unsure=o.unsure,
                            max_delay=PAGE_RETRY_MAX if page else None):
                        log.error("outbox row %s (%s to %s) given up: %s", row.id, row.kind,
                                  row.target, o.error, extra={"request_id": row.request_id})
            for o in outcomes:  # a digest's new requests; a card row found in a digest
                if o.action == "sent" and o.result and (o.requests or o.in_digest):
                    dq.record_digest(session, list(o.requests) or [o.request_id], *o.result)
            for o in outcomes:  # a digest edited in place: does it show them as they are?
                if o.action == "sent" and o.digest:
                    restate_digest(session, *o.digest, now)
            q.settle_sent(
                session, {i: o.result for o in outcomes if o.action == "sent" for i in o.ids},
                cards={o.request_id: o.result for o in outcomes if o.action == "sent"
                       and o.result is not None and o.kind == CARD and o.request_id
                       and not o.in_digest},
                pages={o.page_id: o.result for o in outcomes if o.action == "sent"
                       and o.result is not None and o.kind == PAGE and o.page_id},
                now=now)

    # -- writing and counting ------------------------------------------------------------

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

