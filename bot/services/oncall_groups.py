"""On-call user groups (`oncall_groups`) kept equal to who is on call, durably.

Reconciled from the database, not pushed by events: `plan()` (one pass of the background
job, on the reconciler's thread, no Slack call) computes for each team, from its current
roster and `now`, the members each group should hold (`bot.core.oncall_groups.members`)
and compares them with the members last applied in Slack, kept in `oncall_group_state`.
Where they differ, the row gets the members to apply (`wanted`). So every kind of change
reaches the groups the same way, whatever made it: a handoff (the clock passes a shift
boundary), an override, a swap, a cover, time off, an edit from Slack or an import (the
roster's revision changes), and a restart loses nothing (the rows and the roster are in
the database; nothing lives only in memory).

`apply(writer)` (on a sending thread, never a listener's nor the reconciler's) claims the
due rows, calls Slack's `usergroups.users.update` with the whole list, and records the
answer: the members applied, or the failure, its retry time and, once per reason per
group an hour, a DM to the team's managers (outbox rows, delivered like every DM).
Slack is called only when the membership differs from what was last applied. A repeated
call is harmless (the update sets the whole list), so an answer lost in a crash only
means the same list is sent again.

Slack refuses an empty user group. A group whose language nobody on call reads keeps
its last members (a mention still reaches someone who knows the queue, rather than
nobody), nothing is sent, and the managers hear that the language is uncovered, once an
hour for as long as it lasts.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy.orm import Session

from bot.clock import Clock
from bot.core import oncall_groups as core
from bot.core import refs
from bot.core.model import Team
from bot.core.roster import Roster
from bot.services.errors import NotFound
from bot.services.outbox_items import Busy, PermanentError
from bot.services.schedules import RosterCache
from bot.store import oncall_groups as store
from bot.store import team_audit
from bot.store import teams as team_store
from bot.store.db import SQLITE_BEGIN
from bot.store.direct_messages import queue_direct
from bot.store.shift_tables import OncallGroupRow

log = logging.getLogger(__name__)

SessionFactory = Callable[[], Session]
IDLE_RECHECK = timedelta(minutes=10)  # a team is re-examined at least this often
NO_GROUPS_RECHECK = timedelta(days=1)  # a team without groups (once its rows are gone)
CLAIM = timedelta(minutes=2)  # a claimed row waits this long for its sender's answer
TELL_EVERY = timedelta(hours=1)  # managers hear of one reason for one group once an hour
LASTING_RETRY = timedelta(minutes=15)  # a refusal a retry cannot fix alone: tried again
MAX_BACKOFF = timedelta(minutes=10)  # rate limits and outages: tried again within this
TELL_AFTER = 3  # failed attempts of a passing kind before the managers hear of it
DIRECT_PRIORITY = 4


class GroupWriter(Protocol):
    def set_members(self, group_id: str, users: tuple[str, ...]) -> None:
        """Make the user group hold exactly `users` (never empty). Raise Busy when turned
        away for a while, PermanentError(code) when Slack refuses it, anything else for
        an answer that did not come."""


class OncallGroupService:
    def __init__(self, session_factory: SessionFactory, rosters: RosterCache, clock: Clock):
        self._sf = session_factory
        self.rosters = rosters
        self.clock = clock
        # team -> (roster it was computed from, when who is on call may next change)
        self._idle: dict[str, tuple[Roster, datetime]] = {}

    # -- the pass ----------------------------------------------------------------------


    def next_pass(self) -> datetime | None:
        """When a pass next has something to do for the teams as last loaded (None:
        nothing known; an edit of a team is found by its revision)."""
        return min((until for _, until in self._idle.values()), default=None)

    def plan(self) -> bool:
        """One pass over every team (see the module docstring). Returns whether members
        are due to be sent now (hand `apply` to a sending thread then). Never raises for
        one team's failure (logged; the next pass tries again)."""
        for team in self._team_names():
            try:
                self._plan_team(team)
            except NotFound:
                self._idle.pop(team, None)
            except Exception:  # noqa: BLE001 - one team must not stop the others
                log.exception("on-call group pass for team %s failed", team)
        with self._sf() as session:
            session.connection(execution_options={SQLITE_BEGIN: "DEFERRED"})
            due = store.next_due(session)
        return due is not None and due <= self.clock.now()

    def _team_names(self) -> list[str]:
        with self._sf() as session:
            session.connection(execution_options={SQLITE_BEGIN: "DEFERRED"})
            return team_store.list_team_names(session)

    def _plan_team(self, team: str) -> None:
        roster = self.rosters.get(team)
        idle = self._idle.get(team)
        now = self.clock.now()
        if idle is not None and idle[0] is roster and now < idle[1]:
            return
        wanted = core.members(roster.team, roster.on_call(now))
        keys = {group: key for key, group in roster.team.oncall_groups}
        with self._sf() as session, session.begin():
            session.connection(execution_options={SQLITE_BEGIN: "IMMEDIATE"})
            rows = store.team_rows(session, team)
            for group, row in rows.items():
                if group not in wanted:  # no longer in the schedule: no longer kept
                    session.delete(row)
            for group, users in wanted.items():
                row = rows.get(group)
                if row is None:
                    row = OncallGroupRow(team=team, group_id=group, key=keys[group],
                                         applied=None, wanted=None, attempts=0, told={},
                                         updated_utc=now)
                    session.add(row)
                row.key = keys[group]
                self._want(session, roster.team, row, users, now)
        # A team without groups is looked at again only when its schedule changes.
        self._idle[team] = (roster, core.next_change(roster, now, now + IDLE_RECHECK)
                            if wanted else now + NO_GROUPS_RECHECK)

    def _want(self, session: Session, team: Team, row: OncallGroupRow,
              users: tuple[str, ...], now: datetime) -> None:
        if not users:
            # Slack refuses an empty group: it keeps its last members; the managers hear.
            row.wanted = None
            if self._may_tell(row, core.NOBODY, now):
                self._tell(session, team, core.uncovered_text(row.group_id, row.key,
                                                              row.applied),
                           now, "oncall_group_uncovered",
                           {"group": row.group_id, "key": row.key})
            return
        if row.applied is not None and tuple(row.applied) == users:
            if row.wanted is not None:
                row.wanted, row.attempts, row.last_error = None, 0, None
                row.updated_utc = now
            return
        if row.wanted is None or tuple(row.wanted) != users:
            row.wanted, row.attempts, row.next_try_utc = list(users), 0, now
            row.updated_utc = now

    # -- sending -----------------------------------------------------------------------

    def apply(self, writer: GroupWriter) -> int:
        """Send the due rows' members to Slack and record each answer. Returns how many
        DMs to managers were written (the caller hands them to the sending threads)."""
        now = self.clock.now()
        with self._sf() as session, session.begin():
            claimed = [(r.team, r.group_id, r.key, tuple(r.wanted or ()), r.attempts)
                       for r in store.claim_due(session, now, now + CLAIM)]
        told = 0
        for team, group, key, users, attempts in claimed:
            code = None
            wait = None
            try:
                writer.set_members(group, users)
            except Busy as err:
                code, wait = "ratelimited", timedelta(seconds=max(err.seconds, 1))
            except PermanentError as err:
                code = str(err) or "refused"
            except Exception as err:  # noqa: BLE001 - no answer: tried again shortly
                log.warning("updating user group %s failed: %s", group, err)
                code = "unavailable"
            told += self._record(team, group, key, users, attempts, code, wait)
        return told

    def _record(self, team: str, group: str, key: str, users: tuple[str, ...],
                attempts: int, code: str | None, wait: timedelta | None) -> int:
        try:
            the_team = self.rosters.get(team).team  # read before the write lock
        except NotFound:
            return 0
        now = self.clock.now()
        with self._sf() as session, session.begin():
            session.connection(execution_options={SQLITE_BEGIN: "IMMEDIATE"})
            row = store.locked_row(session, team, group)
            if row is None:  # dropped from the schedule meanwhile
                return 0
            row.updated_utc = now
            if code is None:
                row.applied = list(users)
                if row.wanted is not None and tuple(row.wanted) == users:
                    row.wanted, row.next_try_utc = None, None
                else:  # the wanted members changed while this was sent: send those too
                    row.next_try_utc = now
                row.attempts, row.last_error = 0, None
                team_audit.add_entry(session, team, "bot", "oncall_group_updated",
                                     {"group": group, "key": key, "users": list(users),
                                      "text": f"on-call group {refs.group(group)} "
                                              f"({core.label(key)}) now holds "
                                              f"{refs.people(users)}"}, now)
                return 0
            cause = core.cause(code)
            row.attempts = attempts + 1
            row.last_error = code[:200]
            if wait is None:
                wait = (LASTING_RETRY if cause.lasting
                        else min(MAX_BACKOFF, timedelta(seconds=5 * 2 ** min(attempts, 10))))
            row.next_try_utc = now + wait
            log.warning("team %s: user group %s not updated (%s); next try at %s", team,
                        group, code, row.next_try_utc.isoformat())
            if (not cause.lasting and row.attempts < TELL_AFTER) or not self._may_tell(
                    row, cause.key, now):
                return 0
            retry = ("in 15 minutes" if cause.lasting
                     else "shortly, for as long as it takes")
            return self._tell(session, the_team, core.refused_text(group, key, code, users, retry),
                              now, "oncall_group_refused",
                              {"group": group, "key": key, "cause": code})

    # -- telling the managers ------------------------------------------------------------

    @staticmethod
    def _may_tell(row: OncallGroupRow, reason: str, now: datetime) -> bool:
        """Once per reason per group an hour; True records `now` (the caller's
        transaction holds the row)."""
        told = dict(row.told or {})
        last = told.get(reason)
        if last is not None and datetime.fromisoformat(last) > now - TELL_EVERY:
            return False
        told[reason] = now.isoformat()
        row.told = told
        return True

    @staticmethod
    def _tell(session: Session, t: Team, text: str, now: datetime, action: str,
              detail: dict) -> int:
        """A DM to each manager (else a post in the escalation channel), in the outbox."""
        targets = t.managers or ((t.escalation_channel,) if t.escalation_channel else ())
        for target in targets:
            queue_direct(session, target, text, DIRECT_PRIORITY, now)
        team_audit.add_entry(session, t.name, "bot", action,
                             {**detail, "text": text, "to": list(targets)}, now)
        return len(targets)
