"""Requests as people see them: views built from rows already in hand, and the reads.

Intake, escalation and the outbox all show a request the same way; the view is built
here once, from the request row and its pages (those just written or just read), so
no use case selects again what it holds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy.orm import Session

from bot.core import escalation, escalation_words, refs, routing, timezones
from bot.core.messages import PageView, RequestView, TimelineEntry
from bot.core.model import OTHER, UNKNOWN_LANGUAGE, Category, Team, category_from_json
from bot.services.errors import NotFound, ServiceError
from bot.services.load import current_load
from bot.services.schedules import RosterCache
from bot.store import home_reads
from bot.store import paging as q

SessionFactory = Callable[[], Session]
RECEIVED = "received"  # committed and acknowledged, not routed yet
HANDOVER_WAIT = timedelta(minutes=5)  # when the step handed over at sets no wait


class PageLike(Protocol):
    id: int
    user: str
    state: str
    source: str
    needs_translation: bool
    read_as: str | None
    round: int
    step: int


def routing_language(row, team: Team | None = None) -> str:
    """The language a request routes by: its own, or UNKNOWN_LANGUAGE when intake could
    not recognise it (`language_source` "unknown"), which goes by the team's `"*"`
    fallback like any language the team does not serve. Given its `team`, it marks
    the request served or not (`language_served`, shown on the card and pages)."""
    lang = row.language
    if row.language_source == "unknown" or not lang:
        lang = UNKNOWN_LANGUAGE
    if team is not None:
        served = None if team.serves(lang) else False  # None: served (as older rows)
        if row.language_served != served:
            row.language_served = served
    return lang


def duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f}s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def ticket(row) -> str:
    return f"T-{row.id}"


def policy_for(team: Team, severity: str, category: Category | None = None):
    """The policy a request of `category` at `severity` starts with: the category's
    named policy, else the severity's, else the default severity's."""
    policy = team.policy_for(category or OTHER, severity)
    if policy is None:
        raise ServiceError(f"team {team.name} has no escalation policy for {severity}")
    return policy


def progress(row) -> str:
    """Where the escalation stands, in words ("paging every Arabic reader on call,
    second round"): read by people on the card and in the alerts."""
    policy = row.policy
    if row.status == RECEIVED:
        return "finding an on-call reader"
    if row.status != "open":
        return "finished"
    if row.exhausted:
        return "every step has run; nobody has acknowledged"
    if row.esc_step is None:
        return "not started"
    kind = policy["steps"][row.esc_step]["notify"]
    text = escalation_words.fired_prefix(kind, 0, row.language,
                                         getattr(row, "language_served", None) is not False)
    text = text[:1].lower() + text[1:]
    if row.esc_round:
        text += f", {escalation_words.round_name(row.esc_round)}"
    return text


def request_view(row, pages: Iterable[PageLike]) -> RequestView:
    """The view of a request row, given all of its pages."""
    pages = list(pages)
    return RequestView(
        id=row.id, ticket=ticket(row), team=row.team, requester=row.requester,
        text=row.text, link=row.link, severity=row.severity, language=row.language,
        language_source=row.language_source, detected=row.detected,
        confidence=row.confidence, status=row.status, assignee=row.assignee,
        outcome=row.outcome, created=row.created_utc, acknowledged=row.acknowledged_utc,
        resolved=row.resolved_utc,
        paged=tuple(dict.fromkeys(p.user for p in pages if p.state == "pending")),
        needs_translation=any(p.needs_translation for p in pages), escalation=progress(row),
        exhausted=row.exhausted, origin_channel=row.origin_channel, via=row.via,
        busy=(getattr(row, "busy_note", None) or "") if row.status == "open" else "",
        served=getattr(row, "language_served", None) is not False,
        sensitive=bool(getattr(row, "sensitive", False)),
        purged=getattr(row, "purged_utc", None),
        crises=tuple(getattr(row, "crisis_names", None) or ()),
        **_category_view(row))


def _category_view(row) -> dict:
    """The category fields of a request's view, from what was frozen when it was filed."""
    info = row.category_info or {}
    if not info:  # filed before categories existed
        return {}
    category = category_from_json(info)
    values = row.fields or {}
    return dict(
        category=category.name, category_label=category.label,
        fields=tuple((f, values[f]) for f in category.fields if values.get(f)),
        due=row.due_utc, two_person=category.two_person, verified_by=row.verified_by,
        verified=row.verified_utc, resolution=row.resolution, skills=category.skills,
        sensitive_category=category.sensitive)


def page_view(page: PageLike, request: RequestView, policy: dict | None = None) -> PageView:
    """The view of a page; with the request's frozen `policy`, when its step's wait runs
    out and what happens then (read by the person paged, under the page's title)."""
    deadline, then = None, ""
    if policy and policy.get("steps"):
        frozen = escalation.policy_from_json(policy)
        step = min(max(getattr(page, "step", 0) or 0, 0), len(frozen.steps) - 1)
        wait = frozen.steps[step].wait
        if wait is None and page.source == "handover":
            wait = HANDOVER_WAIT  # a handover sets a deadline of its own
        sent = getattr(page, "sent_utc", None) or request.created
        if wait is not None:
            deadline = sent + wait
            then = escalation_words.if_nobody(frozen, getattr(page, "round", 0) or 0, step,
                                              request.language, request.served)
    over = getattr(page, "over_limit", None)
    return PageView(page.id, page.user, page.state, page.source, page.needs_translation,
                    request, deadline, then, getattr(page, "sent_utc", None),
                    getattr(page, "read_as", None),
                    over_limit=tuple(over) if over else None)


def locked_request(session: Session, request_id: int):
    """The request row, locked for the caller's transaction; NotFound when there is
    none (a button or a modal naming a request that does not exist)."""
    row = q.lock_request(session, request_id)
    if row is None:
        raise NotFound(f"request {request_id} does not exist")
    return row


def read_view(session: Session, row) -> RequestView:
    """The view of a request row whose pages are not in hand."""
    return request_view(row, q.pages_of(session, row.id))


@dataclass(frozen=True)
class PagingOrder:
    """`/oncall who <lang> [cat:]`: who would be paged now, in order (the first level
    of routing's fallback chain that finds anyone), and the load they were weighed by."""

    at: datetime
    language: str
    category: Category
    candidates: tuple[routing.Candidate, ...]
    load: routing.Load

    def open(self, user: str) -> int:
        return self.load.open.get(user, 0)

    def busy(self, user: str) -> bool:
        return self.load.busy(user)


class RequestService:
    """Reads of requests for every front end: views, the timeline, open requests."""

    def __init__(self, session_factory: SessionFactory, rosters: RosterCache):
        self._sf = session_factory
        self.rosters = rosters

    def request_view(self, request_id: int) -> RequestView:
        with self._sf() as session:
            row = q.get_request(session, request_id)
            if row is None:
                raise NotFound(f"request {request_id} does not exist")
            return read_view(session, row)

    def language_choice(self, request_id: int) -> tuple[tuple[str, ...], str]:
        """For "Set language" on a request: its team's languages (listed first) and the
        language it is in now."""
        with self._sf() as session:
            row = q.get_request(session, request_id)
            if row is None:
                raise NotFound(f"request {request_id} does not exist")
            team, language = row.team, row.language
        return self.rosters.get(team).team.languages, language

    def timeline(self, request_id: int) -> list[TimelineEntry]:
        with self._sf() as session:
            return [TimelineEntry(a.at_utc, a.actor, a.action, a.detail.get("text", a.action))
                    for a in q.audit_entries(session, request_id)]

    def open_requests(self, assignee: str | None = None) -> list[RequestView]:
        with self._sf() as session:
            rows = q.open_requests(session, assignee=assignee)
            pages = q.pages_of_requests(session, [r.id for r in rows])
            return [request_view(r, pages.get(r.id, ())) for r in rows]

    def teams(self) -> list[str]:
        return self.rosters.team_names()

    def paging_order(self, team: str, language: str, category: str | None,
                     now: datetime) -> PagingOrder:
        """Who a request in `language` (of `category`: None, the team's default) would
        page now at its first step, in order, with how busy each is: routing's answer,
        from the same load the escalation reads. An unknown category is refused with
        the team's categories and an example."""
        return self.paging_orders(team, (language,), category, now)[0]

    def paging_orders(self, team: str, languages: Iterable[str], category: str | None,
                      now: datetime) -> list[PagingOrder]:
        """`paging_order` for several languages, the load read once."""
        languages = tuple(languages)
        roster = self.rosters.get(team)
        t = roster.team
        cat = t.category(category)
        if cat is None:
            names = t.category_names
            listed = ", ".join(f"`cat:{c}`" for c in names)
            lang = languages[0] if len(languages) == 1 else (t.languages or ("en",))[0]
            example = refs.command(f"oncall who {lang} cat:{names[0]}")
            raise ServiceError(f"'{refs.typed('cat:' + (category or ''))}' is not one of "
                               f"team {t.name}'s categories; use one of {listed}, "
                               f"e.g. {example}")
        now = timezones.utc(now)
        with self._sf() as session:
            load = current_load(session, now, t.max_open_per_person, team=t,
                                sensitive=cat.sensitive, roster=roster)
        return [PagingOrder(now, lang, cat,
                            tuple(routing.chain(roster, lang, now, load, cat.skills)), load)
                for lang in languages]

    # -- what needs a person now (the Home tab; issue 10) ---------------------------------

    def waiting_for(self, user: str) -> tuple[list[PageView], list[RequestView]]:
        """The pages waiting for `user`'s answer (with their requests), and the open
        requests nobody has yet that `user` was alerted about as a manager."""
        with self._sf() as session:
            pages = home_reads.pending_pages_of(session, user)
            alerted = home_reads.alerted_requests(session, user)
            rows = {p.request_id: None for p in pages} | {r.id: r for r in alerted}
            for p in pages:
                rows[p.request_id] = rows[p.request_id] or q.get_request(session, p.request_id)
            all_pages = q.pages_of_requests(session, list(rows))
            views = {rid: request_view(row, all_pages.get(rid, ())) for rid, row in rows.items()}
            return ([page_view(p, views[p.request_id]) for p in pages],
                    [views[r.id] for r in alerted])
