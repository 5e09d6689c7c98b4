"""Edits to a team's categories and routing capacity, one at a time: Team -> Team.

Like `bot.core.edits` (whose `EditError` and rule check they share), each function
finds what it names, builds the new team and asks `checks.introduced` for the team rules
it broke, so a category edited from Slack obeys exactly the rules a schedule file does
(`bot.core.category_checks`). Values arrive in the model's types (`Category` fields;
None clears an optional one); the slash command's text is parsed by the caller.

Requests already filed keep their category as it was when they were filed (it is
frozen on the request), so an edit changes only what new requests get; `affects_routing`
says when that is worth telling the person who made it.

Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from bot.core import refs, skills
from bot.core.check_base import Problem, did_you_mean
from bot.core.edits import EditError, finish
from bot.core.model import CATEGORY_FIELDS, DEFAULT_CATEGORY, Category, Team

__all__ = [
    "CATEGORY_KEYS",
    "EXAMPLES",
    "KEY_EXAMPLES",
    "ROUTING_KEYS",
    "affects_routing",
    "create_category",
    "delete_category",
    "new_unheld",
    "require_category",
    "set_capacity",
    "set_category",
    "set_default_category",
]

# The keys of `category create|set`: the YAML field names, minus the name (an argument).
CATEGORY_KEYS = tuple(k for k in CATEGORY_FIELDS if k != "name")
# The keys whose change alters how new requests are routed, escalated or counted.
ROUTING_KEYS = ("severity", "policy", "skills", "due", "sensitive", "exposure_weight",
                "verification")

_cmd = refs.command
EXAMPLES = {
    "create": _cmd('oncall category create legal-hold label="Legal hold request" '
                   "severity=sev2 due=4h"),
    "set": _cmd("oncall category set le-emergency due=20m skills=le_requests"),
    "delete": _cmd("oncall category delete legal-hold"),
    "default": _cmd("oncall category default le-emergency"),
    "capacity": _cmd("oncall capacity 3"),
}
# One correct `key=value` for each key, for the example after a refused value.
KEY_EXAMPLES = {
    "label": 'label="Law-enforcement emergency request"', "severity": "severity=sev1",
    "policy": "policy=none", "skills": "skills=le_requests,child_safety", "due": "due=30m",
    "sensitive": "sensitive=true", "exposure_weight": "exposure_weight=3",
    "verification": "verification=two_person", "fields": "fields=agency,callback_number",
}  # fmt: skip


def require_category(team: Team, name: str, example: str = EXAMPLES["set"]) -> Category:
    """The listed category called `name`, or EditError listing the team's categories."""
    for c in team.categories:
        if c.name == name:
            return c
    names = [c.name for c in team.categories]
    listed = ", ".join(names) or "none yet"
    if name == DEFAULT_CATEGORY:  # built in, not listed: it has no settings to change
        create = _cmd(f'oncall category create {name} label="Other" severity=sev2')
        raise EditError(f"{name} is built in and not listed (categories: {listed}); to give "
                        f"it settings, list it first: e.g. {create}")
    raise EditError(f"no category named '{name}'; categories: {listed}"
                    f"{did_you_mean(name, names)}; e.g. {example}")


def create_category(team: Team, name: str, fields: dict[str, Any]) -> Team:
    """A new category at the end of the list; `fields` must hold a label."""
    ex = EXAMPLES["create"]
    _known(fields, ex)
    if not fields.get("label"):
        raise EditError(f"a new category needs a label, the words people read on the request, "
                        f"e.g. {ex}")
    cat = Category(name, **_cleared(fields))
    after = replace(team, categories=(*team.categories, cat))

    def taken(p: Problem) -> str | None:
        if p.first is not None and p.where[-1] == "name":
            return f"; change that one with {_cmd(f'oncall category set {name} ...')}"
        return _key_hint(name, p, create=True)

    return finish(team, after, ex, taken)


def set_category(team: Team, name: str, fields: dict[str, Any]) -> Team:
    """Change fields of a listed category (None clears an optional one)."""
    ex = EXAMPLES["set"]
    cat = require_category(team, name, ex)
    _known(fields, ex)
    if not fields:
        raise EditError(f"say what to change as key=value (keys: {', '.join(CATEGORY_KEYS)}); "
                        f"e.g. {ex}")
    if "label" in fields and not fields["label"]:
        raise EditError(f"a category's label cannot be cleared; give new words, e.g. "
                        f"{_cmd(f'oncall category set {name} ' + KEY_EXAMPLES['label'])}")
    new = replace(cat, **_cleared(fields))
    after = replace(team, categories=tuple(new if c.name == name else c
                                           for c in team.categories))
    return finish(team, after, ex, lambda p: _key_hint(name, p))


def delete_category(team: Team, name: str) -> Team:
    """Remove a listed category; refused while it is the team's default category."""
    ex = EXAMPLES["delete"]
    require_category(team, name, ex)
    if name == team.default_category_name:
        others = [c.name for c in team.categories if c.name != name]
        way = (f"make another one the default first, e.g. "
               f"{_cmd(f'oncall category default {others[0]}')}, then delete it"
               if others else "create another category and make it the default first, "
               f"e.g. {EXAMPLES['create']} then {_cmd('oncall category default legal-hold')}")
        raise EditError(f"{name} is the default category (requests filed without a category "
                        f"get it), so it cannot be deleted; {way}")
    after = replace(team, categories=tuple(c for c in team.categories if c.name != name))
    return finish(team, after, ex)


def set_default_category(team: Team, name: str) -> Team:
    """Make a listed category (or `other`) the one requests get when none is given."""
    ex = EXAMPLES["default"]
    if name != DEFAULT_CATEGORY or any(c.name == name for c in team.categories):
        require_category(team, name, ex)
    return finish(team, replace(team, default_category=name), ex)


def set_capacity(team: Team, n: int) -> Team:
    """routing.max_open_per_person: how many unresolved requests one person holds before
    the next free reader is preferred."""
    ex = EXAMPLES["capacity"]
    if not isinstance(n, int) or isinstance(n, bool):
        raise EditError(f"the capacity must be a whole number >= 1; e.g. {ex}")
    return finish(team, replace(team, max_open_per_person=n), ex)


def affects_routing(before: Category, after: Category) -> bool:
    """Whether new requests of the category are routed, escalated or counted otherwise."""
    return any(getattr(before, k) != getattr(after, k) for k in ROUTING_KEYS)


def new_unheld(before: Team, after: Team) -> list[str]:
    """Warnings for each skill a category requires after the edit that nobody holds and
    that was not already unheld (the schedule file's warning, in reply words)."""
    was = set(skills.unheld(before))
    return [skills.unheld_warning(after, k) for k in skills.unheld(after) if k not in was]


# -- helpers ---------------------------------------------------------------------------------


def _known(fields: dict[str, Any], example: str) -> None:
    unknown = [k for k in fields if k not in CATEGORY_KEYS]
    if unknown:
        raise EditError(f"unknown setting '{unknown[0]}'; settings: {', '.join(CATEGORY_KEYS)}"
                        f"{did_you_mean(unknown[0], CATEGORY_KEYS)}; e.g. {example}")


def _cleared(fields: dict[str, Any]) -> dict[str, Any]:
    """`fields` with a cleared list as () and a cleared flag as False (the model's
    'not set'); other cleared values stay None."""
    out = dict(fields)
    for k in ("skills", "fields"):
        if k in out:
            out[k] = tuple(out[k] or ())
    if "sensitive" in out:
        out["sensitive"] = bool(out["sensitive"])
    return out


def _key_hint(name: str, p: Problem, create: bool = False) -> str | None:
    """After a refused value: a correct `category set` (or `create`) for that key."""
    key = next((w for w in p.where[2:] if isinstance(w, str)), None)
    if p.where[:1] != ("categories",) or key not in KEY_EXAMPLES:
        return None
    if create:
        label = "" if key == "label" else KEY_EXAMPLES["label"] + " "
        return f"; e.g. {_cmd(f'oncall category create {name} {label}{KEY_EXAMPLES[key]}')}"
    return f"; e.g. {_cmd(f'oncall category set {name} {KEY_EXAMPLES[key]}')}"
