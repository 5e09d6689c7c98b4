"""The `/oncall` slash command: its grammar (the help text is `oncall_help`).

`parse(text)` turns the text Slack sends with `/oncall` (escaped, `should_escape: true`)
into one frozen Command dataclass, or raises `CommandError`, whose `str()` is a complete
ephemeral reply: what was wrong, the usage line and a correct example. `help_text(topic)`
renders the help from `HELP`, the one table of usage lines, descriptions, examples and
who may use each command, so the help, the errors and the parser cannot drift apart.

This module is pure: no Slack SDK, no database, no clock of its own (the handler passes
the asker's instant and zone in) and no time zone arithmetic.

Conventions (PRODUCT.md, "Slash commands" and "Time semantics"):

- People are Slack mentions, `<@U123|name>` or `<@U123>` -> "U123"; a bare member ID
  (`U0AR00001`) is accepted too. Plain text `@bob` is refused: Slack resolves a mention
  only when it is picked from the autocomplete.
- `&amp; &lt; &gt;` are decoded once in every argument. `str(CommandError)` and
  `help_text()` are Slack mrkdwn with `& < >` escaped again; echoed input is shortened.
- `<from>`/`<to>` are ISO dates (`2026-12-24`) or local date-times (`2026-12-24T08:00`,
  seconds optional, no UTC offset), or, given the asker's `Clockface`, what people type:
  `today`, `tomorrow`, `fri`/`friday` (the next one), `18:00` (today, or tomorrow if it
  has passed), `+2h`/`+30m`/`+3d` (`parsers.parse_when_typed`). They become `LocalTime`:
  a naive wall-clock `at` and `date_only`. `at` is always the half-open boundary: a bare
  date as `<from>` is 00:00 of that day; a bare date as `<to>` is inclusive, so `at` is
  00:00 of the *next* day (`away 2026-12-24 2026-12-24` is the whole of the 24th). The
  service converts `at` to UTC in the right zone (the rotation's for `override`, the
  person's for `away` and `cover`) with `bot.core.timezones.to_utc`, which applies the
  gap/fold policy. `to` after `from` is checked on the wall clock only: the service
  checks again after converting (a span inside a spring-forward gap becomes empty).
  Unlike a YAML override, whose bare-date `to` means midnight at its start, a bare-date
  `<to>` here is inclusive in every command. Years are 2000..2100 (no overflow when
  converting).
- Counts of days are whole numbers 1..90 (defaults in `DEFAULT_DAYS`); positions are
  whole numbers >= 1. In `shifts [rotation|@user] [days]` a lone number is the days; in
  the `[rotation|@user]` slot a mention, `@text` or a token shaped like a member ID
  (U or W, then capitals and digits) is a person, anything else a rotation name.
- Keys of `rotation create|set` are the YAML field names; values arrive parsed into the
  model's types (see `ROTATION_KEYS`); those of `specialist` likewise (`SPECIALIST_KEYS`),
  and those of `category create|set` (`bot.slack.oncall_category`).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from bot.core import parsers
from bot.slack.crisis import p_crisis
from bot.slack.exposure import p_exposure
from bot.slack.oncall_args import (
    EXAMPLE_VALUE,
    ROTATION_VALUES,
    SPECIALIST_VALUES,
    Args,
    Clockface,
    CommandError,
    count_arg,
    date_arg,
    days_arg,
    is_person,
    language_arg,
    looks_like_days,
    name_arg,
    settings,
    skills_arg,
    span_arg,
    split_tokens,
    user_arg,
)
from bot.slack.oncall_category import p_capacity, p_category
from bot.slack.oncall_commands import (
    COMMAND_TYPES,
    DEFAULT_DAYS,
    MAX_DAYS,
    ROTATION_KEYS,
    ROTATION_REQUIRED,
    SKILL_ACTIONS,
    SPECIALIST_KEYS,
    Away,
    Capacity,
    CategoryCreate,
    CategoryDefault,
    CategoryDelete,
    CategoryList,
    CategorySet,
    CategoryShow,
    Command,
    Cover,
    Coverage,
    CrisisCmd,
    Export,
    Exposure,
    Help,
    LocalTime,
    Me,
    OverrideCmd,
    Pause,
    Report,
    RotationAdd,
    RotationCreate,
    RotationCreateModal,
    RotationDelete,
    RotationEdit,
    RotationList,
    RotationMove,
    RotationRemove,
    RotationSet,
    RotationShow,
    Shifts,
    SkillsCmd,
    SpecialistCmd,
    Swap,
    SweepCmd,
    Trends,
    Who,
)
from bot.slack.oncall_help import (
    HELP,
    OVERVIEW,
    ROTATION_OVERVIEW,
    ROTATION_SUBCOMMANDS,
    TOP_LEVEL,
    Usage,
    help_text,
    normalize_topic,
)
from bot.slack.oncall_pause import p_pause
from bot.slack.oncall_text import decode, did_you_mean, quote
from bot.slack.report_groups import p_report
from bot.slack.sweeps import p_sweep
from bot.slack.trends import p_trends

CATEGORY_RE = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")  # a category's name (its slug)

__all__ = [
    "COMMAND_TYPES",
    "DEFAULT_DAYS",
    "HELP",
    "MAX_DAYS",
    "ROTATION_KEYS",
    "SPECIALIST_KEYS",
    "Away",
    "Capacity",
    "CategoryCreate",
    "CategoryDefault",
    "CategoryDelete",
    "CategoryList",
    "CategorySet",
    "CategoryShow",
    "Command",
    "Clockface",
    "CommandError",
    "Cover",
    "Coverage",
    "CrisisCmd",
    "Export",
    "Exposure",
    "Trends",
    "Help",
    "LocalTime",
    "Me",
    "OverrideCmd",
    "Pause",
    "Report",
    "RotationAdd",
    "RotationCreate",
    "RotationCreateModal",
    "RotationDelete",
    "RotationEdit",
    "RotationList",
    "RotationMove",
    "RotationRemove",
    "RotationSet",
    "RotationShow",
    "Shifts",
    "SkillsCmd",
    "SpecialistCmd",
    "Swap",
    "SweepCmd",
    "Usage",
    "Who",
    "help_text",
    "parse",
]

# -- commands -----------------------------------------------------------------------------


def _p_help(args: list[str]) -> Help:
    topic = normalize_topic(" ".join(args))
    return Help(topic or None)


def _p_who(args: list[str]) -> Who:
    c = Args("who", args)
    language = category = None
    for tok in args:
        v = decode(tok)
        low = v.lower()
        if low.startswith(("cat:", "category:")):
            name = low.split(":", 1)[1]
            if category is not None:
                c.fail(f"Unexpected {quote(v)}: give one category.")
            if not CATEGORY_RE.fullmatch(name):
                c.fail(f"{quote(v)} is not a category name; write it as in the team's "
                       "categories, e.g. cat:child-safety.")
            category = name
            continue
        if language is not None:
            c.fail(f"Unexpected {quote(v)} after [lang]; give one language.")
        for prefix in ("lang:", "lang="):
            if low.startswith(prefix):
                v = v[len(prefix) :]
        language = language_arg(c, v)
    return Who(language, category)


def _p_me(args: list[str]) -> Me:
    Args("me", args).arity([])
    return Me()


def _p_coverage(args: list[str]) -> Coverage:
    c = Args("coverage", args)
    c.arity(["[days]"], optional=1)
    return Coverage(days_arg(c, args[0])) if args else Coverage()


def _target(c: Args, tok: str) -> tuple[str | None, str | None]:
    """The `[rotation|@user]` slot: (rotation, None) or (None, user)."""
    if is_person(tok):
        return None, user_arg(c, tok)
    d = decode(tok)
    if not parsers.NAME.fullmatch(d):
        c.fail(
            f"{quote(d)} is neither a rotation name nor a person; give a rotation's name "
            "(e.g. emea) or mention someone with @."
        )
    return d, None


def _p_shifts(args: list[str]) -> Shifts:
    c = Args("shifts", args)
    c.arity(["[rotation|@user]", "[days]"], optional=2)
    days = DEFAULT_DAYS["shifts"]
    rotation = user = None
    if len(args) == 1 and looks_like_days(args[0]):
        days = days_arg(c, args[0])
    elif args:
        rotation, user = _target(c, args[0])
        if len(args) == 2:
            days = days_arg(c, args[1])
    return Shifts(rotation, user, days)


def _p_export(args: list[str]) -> Export:
    c = Args("export", args)
    c.arity(["[rotation|@user]"], optional=1)
    if not args:
        return Export()
    rotation, user = _target(c, args[0])
    return Export(rotation, user)


def _p_override(args: list[str], now: Clockface | None = None) -> OverrideCmd:
    c = Args("override", args, now=now)
    c.arity(["<rotation>", "@user", "<from>", "<to>"])
    name = name_arg(c, args[0])
    user = user_arg(c, args[1])
    start, end = span_arg(c, args[2], args[3])
    return OverrideCmd(name, user, start, end)


def _p_away(args: list[str], now: Clockface | None = None) -> Away:
    c = Args("away", args, now=now)
    if args and is_person(args[0]):
        c.arity(["[@user]", "<from>", "<to>"])
        user: str | None = user_arg(c, args[0])
        rest = args[1:]
    else:
        c.arity(["<from>", "<to>"])
        user, rest = None, args
    start, end = span_arg(c, rest[0], rest[1])
    return Away(user, start, end)


def _p_swap(args: list[str], now: Clockface | None = None) -> Swap:
    c = Args("swap", args, now=now)
    c.arity(["@user", "<date>"])
    return Swap(user_arg(c, args[0]), date_arg(c, decode(args[1]), "<date>"))


def _p_cover(args: list[str], now: Clockface | None = None) -> Cover:
    c = Args("cover", args, now=now)
    c.arity(["<from>", "<to>"])
    start, end = span_arg(c, args[0], args[1])
    return Cover(start, end)


def _p_specialist(args: list[str]) -> SpecialistCmd:
    c = Args("specialist", args)
    if not args:
        c.fail("Missing @user.")
    user = user_arg(c, args[0])
    fields = settings(c, args[1:], SPECIALIST_KEYS, SPECIALIST_VALUES, multiword=("name",))
    if any(k in fields for k in ("phone", "email")) and not set(fields) <= {"phone", "email"}:
        c.fail("Set phone= and email= on their own, e.g. /oncall specialist @layla "
               "phone=+353861234567 email=layla.haddad@example.org.")
    backup, langs = fields.get("backup"), fields.get("languages")
    if backup and langs is not None:
        extra = [b for b in backup if b not in langs]
        if extra:
            c.fail(
                f"Backup language '{extra[0]}' is not among their languages "
                f"({','.join(langs)}); a backup can only be a language they read."
            )
    return SpecialistCmd(user, fields)


def _p_skills(args: list[str]) -> SkillsCmd:
    c = Args("skills", args)
    if not args:
        return SkillsCmd()
    user = user_arg(c, args[0])
    if len(args) == 1:
        return SkillsCmd(user)
    action = decode(args[1]).lower()
    if action not in SKILL_ACTIONS:
        c.fail(
            f"After @user say add or remove, not {quote(decode(args[1]))}."
            f"{did_you_mean(action, SKILL_ACTIONS)}"
        )
    if len(args) == 2:
        c.fail(f"Missing <skill>: say which skill(s) to {action}, e.g. le_requests.")
    return SkillsCmd(user, action, skills_arg(c, args[2:]))


def _p_rotation(args: list[str]) -> Command:
    if not args:
        raise CommandError(
            "Which rotation command? Use one of: " + ", ".join(ROTATION_SUBCOMMANDS) + ".",
            ROTATION_OVERVIEW.usage,
            ROTATION_OVERVIEW.example,
        )
    sub = decode(args[0]).lower()
    rest = args[1:]
    if sub not in ROTATION_SUBCOMMANDS:
        raise CommandError(
            f"Unknown rotation command {quote(sub)}.{did_you_mean(sub, ROTATION_SUBCOMMANDS)} "
            f"Use one of: {', '.join(ROTATION_SUBCOMMANDS)}.",
            ROTATION_OVERVIEW.usage,
            ROTATION_OVERVIEW.example,
        )
    c = Args(f"rotation {sub}", rest)
    if sub == "list":
        c.arity([])
        return RotationList()
    if sub in ("show", "delete", "edit"):
        c.arity(["<name>"])
        cls = {"show": RotationShow, "delete": RotationDelete, "edit": RotationEdit}[sub]
        return cls(name_arg(c, rest[0]))
    if sub == "create":
        if not rest:
            return RotationCreateModal()
        name = name_arg(c, rest[0])
        fields = settings(c, rest[1:], ROTATION_KEYS, ROTATION_VALUES)
        missing = [k for k in ROTATION_REQUIRED if k not in fields]
        if missing:
            need = " and ".join(f"{k}=" for k in missing)
            c.fail(
                f"Missing {need}: a new rotation needs "
                + " and ".join(f"{k}= (e.g. {k}={EXAMPLE_VALUE[k]})" for k in missing)
                + ". Or run `/oncall rotation create` alone to fill in a form."
            )
        return RotationCreate(name, fields)
    if sub == "set":
        if not rest:
            c.fail("Missing <name>.")
        name = name_arg(c, rest[0])
        fields = settings(c, rest[1:], ROTATION_KEYS, ROTATION_VALUES)
        if not fields:
            c.fail(
                f"Nothing to set; give at least one key=value (keys: {', '.join(ROTATION_KEYS)})."
            )
        return RotationSet(name, fields)
    if sub == "add":
        c.arity(["<name>", "@user", "[position]"], optional=1)
        pos = count_arg(c, rest[2], "position", 1, None) if len(rest) > 2 else None
        return RotationAdd(name_arg(c, rest[0]), user_arg(c, rest[1]), pos)
    if sub == "remove":
        c.arity(["<name>", "@user"])
        return RotationRemove(name_arg(c, rest[0]), user_arg(c, rest[1]))
    # move
    c.arity(["<name>", "@user", "<position>"])
    name, user = name_arg(c, rest[0]), user_arg(c, rest[1])
    return RotationMove(name, user, count_arg(c, rest[2], "position", 1, None))


_PARSERS: dict[str, Callable[[list[str]], Command]] = {
    "help": _p_help,
    "who": _p_who,
    "me": _p_me,
    "report": p_report,
    "shifts": _p_shifts,
    "coverage": _p_coverage,
    "rotation": _p_rotation,
    "override": _p_override,
    "away": _p_away,
    "swap": _p_swap,
    "cover": _p_cover,
    "pause": p_pause,
    "specialist": _p_specialist,
    "skills": _p_skills,
    "category": p_category,
    "capacity": p_capacity,
    "export": _p_export,
    "exposure": p_exposure,
    "trends": p_trends,
    "crisis": p_crisis,
    "sweep": p_sweep,
}
assert tuple(_PARSERS) == TOP_LEVEL


# The commands that take dates or times: given a Clockface, they read what people type.
_DATED = frozenset({"override", "away", "swap", "cover", "sweep"})


def parse(text: str, now: Clockface | None = None) -> Command:
    """The text after `/oncall` (as Slack sends it, escaped) -> one Command.

    With `now` (the asker's instant and the zone their times are read in), `<from>`,
    `<to>` and `<date>` also take today, tomorrow, weekday names, +2h and 18:00
    (`parsers.parse_when_typed`); without it, the ISO forms only.
    Empty text is `Help(None)`. Raises CommandError (and nothing else) on bad input."""
    tokens = split_tokens(text)
    if not tokens:
        return Help(None)
    word = decode(tokens[0]).lower()
    if word in _DATED:
        return _PARSERS[word](tokens[1:], now)  # type: ignore[call-arg]
    if word in _PARSERS:
        return _PARSERS[word](tokens[1:])
    guess = did_you_mean(word, TOP_LEVEL)
    if not guess and word in ROTATION_SUBCOMMANDS:
        guess = f" Did you mean `rotation {word}`?"
    raise CommandError(
        f"Unknown command {quote(word)}.{guess} Commands: {', '.join(TOP_LEVEL)}.",
        OVERVIEW.usage,
        OVERVIEW.example,
    )
