"""Examples in `/oncall` error replies that work for the person asking.

The grammar's examples are fixed (`@ana`, `2026-12-24`): right in shape, but a
specialist who copies one asks a stranger to swap or covers a day they are not on call.
When the asker has shifts, the example of `cover`, `swap` and `away` names their own
next shift (in their zone) and, for `swap`, a real colleague on the same rotation."""

from __future__ import annotations

from datetime import datetime

from bot.core import parsers
from bot.core.roster import Roster
from bot.services import schedules as schedule_svc
from bot.services.errors import ServiceError
from bot.slack.oncall_args import CommandError
from bot.slack.oncall_help import HELP

_LOOK_AHEAD_DAYS = 30  # how far to look for the asker's next shift


def personal_examples(roster: Roster, user: str, now: datetime) -> dict[str, str]:
    """Examples of a specialist's own commands that work for them: `cover`, `swap` and
    `away` on their next shift (in their zone; `swap` with a colleague on the same
    rotation), `export` of their own calendar. Empty for someone who is not one."""
    me = roster.specialist(user)
    if me is None:
        return {}
    out = {"export": "/oncall export", "away": "/oncall away tomorrow tomorrow"}
    try:
        mine = schedule_svc.shifts(roster, now, _LOOK_AHEAD_DAYS, user=user)
    except ServiceError:
        return out
    shift = next((a for a in mine if a.start >= now), None)
    if shift is None:
        return out
    start = parsers.format_local(shift.start, me.timezone)
    end = parsers.format_local(shift.end, me.timezone)
    out["cover"] = f"/oncall cover {start} {end}"
    out["away"] = f"/oncall away {start[:10]} {start[:10]}"
    rotation = roster.team.rotation(shift.rotation)
    mates = [m for m in (rotation.members if rotation else ()) if m != user]
    mate = roster.specialist(mates[0]) if mates else None
    if mate is not None:
        out["swap"] = f"/oncall swap @{mate.name.split()[0].lower()} {start[:10]}"
    return out


def personal_error(err: CommandError, roster: Roster, user: str, now: datetime) -> CommandError:
    """`err` with its example replaced by one that works for the asker (see
    `personal_examples`) when the command is `cover`, `swap` or `away`; else `err`."""
    key = next((k for k in ("cover", "swap", "away") if HELP[k].usage == err.usage), None)
    example = personal_examples(roster, user, now).get(key or "")
    if key is None or example is None or example.startswith("/oncall away tomorrow"):
        return err
    return CommandError(err.message, err.usage, example)
