"""Reading the entries of a team file: specialists, rotations (with their members),
overrides and time off, each value as written. Whether the entries fit together (a
member is a specialist, an override names a rotation) is a team rule of
`bot.core.checks`, checked once the whole file has been read."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from yaml.nodes import Node

from bot.core import timezones
from bot.core.model import Override, Rotation, Specialist, TimeOff
from bot.schedules.fields import FieldReader
from bot.schedules.schema import (
    EXAMPLES,
    OVERRIDE_FIELDS,
    ROTATION_FIELDS,
    SPECIALIST_FIELDS,
    TIME_OFF_FIELDS,
)

__all__ = ["EntryReader"]


class EntryReader(FieldReader):
    """The list entries of one team file; remembers the zones their local times are in."""

    def __init__(self, filename: str):
        super().__init__(filename)
        # Overrides are in their rotation's zone, time off in the person's. An unknown
        # name reads in UTC: the team rules then report the name itself.
        self.rotation_zones: dict[str, str] = {}
        self.user_zones: dict[str, str] = {}

    # specialists ----------------------------------------------------------------------------

    def specialists(self, node: Node, field: str = "specialists") -> tuple[Specialist, ...]:
        example = "[{id: U0AR00001, name: Layla Haddad, timezone: Asia/Dubai, languages: [ar, en]}]"
        out: list[Specialist] = []
        for i, item in enumerate(self.seq(node, field, example) or []):
            path = f"{field}[{i}]"
            f = self.fields(
                item, path, SPECIALIST_FIELDS, ("id", "name", "timezone", "languages"),
                "a specialist",
            )  # fmt: skip
            if f is None:
                continue
            sid = self.user_id(f["id"][1], f"{path}.id") if "id" in f else None
            name = self.text(f["name"][1], f"{path}.name", "Layla Haddad") if "name" in f else None
            tz = self.zone(f["timezone"][1], f"{path}.timezone") if "timezone" in f else None
            langs = None
            if "languages" in f:
                langs = self.language_list(
                    f["languages"][1], f"{path}.languages", iso=False, allow_empty=False,
                    example="[ar, fr, en] (strongest first)",
                )  # fmt: skip
            backup: tuple[str, ...] | None = ()
            if "backup" in f:
                backup = self.language_list(
                    f["backup"][1], f"{path}.backup", iso=False, allow_empty=True, example="[ar]"
                )
            hol = None
            if "holidays" in f and not self.optional(f["holidays"][1]):
                hol = self.holidays(f["holidays"][1], f"{path}.holidays")
            skills: tuple[str, ...] | None = ()
            if "skills" in f:
                skills = self.word_list(f["skills"][1], f"{path}.skills", "[le_requests]")
            phone = email = None
            if "phone" in f and not self.optional(f["phone"][1]):
                phone = self.scalar(f["phone"][1], f"{path}.phone", "+353861234567")
            if "email" in f and not self.optional(f["email"][1]):
                email = self.scalar(f["email"][1], f"{path}.email", "layla@example.org")
            if None in (sid, name, tz, langs, backup, skills) or (
                    "phone" in f and phone is None and not self.optional(f["phone"][1])) or (
                    "email" in f and email is None and not self.optional(f["email"][1])):
                continue
            self.user_zones.setdefault(sid, tz)
            out.append(Specialist(sid, name, tz, langs, backup, hol, skills,
                                  phone=phone.strip() if phone else None,
                                  email=email.strip() if email else None))
        return tuple(out)

    # rotations ------------------------------------------------------------------------------

    def rotations(self, node: Node, field: str = "rotations") -> tuple[Rotation, ...]:
        example = '[{name: emea, timezone: Europe/Dublin, shift: "08:00-16:00", ...}]'
        out: list[Rotation] = []
        for i, item in enumerate(self.seq(node, field, example) or []):
            path = f"{field}[{i}]"
            f = self.fields(
                item, path, ROTATION_FIELDS, ("name", "timezone", "shift", "start", "members"),
                "a rotation",
            )  # fmt: skip
            if f is None:
                continue
            rotation = self.rotation(f, path)
            if rotation is not None:
                self.rotation_zones.setdefault(rotation.name, rotation.timezone)
                out.append(rotation)
        return tuple(out)

    def rotation(self, f: dict[str, tuple[Node, Node]], path: str) -> Rotation | None:
        def read(key: str, reader, default=None):
            return self.read(f, path, key, reader, default)

        name = read("name", lambda n, p: self.name(n, p, "rotation name", "emea-night"))
        tz = read("timezone", self.zone)
        shift = read("shift", self.shift)
        days = read("days", self.days, frozenset(range(7)))
        handoff = read("handoff", self.handoff, 7)
        start = read("start", lambda n, p: self.date(n, p, "2026-01-05"))
        tier = read("tier", lambda n, p: self.scalar(n, p, "primary"), "primary")
        members = read("members", self.members)
        if None in (name, tz, shift, days, handoff, start, tier, members):
            return None
        return Rotation(name, tz, shift[0], shift[1], days, handoff, start, tier, members)

    def members(self, node: Node, path: str) -> tuple[str, ...] | None:
        items = self.seq(node, path, "[U0AR00001, U0ES00002]")
        if items is None:
            return None
        ids = [self.scalar(item, f"{path}[{i}]", "U0AR00001") for i, item in enumerate(items)]
        return None if None in ids else tuple(ids)

    # overrides and time off -----------------------------------------------------------------

    def overrides(self, node: Node, field: str = "overrides") -> tuple[Override, ...]:
        example = (
            '[{rotation: emea, user: U0ES00002, from: "2026-12-24T08:00", to: "2026-12-24T16:00"}]'
        )
        out: list[Override] = []
        for i, item in enumerate(self.seq(node, field, example) or []):
            path = f"{field}[{i}]"
            f = self.fields(item, path, OVERRIDE_FIELDS, OVERRIDE_FIELDS, "an override")
            if f is None:
                continue
            rot = self.read(f, path, "rotation", lambda n, p: self.scalar(n, p, "emea"))
            user = self.read(f, path, "user", lambda n, p: self.scalar(n, p, "U0ES00002"))
            start = self.read(f, path, "from", lambda n, p: self.when(n, p, EXAMPLES["from"]))
            end = self.read(f, path, "to", lambda n, p: self.when(n, p, EXAMPLES["to"]))
            if None in (rot, user, start, end):
                continue
            tz = self.rotation_zones.get(rot, "UTC")
            out.append(Override(rot, user, timezones.to_utc(_as_datetime(start), tz),
                                timezones.to_utc(_as_datetime(end), tz)))  # fmt: skip
        return tuple(out)

    def time_off(self, node: Node, field: str = "time_off") -> tuple[TimeOff, ...]:
        example = "[{user: U0AR00001, from: 2026-12-20, to: 2027-01-03}]"
        out: list[TimeOff] = []
        for i, item in enumerate(self.seq(node, field, example) or []):
            path = f"{field}[{i}]"
            f = self.fields(item, path, TIME_OFF_FIELDS, TIME_OFF_FIELDS, "a time-off entry")
            if f is None:
                continue
            user = self.read(f, path, "user", lambda n, p: self.scalar(n, p, "U0AR00001"))
            start = self.read(f, path, "from", lambda n, p: self.when(n, p, "2026-12-20"))
            end = self.read(f, path, "to", lambda n, p: self.when(n, p, "2027-01-03"))
            if None in (user, start, end) or not self.same_kind(f["to"][1], path, start, end):
                continue
            tz = self.user_zones.get(user, "UTC")
            if isinstance(start, datetime):
                span = timezones.to_utc(start, tz), timezones.to_utc(end, tz)
            else:  # whole local days, `to` included
                span = (timezones.start_of_day(start, tz),
                        timezones.start_of_day(end + timedelta(days=1), tz))  # fmt: skip
            out.append(TimeOff(user, *span, not isinstance(start, datetime)))
        return tuple(out)

    def same_kind(self, to_node: Node, path: str, start: date, end: date) -> bool:
        """Time off is whole days (inclusive dates) or date-times, not a mix; that and the
        inclusive reading of dates are the file's way of writing it, checked here."""
        all_day = not isinstance(start, datetime)
        if all_day != (not isinstance(end, datetime)):
            self.err(
                to_node,
                f"{path}.to",
                "from and to must both be dates (whole days, inclusive: from: 2026-12-20, "
                'to: 2026-12-24) or both date-times (from: "2026-12-24T08:00", '
                'to: "2026-12-24T13:00")',
            )
            return False
        if all_day and end < start:
            self.err(
                to_node,
                f"{path}.to",
                f"to ({end}) is before from ({start}); dates are inclusive, so a single "
                "day is from: 2026-12-24, to: 2026-12-24",
            )
            return False
        return True


def _as_datetime(value: date | datetime) -> datetime:
    return value if isinstance(value, datetime) else datetime.combine(value, time(0, 0))
