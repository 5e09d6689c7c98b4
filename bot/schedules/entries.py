"""Reading the entries of a team file: specialists, rotations (with their members),
overrides and time off. References between entries (a member must be a specialist, an
override names a rotation) are checked here, where each can be reported at its line."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from yaml.nodes import Node, ScalarNode

from bot.core import timezones
from bot.core.model import TIERS, Override, Rotation, Specialist, TimeOff
from bot.schedules.fields import FieldReader, did_you_mean
from bot.schedules.problems import line_of
from bot.schedules.schema import (
    EXAMPLES,
    OVERRIDE_FIELDS,
    ROTATION_FIELDS,
    SPECIALIST_FIELDS,
    TIME_OFF_FIELDS,
)

__all__ = ["EntryReader"]


class EntryReader(FieldReader):
    """The list entries of one team file; remembers who and what they may refer to."""

    def __init__(self, filename: str):
        super().__init__(filename)
        self.known_users: set[str] = set()
        self.check_refs = True  # False when `specialists` is not a list: no cascades
        self.rotation_zones: dict[str, str | None] = {}
        self.user_zones: dict[str, str] = {}

    def first_time(
        self, node: ScalarNode, path: str, first_line: dict[str, int | None], message: str
    ) -> bool:
        """Whether a key value (an id, a name) is new; a repeat is reported with `message`
        (which has {raw} and {first}, the line of the first one)."""
        raw = node.value
        if raw in first_line:
            self.err(node, path, message.format(raw=raw, first=first_line[raw]))
            return False
        first_line[raw] = line_of(node)
        return True

    # specialists ----------------------------------------------------------------------------

    def specialists(
        self, node: Node, team_languages: tuple[str, ...] | None
    ) -> tuple[Specialist, ...]:
        self.known_users = set()
        example = "[{id: U0AR00001, name: Layla Haddad, timezone: Asia/Dubai, languages: [ar, en]}]"
        items = self.seq(node, "specialists", example)
        if items is None:
            self.check_refs = False
            items = []
        out: list[Specialist] = []
        first_line: dict[str, int | None] = {}
        for i, item in enumerate(items):
            path = f"specialists[{i}]"
            f = self.fields(
                item,
                path,
                SPECIALIST_FIELDS,
                ("id", "name", "timezone", "languages"),
                "a specialist",
            )
            if f is None:
                continue
            sid = self.user_id(f["id"][1], f"{path}.id") if "id" in f else None
            if "id" in f and isinstance(f["id"][1], ScalarNode):
                if self.first_time(
                    f["id"][1], f"{path}.id", first_line,
                    "duplicate specialist id '{raw}' (first on line {first}); "
                    "list each specialist once and put them in several rotations instead",
                ):  # fmt: skip
                    self.known_users.add(f["id"][1].value)
                else:
                    sid = None
            name = self.text(f["name"][1], f"{path}.name", "Layla Haddad") if "name" in f else None
            tz = self.zone(f["timezone"][1], f"{path}.timezone") if "timezone" in f else None
            if tz is not None and "id" in f and isinstance(f["id"][1], ScalarNode):
                self.user_zones.setdefault(f["id"][1].value, tz)
            langs = None
            if "languages" in f:
                langs = self.language_list(
                    f["languages"][1],
                    f"{path}.languages",
                    team_languages,
                    allow_empty=False,
                    example="[ar, fr, en] (strongest first)",
                )
            backup: tuple[str, ...] | None = ()
            if "backup" in f:
                backup = self.language_list(
                    f["backup"][1],
                    f"{path}.backup",
                    team_languages,
                    allow_empty=True,
                    example="[ar]",
                )
                if backup and langs is not None:
                    items_b = f["backup"][1].value
                    for j, code in enumerate(backup):
                        if code not in langs:
                            self.err(
                                items_b[j],
                                f"{path}.backup[{j}]",
                                f"backup language '{code}' is not one this specialist reads "
                                f"[{', '.join(langs)}]; a backup can only cover a language in "
                                "their own `languages`",
                            )
                            backup = None
                            break
            hol = None
            if "holidays" in f and not self.optional(f["holidays"][1]):
                hol = self.holidays(f["holidays"][1], f"{path}.holidays")
            if None in (sid, name, tz, langs, backup):
                continue
            out.append(Specialist(sid, name, tz, langs, backup, hol))
        return tuple(out)

    # rotations ------------------------------------------------------------------------------

    def rotations(self, node: Node, known_users: set[str]) -> tuple[Rotation, ...]:
        self.rotation_zones = {}
        example = '[{name: emea, timezone: Europe/Dublin, shift: "08:00-16:00", ...}]'
        items = self.seq(node, "rotations", example) or []
        out: list[Rotation] = []
        first_line: dict[str, int | None] = {}
        for i, item in enumerate(items):
            path = f"rotations[{i}]"
            f = self.fields(
                item,
                path,
                ROTATION_FIELDS,
                ("name", "timezone", "shift", "start", "members"),
                "a rotation",
            )
            if f is None:
                continue
            name = (
                self.name(f["name"][1], f"{path}.name", "rotation name", "emea-night")
                if "name" in f
                else None
            )
            tz = self.zone(f["timezone"][1], f"{path}.timezone") if "timezone" in f else None
            if "name" in f and isinstance(f["name"][1], ScalarNode):
                if self.first_time(
                    f["name"][1], f"{path}.name", first_line,
                    "duplicate rotation name '{raw}' (first on line {first}); "
                    "give each rotation its own name, e.g. emea-2",
                ):  # fmt: skip
                    self.rotation_zones[f["name"][1].value] = tz
                else:
                    name = None
            shift = self.shift(f["shift"][1], f"{path}.shift") if "shift" in f else None
            days: frozenset[int] | None = frozenset(range(7))
            if "days" in f:
                days = self.days(f["days"][1], f"{path}.days")
            handoff: int | None = 7
            if "handoff" in f:
                handoff = self.handoff(f["handoff"][1], f"{path}.handoff")
            start = (
                self.date(f["start"][1], f"{path}.start", "2026-01-05") if "start" in f else None
            )
            tier: str | None = "primary"
            if "tier" in f:
                tier = self.scalar(f["tier"][1], f"{path}.tier", "primary")
                if tier is not None and tier not in TIERS:
                    self.err(
                        f["tier"][1],
                        f"{path}.tier",
                        f"unknown tier '{tier}'; allowed: {', '.join(TIERS)}",
                    )
                    tier = None
            members = (
                self.members(f["members"][1], f"{path}.members", known_users)
                if "members" in f
                else None
            )
            if None in (name, tz, shift, days, handoff, start, tier, members):
                continue
            out.append(Rotation(name, tz, shift[0], shift[1], days, handoff, start, tier, members))
        return tuple(out)

    def members(self, node: Node, path: str, known: set[str]) -> tuple[str, ...] | None:
        items = self.seq(node, path, "[U0AR00001, U0ES00002]")
        if items is None:
            return None
        out: list[str] = []
        ok = True
        for i, item in enumerate(items):
            p = f"{path}[{i}]"
            v = self.scalar(item, p, "U0AR00001")
            if v is None:
                ok = False
            elif v not in known and self.check_refs:
                self.err(item, p, self.unknown_user(v, known, "member"))
                ok = False
            elif v in out:
                self.err(
                    item,
                    p,
                    f"member '{v}' is listed twice in this rotation; list each member once "
                    "(order decides who is on call in which handoff period)",
                )
                ok = False
            else:
                out.append(v)
        return tuple(out) if ok else None

    def unknown_user(self, v: str, known: set[str], what: str) -> str:
        shown = ", ".join(sorted(known)[:5]) + (", ..." if len(known) > 5 else "")
        listed = f" (known: {shown})" if known else ""
        guess = did_you_mean(v, sorted(known), cutoff=0.8)
        return (
            f"unknown {what} '{v}'; a {what} must be the id of a specialist listed under "
            f"`specialists`{listed}{guess}"
        )

    # overrides and time off -----------------------------------------------------------------

    def overrides(
        self, node: Node, known: set[str], rotation_zones: dict[str, str | None]
    ) -> tuple[Override, ...]:
        example = (
            '[{rotation: emea, user: U0ES00002, from: "2026-12-24T08:00", to: "2026-12-24T16:00"}]'
        )
        items = self.seq(node, "overrides", example) or []
        out: list[Override] = []
        for i, item in enumerate(items):
            path = f"overrides[{i}]"
            f = self.fields(item, path, OVERRIDE_FIELDS, OVERRIDE_FIELDS, "an override")
            if f is None:
                continue
            rot = (
                self.scalar(f["rotation"][1], f"{path}.rotation", "emea")
                if "rotation" in f
                else None
            )
            tz = None
            if rot is not None:
                if rot not in rotation_zones:
                    names = ", ".join(rotation_zones) or "none yet"
                    self.err(
                        f["rotation"][1],
                        f"{path}.rotation",
                        f"unknown rotation '{rot}'; use the name of one under `rotations` "
                        f"({names})" + did_you_mean(rot, rotation_zones),
                    )
                    rot = None
                else:
                    tz = rotation_zones[rot]
            user = self.scalar(f["user"][1], f"{path}.user", "U0ES00002") if "user" in f else None
            if user is not None and user not in known:
                if self.check_refs:
                    self.err(f["user"][1], f"{path}.user", self.unknown_user(user, known, "user"))
                user = None
            start = (
                self.when(f["from"][1], f"{path}.from", EXAMPLES["from"]) if "from" in f else None
            )
            end = self.when(f["to"][1], f"{path}.to", EXAMPLES["to"]) if "to" in f else None
            if start is None or end is None or tz is None:
                continue
            s_utc = timezones.to_utc(_as_datetime(start), tz)
            e_utc = timezones.to_utc(_as_datetime(end), tz)
            if e_utc <= s_utc:
                self.err(
                    f["to"][1],
                    f"{path}.to",
                    f"to ({f['to'][1].value}) must be after from ({f['from'][1].value}) in "
                    f'{tz}; an override covers [from, to), e.g. from: "2026-12-24T08:00", '
                    'to: "2026-12-24T16:00"',
                )
                continue
            if rot is not None and user is not None:
                out.append(Override(rot, user, s_utc, e_utc))
        return tuple(out)

    def time_off(self, node: Node, known: set[str], zones: dict[str, str]) -> tuple[TimeOff, ...]:
        example = "[{user: U0AR00001, from: 2026-12-20, to: 2027-01-03}]"
        items = self.seq(node, "time_off", example) or []
        out: list[TimeOff] = []
        for i, item in enumerate(items):
            path = f"time_off[{i}]"
            f = self.fields(item, path, TIME_OFF_FIELDS, TIME_OFF_FIELDS, "a time-off entry")
            if f is None:
                continue
            user = self.scalar(f["user"][1], f"{path}.user", "U0AR00001") if "user" in f else None
            if user is not None and user not in known:
                if self.check_refs:
                    self.err(f["user"][1], f"{path}.user", self.unknown_user(user, known, "user"))
                user = None
            start = self.when(f["from"][1], f"{path}.from", "2026-12-20") if "from" in f else None
            end = self.when(f["to"][1], f"{path}.to", "2027-01-03") if "to" in f else None
            if start is None or end is None:
                continue
            all_day = not isinstance(start, datetime)
            if all_day != (not isinstance(end, datetime)):
                self.err(
                    f["to"][1],
                    f"{path}.to",
                    "from and to must both be dates (whole days, inclusive: from: 2026-12-20, "
                    'to: 2026-12-24) or both date-times (from: "2026-12-24T08:00", '
                    'to: "2026-12-24T13:00")',
                )
                continue
            if all_day and end < start:
                self.err(
                    f["to"][1],
                    f"{path}.to",
                    f"to ({end}) is before from ({start}); dates are inclusive, so a single "
                    "day is from: 2026-12-24, to: 2026-12-24",
                )
                continue
            if user is None or user not in zones:
                continue
            tz = zones[user]
            if all_day:
                s_utc = timezones.start_of_day(start, tz)
                e_utc = timezones.start_of_day(end + timedelta(days=1), tz)
            else:
                s_utc, e_utc = timezones.to_utc(start, tz), timezones.to_utc(end, tz)
                if e_utc <= s_utc:
                    self.err(
                        f["to"][1],
                        f"{path}.to",
                        f"to ({f['to'][1].value}) must be after from ({f['from'][1].value}) "
                        f"in {tz}; date-times are half-open [from, to), e.g. "
                        'from: "2026-12-24T08:00", to: "2026-12-24T13:00"',
                    )
                    continue
            out.append(TimeOff(user, s_utc, e_utc, all_day))
        return tuple(out)



def _as_datetime(value: date | datetime) -> datetime:
    return value if isinstance(value, datetime) else datetime.combine(value, time(0, 0))
