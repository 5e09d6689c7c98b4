"""Edits to a team's schedule, one at a time: Team -> Team.

Each function returns a new Team or raises `EditError`, whose message is for the
person who asked: what was wrong and a correct example of the slash command. An edit
finds the arguments it names (the rotation, the person), builds the new team, and asks
`checks.introduced(old, new)` for the team rules it broke, so each rule is written once,
in `bot.core.checks`, and a team edited here is one `schedules validate` accepts.
Problems the team already had before the edit are not blamed on it. Messages name
people and commands with `bot.core.refs`; each front end renders those.

Positions in rotations are 1-based, as people type them (`rotation move emea @u 1`
puts them first). Times are aware UTC datetimes; local-time resolution is done by
the caller, which knows whose zone applies.

The YAML-shaped dicts of entries that the audit trail records as "before"/"after" live
in `bot.core.team_file` and are named here too. Slash-command option text becomes edit
arguments in `edit_options`.
Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import date, datetime, time
from types import EllipsisType
from typing import Any

from bot.core import checks, parsers, refs, timezones
from bot.core.checks import Problem, did_you_mean
from bot.core.model import ROTATION_FIELDS, Override, Rotation, Specialist, Team, TimeOff
from bot.core.team_file import override_dict, rotation_dict, specialist_dict, time_off_dict

__all__ = [
    "ALL_DAYS",
    "EXAMPLES",
    "ROTATION_KEYS",
    "EditError",
    "add_member",
    "add_override",
    "add_time_off",
    "change_skills",
    "create_rotation",
    "delete_rotation",
    "finish",
    "move_member",
    "override_dict",
    "remove_member",
    "rename_rotation",
    "require_rotation",
    "require_specialist",
    "rotation_dict",
    "set_rotation",
    "set_contacts",
    "set_specialist",
    "specialist_dict",
    "swap_shifts",
    "time_off_dict",
]

ALL_DAYS = frozenset(range(7))

_cmd = refs.command
EXAMPLES = {
    "create": _cmd("oncall rotation create emea timezone=Europe/Dublin shift=08:00-16:00 "
                   "days=mon-fri handoff=weekly start=2026-01-05 tier=primary"),
    "set": _cmd("oncall rotation set emea shift=07:00-15:00 days=mon-fri"),
    "delete": _cmd("oncall rotation delete emea"),
    "add": _cmd("oncall rotation add emea @layla 2"),
    "remove": _cmd("oncall rotation remove emea @layla"),
    "move": _cmd("oncall rotation move emea @layla 1"),
    "override": _cmd("oncall override emea @layla 2026-12-24T08:00 2026-12-24T16:00"),
    "away": f"{_cmd('oncall away 2026-12-20 2027-01-03')} or "
            f"{_cmd('oncall away 2026-12-24T08:00 2026-12-24T13:00')}",
    "specialist": _cmd("oncall specialist @layla languages=ar,fr,en timezone=Asia/Dubai "
                       "backup=ar"),
    "skills": _cmd("oncall skills @layla add le_requests child_safety"),
    "contacts": _cmd("oncall specialist @layla phone=+971501234567 "
                     "email=layla.haddad@example.org"),
    "skills remove": _cmd("oncall skills @layla remove child_safety"),
    "swap": _cmd("oncall swap @omar 2026-03-10"),
    "cover": _cmd("oncall cover 2026-03-10 2026-03-12"),
}  # fmt: skip

# The rotation keys a slash command may set (members have their own commands).
ROTATION_KEYS = tuple(k for k in ROTATION_FIELDS if k != "members")
_FIELDS = ("name", "timezone", "shift_start", "shift_end", "days", "handoff_days", "start",
           "tier", "members")

# What to say after a broken rule instead of the edit's example, when the edit knows a
# better way out for that problem; None keeps the example.
Hint = Callable[[Problem], str | None]


class EditError(ValueError):
    """An edit that cannot be made; `str(err)` says what was wrong and shows an example."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# -- rotations -------------------------------------------------------------------------------


def create_rotation(team: Team, name: str, timezone: str, shift_start: time, shift_end: time,
                    days: Iterable[int] = ALL_DAYS, handoff_days: int = 7,
                    start: date | None = None, tier: str = "primary",
                    members: Iterable[str] = ()) -> Team:
    """A new rotation at the end of the list (members can be added later)."""
    ex = EXAMPLES["create"]
    if start is None:
        raise EditError(f"give the date of the first member's first shift, start=YYYY-MM-DD; "
                        f"e.g. {ex}")
    rot = Rotation(name, timezone, shift_start, shift_end, frozenset(days), handoff_days, start,
                   tier, tuple(members))
    _check_types(rot, ex)

    def taken(p: Problem) -> str | None:  # the other way out: change the rotation that has it
        if p.first is not None and p.where[-1] == "name":
            return f" or change that one with {refs.command(f'oncall rotation set {name} ...')}"
        return None

    return _finish(team, replace(team, rotations=(*team.rotations, rot)), ex, taken)


def set_rotation(team: Team, name: str, /, **fields: Any) -> Team:
    """Change fields of a rotation. Keys are `Rotation` attributes (name, timezone,
    shift_start, shift_end, days, handoff_days, start, tier, members); `shift=(start,
    end)` and `handoff=N` are accepted too. Renaming also renames its overrides."""
    ex = EXAMPLES["set"]
    require_rotation(team, name, ex)
    if "shift" in fields:
        shift = fields.pop("shift")
        if not (isinstance(shift, tuple) and len(shift) == 2):
            raise _not_a_shift(ex)
        fields["shift_start"], fields["shift_end"] = shift
    if "handoff" in fields:
        fields["handoff_days"] = fields.pop("handoff")
    unknown = [k for k in fields if k not in _FIELDS]
    if unknown:
        raise EditError(f"unknown setting '{unknown[0]}'; settings: {', '.join(ROTATION_KEYS)}"
                        f"{did_you_mean(unknown[0], ROTATION_KEYS)}; e.g. {ex}")
    if not fields:
        raise EditError(f"say what to change as key=value (keys: {', '.join(ROTATION_KEYS)}); "
                        f"e.g. {ex}")
    if "days" in fields:
        fields["days"] = frozenset(fields["days"])
    if "members" in fields:
        fields["members"] = tuple(fields["members"])
    # By position: a new name may be taken, and then two rotations would answer to it.
    at = next(i for i, r in enumerate(team.rotations) if r.name == name)
    renamed = rename_rotation(team, name, fields.get("name", name))
    new = replace(renamed.rotations[at], **fields)
    _check_types(new, ex)
    rotations = (*renamed.rotations[:at], new, *renamed.rotations[at + 1:])
    return _finish(team, replace(renamed, rotations=rotations), ex)


def rename_rotation(team: Team, old: str, new: str) -> Team:
    """The same schedule with a rotation called `new` (no checks beyond existence); used
    to compare shifts before and after a rename."""
    return replace(
        team,
        rotations=tuple(replace(r, name=new) if r.name == old else r for r in team.rotations),
        overrides=tuple(replace(o, rotation=new) if o.rotation == old else o
                        for o in team.overrides))


def delete_rotation(team: Team, name: str) -> Team:
    """Remove a rotation and its overrides."""
    ex = EXAMPLES["delete"]
    require_rotation(team, name, ex)
    return _finish(team, replace(
        team,
        rotations=tuple(r for r in team.rotations if r.name != name),
        overrides=tuple(o for o in team.overrides if o.rotation != name)), ex)


def add_member(team: Team, rotation: str, user: str, position: int | None = None) -> Team:
    """Add a specialist to a rotation, at 1-based `position` (None: at the end)."""
    ex = EXAMPLES["add"]
    rot = require_rotation(team, rotation, ex)
    require_specialist(team, user, ex)
    if user in rot.members:
        move = refs.command(f"oncall rotation move {rotation} @user <position>")
        raise EditError(f"{refs.person(user)} is already in {rotation} (position "
                        f"{rot.members.index(user) + 1}); to change the order use {move}")
    n = len(rot.members)
    if position is None:
        position = n + 1
    if not 1 <= position <= n + 1:
        raise EditError(f"position {position} is out of range: {rotation} has {n} member(s), "
                        f"so use 1 to {n + 1} (or leave it out to add at the end); e.g. {ex}")
    members = list(rot.members)
    members.insert(position - 1, user)
    return _finish(team, _with_rotation(team, replace(rot, members=tuple(members))), ex)


def remove_member(team: Team, rotation: str, user: str) -> Team:
    ex = EXAMPLES["remove"]
    rot = require_rotation(team, rotation, ex)
    if user not in rot.members:
        raise EditError(f"{refs.person(user)} is not a member of {rotation}; members: "
                        f"{refs.people(rot.members, 'none')}; e.g. {ex}")
    members = tuple(m for m in rot.members if m != user)
    return _finish(team, _with_rotation(team, replace(rot, members=members)), ex)


def move_member(team: Team, rotation: str, user: str, position: int) -> Team:
    """Move a member to 1-based `position` (the others keep their order)."""
    ex = EXAMPLES["move"]
    rot = require_rotation(team, rotation, ex)
    if user not in rot.members:
        add = refs.command(f"oncall rotation add {rotation} @user")
        raise EditError(f"{refs.person(user)} is not a member of {rotation}; members: "
                        f"{refs.people(rot.members, 'none')}; add them with {add}")
    n = len(rot.members)
    if not 1 <= position <= n:
        raise EditError(f"position {position} is out of range: {rotation} has {n} member(s), "
                        f"so use 1 to {n}; e.g. {ex}")
    members = [m for m in rot.members if m != user]
    members.insert(position - 1, user)
    return _finish(team, _with_rotation(team, replace(rot, members=tuple(members))), ex)


# -- overrides, time off, swaps ---------------------------------------------------------------


def add_override(team: Team, rotation: str, user: str, start_utc: datetime,
                 end_utc: datetime) -> Team:
    """`user` covers `rotation` during [start, end), listed last (so it wins overlaps)."""
    ex = EXAMPLES["override"]
    require_rotation(team, rotation, ex)
    require_specialist(team, user, ex)
    o = Override(rotation, user, _utc(start_utc), _utc(end_utc))
    return _finish(team, replace(team, overrides=(*team.overrides, o)), ex)


def add_time_off(team: Team, user: str, start_utc: datetime, end_utc: datetime,
                 all_day: bool = True) -> Team:
    """`user` is away during [start, end); `all_day` keeps the date form for export."""
    ex = EXAMPLES["away"]
    require_specialist(team, user, ex)
    t = TimeOff(user, _utc(start_utc), _utc(end_utc), all_day)
    return _finish(team, replace(team, time_off=(*team.time_off, t)), ex)


def swap_shifts(team: Team, rotation_a: str, user_a: str, shift_a_start: datetime,
                shift_a_end: datetime, user_b: str, rotation_b: str | None = None,
                shift_b_start: datetime | None = None,
                shift_b_end: datetime | None = None) -> Team:
    """`user_b` takes `user_a`'s shift A; with shift B given, `user_a` takes `user_b`'s
    shift B in return. Expressed as overrides, so the rotations themselves stay put."""
    ex = EXAMPLES["swap"]
    if user_a == user_b:
        raise EditError(f"a swap needs two different people; e.g. {ex}")
    require_specialist(team, user_a, ex)
    require_specialist(team, user_b, ex)
    require_rotation(team, rotation_a, ex)
    added = [Override(rotation_a, user_b, _utc(shift_a_start), _utc(shift_a_end))]
    given = (rotation_b, shift_b_start, shift_b_end)
    if any(v is not None for v in given):
        if rotation_b is None or shift_b_start is None or shift_b_end is None:
            raise EditError("give shift B's rotation, start and end together, or none of them "
                            "(a one-way cover)")
        require_rotation(team, rotation_b, ex)
        added.append(Override(rotation_b, user_a, _utc(shift_b_start), _utc(shift_b_end)))
    return _finish(team, replace(team, overrides=(*team.overrides, *added)), ex)


# -- specialists -------------------------------------------------------------------------------


def set_specialist(team: Team, user: str, languages: Iterable[str] | None = None,
                   timezone: str | None = None, backup: Iterable[str] | None = None,
                   name: str | None = None) -> Team:
    """Change a specialist's languages (strongest first), zone, backup languages or name.
    Someone not yet a specialist is added when both languages and timezone are given
    (their name defaults to the user ID)."""
    ex = EXAMPLES["specialist"]
    langs = None if languages is None else tuple(languages)
    back = None if backup is None else tuple(backup)
    current = team.specialist(user)
    if current is None:
        if langs is None or timezone is None:
            raise EditError(f"{refs.person(user)} is not a specialist of {team.name} yet; to "
                            "add them, give their languages (strongest first) and time zone, "
                            f"e.g. {ex}")
        new = Specialist(user, name or user, timezone, langs, back or ())
        specialists = (*team.specialists, new)
    else:
        if langs is None and timezone is None and back is None and name is None:
            raise EditError(f"say what to change: languages=, timezone=, backup= or name=; "
                            f"e.g. {ex}")
        new = replace(current,
                      languages=current.languages if langs is None else langs,
                      timezone=current.timezone if timezone is None else timezone,
                      backup=current.backup if back is None else back,
                      name=current.name if name is None else name)
        specialists = tuple(new if s.id == user else s for s in team.specialists)

    def hint(p: Problem) -> str | None:
        if p.where[-1] == "name":
            return ', e.g. name="Layla Haddad"'
        if "backup" in p.where and back is None:  # their old backup list is the problem
            return ("; their backup list still has it, so give backup= too (e.g. backup= to "
                    f"clear it); e.g. {ex}")
        return None

    return _finish(team, replace(team, specialists=specialists), ex, hint)


def set_contacts(team: Team, user: str, phone: str | None | EllipsisType = ...,
                 email: str | None | EllipsisType = ...) -> Team:
    """Set (a value) or clear (None) a specialist's phone (E.164) or email; `...` leaves
    it as it is."""
    ex = EXAMPLES["contacts"]
    spec = require_specialist(team, user, ex)
    if phone is ... and email is ...:
        raise EditError(f"say what to change: phone= or email=; e.g. {ex}")
    new = replace(spec, phone=spec.phone if phone is ... else phone,
                  email=spec.email if email is ... else email)
    return _finish(team, replace(team, specialists=tuple(new if s.id == user else s
                                                         for s in team.specialists)), ex)


def change_skills(team: Team, user: str, add: Iterable[str] = (),
                  remove: Iterable[str] = ()) -> Team:
    """Give a specialist skills (`add`, kept in the order given, after those they hold)
    or take skills away (`remove`). A skill they already hold is left as it is; removing
    one they do not hold is refused, and then nothing changes."""
    ex = EXAMPLES["skills"]
    spec = require_specialist(team, user, ex)
    add, remove = tuple(dict.fromkeys(add)), tuple(dict.fromkeys(remove))
    if not add and not remove:
        raise EditError(f"say which skills to add or remove; e.g. {ex}")
    for k in (*add, *remove):
        if not isinstance(k, str) or not parsers.SKILL.fullmatch(k):
            raise EditError(f"{refs.typed(str(k)[:40])} is not a skill name: use "
                            f"{parsers.SKILL_RULE}; e.g. {ex}")
    both = [k for k in add if k in remove]
    if both:
        raise EditError(f"{both[0]} is both added and removed; do one at a time; e.g. {ex}")
    absent = [k for k in remove if k not in spec.skills]
    if absent:
        held = ", ".join(spec.skills) or "no skills"
        raise EditError(f"{refs.person(user)} does not hold {', '.join(absent)}, so there is "
                        f"nothing to remove (they hold: {held}); nothing was changed. To "
                        f"remove one they hold: e.g. {EXAMPLES['skills remove']}")
    skills = (*(k for k in spec.skills if k not in remove),
              *(k for k in add if k not in spec.skills))
    new = replace(spec, skills=skills)
    specialists = tuple(new if s.id == user else s for s in team.specialists)
    return _finish(team, replace(team, specialists=specialists), ex)


# -- helpers ---------------------------------------------------------------------------------


def _finish(before: Team, after: Team, example: str, hint: Hint | None = None) -> Team:
    """`after`, unless the edit broke a team rule that `before` did not already break:
    then EditError with each broken rule in its reply wording, and what to type
    instead: the hint for the first problem, if any, else the edit's example."""
    broken = checks.introduced(before, after)
    if not broken:
        return after
    said = "; ".join(p.reply or p.message for p in broken)
    tail = hint(broken[0]) if hint else None
    raise EditError(said + (f"; e.g. {example}" if tail is None else tail))


finish = _finish  # for the other edit modules (category_edits)


def _with_rotation(team: Team, rot: Rotation) -> Team:
    """`team` with `rot` in place of the rotation of the same name."""
    return replace(team, rotations=tuple(rot if r.name == rot.name else r
                                         for r in team.rotations))


def _utc(dt: datetime) -> datetime:
    """An aware time in UTC; a naive one is kept as it is, for the checks to refuse
    (taking it for UTC could put a shift hours off)."""
    return timezones.utc(dt) if dt.utcoffset() is not None else dt


def require_rotation(team: Team, name: str, example: str = EXAMPLES["set"]) -> Rotation:
    """The rotation, or EditError listing the team's rotations."""
    rot = team.rotation(name)
    if rot is None:
        names = [r.name for r in team.rotations]
        raise EditError(f"no rotation named '{name}'; rotations: {', '.join(names) or 'none yet'}"
                        f"{did_you_mean(name, names)}; e.g. {example}")
    return rot


def require_specialist(team: Team, user: str, example: str = EXAMPLES["specialist"]
                       ) -> Specialist:
    """The specialist, or EditError saying how to add them."""
    spec = team.specialist(user)
    if spec is None:
        raise EditError(f"{refs.person(user)} is not a specialist of {team.name}; add them "
                        f"first with {EXAMPLES['specialist']} (then e.g. {example})")
    return spec


def _check_types(r: Rotation, example: str) -> None:
    """The value types an edit's caller must pass (what `edit_options` parses text into);
    the rules on the values themselves are the team's, in `checks`."""
    if not isinstance(r.shift_start, time) or not isinstance(r.shift_end, time):
        raise _not_a_shift(example)
    if not all(isinstance(d, int) for d in r.days):
        raise EditError(f"days must be weekdays (mon..sun), e.g. days=mon-fri; e.g. {example}")
    if not isinstance(r.handoff_days, int):
        raise EditError(f"handoff must be a whole number of days (daily, weekly or e.g. "
                        f"handoff=3d); e.g. {example}")
    if not isinstance(r.start, date) or isinstance(r.start, datetime):
        raise EditError(f"start must be a date YYYY-MM-DD; e.g. {example}")


def _not_a_shift(example: str) -> EditError:
    return EditError(f"shift must be a window HH:MM-HH:MM; e.g. {example}")
