"""Response metrics for managers: how fast pages are answered, by language (the Slack
adapter formats them)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import median

from sqlalchemy.orm import Session

from bot.store import reports as report_store
from bot.store.paging_tables import PageRow, RequestRow


@dataclass(frozen=True)
class LanguageStats:
    language: str
    requests: int
    acknowledged: int
    resolved: int
    open: int
    median_ack_s: float | None
    p90_ack_s: float | None
    escalated: int  # needed more than the first step
    fallback: int  # went to a backup or needed translation
    declines: int


@dataclass(frozen=True)
class Report:
    team: str
    start: datetime
    end: datetime
    languages: list[LanguageStats]

    @property
    def total(self) -> int:
        return sum(s.requests for s in self.languages)


def _p90(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.9 * (len(ordered) - 1))))]


def response_report(session_factory: Callable[[], Session], team: str, now: datetime,
                    days: int) -> Report:
    start = now - timedelta(days=days)
    with session_factory() as session:
        rows = report_store.requests_filed(session, team, start, now)
        pages = report_store.pages_of_requests(session, [r.id for r in rows])
    by_request: dict[int, list[PageRow]] = defaultdict(list)
    for p in pages:
        by_request[p.request_id].append(p)
    grouped: dict[str, list[RequestRow]] = defaultdict(list)
    for r in rows:
        grouped[r.language].append(r)
    stats = []
    for lang, reqs in sorted(grouped.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        acks = [(r.acknowledged_utc - r.created_utc).total_seconds()
                for r in reqs if r.acknowledged_utc is not None]
        stats.append(LanguageStats(
            language=lang, requests=len(reqs),
            acknowledged=sum(1 for r in reqs if r.acknowledged_utc is not None),
            resolved=sum(1 for r in reqs if r.status == "resolved"),
            open=sum(1 for r in reqs if r.status == "open"),
            median_ack_s=median(acks) if acks else None, p90_ack_s=_p90(acks),
            escalated=sum(1 for r in reqs if any(p.step > 0 or p.round > 0
                                                 for p in by_request[r.id])),
            fallback=sum(1 for r in reqs if any(p.source in ("backup", "translation")
                                                for p in by_request[r.id])),
            declines=sum(1 for r in reqs for p in by_request[r.id] if p.state == "declined"),
        ))
    return Report(team, start, now, stats)
