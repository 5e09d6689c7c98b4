"""Plain-value teams for the routing and escalation unit tests: specialists on rotations
that cover every hour, so who is on shift is read off the team, not off a calendar."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from bot.core.model import Rotation, Specialist, Team, TimeOff
from bot.core.roster import Roster

NOW = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)  # a Wednesday
EVERY_DAY = frozenset(range(7))


def person(user: str, *languages: str, backup: tuple[str, ...] = ()) -> Specialist:
    """A specialist reading `languages`, strongest first."""
    return Specialist(user, user, "UTC", languages, backup)


def always(name: str, user: str, tier: str = "primary") -> Rotation:
    """A rotation with one member, on call around the clock (midnight to midnight)."""
    return Rotation(name, "UTC", time(0), time(0), EVERY_DAY, 1, date(2026, 1, 1), tier,
                    (user,))


def away_now(user: str) -> TimeOff:
    return TimeOff(user, NOW - timedelta(days=2), NOW + timedelta(days=2))


def roster(people: list[Specialist], rotations: list[Rotation],
           time_off: tuple[TimeOff, ...] = ()) -> Roster:
    team = Team("safety", ("en", "es", "ar"), "C0INTAKE", "C0ESCAL",
                specialists=tuple(people), rotations=tuple(rotations), time_off=time_off)
    return Roster(team)
