"""Exposure to graphic content: counting it when someone takes a sensitive request, and
reading it back per person (`/oncall exposure [days]`, the Home tab).

Counting happens inside the use case that makes someone the assignee (acknowledge from
the page, "Take it"), in its transaction (`count_exposure`). The read-outs are
transport-neutral rows (`ExposureReport`), built by `exposure_report`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from bot.core import refs, timezones
from bot.core.escalation import Fired, Page, language_name
from bot.core.messages import DIRECT
from bot.core.model import OTHER, Team, category_from_json
from bot.core.wellbeing import request_weight, window_words
from bot.services.errors import ServiceError
from bot.store import paging as q
from bot.store.paging_writes import RequestWrites
from bot.store.wellbeing import ACKNOWLEDGED, breaks_since, exposure_since, record_exposure

MAX_DAYS = 90


def count_exposure(session: Session, row, user: str, now: datetime,
                   kind: str = ACKNOWLEDGED) -> bool:
    """Count request `row` toward `user`'s exposure when it is sensitive (its frozen
    category's weight), once per person and request. True when this counted it."""
    if not getattr(row, "sensitive", False):
        return False
    info = row.category_info or {}
    category = category_from_json(info) if info else OTHER
    return record_exposure(session, team=row.team, user=user, request_id=row.id,
                           weight=request_weight(category, True), kind=kind, at=now)


# The audit action of a page sent past someone's exposure limit (the managers are told
# once per request: the first such page).
PAGED_PAST_LIMIT = "paged_past_limit"


def limit_notes(pages: tuple[Page, ...]) -> dict[str, dict]:
    """The payload of the page message of each person paged past their limit."""
    return {p.user: {"over_limit": list(p.over_limit)} for p in pages if p.over_limit}


def past_limit(w: RequestWrites, f: Fired, lead: str = "") -> None:
    """For each page of step `f` sent past someone's exposure limit (nobody else who
    reads the language was free): a line on the timeline, and the first time for this
    request a DM to each manager. No request text: only the ticket, category and
    language, since the request is sensitive."""
    from bot.services.escalation import record  # defined there; it imports this module

    over = [p for p in f.pages if p.over_limit]
    if not over:
        return
    row = w.request
    told_before = any(a.action == PAGED_PAST_LIMIT for a in q.audit_entries(w.session, row.id))
    for p in over:
        points, limit, window = p.over_limit
        lang = language_name(p.read_as or row.language)
        record(w, "bot", PAGED_PAST_LIMIT,
               f"{lead}Paged {refs.person(p.user)} past their exposure limit: nobody else "
               f"who reads {lang} was free"
               + ("; the managers were told" if f.limit_told and not told_before else ""),
               {"user": p.user, "points": points, "limit": limit})
        if told_before:
            continue
        told_before = True
        label = (row.category_info or {}).get("label") or "Sensitive request"
        for m in f.limit_told:
            w.outbox(DIRECT, m, {"text": (
                f":warning: {refs.person(p.user)} was paged for T-{row.id} ({label}, {lang}) "
                f"past their exposure limit: {points} sensitive-request points in the last "
                f"{window_words(window)} (limit {limit}), and nobody else who reads {lang} "
                "was free. Check in with them, or find someone to take it over.")})


@dataclass(frozen=True)
class ExposureLine:
    """One person over the report's period."""

    user: str
    name: str
    requests: int  # sensitive requests they acknowledged or opened in the period
    points: int  # those requests' weights
    reached_limit: bool  # at some moment in the period, their window held the limit
    pauses: int  # breaks started in the period
    now_points: int  # points within the exposure window ending now
    at_limit_now: bool
    paused_until: datetime | None  # on a break now, until then


@dataclass(frozen=True)
class ExposureReport:
    team: str
    since: datetime
    until: datetime
    limit: int
    window: timedelta
    lines: tuple[ExposureLine, ...]
    everyone: bool  # a manager's view (every person); else only the asker's own line


def _reached(times: list[tuple[datetime, int]], since: datetime, window: timedelta,
             limit: int) -> bool:
    """Whether the points counted within one window reached `limit` at an instant in
    the period starting at `since` (`times`: each count, oldest first)."""
    for i, (at, _) in enumerate(times):
        if at < since:
            continue
        held = sum(w for t, w in times[:i + 1] if t > at - window)
        if held >= limit:
            return True
    return False


def exposure_report(session_factory: Callable[[], Session], team: Team, asker: str,
                    manager: bool, now: datetime, days: int | None = None
                    ) -> ExposureReport:
    """Per person of `team` (a manager), or the asker's own line (anyone else): over the
    last `days` days (None: the team's exposure window), sensitive requests handled,
    points, whether the limit was reached, breaks taken; and where they stand now."""
    if days is not None and not 1 <= days <= MAX_DAYS:
        raise ServiceError(f"the number of days must be between 1 and {MAX_DAYS}, "
                           f"e.g. {refs.command('oncall exposure 7')}")
    now = timezones.utc(now)
    w = team.wellbeing
    span = w.exposure_window if days is None else timedelta(days=days)
    since = now - span
    first = min(since, now - w.exposure_window) - w.exposure_window
    people = [s.id for s in team.specialists]
    if not manager:
        if asker not in people:
            raise ServiceError(f"only the managers of team {team.name} see everyone's "
                               "exposure, and you are not one of its specialists")
        people = [asker]
    with session_factory() as session:
        counted = exposure_since(session, team.name, first, people)
        breaks = breaks_since(session, team.name, since, people)
    times: dict[str, list[tuple[datetime, int]]] = {}
    for user, at, weight in counted:
        times.setdefault(user, []).append((timezones.utc(at), weight))
    names = {s.id: s.name for s in team.specialists}
    lines = []
    for user in people:
        mine = times.get(user, [])
        inside = [x for x in mine if x[0] >= since]
        now_points = sum(wt for at, wt in mine if at >= now - w.exposure_window)
        mine_breaks = [b for b in breaks if b.user == user]
        started = sum(1 for b in mine_breaks if timezones.utc(b.start_utc) >= since)
        until = max((timezones.utc(b.end_utc) for b in mine_breaks
                     if b.ended_utc is None and timezones.utc(b.start_utc) <= now
                     < timezones.utc(b.end_utc)), default=None)
        lines.append(ExposureLine(
            user=user, name=names.get(user, user), requests=len(inside),
            points=sum(wt for _, wt in inside),
            reached_limit=_reached(mine, since, w.exposure_window, w.exposure_limit),
            pauses=started, now_points=now_points,
            at_limit_now=now_points >= w.exposure_limit, paused_until=until))
    if manager:
        lines.sort(key=lambda x: (-x.now_points, -x.points, x.name.lower()))
    return ExposureReport(team.name, since, now, w.exposure_limit, w.exposure_window,
                          tuple(lines), manager)
