"""Who to page for a request: candidates in order, and the fallback chain.

Order (PRODUCT.md flow 2): primary-tier rotations before secondary, stronger
language before weaker (a specialist's languages are listed strongest first),
fewest recent pages first, never someone away. When nobody on shift reads the
language: opted-in backups off shift, then any on-call specialist, flagged
"needs translation".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from bot.core.roster import TIER_RANK, Roster

ON_CALL, BACKUP, TRANSLATION = "on_call", "backup", "translation"


@dataclass(frozen=True, slots=True)
class Candidate:
    user: str
    source: str  # on_call | backup | translation
    rotation: str | None = None
    tier: str | None = None

    @property
    def needs_translation(self) -> bool:
        return self.source == TRANSLATION


def on_call_readers(roster: Roster, lang: str, now: datetime,
                    recent_pages: Mapping[str, int]) -> list[Candidate]:
    ranked = roster.on_call_for(lang, now)

    def key(a):
        spec = roster.specialist(a.user)
        return (TIER_RANK.get(a.tier, 9), spec.rank(lang), recent_pages.get(a.user, 0), a.user)

    return [Candidate(a.user, ON_CALL, a.rotation, a.tier) for a in sorted(ranked, key=key)]


def backups(roster: Roster, lang: str, now: datetime,
            recent_pages: Mapping[str, int]) -> list[Candidate]:
    """Off-shift specialists who opted in to be paged for `lang`, not away."""
    on_now = {a.user for a in roster.on_call(now)}
    found = [s for s in roster.team.specialists
             if lang in s.backup and s.id not in on_now and not roster.is_away(s.id, now)]
    found.sort(key=lambda s: (s.rank(lang), recent_pages.get(s.id, 0), s.id))
    return [Candidate(s.id, BACKUP) for s in found]


def translators(roster: Roster, now: datetime,
                recent_pages: Mapping[str, int]) -> list[Candidate]:
    """Anyone on call, for a request nobody on shift can read."""
    best: dict[str, Candidate] = {}
    ordered = sorted(roster.on_call(now),
                     key=lambda a: (TIER_RANK.get(a.tier, 9), recent_pages.get(a.user, 0),
                                    a.user))
    for a in ordered:
        best.setdefault(a.user, Candidate(a.user, TRANSLATION, a.rotation, a.tier))
    return list(best.values())


def chain(roster: Roster, lang: str, now: datetime,
          recent_pages: Mapping[str, int]) -> list[Candidate]:
    """The first non-empty level of: on-call readers, backups, translators."""
    return (on_call_readers(roster, lang, now, recent_pages)
            or backups(roster, lang, now, recent_pages)
            or translators(roster, now, recent_pages))
