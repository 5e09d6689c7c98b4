"""Edits to a team's schedule, one at a time: Team -> Team.

Each function returns a new Team or raises `EditError`, whose message is for the
person who asked: what was wrong and a correct example of the slash command. A
result always passes `checks.validate_team` (the rules of the YAML validator), so
what Slack edits, `schedules export` writes back as a valid file. Problems the team
already had before the edit are not blamed on it.

Positions in rotations are 1-based, as people type them (`rotation move emea @u 1`
puts them first). Times are aware UTC datetimes; local-time resolution is done by
the caller, which knows whose zone applies.

Also here: the YAML-shaped dicts of entries that the audit trail records as
"before"/"after". Slash-command option text becomes edit arguments in `edit_options`.
Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from typing import Any

from bot.core import parsers, timezones
from bot.core.checks import validate_team
from bot.core.model import TIERS, WEEKDAYS, Override, Rotation, Specialist, Team, TimeOff
from bot.core.parsers import ParseError

ALL_DAYS = frozenset(range(7))

EXAMPLES = {
    "create": "`/oncall rotation create emea timezone=Europe/Dublin shift=08:00-16:00 "
              "days=mon-fri handoff=weekly start=2026-01-05 tier=primary`",
    "set": "`/oncall rotation set emea shift=07:00-15:00 days=mon-fri`",
    "delete": "`/oncall rotation delete emea`",
    "add": "`/oncall rotation add emea @layla 2`",
    "remove": "`/oncall rotation remove emea @layla`",
    "move": "`/oncall rotation move emea @layla 1`",
    "override": "`/oncall override emea @layla 2026-12-24T08:00 2026-12-24T16:00`",
    "away": "`/oncall away 2026-12-20 2027-01-03` or "
            "`/oncall away 2026-12-24T08:00 2026-12-24T13:00`",
    "specialist": "`/oncall specialist @layla languages=ar,fr,en timezone=Asia/Dubai backup=ar`",
    "swap": "`/oncall swap @omar 2026-03-10`",
    "cover": "`/oncall cover 2026-03-10 2026-03-12`",
}  # fmt: skip

ROTATION_KEYS = ("name", "timezone", "shift", "days", "handoff", "start", "tier")
_FIELDS = ("name", "timezone", "shift_start", "shift_end", "days", "handoff_days", "start",
           "tier", "members")


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
    _check_name(name, "rotation name", ex)
    if team.rotation(name) is not None:
        raise EditError(f"there is already a rotation named '{name}'; pick another name "
                        f"(e.g. {name}-2) or change that one with `/oncall rotation set {name} "
                        "...`")
    if start is None:
        raise EditError(f"give the date of the first member's first shift, start=YYYY-MM-DD; "
                        f"e.g. {ex}")
    rot = Rotation(name, timezone, shift_start, shift_end, frozenset(days), handoff_days, start,
                   tier, tuple(members))
    _check_rotation(team, rot, ex)
    return _finish(team, replace(team, rotations=(*team.rotations, rot)))


def set_rotation(team: Team, name: str, /, **fields: Any) -> Team:
    """Change fields of a rotation. Keys are `Rotation` attributes (name, timezone,
    shift_start, shift_end, days, handoff_days, start, tier, members); `shift=(start,
    end)` and `handoff=N` are accepted too. Renaming also renames its overrides."""
    ex = EXAMPLES["set"]
    rot = require_rotation(team, name, ex)
    if "shift" in fields:
        shift = fields.pop("shift")
        if not (isinstance(shift, tuple) and len(shift) == 2):
            raise EditError(f"shift must be a window HH:MM-HH:MM; e.g. {ex}")
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
    new = replace(rot, **fields)
    if new.name != rot.name:
        _check_name(new.name, "rotation name", ex)
        if team.rotation(new.name) is not None:
            raise EditError(f"there is already a rotation named '{new.name}'; pick another name")
    _check_rotation(team, new, ex)
    rotations = tuple(new if r.name == name else r for r in team.rotations)
    overrides = tuple(replace(o, rotation=new.name) if o.rotation == name else o
                      for o in team.overrides)
    return _finish(team, replace(team, rotations=rotations, overrides=overrides))


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
    require_rotation(team, name, EXAMPLES["delete"])
    return _finish(team, replace(
        team,
        rotations=tuple(r for r in team.rotations if r.name != name),
        overrides=tuple(o for o in team.overrides if o.rotation != name)))


def add_member(team: Team, rotation: str, user: str, position: int | None = None) -> Team:
    """Add a specialist to a rotation, at 1-based `position` (None: at the end)."""
    ex = EXAMPLES["add"]
    rot = require_rotation(team, rotation, ex)
    require_specialist(team, user, ex)
    if user in rot.members:
        raise EditError(f"<@{user}> is already in {rotation} (position "
                        f"{rot.members.index(user) + 1}); to change the order use "
                        f"`/oncall rotation move {rotation} @user <position>`")
    n = len(rot.members)
    if position is None:
        position = n + 1
    if not 1 <= position <= n + 1:
        raise EditError(f"position {position} is out of range: {rotation} has {n} member(s), "
                        f"so use 1 to {n + 1} (or leave it out to add at the end); e.g. {ex}")
    members = list(rot.members)
    members.insert(position - 1, user)
    return _with_rotation(team, replace(rot, members=tuple(members)))


def remove_member(team: Team, rotation: str, user: str) -> Team:
    ex = EXAMPLES["remove"]
    rot = require_rotation(team, rotation, ex)
    if user not in rot.members:
        raise EditError(f"<@{user}> is not a member of {rotation}; members: "
                        f"{_mentions(rot.members)}; e.g. {ex}")
    members = tuple(m for m in rot.members if m != user)
    return _with_rotation(team, replace(rot, members=members))


def move_member(team: Team, rotation: str, user: str, position: int) -> Team:
    """Move a member to 1-based `position` (the others keep their order)."""
    ex = EXAMPLES["move"]
    rot = require_rotation(team, rotation, ex)
    if user not in rot.members:
        raise EditError(f"<@{user}> is not a member of {rotation}; members: "
                        f"{_mentions(rot.members)}; add them with "
                        f"`/oncall rotation add {rotation} @user`")
    n = len(rot.members)
    if not 1 <= position <= n:
        raise EditError(f"position {position} is out of range: {rotation} has {n} member(s), "
                        f"so use 1 to {n}; e.g. {ex}")
    members = [m for m in rot.members if m != user]
    members.insert(position - 1, user)
    return _with_rotation(team, replace(rot, members=tuple(members)))


# -- overrides, time off, swaps ---------------------------------------------------------------


def add_override(team: Team, rotation: str, user: str, start_utc: datetime,
                 end_utc: datetime) -> Team:
    """`user` covers `rotation` during [start, end), listed last (so it wins overlaps)."""
    ex = EXAMPLES["override"]
    require_rotation(team, rotation, ex)
    require_specialist(team, user, ex)
    _check_interval(start_utc, end_utc, "an override covers [from, to)", ex)
    o = Override(rotation, user, timezones.utc(start_utc), timezones.utc(end_utc))
    return _finish(team, replace(team, overrides=(*team.overrides, o)))


def add_time_off(team: Team, user: str, start_utc: datetime, end_utc: datetime,
                 all_day: bool = True) -> Team:
    """`user` is away during [start, end); `all_day` keeps the date form for export."""
    ex = EXAMPLES["away"]
    require_specialist(team, user, ex)
    _check_interval(start_utc, end_utc, "time off is [from, to)", ex)
    t = TimeOff(user, timezones.utc(start_utc), timezones.utc(end_utc), all_day)
    return _finish(team, replace(team, time_off=(*team.time_off, t)))


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
    _check_interval(shift_a_start, shift_a_end, "a shift is [from, to)", ex)
    added = [Override(rotation_a, user_b, timezones.utc(shift_a_start),
                      timezones.utc(shift_a_end))]
    given = (rotation_b, shift_b_start, shift_b_end)
    if any(v is not None for v in given):
        if any(v is None for v in given):
            raise EditError("give shift B's rotation, start and end together, or none of them "
                            "(a one-way cover)")
        require_rotation(team, rotation_b, ex)
        _check_interval(shift_b_start, shift_b_end, "a shift is [from, to)", ex)
        added.append(Override(rotation_b, user_a, timezones.utc(shift_b_start),
                              timezones.utc(shift_b_end)))
    return _finish(team, replace(team, overrides=(*team.overrides, *added)))


# -- specialists -------------------------------------------------------------------------------


def set_specialist(team: Team, user: str, languages: Iterable[str] | None = None,
                   timezone: str | None = None, backup: Iterable[str] | None = None,
                   name: str | None = None) -> Team:
    """Change a specialist's languages (strongest first), zone, backup languages or name.
    Someone not yet a specialist is added when both languages and timezone are given
    (their name defaults to the user ID)."""
    ex = EXAMPLES["specialist"]
    if not parsers.USER_ID.fullmatch(user):
        raise EditError(f"'{user}' is not a Slack user; mention them, e.g. {ex}")
    langs = None if languages is None else tuple(languages)
    back = None if backup is None else tuple(backup)
    current = team.specialist(user)
    if current is None:
        if langs is None or timezone is None:
            raise EditError(f"<@{user}> is not a specialist of {team.name} yet; to add them, "
                            f"give their languages (strongest first) and time zone, e.g. {ex}")
        current = Specialist(user, name or user, timezone, langs, back or ())
        new = current
    else:
        if langs is None and timezone is None and back is None and name is None:
            raise EditError(f"say what to change: languages=, timezone=, backup= or name=; "
                            f"e.g. {ex}")
        new = replace(current,
                      languages=current.languages if langs is None else langs,
                      timezone=current.timezone if timezone is None else timezone,
                      backup=current.backup if back is None else back,
                      name=current.name if name is None else name)
    if not new.name.strip() or any(c in new.name for c in "\r\n\t"):
        raise EditError("name must be printable text on one line, e.g. name=\"Layla Haddad\"")
    _check_zone(new.timezone, ex)
    _check_languages(team, new.languages, "languages", ex)
    if not new.languages:
        raise EditError(f"languages must list at least one language, strongest first; e.g. {ex}")
    _check_languages(team, new.backup, "backup", ex)
    for code in new.backup:
        if code not in new.languages:
            hint = ("; their backup list still has it, so give backup= too (e.g. backup= to "
                    "clear it)" if back is None else "")
            raise EditError(f"backup language '{code}' is not one they read "
                            f"[{', '.join(new.languages)}]: a backup can only cover a language "
                            f"in their own languages{hint}; e.g. {ex}")
    if team.specialist(user) is None:
        specialists = (*team.specialists, new)
    else:
        specialists = tuple(new if s.id == user else s for s in team.specialists)
    return _finish(team, replace(team, specialists=specialists))


# -- YAML-shaped dicts (audit "before"/"after") -----------------------------------------------


def rotation_dict(r: Rotation) -> dict[str, Any]:
    return {"name": r.name, "timezone": r.timezone, "shift": r.shift_label,
            "days": [WEEKDAYS[d] for d in sorted(r.days)], "handoff": r.handoff_label,
            "start": r.start.isoformat(), "tier": r.tier, "members": list(r.members)}


def specialist_dict(s: Specialist) -> dict[str, Any]:
    out: dict[str, Any] = {"id": s.id, "name": s.name, "timezone": s.timezone,
                           "languages": list(s.languages)}
    if s.backup:
        out["backup"] = list(s.backup)
    if s.holidays:
        out["holidays"] = s.holidays
    return out


def override_dict(o: Override, team: Team) -> dict[str, Any]:
    """Times in the rotation's zone, as the YAML has them."""
    rot = team.rotation(o.rotation)
    tz = rot.timezone if rot and timezones.is_valid_zone(rot.timezone) else "UTC"
    return {"rotation": o.rotation, "user": o.user, "from": parsers.format_local(o.start, tz),
            "to": parsers.format_local(o.end, tz)}


def time_off_dict(t: TimeOff, team: Team) -> dict[str, Any]:
    """Dates (inclusive) or date-times in the person's zone, as the YAML has them."""
    spec = team.specialist(t.user)
    tz = spec.timezone if spec and timezones.is_valid_zone(spec.timezone) else "UTC"
    if t.all_day:
        first = timezones.local_date(t.start, tz)
        last = timezones.local_date(t.end, tz) - timedelta(days=1)
        return {"user": t.user, "from": first.isoformat(), "to": last.isoformat()}
    return {"user": t.user, "from": parsers.format_local(t.start, tz),
            "to": parsers.format_local(t.end, tz)}


# -- helpers ---------------------------------------------------------------------------------


def _finish(before: Team, after: Team) -> Team:
    """`after`, unless it breaks a rule `before` did not already break."""
    old = set(validate_team(before))
    new = [p for p in validate_team(after) if p not in old]
    if new:
        raise EditError("; ".join(new))
    return after


def _with_rotation(team: Team, rot: Rotation) -> Team:
    return _finish(team, replace(team, rotations=tuple(rot if r.name == rot.name else r
                                                       for r in team.rotations)))


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
        raise EditError(f"<@{user}> is not a specialist of {team.name}; add them first with "
                        f"{EXAMPLES['specialist']} (then e.g. {example})")
    return spec


def _check_name(name: str, what: str, example: str) -> None:
    if not parsers.NAME.fullmatch(name or ""):
        raise EditError(f"{what} '{name}' must be {parsers.NAME_RULE}; e.g. {example}")


def _check_rotation(team: Team, r: Rotation, example: str) -> None:
    _check_zone(r.timezone, example)
    if not isinstance(r.shift_start, time) or not isinstance(r.shift_end, time):
        raise EditError(f"shift must be a window HH:MM-HH:MM; e.g. {example}")
    if not r.days or any(not isinstance(d, int) or not 0 <= d <= 6 for d in r.days):
        raise EditError(f"days needs at least one weekday (mon..sun), e.g. days=mon-fri; "
                        f"e.g. {example}")
    if not isinstance(r.handoff_days, int) or r.handoff_days < 1:
        raise EditError(f"handoff must be daily, weekly or every N days with N >= 1 (e.g. "
                        f"handoff=3d); e.g. {example}")
    if not isinstance(r.start, date) or isinstance(r.start, datetime):
        raise EditError(f"start must be a date YYYY-MM-DD; e.g. {example}")
    if r.tier not in TIERS:
        raise EditError(f"unknown tier '{r.tier}'; allowed: {', '.join(TIERS)}; e.g. {example}")
    seen: set[str] = set()
    for u in r.members:
        if team.specialist(u) is None:
            raise EditError(f"<@{u}> is not a specialist of {team.name}; add them first with "
                            f"{EXAMPLES['specialist']}")
        if u in seen:
            raise EditError(f"<@{u}> is listed twice in {r.name}; list each member once")
        seen.add(u)


def _check_languages(team: Team, codes: tuple[str, ...], key: str, example: str) -> None:
    seen: set[str] = set()
    for code in codes:
        if code not in team.languages:
            raise EditError(f"language '{code}' is not one of the team's languages "
                            f"[{', '.join(team.languages)}]; e.g. {example}")
        if code in seen:
            raise EditError(f"language '{code}' is listed twice in {key}=; list each once")
        seen.add(code)


def _check_interval(start: datetime, end: datetime, what: str, example: str) -> None:
    for dt in (start, end):
        if not isinstance(dt, datetime) or dt.tzinfo is None or dt.utcoffset() is None:
            raise EditError(f"times must be aware datetimes (got {dt!r})")
    if end <= start:
        raise EditError(f"'to' must be after 'from' ({what}); e.g. {example}")


def _mentions(users: Iterable[str]) -> str:
    users = list(users)
    return ", ".join(f"<@{u}>" for u in users) if users else "none"


def did_you_mean(word: str, allowed: Iterable[str]) -> str:
    hit = parsers.closest(word, allowed)
    return f" (did you mean '{hit}'?)" if hit else ""


def _check_zone(tz: str, example: str) -> None:
    try:
        parsers.parse_zone(tz)
    except ParseError as e:
        raise EditError(f"{e.message}; e.g. {example}") from None
