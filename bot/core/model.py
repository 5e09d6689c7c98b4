"""Domain values of a team's schedule. Frozen, hashable, comparable: two Teams built
from the same YAML (or from the database) are equal, which is what makes
`export` then `import` a no-op."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
TIERS = ("primary", "secondary")
STEP_KINDS = ("language_oncall", "language_oncall_all", "language_backup", "managers", "channel")
# How a step reaches the people it pages (`via`); Slack always, the rest on top of it.
CHANNELS = ("slack", "sms", "voice", "email")
DEFAULT_VIA = ("slack",)
SEVERITIES = ("sev1", "sev2", "sev3")

# The field names of a specialist and of a rotation in the schedule YAML; the `/oncall`
# keys and the rotation modal use the same names.
SPECIALIST_FIELDS = ("id", "name", "timezone", "languages", "backup", "holidays", "skills",
                     "phone", "email")
CATEGORY_FIELDS = ("name", "label", "severity", "policy", "skills", "due", "sensitive",
                   "exposure_weight", "verification", "fields")
VERIFICATIONS = ("two_person",)
# How a two-person request can end (`disclosed` only once a second person verified).
OUTCOMES = ("disclosed", "declined", "not_emergency", "duplicate", "referred")
DEFAULT_CATEGORY = "other"  # every request's category when the team lists none
DEFAULT_MAX_OPEN = 3  # routing.max_open_per_person when the team does not say
DEFAULT_RETENTION = timedelta(days=30)  # `retention`: how long request text is kept
# The language of a request whose language could not be recognised (ISO 639-2's
# "undetermined"): never a team language, so it routes by the `"*"` fallback.
UNKNOWN_LANGUAGE = "und"
ANY_LANGUAGE = "*"  # the `language_fallbacks` key of every language without its own
ROTATION_FIELDS = ("name", "timezone", "shift", "days", "handoff", "start", "tier", "members")


@dataclass(frozen=True)
class Specialist:
    id: str  # Slack user ID
    name: str
    timezone: str
    languages: tuple[str, ...]  # strongest first
    backup: tuple[str, ...] = ()  # may be paged off shift for these
    holidays: str | None = None  # "MX", "US-TX": public holidays taken as time off
    skills: tuple[str, ...] = ()  # trained for categories that require these
    phone: str | None = None  # E.164 ("+353861234567"): SMS and voice steps reach it
    email: str | None = None  # email steps reach it

    def holds(self, skills: tuple[str, ...] | frozenset[str]) -> bool:
        """Whether this person holds every one of `skills` (all of none: yes)."""
        return all(k in self.skills for k in skills)

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
    via: tuple[str, ...] = DEFAULT_VIA  # CHANNELS the people it pages are reached by


@dataclass(frozen=True)
class EscalationPolicy:
    steps: tuple[EscalationStep, ...]
    repeat: int = 0  # how many more times the whole chain runs
    # Acknowledged but not resolved: the assignee is reminded after this, and the request
    # re-opens (the policy resumes) after twice this without a resolve or a snooze.
    ack_timeout: timedelta | None = None


@dataclass(frozen=True)
class Category:
    """A kind of request with its own urgency, people and steps (PRODUCT.md
    "Categories (workflows)")."""

    name: str  # slug: `/emergency cat:<name>`
    label: str
    severity: str | None = None  # default severity; an explicit sevN wins
    policy: str | None = None  # escalation policy name; None: the severity's
    skills: tuple[str, ...] = ()  # only specialists holding all of these are paged
    due: timedelta | None = None  # response target, counted down on the ticket
    sensitive: bool = False  # graphic: redacted, counts toward exposure
    exposure_weight: int | None = None  # None: 1 when sensitive, else 0
    verification: str | None = None  # "two_person" or None
    fields: tuple[str, ...] = ()  # asked in the modal: agency, officer, ...

    @property
    def weight(self) -> int:
        if self.exposure_weight is not None:
            return self.exposure_weight
        return 1 if self.sensitive else 0

    @property
    def two_person(self) -> bool:
        return self.verification == "two_person"


def category_to_json(c: Category) -> dict:
    """A category as stored: on the team row, and frozen on each request filed in it."""
    due = int(c.due.total_seconds()) if c.due is not None else None
    return {"name": c.name, "label": c.label, "severity": c.severity, "policy": c.policy,
            "skills": list(c.skills), "due": due, "sensitive": c.sensitive,
            "exposure_weight": c.exposure_weight, "verification": c.verification,
            "fields": list(c.fields)}


def category_from_json(doc: dict) -> Category:
    due = timedelta(seconds=doc["due"]) if doc.get("due") is not None else None
    return Category(name=doc["name"], label=doc["label"], severity=doc.get("severity"),
                    policy=doc.get("policy"), skills=tuple(doc.get("skills") or ()),
                    due=due, sensitive=bool(doc.get("sensitive")),
                    exposure_weight=doc.get("exposure_weight"),
                    verification=doc.get("verification"),
                    fields=tuple(doc.get("fields") or ()))


@dataclass(frozen=True)
class Wellbeing:
    """`wellbeing:`: how much graphic content one person handles before routing prefers
    someone else, and whether they are asked how they are at the end of a shift."""

    # Sensitive-request points (each request's category weight) per person per window;
    # at the limit, routing passes the person over while another reader is free.
    exposure_limit: int = 6
    exposure_window: timedelta = timedelta(hours=8)
    checkin: bool = False  # a private check-in DM at the end of a shift with sensitive work


# The `oncall_groups` key for a group that holds everyone on call, whatever they read.
ALL_ON_CALL = "all"


# The category of every request when the team lists none (and the implicit default).
OTHER = Category(DEFAULT_CATEGORY, "Other")


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
    categories: tuple[Category, ...] = ()
    default_category: str | None = None  # None: the first of `categories`' "other", or OTHER
    max_open_per_person: int = DEFAULT_MAX_OPEN  # routing.max_open_per_person
    # Slack user groups kept equal to who is on call: (language code or ALL_ON_CALL,
    # user group id), in the file's order (`oncall_groups`).
    oncall_groups: tuple[tuple[str, str], ...] = ()
    # Where requests in languages the team does not serve go: (language code or "*",
    # the team languages whose readers take them, in order), in the file's order.
    language_fallbacks: tuple[tuple[str, tuple[str, ...]], ...] = ()
    wellbeing: Wellbeing = Wellbeing()
    # How long request text, links, field values and resolve notes are kept; after
    # that they are purged from the database and the bot's Slack messages.
    retention: timedelta = DEFAULT_RETENTION
    # Crisis mode (`crisis: {update_every: 30m}`): the crisis channel is reminded when no
    # update was posted for this long.
    crisis_update_every: timedelta = timedelta(minutes=30)
    # Trend digests (`trends_channel`, `trends_every`): where and how often; no channel:
    # digests only on demand (`/oncall trends`).
    trends_channel: str | None = None
    trends_every: timedelta = timedelta(hours=6)

    def serves(self, lang: str | None) -> bool:
        """Whether `lang` is one of the team's languages."""
        return lang in self.languages

    def fallbacks_for(self, lang: str | None) -> tuple[str, ...]:
        """The team languages whose readers take a request in `lang`, which the team
        does not serve (or whose language is unknown: UNKNOWN_LANGUAGE or None): its own
        entry in `language_fallbacks`, else the `"*"` entry, else the team's first
        language."""
        table = dict(self.language_fallbacks)
        found = table.get(lang or UNKNOWN_LANGUAGE) or table.get(ANY_LANGUAGE)
        if found:
            return found
        return self.languages[:1]

    def reading_languages(self, lang: str | None) -> tuple[str, ...]:
        """Whose readers a request in `lang` goes to: (lang,) when the team serves it,
        else its fallbacks."""
        return (lang,) if self.serves(lang) else self.fallbacks_for(lang)

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

    def policy(self, name: str) -> EscalationPolicy | None:
        """The escalation policy called `name` (a severity's, or any named one)."""
        return dict(self.policies).get(name)

    def category(self, name: str | None) -> Category | None:
        """The category called `name`; None (no name) is the team's default category.
        A team without categories knows only OTHER."""
        if name is None:
            name = self.default_category_name
        for c in self.categories:
            if c.name == name:
                return c
        if name == DEFAULT_CATEGORY and not any(c.name == name for c in self.categories):
            return OTHER
        return None

    @property
    def default_category_name(self) -> str:
        return self.default_category or DEFAULT_CATEGORY

    @property
    def category_names(self) -> tuple[str, ...]:
        """What `cat:` accepts: the listed categories, and `other` when the default."""
        names = tuple(c.name for c in self.categories)
        if self.category(self.default_category_name) is OTHER:
            names += (DEFAULT_CATEGORY,)
        return names

    def policy_for(self, category: Category, severity: str) -> EscalationPolicy | None:
        """The policy a request of `category` at `severity` runs: the category's named
        policy when it names one, else the severity's, else the default severity's."""
        if category.policy is not None:
            named = self.policy(category.policy)
            if named is not None:
                return named
        return self.policy(severity) or self.policy(self.default_severity)
