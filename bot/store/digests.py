"""Queries of the combined traffic of an intake channel in a surge (bot.core.surge):
the channel's waiting cards and thread lines, and the requests a digest card lists.
Sessions and transactions belong to the caller."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.store.paging_tables import OutboxRow, RequestRow


def channel_rows(session: Session, channel: str, kinds: tuple[str, ...], due_by: datetime,
                 limit: int) -> list[OutboxRow]:
    """Pending rows of `kinds` for one channel due by `due_by`, oldest first. Rows whose
    last attempt may have reached Slack (`unsure`) are left to their own request's
    delivery, which looks them up first."""
    return list(session.scalars(
        select(OutboxRow).where(OutboxRow.state == "pending", OutboxRow.target == channel,
                                OutboxRow.kind.in_(kinds), OutboxRow.unsure.is_(False),
                                OutboxRow.next_attempt_utc <= due_by)
        .order_by(OutboxRow.id).limit(limit)))


def requests_by_id(session: Session, request_ids: list[int]) -> dict[int, RequestRow]:
    if not request_ids:
        return {}
    return {r.id: r for r in session.scalars(
        select(RequestRow).where(RequestRow.id.in_(request_ids)))}


def digest_members(session: Session, channel: str, ts: str) -> list[RequestRow]:
    """The requests a digest card lists, in the order they were filed."""
    return list(session.scalars(
        select(RequestRow).where(RequestRow.card_channel == channel, RequestRow.card_ts == ts,
                                 RequestRow.card_digest.is_(True))
        .order_by(RequestRow.id)))


def record_digest(session: Session, request_ids: list[int], channel: str, ts: str) -> None:
    """These requests' card is the digest posted at (channel, ts)."""
    if request_ids:
        session.execute(update(RequestRow).where(RequestRow.id.in_(request_ids))
                        .values(card_channel=channel, card_ts=ts, card_digest=True))


def update_waiting(session: Session, request_ids: list[int], kind: str) -> bool:
    """Is a `kind` row (a card update) of any of these requests waiting to be sent?"""
    return bool(request_ids) and session.scalar(
        select(OutboxRow.id).where(OutboxRow.request_id.in_(request_ids),
                                   OutboxRow.kind == kind, OutboxRow.state == "pending")
        .limit(1)) is not None
