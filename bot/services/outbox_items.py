"""What the outbox hands a sender, what a sender may answer, and how rows fold into sends.

The sender is transport-specific (Slack's Web API); this module is the contract between
it and the outbox, in plain values:

- `Delivery`: one message to send, rendered by the sender from the current views, with
  the outbox row ids it covers (they travel with the message, so an unsure send can be
  looked up before it is sent again).
- `PermanentError`: no retry can deliver it (the user is gone, the channel archived).
- `Busy`: the transport turned the call away for now (Slack's 429); nothing was sent,
  and the lane (method and channel) waits `seconds` before its next call.
- `Unsure`: the call may or may not have reached its destination (a timeout, a reset
  connection, a 5xx); the next attempt looks the message up first. Any exception a
  sender does not classify counts as unsure.
- `NotSent`: it failed and nothing was delivered (refused, or never sent): retried.
- `Found`: what an unsure delivery's look-up found in place of sending it again.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol

from bot.core.messages import CARD_UPDATE, PAGE_UPDATE, TIMELINE, PageView, RequestView
from bot.store.paging_writes import OutboxEntry


class PermanentError(Exception):
    """The message can never be delivered (channel gone, bot not in channel...)."""


class Busy(Exception):
    """Turned away for now (rate limited): nothing was sent; try again after `seconds`."""

    def __init__(self, seconds: float, detail: str = "rate limited"):
        super().__init__(f"{detail}; retry after {seconds:g} s")
        self.seconds = max(float(seconds), 0.0)


class Unsure(Exception):
    """The send may have gone through: look it up before sending it again."""


class NotSent(Exception):
    """The send failed and certainly delivered nothing: try again later."""


@dataclass(frozen=True)
class Found:
    """An unsure delivery's message, looked up and found in the conversation (so it was
    not sent again): where it is, and whether it is a digest card (bot.core.surge).
    A card row found in a digest makes that digest the request's card, as if the digest
    pass had settled it: the outbox's settling records it so."""

    at: tuple[str, str]  # (channel, ts)
    digest: bool = False


@dataclass(frozen=True)
class Delivery:
    kind: str
    target: str | None
    payload: dict
    request: RequestView | None
    page: PageView | None
    card: tuple[str, str] | None  # (channel, ts) of the ticket card, once posted
    page_message: tuple[str, str] | None  # (channel, ts) of the page DM, once posted
    ids: tuple[int, ...] = ()  # the outbox rows this message covers, in order
    unsure: bool = False  # an earlier attempt may have reached Slack: look it up first
    since: datetime | None = None  # when the oldest of those rows was written
    # A digest card (DIGEST, or a CARD_UPDATE of a request listed in one): every request
    # it lists, as they are now (bot.core.surge).
    digest: tuple[RequestView, ...] = ()


@dataclass(frozen=True)
class Claimed:
    """Outbox rows a use case wrote already claimed (`sending`), with the views to
    render them: delivered by `Outbox.deliver_claimed` without reading anything."""

    request: RequestView
    rows: tuple[OutboxEntry, ...]
    pages: tuple[PageView, ...]


class Sender(Protocol):
    def send(self, delivery: Delivery) -> tuple[str, str] | Found | None:
        """Deliver; return (channel, ts) of a posted message, if any, or what an unsure
        delivery's look-up found (`Found`: nothing was sent). Raise
        PermanentError for errors that retrying cannot fix, Busy when turned away for
        a while, Unsure when the outcome is unknown; anything else counts as Unsure."""

    def lane(self, delivery: Delivery) -> str:
        """The queue this message waits in when the transport pushes back (e.g. one
        API method to one channel): a Busy answer pauses that lane only."""


@dataclass
class Item:
    """One send, covering one or more outbox rows."""

    ids: list[int]
    kind: str
    delivery: Delivery
    order: tuple[int, int]
    noop: bool = False  # folded away: nothing to send, the rows count as sent
    unsure: bool = False
    since: datetime | None = None

    def add(self, row) -> None:
        self.ids.append(row.id)
        self.unsure = self.unsure or bool(getattr(row, "unsure", False))

    def ready(self) -> Delivery:
        """The delivery as the sender gets it: with every row id it covers."""
        return replace(self.delivery, ids=tuple(self.ids), unsure=self.unsure,
                       since=self.since)


@dataclass
class Outcome:
    ids: list[int]
    kind: str
    # sent | failed | retry | release (not attempted, or turned away) | lost (taken over
    # by another process before it was attempted: neither sent nor settled here)
    action: str
    result: tuple[str, str] | None = None
    error: str | None = None
    page_id: int | None = None
    request_id: int | None = None
    unsure: bool = False  # retry: the attempt may have reached Slack
    until: datetime | None = None  # release: not before then
    at: datetime | None = None  # sent: when the transport answered
    filed: datetime | None = None  # a request's first page DM: when the request was filed
    target: str | None = None  # sent or failed: where it was going (a channel, a user)
    requests: tuple[int, ...] = ()  # a digest sent: the requests it listed for the first time
    in_digest: bool = False  # a card sent: found in a digest card, which is then its card
    # A digest edited in place: ((channel, ts), the requests as that edit showed them).
    digest: tuple | None = None


def fold(rows: list, view: RequestView | None,
         page_views: dict[int, tuple[PageView, tuple[str, str] | None]],
         card: tuple[str, str] | None, card_here: bool, pages_here: set[int]) -> list[Item]:
    """The sends for claimed rows, in delivery order: thread lines that came due together
    go out as one post, several updates of one message are one, and an update of a card
    or page posted in this batch is folded away (the post shows the current state)."""
    items: list[Item] = []
    updates: dict[tuple[str, int | None], Item] = {}
    timeline: Item | None = None
    for row in rows:
        page, page_msg = page_views.get(row.page_id, (None, None)) if row.page_id else (
            None, None)
        d = Delivery(kind=row.kind, target=row.target, payload=dict(row.payload),
                     request=view, page=page, card=card, page_message=page_msg)
        item = Item([], row.kind, d, (row.priority, row.id),
                    since=getattr(row, "created_utc", None))
        if row.kind == TIMELINE:
            if timeline is None:
                timeline = item
                timeline.delivery = replace(d, payload={"lines": []})
                items.append(timeline)
            timeline.add(row)
            timeline.delivery.payload["lines"].append(dict(row.payload))
            continue
        if row.kind in (CARD_UPDATE, PAGE_UPDATE):
            key = (row.kind, row.page_id)
            if key in updates:
                updates[key].add(row)
                continue
            item.noop = (row.kind == CARD_UPDATE and card_here) or (
                row.kind == PAGE_UPDATE and row.page_id in pages_here)
            updates[key] = item
        item.add(row)
        items.append(item)
    items.sort(key=lambda i: i.order)
    return items
