"""The reads behind response reports: requests filed in a period and their pages."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.store.paging_tables import PageRow, RequestRow


def requests_filed(session: Session, team: str, start: datetime,
                   end: datetime) -> list[RequestRow]:
    return list(session.scalars(select(RequestRow).where(
        RequestRow.team == team, RequestRow.created_utc >= start,
        RequestRow.created_utc < end)))


def pages_of_requests(session: Session, request_ids: list[int]) -> list[PageRow]:
    if not request_ids:
        return []
    return list(session.scalars(select(PageRow).where(PageRow.request_id.in_(request_ids))))
