"""The grammar of `/oncall category ...` and `/oncall capacity [N]`.

Keys of `category create|set` are the schedule file's field names (`CATEGORY_KEYS`).
Values are parsed into the model's types with the schedule file's parsers (durations
such as 30m, lists a,b, true|false); `none` clears a key. Only the form is checked
here, so that every value echoed back is inert text; whether a value is allowed
(a known severity or policy, a skill name's spelling, a positive weight) is the team
rules' to say (`bot.core.category_checks`), through the edit.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from bot.core import parsers
from bot.core.category_edits import CATEGORY_KEYS
from bot.core.parsers import ParseError
from bot.slack.oncall_args import Args, CommandError, count_arg, settings, skills_arg
from bot.slack.oncall_commands import (
    Capacity,
    CategoryCreate,
    CategoryDefault,
    CategoryDelete,
    CategoryList,
    CategorySet,
    CategoryShow,
    Command,
)
from bot.slack.oncall_help import CATEGORY_OVERVIEW, CATEGORY_SUBCOMMANDS
from bot.slack.oncall_text import decode, did_you_mean, quote

__all__ = ["CATEGORY_VALUES", "p_capacity", "p_category", "run_category"]

_WORD = re.compile(r"[A-Za-z0-9_.-]{1,64}")  # a value echoed back as typed, safely
_QUOTES = "\"'\u201c\u201d\u2018\u2019"
CAPACITY_KEY = "max_open_per_person="


def _none(v: str) -> bool:
    return v.lower() == "none"


def _label(c: Args, v: str) -> str:
    v = v.strip().strip(_QUOTES).strip()
    if not v or _none(v):
        c.fail('A category needs a label, the words people read on the request, e.g. '
               'label="Legal hold request".')
    if len(v) > 150 or not parsers.is_printable_line(v):
        c.fail(f"Label {quote(v)} must be printable text of at most 150 characters, e.g. "
               'label="Legal hold request".')
    return v


def _word(what: str, example: str) -> Callable[[Args, str], str | None]:
    """severity, policy, verification: one word (lowercased), or none."""
    def parse(c: Args, v: str) -> str | None:
        if _none(v):
            return None
        if not _WORD.fullmatch(v):
            c.fail(f"{what.capitalize()} {quote(v)} must be one word, e.g. {what}={example} "
                   f"({what}=none clears it).")
        return v.lower()
    return parse


def _duration(c: Args, v: str) -> object:
    if _none(v):
        return None
    try:
        return parsers.parse_duration(v)
    except ParseError:
        c.fail(f"Due {quote(v)} is not a duration; use a whole number with s, m or h, e.g. "
               "due=30m or due=4h (due=none clears it).")


def _flag(c: Args, v: str) -> bool:
    if v.lower() in ("true", "false"):
        return v.lower() == "true"
    c.fail(f"Sensitive {quote(v)} must be true or false, e.g. sensitive=true.")


def _weight(c: Args, v: str) -> int | None:
    if _none(v):
        return None
    return count_arg(c, v, "exposure_weight", 1, None)


def _list(v: str) -> str:
    return v.strip().removeprefix("[").removesuffix("]")


def _skills(c: Args, v: str) -> tuple[str, ...]:
    return () if _none(v) else skills_arg(c, [_list(v)])


def _fields(c: Args, v: str) -> tuple[str, ...]:
    if _none(v):
        return ()
    out: list[str] = []
    for part in _list(v).split(","):
        part = part.strip()
        if not part:
            c.fail(f"fields={quote(v)} has an empty item; separate names with single "
                   "commas, e.g. fields=agency,callback_number.")
        if not parsers.KEY.fullmatch(part):
            c.fail(f"{quote(part)} is not a field name; use {parsers.KEY_RULE}, e.g. "
                   "callback_number.")
        if part in out:
            c.fail(f"Field '{part}' is listed twice; list each once.")
        out.append(part)
    return tuple(out)


CATEGORY_VALUES: dict[str, Callable[[Args, str], object]] = {
    "label": _label,
    "severity": _word("severity", "sev1"),
    "policy": _word("policy", "le-emergency"),
    "skills": _skills,
    "due": _duration,
    "sensitive": _flag,
    "exposure_weight": _weight,
    "verification": _word("verification", "two_person"),
    "fields": _fields,
}
assert tuple(CATEGORY_VALUES) == CATEGORY_KEYS


def _name(c: Args, tok: str) -> str:
    d = decode(tok)
    if parsers.SLUG.fullmatch(d):
        return d
    if "=" in d:
        c.fail(f"Missing the category name before {quote(d)}; give the name first.")
    hint = " Names are lowercase." if parsers.SLUG.fullmatch(d.lower()) else ""
    c.fail(f"Category name {quote(d)} must be {parsers.SLUG_RULE}, e.g. legal-hold.{hint}")


def p_category(args: list[str]) -> Command:
    if not args:
        raise CommandError("Which category command? Use one of: "
                           + ", ".join(CATEGORY_SUBCOMMANDS) + ".",
                           CATEGORY_OVERVIEW.usage, CATEGORY_OVERVIEW.example)
    sub = decode(args[0]).lower()
    rest = args[1:]
    if sub not in CATEGORY_SUBCOMMANDS:
        raise CommandError(
            f"Unknown category command {quote(sub)}.{did_you_mean(sub, CATEGORY_SUBCOMMANDS)} "
            f"Use one of: {', '.join(CATEGORY_SUBCOMMANDS)}.",
            CATEGORY_OVERVIEW.usage, CATEGORY_OVERVIEW.example)
    c = Args(f"category {sub}", rest)
    if sub == "list":
        c.arity([])
        return CategoryList()
    if sub in ("show", "delete", "default"):
        c.arity(["<name>"])
        cls = {"show": CategoryShow, "delete": CategoryDelete, "default": CategoryDefault}[sub]
        return cls(_name(c, rest[0]))
    if not rest:
        c.fail("Missing <name>.")
    name = _name(c, rest[0])
    fields = settings(c, rest[1:], CATEGORY_KEYS, CATEGORY_VALUES, multiword=("label",))
    if sub == "create":
        if "label" not in fields:
            c.fail('Missing label=: a new category needs the words people read on the '
                   'request, e.g. label="Legal hold request".')
        return CategoryCreate(name, fields)
    if not fields:
        c.fail(f"Nothing to set; give at least one key=value (keys: {', '.join(CATEGORY_KEYS)}).")
    return CategorySet(name, fields)


def p_capacity(args: list[str]) -> Capacity:
    c = Args("capacity", args)
    c.arity(["[N]"], optional=1)
    if not args:
        return Capacity()
    tok = decode(args[0])
    if tok.lower().startswith(CAPACITY_KEY):
        tok = tok[len(CAPACITY_KEY):]
    return Capacity(count_arg(c, tok, "capacity", 1, None))


# -- running (the `/oncall` handler's branch for these commands) --------------------------


def run_category(service, user: str, cmd: Command) -> str:
    """The reply to one of these commands, from the rotation service (`CategoryEdits`):
    read-outs for anyone, edits checked there (managers only, audited)."""
    if isinstance(cmd, CategoryList):
        return service.list_categories(user)
    if isinstance(cmd, CategoryShow):
        return service.show_category(user, cmd.name)
    if isinstance(cmd, CategoryCreate):
        return service.create_category(user, cmd.name, cmd.fields).text
    if isinstance(cmd, CategorySet):
        return service.set_category(user, cmd.name, cmd.fields).text
    if isinstance(cmd, CategoryDelete):
        return service.delete_category(user, cmd.name).text
    if isinstance(cmd, CategoryDefault):
        return service.set_default_category(user, cmd.name).text
    if isinstance(cmd, Capacity):
        if cmd.n is None:
            return service.capacity_text(user)
        return service.set_capacity(user, cmd.n).text
    raise TypeError(f"not a category command: {cmd!r}")
