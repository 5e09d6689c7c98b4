"""Rotation management behind `/oncall`: edits, swaps, cover, time off, and read-outs.

This module holds the edits; the transaction is in rotation_edit.py, swaps and cover
in rotation_swaps.py, read-outs in rotation_reads.py, shift arithmetic in
rotation_shifts.py and the sentences in rotation_texts.py.

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

from collections.abc import Iterable
from datetime import date, datetime, time
from typing import Any

from bot.core import contacts, edits, refs, skills, timezones
from bot.core.checks import format_span
from bot.core.model import Team
from bot.services.category_edit import CategoryEdits
from bot.services.errors import ServiceError
from bot.services.rotation_edit import (
    CoverageRefused,
    EditContext,
    EditPlan,
    EditResult,
    PermissionDenied,
    StaleEdit,
    is_manager,
)
from bot.services.rotation_reads import RotationReads
from bot.services.rotation_shifts import Shift, resolve_away, resolve_span
from bot.services.rotation_swaps import Proposal, RotationSwaps
from bot.services.rotation_texts import (
    format_value,
    rotation_line,
    skills_change_text,
    skills_dm_text,
    who_may,
)
from bot.store import teams as team_store  # noqa: F401  (tests patch team_store.load_team here)

__all__ = [
    "CoverageRefused",
    "EditResult",
    "PermissionDenied",
    "Proposal",
    "RotationService",
    "Shift",
    "StaleEdit",
    "is_manager",
    "who_may",
]


class RotationService(RotationSwaps, RotationReads, CategoryEdits):
    """Rotation management: the edits below, swaps and cover, read-outs; categories and
    routing capacity (category_edit.py)."""

    # -- rotations ------------------------------------------------------------------------

    def create_rotation(self, actor: str, name: str, timezone: str, shift_start: time,
                        shift_end: time,
                        days: Iterable[int] | None = None, handoff_days: int = 7,
                        start: date | None = None, tier: str = "primary", *,
                        team: str | None = None, expected_revision: int | None = None
                        ) -> EditResult:
        """`start` defaults to today in the rotation's zone."""
        def build(c: EditContext) -> EditPlan:
            first = start
            if first is None and timezones.is_valid_zone(timezone):
                first = timezones.local_date(c.now, timezone)
            after = edits.create_rotation(
                c.team, name, timezone, shift_start, shift_end,
                edits.ALL_DAYS if days is None else days, handoff_days, first, tier)
            rot = after.rotation(name)
            return EditPlan(after, "rotation.create",
                            f"created rotation {name} ({rotation_line(rot)})",
                            None, edits.rotation_dict(rot))
        return self.apply_edit(actor, team, build, "create rotations", expected_revision)

    def set_rotation(self, actor: str, name: str, /, *, team: str | None = None,
                     expected_revision: int | None = None, **fields: Any) -> EditResult:
        """Fields as in `edits.set_rotation` (see `edit_options.parse_rotation_options`)."""
        def build(c: EditContext) -> EditPlan:
            before = c.team.rotation(name)
            after = edits.set_rotation(c.team, name, **fields)
            new_name = fields.get("name", name)
            rot = after.rotation(new_name)
            changed = [k for k, v in edits.rotation_dict(rot).items()
                       if before is None or edits.rotation_dict(before).get(k) != v]
            old, new = edits.rotation_dict(before), edits.rotation_dict(rot)
            text = (f"changed rotation {name}: "
                    + ", ".join(f"{k} {format_value(old[k])} -> {format_value(new[k])}"
                                for k in changed)
                    if changed else f"rotation {name} unchanged")
            return EditPlan(after, "rotation.set", text, edits.rotation_dict(before),
                            edits.rotation_dict(rot),
                            compare_from=edits.rename_rotation(c.team, name, new_name)
                            if new_name != name else None)
        return self.apply_edit(actor, team, build, "change rotations", expected_revision)

    def delete_rotation(self, actor: str, name: str, *, team: str | None = None,
                        expected_revision: int | None = None) -> EditResult:
        def build(c: EditContext) -> EditPlan:
            after = edits.delete_rotation(c.team, name)
            rot = c.team.rotation(name)
            dropped = [edits.override_dict(o, c.team) for o in c.team.overrides
                       if o.rotation == name]
            before = {"rotation": edits.rotation_dict(rot), "overrides": dropped}
            return EditPlan(after, "rotation.delete", f"deleted rotation {name}", before, None)
        return self.apply_edit(actor, team, build, "delete rotations", expected_revision)

    def add_member(self, actor: str, rotation: str, user: str, position: int | None = None,
                   *, team: str | None = None, expected_revision: int | None = None
                   ) -> EditResult:
        def build(c: EditContext) -> EditPlan:
            after = edits.add_member(c.team, rotation, user, position)
            pos = after.rotation(rotation).members.index(user) + 1
            return self._members_plan(c, after, rotation, "rotation.add",
                                      f"added {refs.person(user)} to {rotation} at position "
                                      f"{pos}")
        return self.apply_edit(actor, team, build, "change rotation members", expected_revision)

    def remove_member(self, actor: str, rotation: str, user: str, *, team: str | None = None,
                      expected_revision: int | None = None) -> EditResult:
        def build(c: EditContext) -> EditPlan:
            after = edits.remove_member(c.team, rotation, user)
            return self._members_plan(c, after, rotation, "rotation.remove",
                                      f"removed {refs.person(user)} from {rotation}")
        return self.apply_edit(actor, team, build, "change rotation members", expected_revision)

    def move_member(self, actor: str, rotation: str, user: str, position: int, *,
                    team: str | None = None, expected_revision: int | None = None
                    ) -> EditResult:
        def build(c: EditContext) -> EditPlan:
            after = edits.move_member(c.team, rotation, user, position)
            return self._members_plan(c, after, rotation, "rotation.move",
                                      f"moved {refs.person(user)} to position {position} in "
                                      f"{rotation}")
        return self.apply_edit(actor, team, build, "change rotation members", expected_revision)

    @staticmethod
    def _members_plan(c: EditContext, after: Team, rotation: str, action: str,
                      text: str) -> EditPlan:
        before = list(c.team.rotation(rotation).members)
        return EditPlan(after, action, text, {"rotation": rotation, "members": before},
                        {"rotation": rotation, "members": list(after.rotation(rotation).members)})

    # -- specialists -----------------------------------------------------------------------

    def set_specialist(self, actor: str, user: str, languages: Iterable[str] | None = None,
                       timezone: str | None = None, backup: Iterable[str] | None = None,
                       name: str | None = None, *, team: str | None = None,
                       expected_revision: int | None = None) -> EditResult:
        def build(c: EditContext) -> EditPlan:
            before = c.team.specialist(user)
            after = edits.set_specialist(c.team, user, languages, timezone, backup, name)
            now = after.specialist(user)
            verb = "added specialist" if before is None else "updated specialist"
            return EditPlan(after, "specialist.set",
                            f"{verb} {refs.person(user)} ({now.timezone}; reads "
                            f"{', '.join(now.languages)}"
                            + (f"; backup {', '.join(now.backup)}" if now.backup else "") + ")",
                            None if before is None else _masked(before), _masked(now))
        return self.apply_edit(actor, team, build, "edit specialists", expected_revision)

    def set_contacts(self, actor: str, user: str, phone=..., email=..., *,
                     team: str | None = None,
                     expected_revision: int | None = None) -> EditResult:
        """Set or clear (None) `user`'s phone or email (`...` keeps it): managers for
        anyone, a person for themselves. The audit keeps the number masked."""

        def build(c: EditContext) -> EditPlan:
            after = edits.set_contacts(c.team, user, phone, email)
            was, now = c.team.specialist(user), after.specialist(user)
            shown = contacts.mask_phone(now.phone) if now.phone else None
            said = [f"{k} {v or 'cleared'}" for k, v, given in
                    (("phone", shown, phone is not ...), ("email", now.email,
                                                          email is not ...)) if given]
            return EditPlan(after, "specialist.contacts",
                            f"updated {refs.person(user)}: {', '.join(said)}",
                            _masked(was), _masked(now))
        verb = None if actor == user else "change someone else's phone or email"
        return self.apply_edit(actor, team, build, verb, expected_revision)

    def change_skills(self, actor: str, user: str, add: Iterable[str] = (),
                      remove: Iterable[str] = (), *, team: str | None = None,
                      expected_revision: int | None = None) -> EditResult:
        """Give `user` skills or take them away (`edits.change_skills`); managers only.
        The reply notes a skill no category requires yet and warns when a category is
        left with nobody holding its skill; the person is told by DM."""
        add, remove = tuple(add), tuple(remove)

        def build(c: EditContext) -> EditPlan:
            after = edits.change_skills(c.team, user, add, remove)
            was, now = c.team.specialist(user), after.specialist(user)
            gained = [k for k in now.skills if k not in was.skills]
            lost = [k for k in was.skills if k not in now.skills]
            kept = [k for k in add if k in was.skills]
            notes, warnings = skills.change_notes(c.team, after, gained, lost)
            text = skills_change_text(user, gained, lost, kept)
            return EditPlan(after, "specialist.skills", text, edits.specialist_dict(was),
                            edits.specialist_dict(now), notes=tuple(notes),
                            warnings=tuple(warnings),
                            tell=((user, skills_dm_text(after, now, text, c.actor)),))
        return self.apply_edit(actor, team, build, "change specialists' skills",
                               expected_revision)

    # -- overrides and time off ------------------------------------------------------------

    def override(self, actor: str, rotation: str, user: str, start: date | datetime,
                 end: date | datetime, *, team: str | None = None,
                 expected_revision: int | None = None) -> EditResult:
        """`user` covers `rotation` from `start` to `end`, local times in the rotation's
        zone (a bare date `end` is inclusive)."""
        def build(c: EditContext) -> EditPlan:
            rot = edits.require_rotation(c.team, rotation, edits.EXAMPLES["override"])
            s, e = resolve_span(start, end, rot.timezone, edits.EXAMPLES["override"])
            after = edits.add_override(c.team, rotation, user, s, e)
            o = after.overrides[-1]
            return EditPlan(after, "override.add",
                            f"{refs.person(user)} covers {rotation} "
                            f"{format_span(s, e, rot.timezone)}",
                            None, edits.override_dict(o, after), until=e)
        return self.apply_edit(actor, team, build, "add overrides", expected_revision)

    def away(self, actor: str, start: date | datetime, end: date | datetime,
             user: str | None = None, *, team: str | None = None,
             expected_revision: int | None = None) -> EditResult:
        """Time off for `user` (default: the actor) in that person's zone: two dates
        (whole days, inclusive) or two date-times (half-open). Anyone may mark their own;
        refused for a non-manager when it leaves a language uncovered."""
        who = user or actor

        def build(c: EditContext) -> EditPlan:
            if who != actor and not c.manager:
                raise PermissionDenied(f"only {who_may(c.team)} can mark someone else's "
                                       "time off; mark your own with "
                                       f"{edits.EXAMPLES['away']}")
            spec = c.team.specialist(who)
            if spec is None:
                raise ServiceError(f"{refs.person(who)} is not a specialist of {c.team.name}, so "
                                   "there is no schedule to be away from")
            s, e, all_day = resolve_away(start, end, spec.timezone)
            after = edits.add_time_off(c.team, who, s, e, all_day)
            t = after.time_off[-1]
            shown = edits.time_off_dict(t, after)
            span = (f"{shown['from']} to {shown['to']}" if all_day
                    else format_span(s, e, spec.timezone))
            return EditPlan(after, "time_off.add",
                            f"{refs.person(who)} is away {span} ({spec.timezone})", None, shown,
                            guard=not c.manager, until=e)
        return self.apply_edit(actor, team, build, None, expected_revision)


def _masked(s) -> dict:
    """A specialist as the audit keeps them: the phone number masked."""
    out = edits.specialist_dict(s)
    if "phone" in out:
        out["phone"] = contacts.mask_phone(out["phone"])
    return out
