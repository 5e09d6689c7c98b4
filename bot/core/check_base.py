"""What a broken team rule is (`Problem`, at a `Where` in the team file's shape), and
the small rules several rule modules share: near misses, repeats in a list, lists of
keys. `bot.core.checks` holds the rules and is where callers find these names.

Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bot.core import parsers

__all__ = ["Problem", "Where", "did_you_mean", "keys", "listed_twice", "repeats"]

# Where a value sits in a team, as a path in the team file's shape: ("specialists", 3,
# "backup", 0), ("escalation", "policies", "sev2", "steps", 1, "wait"). The YAML reader
# maps it back to a file line; `describe` turns it into "specialist U0..: ..." for replies.
Where = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    """One rule a team breaks: where the offending value is, and the rule's wording after
    "file:line: field:" in a schedule file. `reply` is the same rule worded for a reply
    that names the entry instead ('specialist U1: backup language ...'), where the two
    readers need different words; `first` is, for a repeated key, where it first stood."""

    where: Where
    message: str
    first: Where | None = None
    reply: str | None = None


def did_you_mean(word: str, allowed: Iterable[str], cutoff: float = 0.6) -> str:
    """' (did you mean 'x'?)' for a near miss of an allowed word, else ''."""
    hit = parsers.closest(word, allowed, cutoff)
    return f" (did you mean '{hit}'?)" if hit else ""


def keys(at: Where, values: tuple[str, ...], noun: str) -> list[Problem]:
    """A list of skills (`le_requests`, as `/oncall skills` accepts them) or of a
    category's field names (`callback_number`): each well formed, each once."""
    if noun == "skill":
        pattern, rule = parsers.SKILL, parsers.SKILL_RULE
    else:
        pattern, rule = parsers.KEY, f"{parsers.KEY_RULE}, e.g. callback_number"
    out = [Problem((*at, j), f"{noun} '{v}' must be {rule}")
           for j, v in enumerate(values) if not pattern.fullmatch(v)]
    return out + listed_twice(at, values, noun)


def listed_twice(at: Where, values: Iterable[str], noun: str) -> list[Problem]:
    """Every repeat in a list of plain values, at its own index."""
    values = list(values)
    return [Problem((*at, i), f"{noun} '{values[i]}' is listed twice; list each once",
                    (*at, first))
            for i, first in repeats(values)]


def repeats(values: Iterable[str]) -> list[tuple[int, int]]:
    """(index, index of the first occurrence) for every value seen before."""
    first: dict[str, int] = {}
    out = []
    for i, v in enumerate(values):
        if v in first:
            out.append((i, first[v]))
        else:
            first[v] = i
    return out
