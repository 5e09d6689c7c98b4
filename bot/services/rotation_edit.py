"""The edit transaction behind every rotation change, and what it returns.

`RotationBase.apply_edit` runs one edit: load the team and its revision, check who may
do it, build the plan (a pure edit), compare the rosters before and after (refuse or
warn when a language loses cover), save with the expected revision (retried on a
concurrent edit when the caller gave none), audit it and DM the people whose shifts
moved. The services in rotations.py, rotation_swaps.py and rotation_reads.py build on it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from bot.clock import Clock
from bot.core import refs, timezones
from bot.core.checks import changed_shifts, coverage_loss
from bot.core.diff import diff_teams
from bot.core.edits import EditError
from bot.core.model import Team
from bot.core.roster import HolidayDates, Roster
from bot.services.errors import NotFound, ServiceError
from bot.services.rotation_texts import (
    bullets,
    dm_text,
    edit_noun,
    loss_lines,
    stale_message,
    who_may,
)
from bot.services.schedules import RosterCache
from bot.store import team_audit
from bot.store import teams as team_store
from bot.store.direct_messages import queue_direct
from bot.store.teams import RevisionConflict

log = logging.getLogger(__name__)

SessionFactory = Callable[[], Session]
GroupMembers = Callable[[str], Iterable[str]]
"""Slack user-group ID -> its members' user IDs (the Slack side resolves and caches)."""

GUARD = timedelta(days=30)  # coverage must not be lost in this window (at least)
GUARD_MAX = timedelta(days=400)
NOTIFY = timedelta(days=14)  # people whose shifts moved in this window are told
MAX_ATTEMPTS = 3
DM_PRIORITY = 5


class PermissionDenied(ServiceError):
    pass


class StaleEdit(ServiceError):
    """The team changed since the revision the edit was based on."""


class CoverageRefused(ServiceError):
    def __init__(self, message: str, gaps: list[tuple[str, datetime, datetime]]):
        super().__init__(message)
        self.gaps = gaps


def is_manager(team: Team, user: str, group_members: Iterable[str] = ()) -> bool:
    """A manager: listed under `managers`, or in the team's manager group (whose
    members the caller resolved from Slack)."""
    if user in team.managers:
        return True
    return team.manager_group is not None and user in set(group_members)


@dataclass(frozen=True)
class EditResult:
    text: str  # the reply to the actor
    team: str
    revision: int  # the team's revision after the edit
    changed: bool
    changes: tuple[str, ...] = ()  # diff lines
    notified: tuple[str, ...] = ()  # users sent a DM about the change
    warnings: tuple[str, ...] = ()  # coverage lost (managers' edits go through)
    audit_id: int | None = None


@dataclass
class EditPlan:
    after: Team
    action: str
    text: str  # what was done, one line, for the reply, the audit and the DMs
    before: Any = None  # YAML-shaped dicts for the audit
    after_detail: Any = None
    guard: bool = False  # refuse (not just warn) when a language loses cover
    until: datetime | None = None  # the edit reaches this far: check coverage that far
    compare_from: Team | None = None  # "before" for the comparisons (e.g. after a rename)
    extra: dict[str, Any] = field(default_factory=dict)
    check: Callable[[Roster], None] | None = None  # more checks on the roster after
    notes: tuple[str, ...] = ()  # said in the reply and kept in the audit
    warnings: tuple[str, ...] = ()  # likewise, as warnings (beside coverage losses)
    tell: tuple[tuple[str, str], ...] = ()  # (user, DM text): people told of the change


@dataclass(frozen=True)
class EditContext:
    session: Session
    team: Team
    revision: int
    actor: str
    manager: bool
    now: datetime
    roster: Roster


class RotationBase:
    """The state and the edit transaction the rotation services share."""

    def __init__(self, session_factory: SessionFactory, rosters: RosterCache, clock: Clock,
                 group_members: GroupMembers | None = None,
                 holiday_dates: HolidayDates | None = None):
        self.sessions = session_factory
        self.rosters = rosters
        self.clock = clock
        self._group_members = group_members
        self.holiday_dates = holiday_dates if holiday_dates is not None else getattr(
            rosters, "holiday_dates", None)

    # -- the edit transaction -------------------------------------------------------------

    def apply_edit(self, actor: str, team: str | None,
                   build: Callable[[EditContext], EditPlan], manager_verb: str | None,
                   expected_revision: int | None) -> EditResult:
        """Run one edit (see the module docstring); `manager_verb` names what only
        managers may do ("change rotations"), None when anyone may try."""
        name = self.team_name(team, actor)
        groups = self.manager_groups(self.rosters.get(name).team, actor)
        attempts = 1 if expected_revision is not None else MAX_ATTEMPTS
        for attempt in range(attempts):
            try:
                return self._edit_once(actor, name, groups, build, manager_verb,
                                       expected_revision)
            except RevisionConflict as err:
                if attempt == attempts - 1:
                    raise StaleEdit(stale_message(name, expected_revision or err.expected,
                                                  err.actual)) from None
        raise AssertionError("unreachable")

    def _edit_once(self, actor: str, name: str, groups: frozenset[str],
                   build: Callable[[EditContext], EditPlan], manager_verb: str | None,
                   expected_revision: int | None) -> EditResult:
        now = timezones.utc(self.clock.now())
        with self.sessions() as session, session.begin():
            rev, team = self.load_team(session, name)
            if expected_revision is not None and expected_revision != rev:
                raise StaleEdit(stale_message(name, expected_revision, rev))
            manager = is_manager(team, actor, groups)
            if manager_verb and not manager:
                raise PermissionDenied(f"only {who_may(team)} can {manager_verb}")
            ctx = EditContext(session, team, rev, actor, manager, now,
                              Roster(team, self.holiday_dates))
            try:
                plan = build(ctx)
            except EditError as err:
                raise ServiceError(str(err)) from None
            return self._commit(session, ctx, plan, now)

    def _commit(self, session: Session, c: EditContext, plan: EditPlan,
                now: datetime) -> EditResult:
        name = c.team.name
        if plan.after == c.team:
            return EditResult(f"Nothing to change: {plan.text}.", name, c.revision, False)
        before = (Roster(plan.compare_from, self.holiday_dates) if plan.compare_from
                  is not None else c.roster)
        after = Roster(plan.after, self.holiday_dates)
        if plan.check is not None:
            plan.check(after)
        actor_spec = c.team.specialist(c.actor)
        actor_tz = actor_spec.timezone if actor_spec else None
        until = plan.until or now
        warnings = plan.warnings + self.guard_coverage(
            before, after, now, until, edit_noun(plan.action), actor_tz, c.team,
            refuse=plan.guard)
        team_store.save_team(session, plan.after, expected_revision=c.revision)
        revision = c.revision + 1
        changes = diff_teams(c.team, plan.after)
        moved = changed_shifts(before, after, now,
                               max(now + NOTIFY, min(until, now + GUARD_MAX)))
        detail = {"before": plan.before, "after": plan.after_detail, "text": plan.text,
                  "changes": changes, "revision": revision, **plan.extra}
        if warnings:
            detail["warnings"] = list(warnings)
        if plan.notes:
            detail["notes"] = list(plan.notes)
        audit = team_audit.add_entry(session, name, c.actor, plan.action, detail, now)
        notified = []
        for user in sorted(moved):
            if user == c.actor:
                continue
            queue_direct(session, user, dm_text(plan.text, c.actor, moved[user]), DM_PRIORITY,
                         now)
            notified.append(user)
        told = []
        for user, text in plan.tell:
            if user == c.actor or user in notified:
                continue
            queue_direct(session, user, text, DM_PRIORITY, now)
            told.append(user)
        session.flush()
        reply = [f"Done: {plan.text}."]
        if c.actor in moved:
            reply.append("Your shifts:\n" + bullets(moved[c.actor]))
        if notified:
            reply.append("Told about their changed shifts: " + refs.people(notified))
        if told:
            reply.append("Told by DM: " + refs.people(told))
        reply += [f"Note: {n}" for n in plan.notes]
        reply += [f"Warning: {w}" for w in warnings]
        notified += told
        return EditResult("\n".join(reply), name, revision, True, tuple(changes),
                          tuple(notified), tuple(warnings), audit.id)

    def guard_coverage(self, before: Roster, after: Roster, now: datetime, until: datetime,
                       what: str, actor_tz: str | None, team: Team, refuse: bool = True
                       ) -> tuple[str, ...]:
        """Coverage lost from `now` for 30 days (or until `until`, up to 400 days):
        refused (CoverageRefused), or returned as warnings when `refuse` is False."""
        end = max(now + GUARD, min(until, now + GUARD_MAX))
        lost = coverage_loss(before, after, now, end)
        if not lost:
            return ()
        lines = loss_lines(lost, actor_tz)
        if refuse:
            raise CoverageRefused(
                f"{what} would leave " + "; ".join(lines) + ". Pick another time or person, "
                f"or ask {who_may(team)}.", lost)
        return tuple(f"this leaves {line}" for line in lines)

    # -- the team --------------------------------------------------------------------------

    def load_team(self, session: Session, name: str) -> tuple[int, Team]:
        rev = team_store.team_revision(session, name)
        team = team_store.load_team(session, name) if rev is not None else None
        if team is None:
            raise NotFound(f"no team named '{name}'")
        return rev, team

    def team_name(self, team: str | None, actor: str | None) -> str:
        """`team` if it exists; else the only team, or the one `actor` manages or is a
        specialist of (the first team when none fits)."""
        with self.sessions() as session:
            names = team_store.list_team_names(session)
        if team is not None:
            if team not in names:
                raise NotFound(f"no team named '{team}'; teams: {', '.join(names) or 'none'}")
            return team
        if not names:
            raise NotFound("no team is set up yet; import one with "
                           "`oncall-bot schedules import <your team.yaml>`")
        if len(names) == 1 or actor is None:
            return names[0]
        for n in names:
            t = self.rosters.get(n).team
            if actor in t.managers or t.specialist(actor) is not None:
                return n
        return names[0]

    def manager_groups(self, team: Team, actor: str) -> frozenset[str]:
        """Members of the manager group, fetched (outside any transaction) only when
        it can matter."""
        if self._group_members is None or actor in team.managers or not team.manager_group:
            return frozenset()
        try:
            return frozenset(self._group_members(team.manager_group))
        except Exception:  # noqa: BLE001 - Slack down: only listed managers count
            log.warning("could not read the members of user group %s", team.manager_group,
                        exc_info=True)
            return frozenset()
