"""Reads for the Home tab (issue 10): what waits for one person now."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core.messages import MANAGER_ALERT
from bot.store.paging_tables import OutboxRow, PageRow, RequestRow


def pending_pages_of(session: Session, user: str) -> list[PageRow]:
    """The pages waiting for `user`'s answer, of requests still open, oldest first."""
    return list(session.scalars(
        select(PageRow).join(RequestRow, RequestRow.id == PageRow.request_id)
        .where(PageRow.user == user, PageRow.state == "pending",
               RequestRow.status == "open")
        .order_by(PageRow.id)))


def alerted_requests(session: Session, user: str) -> list[RequestRow]:
    """Open requests nobody has yet that `user` was alerted about as a manager (a
    manager DM was written for them), oldest first."""
    alerted = (select(OutboxRow.request_id)
               .where(OutboxRow.kind == MANAGER_ALERT, OutboxRow.target == user))
    return list(session.scalars(
        select(RequestRow).where(RequestRow.id.in_(alerted), RequestRow.status == "open")
        .order_by(RequestRow.id)))
