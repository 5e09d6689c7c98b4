"""Domain values of a team's schedule. Frozen, hashable, comparable: two Teams built
from the same YAML (or from the database) are equal, which is what makes
`export` then `import` a no-op."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
TIERS = ("primary", "secondary")
STEP_KINDS = ("language_oncall", "language_oncall_all", "language_backup", "managers", "channel")
SEVERITIES = ("sev1", "sev2", "sev3")

# The field names of a specialist and of a rotation in the schedule YAML; the `/oncall`
# keys and the rotation modal use the same names.
SPECIALIST_FIELDS = ("id", "name", "timezone", "languages", "backup", "holidays")
ROTATION_FIELDS = ("name", "timezone", "shift", "days", "handoff", "start", "tier", "members")


@dataclass(frozen=True)
class Specialist:
    id: str  # Slack user ID
    name: str
    timezone: str
    languages: tuple[str, ...]  # strongest first
    backup: tuple[str, ...] = ()  # may be paged off shift for these
    holidays: str | None = None  # "MX", "US-TX": public holidays taken as time off

    def reads(self, lang: str) -> bool:
        return lang in self.languages

    def rank(self, lang: str) -> int:
        """0 for the strongest language; large when the language is not read."""
        try:
            return self.languages.index(lang)
        except ValueError:
            return 1_000


@dataclass(frozen=True)
class Rotation:
    name: str
    timezone: str
    shift_start: time  # local wall clock in `timezone`
    shift_end: time  # <= shift_start means the shift ends the next day
    days: frozenset[int]  # weekdays (0 = Monday) on which a shift starts
    handoff_days: int  # 1 daily, 7 weekly, N "every N days"
    start: date  # date of members[0]'s first shift period
    tier: str  # "primary" | "secondary"
    members: tuple[str, ...]

    @property
    def crosses_midnight(self) -> bool:
        return self.shift_end <= self.shift_start

    @property
    def handoff_label(self) -> str:
        return {1: "daily", 7: "weekly"}.get(self.handoff_days, f"{self.handoff_days}d")

    @property
    def shift_label(self) -> str:
        return f"{self.shift_start:%H:%M}-{self.shift_end:%H:%M}"


@dataclass(frozen=True)
class Override:
    """`user` covers `rotation` during [start, end), in place of whoever is scheduled."""

    rotation: str
    user: str
    start: datetime  # aware UTC
    end: datetime  # aware UTC


@dataclass(frozen=True)
class TimeOff:
    """`user` is away during [start, end). `all_day` keeps the author's date form for export."""

    user: str
    start: datetime  # aware UTC
    end: datetime  # aware UTC
    all_day: bool = True


@dataclass(frozen=True)
class EscalationStep:
    notify: str  # one of STEP_KINDS
    wait: timedelta | None = None  # None: the last step, nothing to wait for


@dataclass(frozen=True)
class EscalationPolicy:
    steps: tuple[EscalationStep, ...]
    repeat: int = 0  # how many more times the whole chain runs


@dataclass(frozen=True)
class Team:
    name: str
    languages: tuple[str, ...]
    intake_channel: str
    escalation_channel: str
    managers: tuple[str, ...] = ()
    manager_group: str | None = None
    specialists: tuple[Specialist, ...] = ()
    rotations: tuple[Rotation, ...] = ()
    overrides: tuple[Override, ...] = ()
    time_off: tuple[TimeOff, ...] = ()
    default_severity: str = "sev2"
    policies: tuple[tuple[str, EscalationPolicy], ...] = field(default_factory=tuple)
    # More channels whose /emergency requests are this team's (besides intake_channel,
    # where its cards are posted): how several teams share one workspace.
    intake_channels: tuple[str, ...] = ()

    def takes_from(self, channel: str | None) -> bool:
        """Whether a request filed in `channel` is this team's."""
        return bool(channel) and (channel == self.intake_channel
                                  or channel in self.intake_channels)

    def specialist(self, user_id: str) -> Specialist | None:
        for s in self.specialists:
            if s.id == user_id:
                return s
        return None

    def rotation(self, name: str) -> Rotation | None:
        for r in self.rotations:
            if r.name == name:
                return r
        return None

    def policy(self, severity: str) -> EscalationPolicy | None:
        return dict(self.policies).get(severity)
