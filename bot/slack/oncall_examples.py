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


def personal_error(err: CommandError, roster: Roster, user: str, now: datetime) -> CommandError:
    """`err` with its example replaced by one built from the asker's own next shift,
    when the command is `cover`, `swap` or `away` and the asker has one; else `err`."""
    key = next((k for k in ("cover", "swap", "away") if HELP[k].usage == err.usage), None)
    me = roster.specialist(user)
    if key is None or me is None:
        return err
    try:
        mine = schedule_svc.shifts(roster, now, _LOOK_AHEAD_DAYS, user=user)
    except ServiceError:
        return err
    shift = next((a for a in mine if a.start >= now), None)
    if shift is None:
        return err
    start = parsers.format_local(shift.start, me.timezone)
    end = parsers.format_local(shift.end, me.timezone)
    if key == "cover":
        example = f"/oncall cover {start} {end}"
    elif key == "away":
        example = f"/oncall away {start[:10]} {start[:10]}"
    else:
        rotation = roster.team.rotation(shift.rotation)
        mates = [m for m in (rotation.members if rotation else ()) if m != user]
        mate = roster.specialist(mates[0]) if mates else None
        if mate is None:
            return err
        example = f"/oncall swap @{mate.name.split()[0].lower()} {start[:10]}"
    return CommandError(err.message, err.usage, example)
