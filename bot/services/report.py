"""Response metrics for managers: how fast pages are answered, by language and by
severity (the Slack adapter formats them)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from statistics import median

from sqlalchemy.orm import Session

from bot.store import reports as report_store
from bot.store.paging_tables import PageRow, RequestRow


@dataclass(frozen=True)
class GroupStats:
    """How the requests of one language, or of one severity, were answered."""

    key: str  # the language code, or the severity (sev1, sev2, sev3)
    requests: int
    acknowledged: int
    resolved: int
    open: int
    median_ack_s: float | None
    p90_ack_s: float | None
    escalated: int  # went past its first step (see `went_past_first_step`)
    fallback: int  # went to a backup or needed translation
    declines: int

    @property
    def language(self) -> str:  # the name a language's stats had first
        return self.key


LanguageStats = GroupStats


@dataclass(frozen=True)
class Report:
    team: str
    start: datetime
    end: datetime
    languages: list[GroupStats]
    severities: list[GroupStats] = field(default_factory=list)  # sev1 first

    @property
    def total(self) -> int:
        return sum(s.requests for s in self.languages)

    @property
    def escalated(self) -> int:
        return sum(s.escalated for s in self.languages)


def _p90(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.9 * (len(ordered) - 1))))]


def went_past_first_step(r: RequestRow, pages: list[PageRow]) -> bool:
    """An escalation: the request's chain fired anything after its first step (the
    position it last fired is past round 0, step 0: a later step, whether it paged
    someone, alerted the managers or posted to a channel, or a second round), or a page
    went out past it. A decline answered by the next reader at the same step is not."""
    if (r.esc_round or 0, r.esc_step or 0) > (0, 0):
        return True
    return any(p.step > 0 or p.round > 0 for p in pages)


def _stats(key: str, reqs: list[RequestRow], by_request: dict[int, list[PageRow]]
           ) -> GroupStats:
    acks = [(r.acknowledged_utc - r.created_utc).total_seconds()
            for r in reqs if r.acknowledged_utc is not None]
    return GroupStats(
        key=key, requests=len(reqs),
        acknowledged=sum(1 for r in reqs if r.acknowledged_utc is not None),
        resolved=sum(1 for r in reqs if r.status == "resolved"),
        open=sum(1 for r in reqs if r.status == "open"),
        median_ack_s=median(acks) if acks else None, p90_ack_s=_p90(acks),
        escalated=sum(1 for r in reqs if went_past_first_step(r, by_request[r.id])),
        fallback=sum(1 for r in reqs if any(p.source in ("backup", "translation")
                                            for p in by_request[r.id])),
        declines=sum(1 for r in reqs for p in by_request[r.id] if p.state == "declined"),
    )


def response_report(session_factory: Callable[[], Session], team: str, now: datetime,
                    days: int) -> Report:
    start = now - timedelta(days=days)
    with session_factory() as session:
        rows = report_store.requests_filed(session, team, start, now)
        pages = report_store.pages_of_requests(session, [r.id for r in rows])
    by_request: dict[int, list[PageRow]] = defaultdict(list)
    for p in pages:
        by_request[p.request_id].append(p)
    by_language: dict[str, list[RequestRow]] = defaultdict(list)
    by_severity: dict[str, list[RequestRow]] = defaultdict(list)
    for r in rows:
        by_language[r.language].append(r)
        by_severity[r.severity].append(r)
    languages = [_stats(lang, reqs, by_request) for lang, reqs
                 in sorted(by_language.items(), key=lambda kv: (-len(kv[1]), kv[0]))]
    # sev1 before sev2 before sev3: the order people read severities in.
    severities = [_stats(sev, reqs, by_request) for sev, reqs in sorted(by_severity.items())]
    return Report(team, start, now, languages, severities)
