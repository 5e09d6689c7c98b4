"""A team's entries as its schedule file writes them: each entry's fields in the file's
order, as text (`rotation_dict`, `specialist_dict`, `override_dict`, `time_off_dict`),
and the zone an override's or a time off's local times are written in. The YAML writer
(`bot.schedules.writer`) writes these values, and the audit trail records them as an
edit's "before" and "after", so both show an entry the same way.

Pure: no I/O.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.core import parsers, timezones
from bot.core.model import WEEKDAYS, Category, Override, Rotation, Specialist, Team, TimeOff

__all__ = [
    "category_dict",
    "override_dict",
    "override_zone",
    "rotation_dict",
    "specialist_dict",
    "time_off_dict",
    "time_off_zone",
    "zone_or_utc",
]


def zone_or_utc(tz: str | None) -> str:
    """`tz`, or UTC when it is missing or not a zone: local times must be written in
    some zone even in a team whose zone is wrong (the checks report that one)."""
    return tz if tz and timezones.is_valid_zone(tz) else "UTC"


def override_zone(team: Team, o: Override) -> str:
    """An override is written in its rotation's zone."""
    rot = team.rotation(o.rotation)
    return zone_or_utc(rot.timezone if rot else None)


def time_off_zone(team: Team, t: TimeOff) -> str:
    """Time off is written in the person's zone."""
    spec = team.specialist(t.user)
    return zone_or_utc(spec.timezone if spec else None)


def rotation_dict(r: Rotation) -> dict[str, Any]:
    return {"name": r.name, "timezone": r.timezone, "shift": r.shift_label,
            "days": [WEEKDAYS[d] for d in sorted(r.days)], "handoff": r.handoff_label,
            "start": r.start.isoformat(), "tier": r.tier, "members": list(r.members)}


def specialist_dict(s: Specialist) -> dict[str, Any]:
    out: dict[str, Any] = {"id": s.id, "name": s.name, "timezone": s.timezone,
                           "languages": list(s.languages)}
    if s.backup:
        out["backup"] = list(s.backup)
    if s.holidays is not None:
        out["holidays"] = s.holidays
    if s.skills:
        out["skills"] = list(s.skills)
    if s.phone is not None:
        out["phone"] = s.phone
    if s.email is not None:
        out["email"] = s.email
    return out


def category_dict(c: Category) -> dict[str, Any]:
    """The fields a category sets, in the file's order; defaults are left out. `due` as
    a duration (30m), `sensitive` a bool, `exposure_weight` an int."""
    out: dict[str, Any] = {"name": c.name, "label": c.label}
    if c.severity is not None:
        out["severity"] = c.severity
    if c.policy is not None:
        out["policy"] = c.policy
    if c.skills:
        out["skills"] = list(c.skills)
    if c.due is not None:
        out["due"] = parsers.format_duration(c.due)
    if c.sensitive:
        out["sensitive"] = True
    if c.exposure_weight is not None:
        out["exposure_weight"] = c.exposure_weight
    if c.verification is not None:
        out["verification"] = c.verification
    if c.fields:
        out["fields"] = list(c.fields)
    return out


def override_dict(o: Override, team: Team) -> dict[str, Any]:
    """Times in the rotation's zone."""
    tz = override_zone(team, o)
    return {"rotation": o.rotation, "user": o.user, "from": parsers.format_local(o.start, tz),
            "to": parsers.format_local(o.end, tz)}


def time_off_dict(t: TimeOff, team: Team) -> dict[str, Any]:
    """Dates (the last one inclusive) or date-times, in the person's zone."""
    tz = time_off_zone(team, t)
    if t.all_day:
        first = timezones.local_date(t.start, tz)
        last = timezones.local_date(t.end, tz) - timedelta(days=1)
        return {"user": t.user, "from": first.isoformat(), "to": last.isoformat()}
    return {"user": t.user, "from": parsers.format_local(t.start, tz),
            "to": parsers.format_local(t.end, tz)}
