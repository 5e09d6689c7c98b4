"""Team rules of `language_fallbacks` (PRODUCT.md "Languages the team does not serve").

Each key is an ISO 639-1 code the team does not serve (its own readers take a served
language) or "*"; each value lists languages the team serves, each once, since the
request goes to their readers. Pure: no I/O.
"""

from __future__ import annotations

from bot.core import parsers
from bot.core.check_base import Problem, listed_twice
from bot.core.model import ANY_LANGUAGE, Team

FIELD = "language_fallbacks"
EXAMPLE = '{it: [es, pt], "*": [en]}'


def fallbacks(team: Team) -> list[Problem]:
    out: list[Problem] = []
    served = ", ".join(team.languages)
    for key, langs in team.language_fallbacks:
        at = (FIELD, key)
        if key != ANY_LANGUAGE and not parsers.is_language(key):
            out.append(Problem(at, f"'{key}' is not an ISO 639-1 language code; use a "
                                   f"two-letter code such as it, or \"*\", e.g. {EXAMPLE}"))
        elif key in team.languages:
            out.append(Problem(at, f"'{key}' is one of the team's languages [{served}]: its "
                                   "requests go to its own readers; list only languages the "
                                   f"team does not serve, e.g. {EXAMPLE}"))
        if not langs:
            out.append(Problem(at, f"needs at least one team language, e.g. {EXAMPLE}"))
        for j, code in enumerate(langs):
            if code not in team.languages:
                out.append(Problem((*at, j), f"'{code}' is not one of the team's languages "
                                             f"[{served}]; a fallback must be a language the "
                                             f"team serves, e.g. {key}: [{team.languages[0]}]"
                                   if team.languages else
                                   f"'{code}' is not one of the team's languages"))
        out += listed_twice(at, langs, "fallback language")
    return out
