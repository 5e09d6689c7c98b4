"""The reads behind response reports: requests filed in a period (or linked to a
crisis), their pages, the pages each person got and their exposure points."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.store.crisis_tables import CrisisRequestRow
from bot.store.paging_tables import PageRow, RequestRow
from bot.store.wellbeing_tables import ExposureRow


def requests_filed(session: Session, team: str, start: datetime,
                   end: datetime) -> list[RequestRow]:
    return list(session.scalars(select(RequestRow).where(
        RequestRow.team == team, RequestRow.created_utc >= start,
        RequestRow.created_utc < end)))


def pages_of_requests(session: Session, request_ids: list[int]) -> list[PageRow]:
    if not request_ids:
        return []
    return list(session.scalars(select(PageRow).where(PageRow.request_id.in_(request_ids))))


def pages_sent(session: Session, team: str, start: datetime, end: datetime) -> list[PageRow]:
    """Pages of `team`'s requests sent in [start, end), oldest first (pages per person)."""
    return list(session.scalars(
        select(PageRow).join(RequestRow, RequestRow.id == PageRow.request_id)
        .where(RequestRow.team == team, PageRow.sent_utc >= start, PageRow.sent_utc < end)
        .order_by(PageRow.sent_utc, PageRow.id)))


def exposure_points(session: Session, team: str, start: datetime,
                    end: datetime) -> dict[str, int]:
    """Exposure points counted per person of `team` in [start, end)."""
    rows = session.execute(
        select(ExposureRow.user, func.sum(ExposureRow.weight))
        .where(ExposureRow.team == team, ExposureRow.at_utc >= start,
               ExposureRow.at_utc < end)
        .group_by(ExposureRow.user))
    return {user: int(points or 0) for user, points in rows}


def requests_linked(session: Session, crisis_id: int) -> list[RequestRow]:
    """The requests linked to a crisis, oldest first."""
    return list(session.scalars(
        select(RequestRow).join(CrisisRequestRow, CrisisRequestRow.request_id == RequestRow.id)
        .where(CrisisRequestRow.crisis_id == crisis_id).order_by(RequestRow.id)))


def exposure_of_requests(session: Session, request_ids: list[int]) -> dict[str, int]:
    """Exposure points per person counted for these requests (whenever counted)."""
    if not request_ids:
        return {}
    rows = session.execute(
        select(ExposureRow.user, func.sum(ExposureRow.weight))
        .where(ExposureRow.request_id.in_(request_ids)).group_by(ExposureRow.user))
    return {user: int(points or 0) for user, points in rows}
