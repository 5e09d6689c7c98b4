"""The combined pass of an intake channel in a surge (the rules: `bot.core.surge`).

One pass claims the channel's waiting cards and thread lines across requests, in one
transaction (claims are atomic, so another process's pass or a request's own delivery
never sends a row twice), and sends at most:

- one digest card listing the new requests: posted, or the channel's open digest updated
  in place to list them too (`chat.update`);
- one thread post per thread, with every line waiting for it (each line names its
  ticket in a digest's thread).

Settling marks the cards' rows sent at the digest and makes the digest each listed
request's card (`requests.card_digest`), in the transaction that records the send.
Which digest is open is this process's memory: after a restart, or in another process,
the next pass posts a digest of its own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from bot.clock import Clock
from bot.core import surge
from bot.core.messages import CARD, DIGEST, TIMELINE
from bot.keyed_locks import KeyedLocks
from bot.services.outbox import BATCH, Outbox
from bot.services.outbox_items import Delivery, Item, Sender
from bot.services.outbox_ready import named
from bot.services.requests import request_view
from bot.store import digests as dq
from bot.store import paging as q


@dataclass
class OpenDigest:
    ts: str
    opened: datetime
    listed: list[int] = field(default_factory=list)  # request ids, in order
    # Their card rows' ids: each update's metadata lists them all, so a listed request's
    # card row left unsure (its sender died before settling) is found in this digest.
    rows: list[int] = field(default_factory=list)


class Digests:
    def __init__(self, outbox: Outbox, session_factory: Callable[[], Session], clock: Clock):
        self._outbox = outbox
        self._sf = session_factory
        self._clock = clock
        self._passes = KeyedLocks()  # one combined pass per channel at a time
        self._open: dict[str, OpenDigest] = {}  # channel -> the digest taking requests
        self._last: dict[str, datetime] = {}  # channel -> its last combined pass
        self.sent = 0  # digests posted or updated by this process

    def deliver(self, sender: Sender, channel: str) -> int:
        """One combined pass for `channel` (nothing when its last pass was under
        `surge.PACE` ago: the rows wait for the next). Returns rows settled."""
        with self._passes.hold(channel):
            now = self._clock.now()
            if surge.next_pass(self._last.get(channel), now) is not None:
                return 0
            items, listed, open_digest = self._claim(channel, now)
            if not items:
                return 0
            self._last[channel] = now
            outcomes = self._outbox.send_combined(sender, items)
            for o in outcomes:
                if o.kind == DIGEST and o.action == "retry" and o.unsure and open_digest:
                    # The update may have listed them (its card rows, unsure, are looked up
                    # and found there): another, from memory, would drop them from it.
                    self._open.pop(channel, None)
                if o.kind == DIGEST and o.action == "sent" and o.result:
                    self.sent += 1
                    if open_digest is None or open_digest.ts != o.result[1]:
                        open_digest = self._open[channel] = OpenDigest(o.result[1], now)
                    open_digest.listed.extend(listed)
                    open_digest.rows.extend(o.ids)
            return sum(len(o.ids) for o in outcomes if o.action == "sent")

    def _claim(self, channel: str, now: datetime
               ) -> tuple[list[Item], list[int], OpenDigest | None]:
        """Claim what can go in one pass: the digest (new cards) first, then one post per
        thread. Returns the sends, the requests the digest lists anew, and the open
        digest they are added to (None: a new digest is posted)."""
        with self._sf() as session, session.begin():
            rows = dq.channel_rows(session, channel, (CARD, TIMELINE), now + surge.PACE,
                                   BATCH)
            reqs = dq.requests_by_id(session, list({r.request_id for r in rows
                                                    if r.request_id is not None}))
            open_digest = self._open.get(channel)
            takes = (surge.digest_takes(open_digest.opened, len(open_digest.listed), now)
                     if open_digest else 0)
            if not takes:
                open_digest = None  # none, full or too old: the next cards open a new one
            room = takes or surge.DIGEST_MAX
            cards = [r for r in rows if r.kind == CARD and r.request_id in reqs
                     and reqs[r.request_id].card_ts is None][:room]
            got = q.claim_outbox_rows(session, [r.id for r in cards], now)
            cards = [r for r in cards if r.id in got]
            carded = {r.request_id for r in cards}
            lines = [r for r in rows if r.kind == TIMELINE and r.request_id in reqs
                     and (r.request_id in carded or (reqs[r.request_id].card_ts is not None
                                                     and reqs[r.request_id].card_channel
                                                     == channel))]
            got = q.claim_outbox_rows(session, [r.id for r in lines], now)
            lines = [r for r in lines if r.id in got]
            if not cards and not lines:
                return [], [], None
            items = []
            if cards:
                listed = list(open_digest.listed) if open_digest else []
                pages = q.pages_of_requests(session, listed + sorted(carded))
                members = dq.requests_by_id(session, listed) if listed else {}
                members.update({rid: reqs[rid] for rid in carded})
                views = tuple(request_view(members[rid], pages.get(rid, ()))
                              for rid in listed + [r.request_id for r in cards]
                              if rid in members)
                card = (channel, open_digest.ts) if open_digest else None
                item = Item([], DIGEST, Delivery(
                    DIGEST, channel, {"requests": [r.request_id for r in cards],
                                      "listed_rows": list(open_digest.rows) if open_digest
                                      else []}, None, None,
                    card, None, digest=views), (0, 0), since=cards[0].created_utc)
                for r in cards:
                    item.add(r)
                items.append(item)
            items.extend(_thread_posts(lines, reqs, carded))
            return items, [r.request_id for r in cards], open_digest


def _thread_posts(lines: list, reqs: dict, carded: set[int]) -> list[Item]:
    """One post per thread of the lines claimed (the new digest's thread: card None,
    filled in once the digest is posted), each line naming its ticket in a digest's."""
    by_thread: dict[tuple[str, str] | None, Item] = {}
    for r in lines:
        req = reqs[r.request_id]
        thread = None if r.request_id in carded else (req.card_channel, req.card_ts)
        item = by_thread.get(thread)
        if item is None:
            item = by_thread[thread] = Item([], TIMELINE, Delivery(
                TIMELINE, r.target, {"lines": []}, None, None, thread, None),
                (1, r.id), since=r.created_utc)
        line = dict(r.payload)
        if thread is None or req.card_digest:
            line = named(line, req)
        item.delivery.payload["lines"].append(line)
        item.add(r)
    return sorted(by_thread.values(), key=lambda i: i.order)
