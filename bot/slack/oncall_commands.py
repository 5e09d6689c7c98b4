"""The commands `/oncall` parses into: one frozen dataclass per command, with the
argument values already in the model's types, and the limits the grammar enforces.

`LocalTime` is a wall-clock boundary without a zone: the service converts it to UTC in
the right zone (see `bot.slack.grammar` for the conventions)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import ClassVar

from bot.core.model import ROTATION_FIELDS, SPECIALIST_FIELDS

MAX_DAYS = 90
DEFAULT_DAYS = {"report": 30, "shifts": 7, "coverage": 14}
MIN_YEAR, MAX_YEAR = 2000, 2100

# The keys of `rotation create|set`: the YAML field names, minus `name` (an argument)
# and `members` (rotation add/remove/move). Values: timezone str, shift (time, time),
# days frozenset[int] (0 = Monday), handoff int (days), start date, tier str.
ROTATION_KEYS = tuple(k for k in ROTATION_FIELDS if k not in ("name", "members"))
ROTATION_REQUIRED = ("timezone", "shift")
# The keys of `specialist`: languages tuple[str, ...] (strongest first), timezone str,
# backup tuple[str, ...] (() clears), name str, holidays str | None (None clears).
# phone str | None, email str | None (None clears): set on their own (`set_contacts`),
# by managers or by the person themselves.
SPECIALIST_KEYS = ("languages", "timezone", "backup", "name", "holidays", "phone", "email")
CONTACT_KEYS = ("phone", "email")
# Skills have a command of their own (`/oncall skills @user add|remove <skill>`).
assert set(SPECIALIST_KEYS) == set(SPECIALIST_FIELDS) - {"id", "skills"}


# -- commands -----------------------------------------------------------------------------


@dataclass(frozen=True)
class LocalTime:
    """A local wall-clock boundary; the grammar knows no zones.

    `at` is naive. For a bare date, `date_only` is True and `at` is midnight: of that
    day for a `<from>`, of the *next* day for a `<to>` (dates are inclusive). So the
    interval is always `[start.at, end.at)`."""

    at: datetime
    date_only: bool = False

    @property
    def last_day(self) -> date:
        """For a date-only `<to>`: the inclusive last day as typed."""
        return (self.at - timedelta(days=1)).date() if self.date_only else self.at.date()


@dataclass(frozen=True)
class Help:
    topic: str | None = None  # normalized: lowercase, single spaces; may be unknown
    command: ClassVar[str] = "help"


@dataclass(frozen=True)
class Who:
    language: str | None = None  # ISO 639-1; None: every language
    category: str | None = None  # a category's name (checked against the team's)
    command: ClassVar[str] = "who"


@dataclass(frozen=True)
class Me:
    command: ClassVar[str] = "me"


@dataclass(frozen=True)
class Report:
    days: int = DEFAULT_DAYS["report"]
    by: str | None = None  # language | region | category | severity | person
    command: ClassVar[str] = "report"


@dataclass(frozen=True)
class Shifts:
    rotation: str | None = None  # at most one of rotation and user; neither: the caller
    user: str | None = None
    days: int = DEFAULT_DAYS["shifts"]
    command: ClassVar[str] = "shifts"


@dataclass(frozen=True)
class Coverage:
    days: int = DEFAULT_DAYS["coverage"]
    command: ClassVar[str] = "coverage"


@dataclass(frozen=True)
class RotationList:
    command: ClassVar[str] = "rotation list"


@dataclass(frozen=True)
class RotationShow:
    name: str
    command: ClassVar[str] = "rotation show"


@dataclass(frozen=True)
class RotationDelete:
    name: str
    command: ClassVar[str] = "rotation delete"


@dataclass(frozen=True)
class RotationEdit:
    name: str  # opens the edit modal
    command: ClassVar[str] = "rotation edit"


@dataclass(frozen=True)
class RotationCreateModal:
    command: ClassVar[str] = "rotation create"


@dataclass(frozen=True)
class RotationCreate:
    name: str
    fields: dict  # ROTATION_KEYS -> parsed values; always has timezone and shift
    command: ClassVar[str] = "rotation create"


@dataclass(frozen=True)
class RotationSet:
    name: str
    fields: dict  # ROTATION_KEYS -> parsed values; at least one
    command: ClassVar[str] = "rotation set"


@dataclass(frozen=True)
class RotationAdd:
    name: str
    user: str
    position: int | None = None  # 1-based; None: at the end
    command: ClassVar[str] = "rotation add"


@dataclass(frozen=True)
class RotationRemove:
    name: str
    user: str
    command: ClassVar[str] = "rotation remove"


@dataclass(frozen=True)
class RotationMove:
    name: str
    user: str
    position: int  # 1-based
    command: ClassVar[str] = "rotation move"


@dataclass(frozen=True)
class OverrideCmd:
    rotation: str
    user: str
    start: LocalTime  # in the rotation's zone
    end: LocalTime
    command: ClassVar[str] = "override"


@dataclass(frozen=True)
class Away:
    user: str | None  # None: the caller
    start: LocalTime  # in the person's zone
    end: LocalTime
    command: ClassVar[str] = "away"


@dataclass(frozen=True)
class Swap:
    user: str  # the person to swap with
    day: date  # the day of the caller's shift, in the caller's zone
    command: ClassVar[str] = "swap"


@dataclass(frozen=True)
class Cover:
    start: LocalTime  # in the caller's zone
    end: LocalTime
    command: ClassVar[str] = "cover"


@dataclass(frozen=True)
class SpecialistCmd:
    user: str
    fields: dict  # SPECIALIST_KEYS -> parsed values; may be empty (show the specialist)
    command: ClassVar[str] = "specialist"


@dataclass(frozen=True)
class SkillsCmd:
    user: str | None = None  # None: every skill the team's categories require
    action: str | None = None  # "add" | "remove"; None: show
    skills: tuple[str, ...] = ()  # slugs (`parsers.SKILL`), each once; some when action
    command: ClassVar[str] = "skills"


SKILL_ACTIONS = ("add", "remove")


@dataclass(frozen=True)
class CategoryList:
    command: ClassVar[str] = "category list"


@dataclass(frozen=True)
class CategoryCommand:
    """A command about one category: `name` is a slug (`parsers.SLUG`) that the team
    may not list (the service says so)."""

    name: str


@dataclass(frozen=True)
class CategoryShow(CategoryCommand):
    command: ClassVar[str] = "category show"


@dataclass(frozen=True)
class CategoryCreate(CategoryCommand):
    fields: dict  # CATEGORY_KEYS -> parsed values (see oncall_category); has label
    command: ClassVar[str] = "category create"


@dataclass(frozen=True)
class CategorySet(CategoryCommand):
    fields: dict  # CATEGORY_KEYS -> parsed values, None or () clearing; at least one
    command: ClassVar[str] = "category set"


@dataclass(frozen=True)
class CategoryDelete(CategoryCommand):
    command: ClassVar[str] = "category delete"


@dataclass(frozen=True)
class CategoryDefault(CategoryCommand):
    command: ClassVar[str] = "category default"


@dataclass(frozen=True)
class Capacity:
    n: int | None = None  # routing.max_open_per_person; None: show it
    command: ClassVar[str] = "capacity"


CATEGORY_COMMANDS = (CategoryList, CategoryShow, CategoryCreate, CategorySet, CategoryDelete,
                     CategoryDefault, Capacity)


@dataclass(frozen=True)
class Exposure:
    days: int | None = None  # None: the team's exposure window (8 hours by default)
    command: ClassVar[str] = "exposure"


@dataclass(frozen=True)
class Trends:
    hours: int = 6  # the last this many hours, against the same hours of 7 days
    command: ClassVar[str] = "trends"


@dataclass(frozen=True)
class Export:
    rotation: str | None = None  # at most one of rotation and user; neither: the caller
    user: str | None = None
    command: ClassVar[str] = "export"


@dataclass(frozen=True)
class Pause:
    """`pause [@user] <duration>`, `pause end [@user]`, or `pause` alone (the status)."""

    length: timedelta | None = None  # None with end False: show whether on a break
    user: str | None = None  # someone else's break (managers); None: the asker's
    end: bool = False
    command: ClassVar[str] = "pause"


@dataclass(frozen=True)
class CrisisCmd:
    """`crisis start <name> [languages=] [severity=] [match=]`, `crisis status|end [name]`,
    `crisis update [name] <text>`."""

    action: str  # start | status | update | end
    name: str | None = None  # None (status, end): the one running
    languages: tuple[str, ...] = ()  # start: () = every language
    severity: str | None = None  # start: None = sev1
    words: tuple[str, ...] = ()  # start: () = every request
    text: str = ""  # update: what is said (may start with the crisis name)
    command: ClassVar[str] = "crisis"


@dataclass(frozen=True)
class SweepCmd:
    """`sweep start <lang|all> [every=] [until=]`, `sweep stop [<lang|all>]`, `sweep
    status`."""

    action: str  # start | stop | status
    languages: tuple[str, ...] = ()  # () = every language of the team (`all`)
    every: timedelta | None = None  # start: None = 30 minutes
    until: LocalTime | None = None  # start: a time, in the asker's zone
    until_in: timedelta | None = None  # start: or a length from now
    command: ClassVar[str] = "sweep"


Command = (
    Help | Who | Me | Report | Shifts | Coverage | RotationList | RotationShow | RotationDelete
    | RotationEdit | RotationCreateModal | RotationCreate | RotationSet | RotationAdd
    | RotationRemove | RotationMove | OverrideCmd | Away | Swap | Cover | SpecialistCmd
    | SkillsCmd | CategoryList | CategoryShow | CategoryCreate | CategorySet | CategoryDelete
    | CategoryDefault | Capacity | Export | Pause
    | Exposure
    | Trends | CrisisCmd | SweepCmd
)  # fmt: skip
COMMAND_TYPES: tuple[type, ...] = Command.__args__

