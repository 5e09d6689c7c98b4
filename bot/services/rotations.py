"""Rotation management behind `/oncall`: edits, swaps, cover, time off, and read-outs.

Every edit is ONE transaction with `now` from the injected clock:

1. load the team and its revision;
2. check who may do it (managers, or the person themselves for their own time off,
   swap and cover requests);
3. apply the pure edit (`bot.core.edits`; it validates with `checks.validate_team`);
4. compare the rosters before and after: swaps, cover and a specialist's own time off
   are refused when a language loses its last on-call reader in the next 30 days (or
   until the edit's end, if later); managers get the same finding as a warning;
5. save with `expected_revision` (a concurrent edit makes it fail; without a caller's
   expected revision the edit is simply re-applied to the fresh team, up to 3 times);
6. write an audit row (action, before/after as YAML-shaped dicts, the change lines and
   the text) and a DIRECT outbox DM to every person whose shifts in the next 14 days
   moved (not the actor, who gets the reply).

Arguments arrive parsed (see `bot.core.edit_options`): local times are naive
datetimes or dates and are resolved here: override times in the rotation's zone,
time off and cover in the person's zone, swap dates in each person's own calendar. A
bare date as `to` is inclusive (whole days).

Swap and cover requests change nothing but leave an audit row; that row's id is the
proposal id, and the row is what `accept_*` trusts (the JSON a button carries is only
checked against it), so no extra table is needed.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.clock import Clock
from bot.core import edits, intervals, timezones
from bot.core.checks import changed_shifts, coverage_loss, format_span, language_label
from bot.core.diff import diff_teams
from bot.core.edits import EditError
from bot.core.messages import DIRECT
from bot.core.model import WEEKDAYS, Rotation, Team
from bot.core.roster import HolidayDates, Roster
from bot.services.errors import NotFound, ServiceError
from bot.services.schedules import RosterCache
from bot.store import teams as team_store
from bot.store.paging_tables import AuditRow, OutboxRow
from bot.store.teams import RevisionConflict

log = logging.getLogger(__name__)

SessionFactory = Callable[[], Session]
GroupMembers = Callable[[str], Iterable[str]]
"""Slack user-group ID -> its members' user IDs (the Slack side resolves and caches)."""

GUARD = timedelta(days=30)  # coverage must not be lost in this window (at least)
GUARD_MAX = timedelta(days=400)
NOTIFY = timedelta(days=14)  # people whose shifts moved in this window are told
SWAP_LOOKAHEAD = timedelta(days=60)
MAX_ATTEMPTS = 3
MAX_COVER_PIECES = 14
DM_LINES = 15
SHOW_DAYS = 7


class PermissionDenied(ServiceError):
    pass


class StaleEdit(ServiceError):
    """The team changed since the revision the edit was based on."""


class CoverageRefused(ServiceError):
    def __init__(self, message: str, gaps: list[tuple[str, datetime, datetime]]):
        super().__init__(message)
        self.gaps = gaps


# -- permissions ---------------------------------------------------------------------------------


def is_manager(team: Team, user: str, group_members: Iterable[str] = ()) -> bool:
    """A manager: listed under `managers`, or in the team's manager group (whose
    members the caller resolved from Slack)."""
    if user in team.managers:
        return True
    return team.manager_group is not None and user in set(group_members)


def who_may(team: Team) -> str:
    """'managers (<@U1>, <@U2> or members of the managers' group)'."""
    names = [f"<@{m}>" for m in team.managers]
    if team.manager_group:
        names.append("members of the managers' group")
    if not names:
        return f"managers (team {team.name} has none yet: list them under `managers` in its YAML)"
    if len(names) == 1:
        return f"managers ({names[0]})"
    return f"managers ({', '.join(names[:-1])} or {names[-1]})"


# -- results and proposals ---------------------------------------------------------------------


@dataclass(frozen=True)
class EditResult:
    text: str  # the reply to the actor
    team: str
    revision: int  # the team's revision after the edit
    changed: bool
    changes: tuple[str, ...] = ()  # diff lines
    notified: tuple[str, ...] = ()  # users sent a DM about their shifts
    warnings: tuple[str, ...] = ()  # coverage lost (managers' edits go through)
    audit_id: int | None = None


@dataclass(frozen=True)
class Shift:
    rotation: str
    user: str
    start: datetime  # UTC
    end: datetime  # UTC

    def to_list(self) -> list[str]:
        return [self.rotation, self.user, _iso(self.start), _iso(self.end)]

    @classmethod
    def from_list(cls, v: list[str]) -> Shift:
        return cls(v[0], v[1], _from_iso(v[2]), _from_iso(v[3]))


@dataclass(frozen=True)
class Proposal:
    """A swap or cover request. `give`: the requester's shifts the other person takes;
    `take` (swaps): the other person's shifts the requester takes in return."""

    id: int  # the audit row that recorded the request
    kind: str  # swap | cover
    team: str
    requester: str
    other: str | None  # swap: the person asked; cover: None (anyone may accept)
    give: tuple[Shift, ...]
    take: tuple[Shift, ...] = ()
    text: str = ""  # human summary for the DM / channel post

    def to_json(self) -> dict[str, Any]:
        return {"v": 1, "id": self.id, "k": self.kind, "t": self.team, "r": self.requester,
                "o": self.other, "g": [s.to_list() for s in self.give],
                "tk": [s.to_list() for s in self.take]}

    def to_value(self) -> str:
        """Compact JSON for a Slack button value (under 2,000 characters)."""
        return json.dumps(self.to_json(), separators=(",", ":"))

    @classmethod
    def from_json(cls, d: dict[str, Any], text: str = "") -> Proposal:
        return cls(int(d["id"]), d["k"], d["t"], d["r"], d.get("o"),
                   tuple(Shift.from_list(s) for s in d["g"]),
                   tuple(Shift.from_list(s) for s in d.get("tk") or ()), text)

    @classmethod
    def from_value(cls, value: str) -> Proposal:
        try:
            return cls.from_json(json.loads(value))
        except (ValueError, KeyError, TypeError, IndexError):
            raise ServiceError("this request is not one the bot recognises; ask again") from None

    @property
    def details(self) -> str:
        """The summary without who asked whom: '<@B> takes ...; <@A> takes ...'."""
        return self.text.split(": ", 1)[-1]

    def same_request(self, other: Proposal) -> bool:
        return self.to_json() == other.to_json()


@dataclass
class _Plan:
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


@dataclass(frozen=True)
class _Ctx:
    session: Session
    team: Team
    revision: int
    actor: str
    manager: bool
    now: datetime
    roster: Roster


# -- the service ---------------------------------------------------------------------------------


class RotationService:
    def __init__(self, session_factory: SessionFactory, rosters: RosterCache, clock: Clock,
                 group_members: GroupMembers | None = None,
                 holiday_dates: HolidayDates | None = None):
        self._sf = session_factory
        self.rosters = rosters
        self.clock = clock
        self._group_members = group_members
        self._holiday_dates = holiday_dates if holiday_dates is not None else getattr(
            rosters, "holiday_dates", getattr(rosters, "_holiday_dates", None))

    # -- rotations ------------------------------------------------------------------------

    def create_rotation(self, actor: str, name: str, timezone: str, shift_start: time,
                        shift_end: time,
                        days: Iterable[int] | None = None, handoff_days: int = 7,
                        start: date | None = None, tier: str = "primary", *,
                        team: str | None = None, expected_revision: int | None = None
                        ) -> EditResult:
        """`start` defaults to today in the rotation's zone."""
        def build(c: _Ctx) -> _Plan:
            first = start
            if first is None and timezones.is_valid_zone(timezone):
                first = timezones.local_date(c.now, timezone)
            after = edits.create_rotation(
                c.team, name, timezone, shift_start, shift_end,
                edits.ALL_DAYS if days is None else days, handoff_days, first, tier)
            rot = after.rotation(name)
            return _Plan(after, "rotation.create",
                         f"created rotation {name} ({_rotation_line(rot)})",
                         None, edits.rotation_dict(rot))
        return self._edit(actor, team, build, "create rotations", expected_revision)

    def set_rotation(self, actor: str, name: str, /, *, team: str | None = None,
                     expected_revision: int | None = None, **fields: Any) -> EditResult:
        """Fields as in `edits.set_rotation` (see `edit_options.parse_rotation_options`)."""
        def build(c: _Ctx) -> _Plan:
            before = c.team.rotation(name)
            after = edits.set_rotation(c.team, name, **fields)
            new_name = fields.get("name", name)
            rot = after.rotation(new_name)
            changed = [k for k, v in edits.rotation_dict(rot).items()
                       if before is None or edits.rotation_dict(before).get(k) != v]
            old, new = edits.rotation_dict(before), edits.rotation_dict(rot)
            text = (f"changed rotation {name}: "
                    + ", ".join(f"{k} {_value(old[k])} -> {_value(new[k])}" for k in changed)
                    if changed else f"rotation {name} unchanged")
            return _Plan(after, "rotation.set", text, edits.rotation_dict(before),
                         edits.rotation_dict(rot),
                         compare_from=edits.rename_rotation(c.team, name, new_name)
                         if new_name != name else None)
        return self._edit(actor, team, build, "change rotations", expected_revision)

    def delete_rotation(self, actor: str, name: str, *, team: str | None = None,
                        expected_revision: int | None = None) -> EditResult:
        def build(c: _Ctx) -> _Plan:
            after = edits.delete_rotation(c.team, name)
            rot = c.team.rotation(name)
            dropped = [edits.override_dict(o, c.team) for o in c.team.overrides
                       if o.rotation == name]
            before = {"rotation": edits.rotation_dict(rot), "overrides": dropped}
            return _Plan(after, "rotation.delete", f"deleted rotation {name}", before, None)
        return self._edit(actor, team, build, "delete rotations", expected_revision)

    def add_member(self, actor: str, rotation: str, user: str, position: int | None = None,
                   *, team: str | None = None, expected_revision: int | None = None
                   ) -> EditResult:
        def build(c: _Ctx) -> _Plan:
            after = edits.add_member(c.team, rotation, user, position)
            pos = after.rotation(rotation).members.index(user) + 1
            return self._members_plan(c, after, rotation, "rotation.add",
                                      f"added <@{user}> to {rotation} at position {pos}")
        return self._edit(actor, team, build, "change rotation members", expected_revision)

    def remove_member(self, actor: str, rotation: str, user: str, *, team: str | None = None,
                      expected_revision: int | None = None) -> EditResult:
        def build(c: _Ctx) -> _Plan:
            after = edits.remove_member(c.team, rotation, user)
            return self._members_plan(c, after, rotation, "rotation.remove",
                                      f"removed <@{user}> from {rotation}")
        return self._edit(actor, team, build, "change rotation members", expected_revision)

    def move_member(self, actor: str, rotation: str, user: str, position: int, *,
                    team: str | None = None, expected_revision: int | None = None
                    ) -> EditResult:
        def build(c: _Ctx) -> _Plan:
            after = edits.move_member(c.team, rotation, user, position)
            return self._members_plan(c, after, rotation, "rotation.move",
                                      f"moved <@{user}> to position {position} in {rotation}")
        return self._edit(actor, team, build, "change rotation members", expected_revision)

    @staticmethod
    def _members_plan(c: _Ctx, after: Team, rotation: str, action: str, text: str) -> _Plan:
        return _Plan(after, action, text,
                     {"rotation": rotation, "members": list(c.team.rotation(rotation).members)},
                     {"rotation": rotation, "members": list(after.rotation(rotation).members)})

    # -- specialists -----------------------------------------------------------------------

    def set_specialist(self, actor: str, user: str, languages: Iterable[str] | None = None,
                       timezone: str | None = None, backup: Iterable[str] | None = None,
                       name: str | None = None, *, team: str | None = None,
                       expected_revision: int | None = None) -> EditResult:
        def build(c: _Ctx) -> _Plan:
            before = c.team.specialist(user)
            after = edits.set_specialist(c.team, user, languages, timezone, backup, name)
            now = after.specialist(user)
            verb = "added specialist" if before is None else "updated specialist"
            return _Plan(after, "specialist.set",
                         f"{verb} <@{user}> ({now.timezone}; reads {', '.join(now.languages)}"
                         + (f"; backup {', '.join(now.backup)}" if now.backup else "") + ")",
                         None if before is None else edits.specialist_dict(before),
                         edits.specialist_dict(now))
        return self._edit(actor, team, build, "edit specialists", expected_revision)

    # -- overrides and time off ------------------------------------------------------------

    def override(self, actor: str, rotation: str, user: str, start: date | datetime,
                 end: date | datetime, *, team: str | None = None,
                 expected_revision: int | None = None) -> EditResult:
        """`user` covers `rotation` from `start` to `end`, local times in the rotation's
        zone (a bare date `end` is inclusive)."""
        def build(c: _Ctx) -> _Plan:
            rot = edits.require_rotation(c.team, rotation, edits.EXAMPLES["override"])
            s, e = _resolve_span(start, end, rot.timezone, edits.EXAMPLES["override"])
            after = edits.add_override(c.team, rotation, user, s, e)
            o = after.overrides[-1]
            return _Plan(after, "override.add",
                         f"<@{user}> covers {rotation} {format_span(s, e, rot.timezone)}",
                         None, edits.override_dict(o, after), until=e)
        return self._edit(actor, team, build, "add overrides", expected_revision)

    def away(self, actor: str, start: date | datetime, end: date | datetime,
             user: str | None = None, *, team: str | None = None,
             expected_revision: int | None = None) -> EditResult:
        """Time off for `user` (default: the actor) in that person's zone: two dates
        (whole days, inclusive) or two date-times (half-open). Anyone may mark their own;
        refused for a non-manager when it leaves a language uncovered."""
        who = user or actor

        def build(c: _Ctx) -> _Plan:
            if who != actor and not c.manager:
                raise PermissionDenied(f"only {who_may(c.team)} can mark someone else's "
                                       "time off; mark your own with "
                                       f"{edits.EXAMPLES['away']}")
            spec = c.team.specialist(who)
            if spec is None:
                raise ServiceError(f"<@{who}> is not a specialist of {c.team.name}, so there "
                                   "is no schedule to be away from")
            s, e, all_day = _resolve_away(start, end, spec.timezone)
            after = edits.add_time_off(c.team, who, s, e, all_day)
            t = after.time_off[-1]
            shown = edits.time_off_dict(t, after)
            span = (f"{shown['from']} to {shown['to']}" if all_day
                    else format_span(s, e, spec.timezone))
            return _Plan(after, "time_off.add",
                         f"<@{who}> is away {span} ({spec.timezone})", None, shown,
                         guard=not c.manager, until=e)
        return self._edit(actor, team, build, None, expected_revision)

    # -- swaps ---------------------------------------------------------------------------

    def request_swap(self, actor: str, other_user: str, day: date, *,
                     team: str | None = None) -> Proposal:
        """Propose to trade the actor's shift starting on `day` (their calendar) for
        `other_user`'s shift starting that day (their calendar), or, if they have none
        that day, their next shift in the same rotation. Nothing changes yet: the
        request is audited and returned for the other person to accept or decline."""
        name = self._team_name(team, actor)
        now = timezones.utc(self.clock.now())
        with self._sf() as session, session.begin():
            t = self._load(session, name)[1]
            me, other = _need_specialist(t, actor, "you"), _need_specialist(t, other_user)
            if actor == other_user:
                raise ServiceError(f"swap with someone else; e.g. {edits.EXAMPLES['swap']}")
            roster = Roster(t, self._holiday_dates)
            give = _stints_starting_on(roster, actor, day, me.timezone)
            if not give:
                raise ServiceError(
                    f"you have no shift starting on {day} ({me.timezone}); your next shifts: "
                    f"{_next_shifts_text(roster, actor, now, me.timezone)}; "
                    f"e.g. {edits.EXAMPLES['swap']}")
            give = give[:1]
            if give[0].start <= now:
                raise ServiceError("that shift has already started; ask a manager for an "
                                   "override instead")
            take = _stints_starting_on(roster, other_user, day, other.timezone)[:1]
            if not take:
                take = _next_stint(roster, other_user, give[0], now)
            if not take:
                raise ServiceError(
                    f"<@{other_user}> has no shift on {day} and none coming up in "
                    f"{give[0].rotation} in the next {SWAP_LOOKAHEAD.days} days to trade; "
                    f"ask for cover instead with {edits.EXAMPLES['cover']}")
            if take[0].start <= now:
                raise ServiceError(f"<@{other_user}>'s shift that day has already started; "
                                   "pick another day")
            after = _swap_team(t, give[0], take[0])
            self._guard(roster, Roster(after, self._holiday_dates), now,
                        max(give[0].end, take[0].end), "this swap", me.timezone, t)
            text = (f"<@{actor}> asks <@{other_user}> to swap: <@{other_user}> takes "
                    f"{_shift_text(give[0], other.timezone)}; <@{actor}> takes "
                    f"{_shift_text(take[0], me.timezone)}")
            return self._record_request(session, name, actor, "swap", other_user, give, take,
                                        text, now)

    def accept_swap(self, proposal: int | str | Proposal, by_user: str) -> EditResult:
        return self._accept(proposal, by_user, "swap")

    def decline_swap(self, proposal: int | str | Proposal, by_user: str) -> str:
        """Record the refusal and tell the requester; returns the reply to `by_user`."""
        now = timezones.utc(self.clock.now())
        with self._sf() as session, session.begin():
            p, _ = self._stored_proposal(session, proposal, "swap")
            if by_user != p.other:
                raise PermissionDenied(f"only <@{p.other}> can answer this swap request")
            text = f"<@{by_user}> declined the swap: {p.text}"
            session.add(AuditRow(team=p.team, request_id=None, actor=by_user,
                                 action="swap.declined",
                                 detail={"proposal_id": p.id, "text": text}, at_utc=now))
            self._dm(session, p.requester, f"<@{by_user}> declined your swap request "
                     f"({p.details}).", now)
        return "Declined; they have been told."

    # -- cover --------------------------------------------------------------------------

    def request_cover(self, actor: str, start: date | datetime, end: date | datetime, *,
                      team: str | None = None) -> Proposal:
        """Ask for someone to cover the actor's on-call time between `start` and `end`
        (their zone; dates inclusive). Nothing changes until someone accepts."""
        name = self._team_name(team, actor)
        now = timezones.utc(self.clock.now())
        with self._sf() as session, session.begin():
            t = self._load(session, name)[1]
            me = _need_specialist(t, actor, "you")
            s, e = _resolve_span(start, end, me.timezone, edits.EXAMPLES["cover"])
            if e <= now:
                raise ServiceError(f"that period has passed; e.g. {edits.EXAMPLES['cover']}")
            s = max(s, now)
            roster = Roster(t, self._holiday_dates)
            pieces = _stints(roster, actor, s, e, clip=True)
            if not pieces:
                raise ServiceError(
                    f"you are not on call between {format_span(s, e, me.timezone)} (from now "
                    f"on); your next shifts: {_next_shifts_text(roster, actor, now, me.timezone)}"
                    f"; e.g. {edits.EXAMPLES['cover']}")
            if len(pieces) > MAX_COVER_PIECES:
                raise ServiceError(f"that is {len(pieces)} separate shifts; ask for at most "
                                   f"{MAX_COVER_PIECES} at a time (a shorter period)")
            shown = "; ".join(_shift_text(x, me.timezone) for x in pieces)
            text = f"<@{actor}> asks for cover: {shown}"
            return self._record_request(session, name, actor, "cover", None, tuple(pieces), (),
                                        text, now)

    def accept_cover(self, proposal: int | str | Proposal, by_user: str) -> EditResult:
        return self._accept(proposal, by_user, "cover")

    # -- reads ---------------------------------------------------------------------------

    def revision(self, team: str | None = None) -> int:
        name = self._team_name(team, None)
        with self._sf() as session:
            return team_store.team_revision(session, name) or 0

    def rotation_settings(self, name: str, team: str | None = None
                          ) -> tuple[dict[str, Any], int]:
        """A rotation as its YAML dict, and the team's revision (for an edit modal:
        pass the revision back as `expected_revision`)."""
        tname = self._team_name(team, None)
        with self._sf() as session:
            rev, t = self._load(session, tname)
        rot = t.rotation(name)
        if rot is None:
            raise NotFound(_no_rotation(t, name))
        return edits.rotation_dict(rot), rev

    def list_rotations(self, team: str | None = None) -> str:
        t = self.rosters.get(self._team_name(team, None)).team
        if not t.rotations:
            return (f"Team {t.name} has no rotations yet; create one with "
                    f"{edits.EXAMPLES['create']}")
        lines = [f"*Rotations of {t.name}*"]
        for r in t.rotations:
            lines.append(f"- *{r.name}*: {_rotation_line(r)}; "
                         f"members {_mentions(r.members) or 'none'}")
        return "\n".join(lines)

    def show_rotation(self, name: str, team: str | None = None) -> str:
        roster = self.rosters.get(self._team_name(team, None))
        t = roster.team
        rot = t.rotation(name)
        if rot is None:
            raise NotFound(_no_rotation(t, name))
        now = timezones.utc(self.clock.now())
        tz = rot.timezone
        lines = [f"*{rot.name}*: {_rotation_line(rot)}"]
        if rot.members:
            lines.append("Members, in order:")
            for i, u in enumerate(rot.members, 1):
                s = t.specialist(u)
                about = f" {s.name} ({', '.join(s.languages)})" if s else ""
                lines.append(f"  {i}. <@{u}>{about}")
        else:
            lines.append(f"No members yet: add them with {edits.EXAMPLES['add']}")
        lines.append(f"Next {SHOW_DAYS} days ({tz}):")
        shown = 0
        for a in roster.assignments(now, now + timedelta(days=SHOW_DAYS), rotation=name):
            who = f"<@{a.user}>" if a.user else "*nobody (uncovered)*"
            note = {"substitute": f" (substitute for <@{a.scheduled}>)",
                    "override": " (override)"}.get(a.kind, "")
            lines.append(f"  - {format_span(a.start, a.end, tz)}: {who}{note}")
            shown += 1
        if not shown:
            lines.append("  - no shifts")
        return "\n".join(lines)

    def me(self, user: str, team: str | None = None) -> str:
        roster = self.rosters.get(self._team_name(team, user))
        t = roster.team
        spec = t.specialist(user)
        manager = is_manager(t, user, self._groups(t, user))
        now = timezones.utc(self.clock.now())
        role = " You are a manager of this team." if manager else ""
        if spec is None:
            return f"You are not a specialist of team {t.name}.{role}"
        lines = [f"*{spec.name}* (<@{user}>), team {t.name}.{role}",
                 f"Zone {spec.timezone}; reads {', '.join(spec.languages)} (strongest first)"
                 + (f"; backup for {', '.join(spec.backup)} off shift" if spec.backup else "")
                 + (f"; holidays {spec.holidays}" if spec.holidays else "")]
        rots = [f"{r.name} (position {r.members.index(user) + 1} of {len(r.members)})"
                for r in t.rotations if user in r.members]
        lines.append("Rotations: " + (", ".join(rots) if rots else "none"))
        lines.append(f"Next shifts (14 days, your time): "
                     f"{_next_shifts_text(roster, user, now, spec.timezone, days=14, limit=10)}")
        away = [edits.time_off_dict(x, t) for x in t.time_off if x.user == user and x.end > now]
        if away:
            lines.append("Time off: " + "; ".join(f"{a['from']} to {a['to']}" for a in away))
        return "\n".join(lines)

    # -- the edit transaction -------------------------------------------------------------

    def _edit(self, actor: str, team: str | None, build: Callable[[_Ctx], _Plan],
              manager_verb: str | None, expected_revision: int | None) -> EditResult:
        name = self._team_name(team, actor)
        groups = self._groups(self.rosters.get(name).team, actor)
        attempts = 1 if expected_revision is not None else MAX_ATTEMPTS
        for attempt in range(attempts):
            try:
                return self._edit_once(actor, name, groups, build, manager_verb,
                                       expected_revision)
            except RevisionConflict as err:
                if attempt == attempts - 1:
                    raise StaleEdit(_stale(name, expected_revision or err.expected,
                                           err.actual)) from None
        raise AssertionError("unreachable")

    def _edit_once(self, actor: str, name: str, groups: frozenset[str],
                   build: Callable[[_Ctx], _Plan], manager_verb: str | None,
                   expected_revision: int | None) -> EditResult:
        now = timezones.utc(self.clock.now())
        with self._sf() as session, session.begin():
            rev, team = self._load(session, name)
            if expected_revision is not None and expected_revision != rev:
                raise StaleEdit(_stale(name, expected_revision, rev))
            manager = is_manager(team, actor, groups)
            if manager_verb and not manager:
                raise PermissionDenied(f"only {who_may(team)} can {manager_verb}")
            ctx = _Ctx(session, team, rev, actor, manager, now, Roster(team, self._holiday_dates))
            try:
                plan = build(ctx)
            except EditError as err:
                raise ServiceError(str(err)) from None
            return self._commit(session, ctx, plan, now)

    def _commit(self, session: Session, c: _Ctx, plan: _Plan, now: datetime) -> EditResult:
        name = c.team.name
        if plan.after == c.team:
            return EditResult(f"Nothing to change: {plan.text}.", name, c.revision, False)
        before = (Roster(plan.compare_from, self._holiday_dates) if plan.compare_from
                  is not None else c.roster)
        after = Roster(plan.after, self._holiday_dates)
        if plan.check is not None:
            plan.check(after)
        actor_spec = c.team.specialist(c.actor)
        actor_tz = actor_spec.timezone if actor_spec else None
        until = plan.until or now
        warnings = self._guard(before, after, now, until, _edit_noun(plan.action), actor_tz,
                               c.team, refuse=plan.guard)
        team_store.save_team(session, plan.after, expected_revision=c.revision)
        revision = c.revision + 1
        changes = diff_teams(c.team, plan.after)
        moved = changed_shifts(before, after, now,
                               max(now + NOTIFY, min(until, now + GUARD_MAX)))
        detail = {"before": plan.before, "after": plan.after_detail, "text": plan.text,
                  "changes": changes, "revision": revision, **plan.extra}
        if warnings:
            detail["warnings"] = list(warnings)
        audit = AuditRow(team=name, request_id=None, actor=c.actor, action=plan.action,
                         detail=detail, at_utc=now)
        session.add(audit)
        notified = []
        for user in sorted(moved):
            if user == c.actor:
                continue
            self._dm(session, user, _dm_text(plan.text, c.actor, moved[user]), now)
            notified.append(user)
        session.flush()
        reply = [f"Done: {plan.text}."]
        if c.actor in moved:
            reply.append("Your shifts:\n" + _bullets(moved[c.actor]))
        if notified:
            reply.append("Told about their changed shifts: " + _mentions(notified))
        reply += [f"Warning: {w}" for w in warnings]
        return EditResult("\n".join(reply), name, revision, True, tuple(changes),
                          tuple(notified), tuple(warnings), audit.id)

    def _guard(self, before: Roster, after: Roster, now: datetime, until: datetime,
               what: str, actor_tz: str | None, team: Team, refuse: bool = True
               ) -> tuple[str, ...]:
        """Coverage lost from `now` for 30 days (or until `until`, up to 400 days):
        refused (CoverageRefused), or returned as warnings when `refuse` is False."""
        end = max(now + GUARD, min(until, now + GUARD_MAX))
        lost = coverage_loss(before, after, now, end)
        if not lost:
            return ()
        lines = _loss_lines(lost, actor_tz)
        if refuse:
            raise CoverageRefused(
                f"{what} would leave " + "; ".join(lines) + ". Pick another time or person, "
                f"or ask {who_may(team)}.", lost)
        return tuple(f"this leaves {line}" for line in lines)

    # -- swap / cover plumbing ------------------------------------------------------------

    def _record_request(self, session: Session, team: str, actor: str, kind: str,
                        other: str | None, give: tuple[Shift, ...] | list[Shift],
                        take: tuple[Shift, ...] | list[Shift], text: str, now: datetime
                        ) -> Proposal:
        p = Proposal(0, kind, team, actor, other, tuple(give), tuple(take), text)
        row = AuditRow(team=team, request_id=None, actor=actor, action=f"{kind}.requested",
                       detail={"proposal": p.to_json(), "text": text}, at_utc=now)
        session.add(row)
        session.flush()
        stored = Proposal(row.id, kind, team, actor, other, p.give, p.take, text)
        row.detail = {"proposal": stored.to_json(), "text": text}
        return stored

    def _stored_proposal(self, session: Session, proposal: int | str | Proposal, kind: str
                         ) -> tuple[Proposal, AuditRow]:
        given = None
        if isinstance(proposal, Proposal):
            given = proposal
        elif isinstance(proposal, str) and not proposal.strip().isdigit():
            given = Proposal.from_value(proposal)
        pid = given.id if given is not None else int(proposal)
        row = session.get(AuditRow, pid)
        if row is None or row.action != f"{kind}.requested":
            raise NotFound(f"no such {kind} request; ask again")
        stored = Proposal.from_json(row.detail["proposal"], row.detail.get("text", ""))
        if given is not None and not given.same_request(stored):
            raise ServiceError(f"this {kind} request does not match the one recorded; ask again")
        done = session.scalars(
            select(AuditRow).where(
                AuditRow.team == row.team, AuditRow.id > row.id,
                AuditRow.action.in_((f"{kind}.accepted", f"{kind}.declined")))).all()
        for d in done:
            if (d.detail or {}).get("proposal_id") == pid:
                verb = d.action.split(".")[1]
                raise ServiceError(f"this {kind} request was already {verb} by <@{d.actor}>")
        return stored, row

    def _accept(self, proposal: int | str | Proposal, by_user: str, kind: str) -> EditResult:
        with self._sf() as session:
            p, _ = self._stored_proposal(session, proposal, kind)
        if kind == "swap" and by_user != p.other:
            raise PermissionDenied(f"only <@{p.other}> can accept this swap request")
        if kind == "cover" and by_user == p.requester:
            raise ServiceError("you cannot cover your own shifts; someone else has to accept")

        def build(c: _Ctx) -> _Plan:
            self._stored_proposal(c.session, p, kind)  # not decided meanwhile
            give, take = p.give, p.take
            if kind == "cover":  # whatever has started is past help: cover the rest
                give = tuple(Shift(s.rotation, s.user, max(s.start, c.now), s.end)
                             for s in give if s.end > c.now)
            first = min((s.start for s in (*give, *take)), default=c.now)
            if first < c.now or not give:
                raise ServiceError(f"too late: the {kind} starts {first:%Y-%m-%d %H:%M} UTC, "
                                   "which has passed; ask a manager for an override instead")
            _need_specialist(c.team, by_user, "you")
            for s in (*give, *take):
                if not _on_call_throughout(c.roster, s):
                    raise ServiceError(
                        f"the schedule changed since the request: <@{s.user}> is no longer on "
                        f"call for {s.rotation} {format_span(s.start, s.end, 'UTC')}; "
                        "ask again")
            if kind == "swap":
                after = _swap_team(c.team, p.give[0], p.take[0])
                expect = [Shift(p.give[0].rotation, p.other, p.give[0].start, p.give[0].end),
                          Shift(p.take[0].rotation, p.requester, p.take[0].start,
                                p.take[0].end)]
            else:
                after = c.team
                for s in give:
                    after = edits.add_override(after, s.rotation, by_user, s.start, s.end)
                expect = [Shift(s.rotation, by_user, s.start, s.end) for s in give]

            def check(roster: Roster) -> None:
                for s in expect:
                    if not _on_call_throughout(roster, s):
                        raise ServiceError(
                            f"<@{s.user}> is away during {s.rotation} "
                            f"{format_span(s.start, s.end, 'UTC')}, so they cannot take it")

            shifts = [s.to_list() for s in (*give, *take)]
            return _Plan(after, f"{kind}.accepted",
                         f"<@{by_user}> accepted the {kind} asked by <@{p.requester}> "
                         f"({p.details})",
                         {"shifts": shifts},
                         {"overrides": [edits.override_dict(o, after)
                                        for o in after.overrides[len(c.team.overrides):]]},
                         guard=True, until=max(s.end for s in (*give, *take)),
                         extra={"proposal_id": p.id}, check=check)

        return self._edit(by_user, p.team, build, None, None)

    # -- small helpers ---------------------------------------------------------------------

    def _dm(self, session: Session, user: str, text: str, now: datetime) -> None:
        session.add(OutboxRow(request_id=None, page_id=None, kind=DIRECT, target=user,
                              payload={"text": text}, priority=5, state="pending",
                              attempts=0, created_utc=now, next_attempt_utc=now))

    def _load(self, session: Session, name: str) -> tuple[int, Team]:
        rev = team_store.team_revision(session, name)
        team = team_store.load_team(session, name) if rev is not None else None
        if team is None:
            raise NotFound(f"no team named '{name}'")
        return rev, team

    def _team_name(self, team: str | None, actor: str | None) -> str:
        with self._sf() as session:
            names = team_store.list_team_names(session)
        if team is not None:
            if team not in names:
                raise NotFound(f"no team named '{team}'; teams: {', '.join(names) or 'none'}")
            return team
        if not names:
            raise NotFound("no team is set up yet; import one with "
                           "`oncall-bot schedules import schedules/`")
        if len(names) == 1 or actor is None:
            return names[0]
        for n in names:
            t = self.rosters.get(n).team
            if actor in t.managers or t.specialist(actor) is not None:
                return n
        return names[0]

    def _groups(self, team: Team, actor: str) -> frozenset[str]:
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


# -- module helpers -----------------------------------------------------------------------------


def _iso(dt: datetime) -> str:
    return timezones.utc(dt).strftime("%Y-%m-%dT%H:%M:%SZ")


def _from_iso(text: str) -> datetime:
    return timezones.utc(datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ"))


def _value(v: Any) -> str:
    return ",".join(v) if isinstance(v, list) else str(v)


def _stale(team: str, expected: int, actual: int) -> str:
    return (f"the schedule of {team} changed while you were editing (you started from "
            f"revision {expected}, it is now at {actual}); nothing was saved: reload it and "
            "try again")


def _edit_noun(action: str) -> str:
    return {"swap.accepted": "this swap", "cover.accepted": "this cover",
            "time_off.add": "this time off"}.get(action, "this change")


def _mentions(users: Iterable[str]) -> str:
    return ", ".join(f"<@{u}>" for u in users)


def _bullets(lines: list[str]) -> str:
    shown = [f"- {x}" for x in lines[:DM_LINES]]
    if len(lines) > DM_LINES:
        shown.append(f"- ... and {len(lines) - DM_LINES} more (see `/oncall shifts`)")
    return "\n".join(shown)


def _dm_text(what: str, actor: str, lines: list[str]) -> str:
    by = "" if f"<@{actor}>" in what else f" (by <@{actor}>)"
    return f"Your on-call shifts changed: {what}{by}.\n{_bullets(lines)}"


def _loss_lines(lost: list[tuple[str, datetime, datetime]], actor_tz: str | None,
                per_language: int = 3) -> list[str]:
    by_lang: dict[str, list[tuple[datetime, datetime]]] = {}
    for lang, s, e in lost:
        by_lang.setdefault(lang, []).append((s, e))
    out = []
    for lang, spans in by_lang.items():
        shown = []
        for s, e in spans[:per_language]:
            text = format_span(s, e, "UTC")
            if actor_tz and actor_tz != "UTC":
                text += f" (your time: {format_span(s, e, actor_tz)})"
            shown.append(text)
        more = f" and {len(spans) - per_language} more" if len(spans) > per_language else ""
        out.append(f"{language_label(lang)} with nobody on call: {', '.join(shown)}{more}")
    return out


def _rotation_line(r: Rotation) -> str:
    return (f"{r.timezone}, shift {r.shift_label} local, {_days(r.days)}, "
            f"{r.handoff_label} handoff from {r.start.isoformat()}, {r.tier}")


def _days(days: frozenset[int]) -> str:
    if days == edits.ALL_DAYS:
        return "every day"
    return ",".join(WEEKDAYS[d] for d in sorted(days))


def _no_rotation(team: Team, name: str) -> str:
    names = ", ".join(r.name for r in team.rotations) or "none yet"
    return f"no rotation named '{name}'; rotations: {names}"


def _need_specialist(team: Team, user: str, who: str | None = None):
    spec = team.specialist(user)
    if spec is None:
        subject = "you are" if who == "you" else f"<@{user}> is"
        raise ServiceError(f"{subject} not a specialist of {team.name}")
    return spec


def _resolve_span(start: date | datetime, end: date | datetime, tz: str, example: str
                  ) -> tuple[datetime, datetime]:
    """Local `start`/`end` in `tz` -> UTC; a bare date `end` is inclusive (whole day)."""
    s = _local_to_utc(start, tz, end_of_day=False)
    e = _local_to_utc(end, tz, end_of_day=True)
    if e <= s:
        raise ServiceError(f"'to' must be after 'from' (times in {tz}); e.g. {example}")
    return s, e


def _local_to_utc(value: date | datetime, tz: str, end_of_day: bool) -> datetime:
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            return timezones.utc(value)
        return timezones.to_utc(value, tz)
    if end_of_day:
        return timezones.start_of_day(value + timedelta(days=1), tz)
    return timezones.start_of_day(value, tz)


def _resolve_away(start: date | datetime, end: date | datetime, tz: str
                  ) -> tuple[datetime, datetime, bool]:
    s_dt, e_dt = isinstance(start, datetime), isinstance(end, datetime)
    if s_dt != e_dt:
        raise ServiceError("from and to must both be dates (whole days, inclusive: "
                           "`/oncall away 2026-12-20 2026-12-24`) or both date-times "
                           "(`/oncall away 2026-12-24T08:00 2026-12-24T13:00`)")
    if not s_dt and end < start:
        raise ServiceError(f"to ({end}) is before from ({start}); dates are inclusive, so a "
                           "single day is `/oncall away 2026-12-24 2026-12-24`")
    s, e = _resolve_span(start, end, tz, edits.EXAMPLES["away"])
    return s, e, not s_dt


def _stints(roster: Roster, user: str, start: datetime, end: datetime, clip: bool = False
            ) -> list[Shift]:
    """`user`'s on-call time meeting [start, end), merged per rotation, by start."""
    per: dict[str, list[tuple[datetime, datetime]]] = {}
    for a in roster.assignments(start, end, user=user, include_uncovered=False):
        per.setdefault(a.rotation, []).append((a.start, a.end))
    out = []
    for rot, spans in per.items():
        for s, e in intervals.merge(spans):
            if clip:
                s, e = max(s, start), min(e, end)
            if s < e:
                out.append(Shift(rot, user, s, e))
    out.sort(key=lambda x: (x.start, x.rotation))
    return out


def _stints_starting_on(roster: Roster, user: str, day: date, tz: str) -> list[Shift]:
    a = timezones.start_of_day(day, tz)
    b = timezones.start_of_day(day + timedelta(days=1), tz)
    return [s for s in _stints(roster, user, a - timedelta(days=1), b + timedelta(days=1))
            if a <= s.start < b]


def _next_stint(roster: Roster, user: str, after: Shift, now: datetime) -> list[Shift]:
    found = _stints(roster, user, after.start, now + SWAP_LOOKAHEAD)
    same = [s for s in found if s.rotation == after.rotation and s.start >= after.end]
    return same[:1]


def _next_shifts_text(roster: Roster, user: str, now: datetime, tz: str, days: int = 30,
                      limit: int = 3) -> str:
    found = [s for s in _stints(roster, user, now, now + timedelta(days=days)) if s.end > now]
    if not found:
        return f"none in the next {days} days"
    return "; ".join(_shift_text(s, tz) for s in found[:limit])


def _shift_text(s: Shift, tz: str) -> str:
    return f"{s.rotation} {format_span(s.start, s.end, tz)}"


def _swap_team(team: Team, give: Shift, take: Shift) -> Team:
    try:
        return edits.swap_shifts(team, give.rotation, give.user, give.start, give.end,
                                 take.user, take.rotation, take.start, take.end)
    except EditError as err:
        raise ServiceError(str(err)) from None


def _on_call_throughout(roster: Roster, s: Shift) -> bool:
    spans = intervals.merge(
        (a.start, a.end) for a in roster.assignments(s.start, s.end, rotation=s.rotation,
                                                     user=s.user, include_uncovered=False))
    return not intervals.subtract([(s.start, s.end)], spans)
