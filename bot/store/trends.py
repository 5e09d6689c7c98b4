"""The reads behind trend digests: the requests filed in a span, without their text, and
the text of only those that may be shown (not sensitive, not purged)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.store.paging_tables import PageRow, RequestRow

TRENDS_CURSOR = "trends"  # the notice_cursors kind: when the team's last digest went out


def filed_between(session: Session, team: str, lo: datetime, hi: datetime
                  ) -> list[tuple[int, datetime, str, str, str | None]]:
    """(id, created, category, language, assignee) of the team's requests filed in
    (lo, hi]; never any text."""
    rows = session.execute(select(
        RequestRow.id, RequestRow.created_utc, RequestRow.category, RequestRow.language,
        RequestRow.assignee).where(RequestRow.team == team, RequestRow.created_utc > lo,
                                   RequestRow.created_utc <= hi))
    return [tuple(r) for r in rows]


def first_paged(session: Session, request_ids: list[int]) -> dict[int, str]:
    """request id -> the first person paged for it (by page id)."""
    out: dict[int, str] = {}
    for i in range(0, len(request_ids), 500):
        chunk = request_ids[i:i + 500]
        rows = session.execute(select(PageRow.request_id, PageRow.user)
                               .where(PageRow.request_id.in_(chunk)).order_by(PageRow.id))
        for rid, user in rows:
            out.setdefault(rid, user)
    return out


def shown_texts(session: Session, request_ids: list[int]) -> dict[int, str]:
    """request id -> text, for those of `request_ids` that are neither sensitive nor
    purged: the only request text a digest may quote."""
    out: dict[int, str] = {}
    for i in range(0, len(request_ids), 500):
        chunk = request_ids[i:i + 500]
        rows = session.execute(select(RequestRow.id, RequestRow.text).where(
            RequestRow.id.in_(chunk), RequestRow.sensitive.is_(False),
            RequestRow.purged_utc.is_(None)))
        out.update({rid: text for rid, text in rows})
    return out
