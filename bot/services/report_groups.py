"""Grouped response reports (`/oncall report [days] by=...`, `oncall-bot report --by ...`):
one transport-neutral row per language, region, category, severity, tier or person.

Every number of a row, for the requests filed in [start, end):
- requests; time to acknowledge (filed -> acknowledged) and to resolve (filed ->
  resolved), p50 and p95 in seconds (method: `bot.core.report_numbers.percentile`);
- escalated: went past the first step (`bot.services.report.went_past_first_step`);
- fallback: answered by a reader of a fallback language (`language_served` false) or
  with a page that needed translation; decline rate: pages declined / pages sent.
- region of a request: the region of its assignee's zone, or of the first person paged
  when nobody took it (`unknown` when nobody was paged).
- tier of a request: `bot.core.report_numbers` ("Tier of a request"): primary,
  secondary, off rotation or unknown, in that order.
- by person: the requests they took (assignee), and for the pages they were sent in
  [start, end): pages, declines, pages in business, evening and sleep hours on their
  own wall clock, on-call hours over the period from the roster, and exposure points.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from bot.core import report_numbers as rn
from bot.core.roster import Roster
from bot.services.report import went_past_first_step
from bot.store import reports as report_store
from bot.store.paging_tables import PageRow, RequestRow

MAX_DAYS = 366


@dataclass(frozen=True)
class GroupRow:
    key: str  # the language code, region, category, severity, or person's Slack ID
    requests: int
    acknowledged: int
    resolved: int
    ack_p50_s: float | None
    ack_p95_s: float | None
    resolve_p50_s: float | None
    resolve_p95_s: float | None
    escalated: int
    escalated_rate: float | None
    fallback: int
    fallback_rate: float | None
    pages: int
    declines: int
    decline_rate: float | None
    # by person only (None otherwise)
    name: str | None = None
    zone: str | None = None
    region: str | None = None
    business_pages: int | None = None
    evening_pages: int | None = None
    sleep_pages: int | None = None
    oncall_hours: float | None = None
    exposure_points: int | None = None

    def as_dict(self) -> dict:
        return asdict(self)


COLUMNS = tuple(GroupRow.__dataclass_fields__)


@dataclass(frozen=True)
class GroupedReport:
    team: str
    start: datetime
    end: datetime
    by: str
    rows: list[GroupRow] = field(default_factory=list)


def group_numbers(key: str, reqs: list[RequestRow], pages_of: dict[int, list[PageRow]],
             pages: list[PageRow]) -> dict:
    acks = [(r.acknowledged_utc - r.created_utc).total_seconds()
            for r in reqs if r.acknowledged_utc is not None]
    fixes = [(r.resolved_utc - r.created_utc).total_seconds()
             for r in reqs if r.resolved_utc is not None]
    escalated = sum(1 for r in reqs if went_past_first_step(r, pages_of[r.id]))
    fallback = sum(1 for r in reqs if r.language_served is False
                   or any(p.needs_translation for p in pages_of[r.id]))
    declines = sum(1 for p in pages if p.state == "declined")
    ack50, ack95 = rn.p50_p95(acks)
    fix50, fix95 = rn.p50_p95(fixes)
    return dict(
        key=key, requests=len(reqs), acknowledged=len(acks), resolved=len(fixes),
        ack_p50_s=ack50, ack_p95_s=ack95, resolve_p50_s=fix50, resolve_p95_s=fix95,
        escalated=escalated, escalated_rate=rn.rate(escalated, len(reqs)),
        fallback=fallback, fallback_rate=rn.rate(fallback, len(reqs)),
        pages=len(pages), declines=declines, decline_rate=rn.rate(declines, len(pages)))


def request_region(r: RequestRow, pages: list[PageRow], zone_of: Callable[[str], str | None]
                   ) -> str:
    if r.assignee:
        return rn.region_of(zone_of(r.assignee))
    first = min(pages, key=lambda p: (p.sent_utc, p.id), default=None)
    return rn.region_of(zone_of(first.user)) if first else "unknown"


def request_tier(r: RequestRow, pages: list[PageRow], roster: Roster) -> str:
    """The tier a request was answered through (`bot.core.report_numbers`)."""
    def first_of(user: str | None) -> PageRow | None:
        mine = [p for p in pages if user is None or p.user == user]
        return min(mine, key=lambda p: (p.sent_utc, p.id), default=None)

    if r.assignee:
        page = first_of(r.assignee)
        at = page.sent_utc if page else (r.acknowledged_utc or r.created_utc)
        return rn.tier_at(roster, r.assignee, at)
    page = first_of(None)
    return rn.tier_at(roster, page.user, page.sent_utc) if page else "unknown"


def _key(by: str, r: RequestRow, pages: list[PageRow], roster: Roster,
         zone_of: Callable[[str], str | None]) -> str:
    if by == "region":
        return request_region(r, pages, zone_of)
    if by == "tier":
        return request_tier(r, pages, roster)
    return getattr(r, by)


def zone_lookup(roster: Roster) -> Callable[[str], str | None]:
    """A person's zone from the roster (None for someone it does not know)."""
    def zone_of(user: str) -> str | None:
        spec = roster.specialist(user)
        return spec.timezone if spec else None
    return zone_of


def grouped_report(session_factory: Callable[[], Session], roster: Roster, start: datetime,
                   end: datetime, by: str) -> GroupedReport:
    if by not in rn.GROUPINGS:
        raise ValueError(f"by must be one of {', '.join(rn.GROUPINGS)}")
    team = roster.team.name
    with session_factory() as session:
        reqs = report_store.requests_filed(session, team, start, end)
        pages = report_store.pages_of_requests(session, [r.id for r in reqs])
        sent = report_store.pages_sent(session, team, start, end) if by == "person" else []
        points = (report_store.exposure_points(session, team, start, end)
                  if by == "person" else {})
    pages_of: dict[int, list[PageRow]] = defaultdict(list)
    for p in pages:
        pages_of[p.request_id].append(p)

    zone_of = zone_lookup(roster)
    if by == "person":
        rows = person_rows(roster, reqs, pages_of, sent, points, start, end, zone_of)
        return GroupedReport(team, start, end, by, rows)
    groups: dict[str, list[RequestRow]] = defaultdict(list)
    for r in reqs:
        groups[_key(by, r, pages_of[r.id], roster, zone_of)].append(r)
    rows = [GroupRow(**group_numbers(k, rs, pages_of, [p for r in rs for p in pages_of[r.id]]))
            for k, rs in groups.items()]
    if by == "severity":  # sev1 first: the order people read severities in
        rows.sort(key=lambda x: x.key)
    elif by == "tier":  # primary first, as rotations page
        rows.sort(key=lambda x: rn.TIER_ORDER.index(x.key))
    else:
        rows.sort(key=lambda x: (-x.requests, x.key))
    return GroupedReport(team, start, end, by, rows)


def person_rows(roster: Roster, reqs: list[RequestRow], pages_of: dict[int, list[PageRow]],
                 sent: list[PageRow], points: dict[str, int], start: datetime,
                 end: datetime, zone_of: Callable[[str], str | None]) -> list[GroupRow]:
    taken: dict[str, list[RequestRow]] = defaultdict(list)
    for r in reqs:
        if r.assignee:
            taken[r.assignee].append(r)
    paged: dict[str, list[PageRow]] = defaultdict(list)
    for p in sent:
        paged[p.user].append(p)
    shifts: dict[str, list[tuple[datetime, datetime]]] = defaultdict(list)
    for a in roster.assignments(start, end, include_uncovered=False):
        shifts[a.user].append((a.start, a.end))
    people = sorted(set(taken) | set(paged) | set(shifts) | set(points))
    rows = []
    for user in people:
        zone = zone_of(user)
        buckets = dict.fromkeys(rn.BUCKETS, 0)
        for p in paged[user]:
            buckets[rn.hour_bucket(p.sent_utc, zone or "UTC")] += 1
        spec = roster.specialist(user)
        rows.append(GroupRow(
            **group_numbers(user, taken[user], pages_of, paged[user]),
            name=spec.name if spec else None, zone=zone, region=rn.region_of(zone),
            business_pages=buckets["business"], evening_pages=buckets["evening"],
            sleep_pages=buckets["sleep"],
            oncall_hours=round(rn.merged_hours(shifts[user], start, end), 2),
            exposure_points=points.get(user, 0)))
    rows.sort(key=lambda x: (-x.pages, -(x.oncall_hours or 0), x.name or x.key))
    return rows
