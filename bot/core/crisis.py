"""Crisis mode, pure: which requests a crisis takes in, and the severity they are
raised to (PRODUCT.md "Crisis mode")."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from bot.core.model import SEVERITIES

__all__ = ["matches", "raised", "slug"]


def matches(languages: Iterable[str], words: Iterable[str], language: str, text: str
            ) -> bool:
    """Whether a request in `language` saying `text` belongs to a crisis of `languages`
    (none: every language) and match `words` (none: every request): one of the words,
    any case, as a whole word."""
    langs = tuple(languages)
    if langs and language not in langs:
        return False
    wanted = tuple(w for w in words if w)
    if not wanted:
        return True
    return any(re.search(rf"(?:^|(?<=\W)){re.escape(w)}(?:$|(?=\W))", text,
                         re.IGNORECASE | re.UNICODE) for w in wanted)


def raised(severity: str, crisis_severities: Iterable[str]) -> str:
    """The more severe of the request's and its crises' (sev1 > sev2 > sev3): a more
    severe explicit choice is kept."""
    ranks = [SEVERITIES.index(s) for s in (severity, *crisis_severities) if s in SEVERITIES]
    return SEVERITIES[min(ranks)] if ranks else severity


def slug(name: str) -> str:
    """A Slack channel name for a crisis: `crisis-` and the name in lower case, letters,
    digits and hyphens only, at most 80 characters."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    body = re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")
    return ("crisis-" + body)[:80].rstrip("-")
