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

Graphic content (`Load.care`, `Load.sensitive`; PRODUCT.md "Graphic content and the
people who read it"). Someone on a break (`Care.paused`) is never a candidate, at any
level, for any request: like someone away. For a sensitive request only:

- Anyone at or past the team's `exposure_limit` comes after everyone below it, whatever
  their open load: the limit ranks above capacity. Capacity protects how fast a request
  is answered (and the card says when every reader is busy); the limit protects the
  person, and the product allows a page past it only when nobody else is free. Among
  those at the limit, free before busy, then the lowest exposure, then the order below
  the limit.
- Below the limit, exposure ranks right after tier and language strength (the "otherwise
  equal" readers): free people by tier, strength, lowest exposure, then fewest open,
  fewest recent pages, longest since paged; busy ones by fewest open, lowest exposure,
  then tier, language strength and longest since the last page.
- A level whose readers are all at the limit gives way to the next level of readers
  (off-shift backups of the language) that has someone below it; only when no reader of
  the language is below the limit is one at the limit paged (`Page.over_limit` then says
  so). Translators (people who do not read it) never come before a reader at the limit.

A request that is not sensitive is ordered as if nobody had read anything (breaks still
count).

A request in a language the team does not serve (or whose language is unknown) goes
by the team's `language_fallbacks` (`Team.fallbacks_for`): the on-call readers of its
fallback languages as one level (the first fallback's readers before the second's,
free before busy as above), then the off-shift backups of those languages, then anyone
on call. Everyone it reaches is flagged "needs translation"; a candidate chosen as a
reader of a fallback language says which (`read_as`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from bot.core.roster import TIER_RANK, Roster
from bot.core.wellbeing import NO_CARE, Care

ON_CALL, BACKUP, TRANSLATION = "on_call", "backup", "translation"
NO_TIER = 9  # backups are off shift: no rotation, no tier


@dataclass(frozen=True, slots=True)
class Candidate:
    user: str
    source: str  # on_call | backup | translation
    rotation: str | None = None
    tier: str | None = None
    # The fallback language they were chosen as a reader of, for a request in a
    # language the team does not serve (None: they were chosen for the request's own).
    read_as: str | None = None

    @property
    def needs_translation(self) -> bool:
        return self.source == TRANSLATION or self.read_as is not None


@dataclass(frozen=True)
class Load:
    """How busy people are, as routing weighs it.

    `open`: pages waiting for their answer on open requests plus requests they
    acknowledged and have not resolved; `recent`: pages in the last 24 h;
    `last_paged`: when each was paged last (absent: not paged lately); `capacity`: the
    team's `max_open_per_person` (None: no limit); `care`: exposure points, the limit and
    who is on a break at that instant; `sensitive`: the request being routed is
    (exposure weighs only then; a break always does)."""

    recent: Mapping[str, int] = field(default_factory=dict)
    open: Mapping[str, int] = field(default_factory=dict)
    last_paged: Mapping[str, datetime] = field(default_factory=dict)
    capacity: int | None = None
    care: Care = NO_CARE
    sensitive: bool = False

    def busy(self, user: str) -> bool:
        return self.capacity is not None and self.open.get(user, 0) >= self.capacity

    def over_limit(self, user: str) -> bool:
        """At or past the exposure limit, for a sensitive request (never otherwise)."""
        return self.sensitive and self.care.at_limit(user)


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
    care, weigh = load.care, load.sensitive
    never = float("-inf")

    def key(item: tuple[Candidate, int, int]) -> tuple:
        c, tier, strength = item
        u = c.user
        opened = n_open.get(u, 0)
        last = last_at.get(u)
        since = last.timestamp() if last is not None else never
        place = listing.get(u, len(listing))
        if not weigh:
            if cap is not None and opened >= cap:
                return (1, opened, tier, strength, since, place)
            return (0, tier, strength, opened, recent.get(u, 0), since, place)
        seen = care.exposure(u)
        if cap is not None and opened >= cap:
            within = (1, opened, seen, tier, strength, since, place)
        else:
            within = (0, tier, strength, seen, opened, recent.get(u, 0), since, place)
        # At the limit: still free before busy (no free reader is passed over for one at
        # capacity), then the least exposed.
        return (1, within[0], seen, *within) if care.at_limit(u) else (0, 0, 0, *within)

    paused = care.paused
    return [c for c, _, _ in sorted(found, key=key) if c.user not in paused]


# A fallback language's place weighs more than any language strength: every reader
# of the first fallback comes before the readers of the second (inside free or busy).
_FALLBACK_PLACE = 10_000


def _readers_found(roster: Roster, langs: tuple[str, ...], now: datetime,
                   skills: tuple[str, ...], read_as: bool
                   ) -> list[tuple[Candidate, int, int]]:
    found, seen = [], set()
    for place, lang in enumerate(langs):
        for a in roster.on_call_for(lang, now):
            spec = roster.specialist(a.user)
            if spec is None or not spec.holds(skills) or a.user in seen:
                continue
            seen.add(a.user)
            found.append((Candidate(a.user, ON_CALL, a.rotation, a.tier,
                                    lang if read_as else None),
                          TIER_RANK.get(a.tier, NO_TIER),
                          place * _FALLBACK_PLACE + spec.rank(lang)))
    return found


def _backups_found(roster: Roster, langs: tuple[str, ...], now: datetime,
                   skills: tuple[str, ...], read_as: bool
                   ) -> list[tuple[Candidate, int, int]]:
    on_now = {a.user for a in roster.on_call(now)}
    found, seen = [], set()
    for place, lang in enumerate(langs):
        for s in roster.team.specialists:
            if (lang in s.backup and s.id not in on_now and s.id not in seen
                    and s.holds(skills) and not roster.is_away(s.id, now)):
                seen.add(s.id)
                found.append((Candidate(s.id, BACKUP, read_as=lang if read_as else None),
                              NO_TIER, place * _FALLBACK_PLACE + s.rank(lang)))
    return found


def weighed(roster: Roster, now: datetime) -> frozenset[str]:
    """Everyone a routing decision at `now` may weigh: whoever is on call (any language,
    any tier: readers, fallback readers, translators) and the off-shift backups. Only
    their load needs reading; managers and channels are paged without it."""
    return frozenset([a.user for a in roster.on_call(now) if a.user]
                     + [s.id for s in roster.team.specialists if s.backup])


def on_call_readers(roster: Roster, lang: str, now: datetime,
                    load: Load | Mapping[str, int] | None = None,
                    skills: tuple[str, ...] = ()) -> list[Candidate]:
    """On-call readers of `lang` holding `skills`, in paging order."""
    return _order(roster, as_load(load), _readers_found(roster, (lang,), now, skills, False))


def backups(roster: Roster, lang: str, now: datetime,
            load: Load | Mapping[str, int] | None = None,
            skills: tuple[str, ...] = ()) -> list[Candidate]:
    """Off-shift specialists who opted in to be paged for `lang`, not away."""
    return _order(roster, as_load(load), _backups_found(roster, (lang,), now, skills, False))


def fallback_readers(roster: Roster, lang: str | None, now: datetime,
                     load: Load | Mapping[str, int] | None = None,
                     skills: tuple[str, ...] = ()) -> list[Candidate]:
    """For a request in `lang`, which the team does not serve: the on-call readers of
    its fallback languages as one level, each with the language they were chosen as a
    reader of (`read_as`)."""
    langs = roster.team.fallbacks_for(lang)
    return _order(roster, as_load(load), _readers_found(roster, langs, now, skills, True))


def fallback_backups(roster: Roster, lang: str | None, now: datetime,
                     load: Load | Mapping[str, int] | None = None,
                     skills: tuple[str, ...] = ()) -> list[Candidate]:
    """For a request in `lang`, which the team does not serve: the off-shift backups of
    its fallback languages."""
    langs = roster.team.fallbacks_for(lang)
    return _order(roster, as_load(load), _backups_found(roster, langs, now, skills, True))


def step_backups(roster: Roster, lang: str | None, now: datetime,
                 load: Load | Mapping[str, int] | None = None,
                 skills: tuple[str, ...] = ()) -> list[Candidate]:
    """The `language_backup` step's people: backups of `lang`, or of its fallbacks
    when the team does not serve it."""
    if roster.team.serves(lang):
        return backups(roster, lang, now, load, skills)
    return fallback_backups(roster, lang, now, load, skills)


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


def chain(roster: Roster, lang: str | None, now: datetime,
          load: Load | Mapping[str, int] | None = None,
          skills: tuple[str, ...] = ()) -> list[Candidate]:
    """The first non-empty level of: on-call readers, backups, translators; each only
    of people holding `skills` (for a sensitive request, a level of readers all at the
    exposure limit gives way to the next one with someone below it). For a language the
    team does not serve (or an unknown one): the readers of its fallbacks, their
    backups, translators."""
    load = as_load(load)
    if not roster.team.serves(lang):
        readers = (fallback_readers, fallback_backups)
    else:
        readers = (on_call_readers, backups)
    at_limit: list[Candidate] = []
    for level in readers:
        found = level(roster, lang, now, load, skills)
        if found and not load.over_limit(found[0].user):
            return found
        # A sensitive request whose readers here are all at the exposure limit: the
        # next level of readers, if it has someone below it; else these.
        at_limit = at_limit or found
    if at_limit:
        return at_limit
    return translators(roster, now, load, skills)
