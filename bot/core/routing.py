"""Who to page for a request: candidates in order, and the fallback chain.

Only specialists holding every skill the request's category requires are candidates
(a request without skills: everyone). Among them (PRODUCT.md flow 2 and "Categories"):
on-call readers of the language; when there are none, opted-in backups off shift;
when there are none, anyone on call, flagged "needs translation". Never someone away.

Inside a level (`Load`): anyone below capacity (`max_open_per_person`) comes before
anyone at capacity. The free ones keep flow 2's order: primary-tier rotations before
secondary, stronger language before weaker (languages are listed strongest first),
then fewest open requests, fewest recent pages, longest since their last page (never
paged first), and the order the team lists its specialists. When everyone of the level
is at capacity, the fewest open comes first, then tier, language strength and longest
since the last page.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from bot.core.roster import TIER_RANK, Roster

ON_CALL, BACKUP, TRANSLATION = "on_call", "backup", "translation"
NO_TIER = 9  # backups are off shift: no rotation, no tier


@dataclass(frozen=True, slots=True)
class Candidate:
    user: str
    source: str  # on_call | backup | translation
    rotation: str | None = None
    tier: str | None = None

    @property
    def needs_translation(self) -> bool:
        return self.source == TRANSLATION


@dataclass(frozen=True)
class Load:
    """How busy people are, as routing weighs it.

    `open`: pages waiting for their answer on open requests plus requests they
    acknowledged and have not resolved; `recent`: pages in the last 24 h;
    `last_paged`: when each was paged last (absent: not paged lately); `capacity`: the
    team's `max_open_per_person` (None: no limit)."""

    recent: Mapping[str, int] = field(default_factory=dict)
    open: Mapping[str, int] = field(default_factory=dict)
    last_paged: Mapping[str, datetime] = field(default_factory=dict)
    capacity: int | None = None

    def busy(self, user: str) -> bool:
        return self.capacity is not None and self.open.get(user, 0) >= self.capacity


NO_LOAD = Load()


def as_load(load: Load | Mapping[str, int] | None) -> Load:
    """A `Load`; a plain mapping is read as recent page counts (no capacity)."""
    if load is None:
        return NO_LOAD
    if isinstance(load, Load):
        return load
    return Load(recent=load)


def _order(roster: Roster, load: Load,
           found: Iterable[tuple[Candidate, int, int]]) -> list[Candidate]:
    """Candidates (each with its tier rank and language strength) in paging order."""
    listing = roster.listing
    last_at, n_open, recent, cap = load.last_paged, load.open, load.recent, load.capacity
    never = float("-inf")

    def key(item: tuple[Candidate, int, int]) -> tuple:
        c, tier, strength = item
        u = c.user
        opened = n_open.get(u, 0)
        last = last_at.get(u)
        since = last.timestamp() if last is not None else never
        place = listing.get(u, len(listing))
        if cap is not None and opened >= cap:
            return (1, opened, tier, strength, since, place)
        return (0, tier, strength, opened, recent.get(u, 0), since, place)

    return [c for c, _, _ in sorted(found, key=key)]


def on_call_readers(roster: Roster, lang: str, now: datetime,
                    load: Load | Mapping[str, int] | None = None,
                    skills: tuple[str, ...] = ()) -> list[Candidate]:
    load = as_load(load)
    found = []
    for a in roster.on_call_for(lang, now):
        spec = roster.specialist(a.user)
        if spec is None or not spec.holds(skills):
            continue
        found.append((Candidate(a.user, ON_CALL, a.rotation, a.tier),
                      TIER_RANK.get(a.tier, NO_TIER), spec.rank(lang)))
    return _order(roster, load, found)


def backups(roster: Roster, lang: str, now: datetime,
            load: Load | Mapping[str, int] | None = None,
            skills: tuple[str, ...] = ()) -> list[Candidate]:
    """Off-shift specialists who opted in to be paged for `lang`, not away."""
    load = as_load(load)
    on_now = {a.user for a in roster.on_call(now)}
    found = [(Candidate(s.id, BACKUP), NO_TIER, s.rank(lang))
             for s in roster.team.specialists
             if lang in s.backup and s.id not in on_now and s.holds(skills)
             and not roster.is_away(s.id, now)]
    return _order(roster, load, found)


def translators(roster: Roster, now: datetime,
                load: Load | Mapping[str, int] | None = None,
                skills: tuple[str, ...] = ()) -> list[Candidate]:
    """Anyone on call (holding `skills`), for a request nobody on shift can read."""
    load = as_load(load)
    best: dict[str, tuple[Candidate, int, int]] = {}
    for a in roster.on_call(now):  # primary tier first
        if not a.user or a.user in best:
            continue
        spec = roster.specialist(a.user)
        if skills and (spec is None or not spec.holds(skills)):
            continue
        best[a.user] = (Candidate(a.user, TRANSLATION, a.rotation, a.tier),
                        TIER_RANK.get(a.tier, NO_TIER), 0)
    return _order(roster, load, best.values())


def chain(roster: Roster, lang: str, now: datetime,
          load: Load | Mapping[str, int] | None = None,
          skills: tuple[str, ...] = ()) -> list[Candidate]:
    """The first non-empty level of: on-call readers, backups, translators; each only
    of people holding `skills`."""
    load = as_load(load)
    return (on_call_readers(roster, lang, now, load, skills)
            or backups(roster, lang, now, load, skills)
            or translators(roster, now, load, skills))
