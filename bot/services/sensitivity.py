"""Graphic content (issue 13): who may open a sensitive request's details, and marking a
request sensitive or not.

- `details`: "Show details" on a page. Only the people paged for the request, its
  assignee, those asked to verify it, and the team's managers may open them; anyone
  else is refused. Every opening is audited ("details_viewed": who, when) and shown on
  the timeline as "Details viewed by @x" (never the text), and counts the request
  toward the viewer's exposure (once per person and request, `store.wellbeing`).
- `mark`: anyone handling the desk may mark a request sensitive ("Mark sensitive" on a
  page or the card): audited, on the timeline, and the card and page DMs re-rendered.
- `unmark`: only a manager; a request whose category is sensitive stays so.

Each use case is one transaction with `now` from the injected clock. The messages a
change of sensitivity re-renders are enqueued in one place, `restate_after_marking`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from bot.clock import Clock
from bot.core import refs
from bot.core.messages import RequestView
from bot.core.model import OTHER, category_from_json
from bot.core.wellbeing import request_weight
from bot.services.errors import NotFound, ServiceError
from bot.services.escalation import record
from bot.services.requests import SessionFactory, locked_request, read_view, ticket
from bot.services.restate import restate_posted
from bot.services.schedules import RosterCache
from bot.services.verification import ASKED
from bot.store import paging as q
from bot.store import wellbeing as exposure
from bot.store.paging_tables import RequestRow
from bot.store.paging_writes import RequestWrites

DETAILS_VIEWED = "details_viewed"
MARKED = "marked_sensitive"
UNMARKED = "unmarked_sensitive"

GroupMembers = Callable[[str], Iterable[str]]


class DetailsRefused(ServiceError):
    """Someone not handling the request asked for its details."""


@dataclass(frozen=True)
class Details:
    """What "Show details" opens: the request as it is held (text, link, fields, note),
    or, once purged, without them."""

    request: RequestView
    counted: bool = False  # this view added the request to the viewer's exposure


@dataclass(frozen=True)
class Marked:
    """The private answer to whoever (un)marked: what happened, transport-neutral."""

    message: str
    request_id: int
    changed: bool = True


def _category(row: RequestRow):
    info = row.category_info or {}
    return category_from_json(info) if info else OTHER


def restate_after_marking(w: RequestWrites, pages: Iterable) -> None:
    """A request's sensitivity changed: every message the bot posted about it (the card,
    page DMs, thread lines, manager DMs, escalation-channel posts, requester notes) is
    rendered again as it may now be shown."""
    restate_posted(w, pages)


class SensitivityService:
    def __init__(self, session_factory: SessionFactory, rosters: RosterCache, clock: Clock,
                 group_members: GroupMembers | None = None):
        """`group_members(group)`: the members of a Slack user group (the team's
        `manager_group`), asked only when the person is not otherwise allowed."""
        self._sf = session_factory
        self.rosters = rosters
        self.clock = clock
        self._group_members = group_members

    # -- who may ------------------------------------------------------------------------

    def _manager(self, team_name: str, user: str) -> bool:
        team = self.rosters.get(team_name).team
        if user in team.managers:
            return True
        if not team.manager_group or self._group_members is None:
            return False
        try:
            return user in set(self._group_members(team.manager_group))
        except Exception:  # noqa: BLE001 - Slack unreachable: the managers list decides
            return False

    @staticmethod
    def _handling(session, row: RequestRow) -> set[str]:
        """Everyone paged for the request, its assignee, and those asked to verify it."""
        people = {p.user for p in q.pages_of(session, row.id)}
        people |= {a.detail.get("user") for a in q.audit_entries(session, row.id)
                   if a.action == ASKED and isinstance(a.detail, dict)}
        if row.assignee:
            people.add(row.assignee)
        people.discard(None)
        return people

    def _read(self, request_id: int) -> tuple[str, set[str]]:
        """The request's team and the people handling it (a read of its own, so a
        manager check that asks Slack happens outside the write transaction)."""
        with self._sf() as session:
            row = q.get_request(session, request_id)
            if row is None:
                raise NotFound(f"request {request_id} does not exist")
            return row.team, self._handling(session, row)

    # -- Show details -------------------------------------------------------------------

    def details(self, request_id: int, user: str) -> Details:
        """The details of a request for `user`, if they may see them: audited, on the
        timeline and counted toward their exposure (a sensitive request still held)."""
        team, handling = self._read(request_id)
        allowed = user in handling or self._manager(team, user)
        now = self.clock.now()
        with self._sf() as session, session.begin():
            row = locked_request(session, request_id)
            name = ticket(row)
            if not allowed:
                raise DetailsRefused(
                    f"The details of {name} open only for the people paged for it, its "
                    "assignee and the team's managers. Nothing was shown or recorded.")
            view = read_view(session, row)
            if row.purged_utc is not None or not row.sensitive:
                # Purged: nothing to show (the modal says so). Not sensitive: its text
                # is on the card already; nothing to record.
                return Details(view)
            w = RequestWrites(session, row, now)
            record(w, user, DETAILS_VIEWED, f"Details viewed by {refs.person(user)}", {})
            counted = exposure.record_exposure(
                session, team=row.team, user=user, request_id=row.id,
                weight=request_weight(_category(row), True), kind=exposure.VIEWED, at=now)
            w.flush()
            return Details(view, counted)

    # -- marking ------------------------------------------------------------------------

    def mark(self, request_id: int, user: str) -> Marked:
        """Mark a request sensitive (anyone): its text leaves the card and the pages."""
        now = self.clock.now()
        with self._sf() as session, session.begin():
            row = locked_request(session, request_id)
            name = ticket(row)
            if row.sensitive:
                return Marked(f"{name} is already marked as graphic content; nothing "
                              "changed.", row.id, changed=False)
            w = RequestWrites(session, row, now)
            row.sensitive = True
            record(w, user, MARKED, f"Marked sensitive by {refs.person(user)}", {})
            restate_after_marking(w, q.pages_of(session, row.id))
            w.flush()
            return Marked(f"{name} is marked as graphic content: its text and link are "
                          "taken off the card and the pages; the people handling it open "
                          "them with Show details. Only a manager can undo this.", row.id)

    def unmark(self, request_id: int, user: str) -> Marked:
        """Take the mark off (managers only); a sensitive category's request stays."""
        team, _ = self._read(request_id)
        manager = self._manager(team, user)
        now = self.clock.now()
        with self._sf() as session, session.begin():
            row = locked_request(session, request_id)
            name = ticket(row)
            category = _category(row)
            if not row.sensitive:
                return Marked(f"{name} is not marked as graphic content; nothing changed.",
                              row.id, changed=False)
            if category.sensitive:
                raise ServiceError(
                    f"{name} is a {category.label or category.name} request, and every "
                    "request of that kind is graphic content: it stays marked. Nothing "
                    "changed.")
            if not manager:
                raise ServiceError(
                    f"only a manager of team {row.team} can unmark {name}; ask one if "
                    "its text is safe to show in the channel. Nothing changed.")
            w = RequestWrites(session, row, now)
            row.sensitive = False
            record(w, user, UNMARKED, f"Unmarked sensitive by {refs.person(user)}: the text "
                   "is shown on the card again", {})
            restate_after_marking(w, q.pages_of(session, row.id))
            w.flush()
            return Marked(f"{name} is no longer marked as graphic content: its text is "
                          "shown on the card and the pages again.", row.id)
