"""All rotations + overrides + time off -> who is on call, overall and by language.

Rules (docs/schedules.md):
- A member away for any part of a shift is skipped; the next member of the rotation
  (list order, wrapping) who is free for the whole shift covers it. Nobody free ->
  the shift is uncovered.
- An override puts its user on call for the rotation during [from, to), replacing
  whoever the rotation has then, even outside the shift window. Where overrides of
  one rotation overlap, the one listed later wins. A person away is never on call,
  not even through an override: for those hours an earlier overlapping override, or
  else the rotation's own cover, applies.
- Intervals are half-open; at a handoff instant the incoming person is on call.

Point lookups go through a per-UTC-day index built lazily from the same arithmetic
(`assignments` over one day), so a lookup in 2036 costs what one in 2026 does.
"""

from __future__ import annotations

import threading
from bisect import bisect_right
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from bot.core import intervals, timezones
from bot.core.intervals import Interval
from bot.core.model import Rotation, Specialist, Team
from bot.core.rotation import Slot, slots_between

HolidayDates = Callable[[str, int], Iterable[date]]
"""(holiday code such as "MX" or "US-TX", year) -> that year's public holidays."""

TIER_RANK = {"primary": 0, "secondary": 1}
DAY = 86_400
EPOCH = datetime(1970, 1, 1, tzinfo=timezones.UTC)

SCHEDULED, SUBSTITUTE, OVERRIDE, UNCOVERED = "scheduled", "substitute", "override", "uncovered"


@dataclass(frozen=True, slots=True, order=True)
class Assignment:
    """`user` on call for `rotation` during [start, end)."""

    start: datetime
    end: datetime
    rotation: str
    tier: str
    user: str | None  # None when the shift is uncovered
    kind: str  # scheduled | substitute | override | uncovered
    scheduled: str | None = None  # the member the rotation had scheduled

    def contains(self, instant: datetime) -> bool:
        return self.start <= instant < self.end


class Roster:
    """An immutable view of one team's schedule. Build a new one when the team changes."""

    def __init__(self, team: Team, holiday_dates: HolidayDates | None = None,
                 index_days: int = 4096):
        self.team = team
        self._holiday_dates = holiday_dates
        self._specialists: dict[str, Specialist] = {s.id: s for s in team.specialists}
        # Where each person is listed in the team: routing's last tie-break.
        self.listing: dict[str, int] = {s.id: i for i, s in enumerate(team.specialists)}
        self._time_off: dict[str, list[Interval]] = {}
        for t in team.time_off:
            self._time_off.setdefault(t.user, []).append((t.start, t.end))
        self._time_off = {u: intervals.merge(v) for u, v in self._time_off.items()}
        self._holiday_cache: dict[tuple[str, int], list[Interval]] = {}
        self._override_pieces = {r.name: self._effective_overrides(r) for r in team.rotations}
        self._index: OrderedDict[int, _DayIndex] = OrderedDict()
        self._index_days = index_days
        self.day_builds = 0  # day indexes built so far (benchmarks count first lookups)
        self._lock = threading.Lock()

    # -- people ---------------------------------------------------------------

    def specialist(self, user_id: str) -> Specialist | None:
        return self._specialists.get(user_id)

    def readers(self, lang: str) -> list[Specialist]:
        return [s for s in self.team.specialists if s.reads(lang)]

    def _holidays(self, user: str, year: int) -> list[Interval]:
        key = (user, year)
        cached = self._holiday_cache.get(key)
        if cached is None:
            spec = self._specialists.get(user)
            cached = []
            if spec is not None and spec.holidays and self._holiday_dates is not None:
                for d in sorted(self._holiday_dates(spec.holidays, year)):
                    start = timezones.start_of_day(d, spec.timezone)
                    end = timezones.start_of_day(d + timedelta(days=1), spec.timezone)
                    cached.append((start, end))
                cached = intervals.merge(cached)
            self._holiday_cache[key] = cached
        return cached

    def away_intervals(self, user: str, start: datetime, end: datetime) -> list[Interval]:
        """Sorted, disjoint away intervals of `user` that meet [start, end)."""
        found = [i for i in self._time_off.get(user, ()) if i[0] < end and i[1] > start]
        spec = self._specialists.get(user)
        if spec is not None and spec.holidays and self._holiday_dates is not None:
            y0 = timezones.local_date(start, spec.timezone).year
            y1 = timezones.local_date(end, spec.timezone).year
            for year in range(y0, y1 + 1):
                found += [i for i in self._holidays(user, year) if i[0] < end and i[1] > start]
        return intervals.merge(found)

    def is_away(self, user: str, start: datetime, end: datetime | None = None) -> bool:
        """Away at any time in [start, end) (or at the instant `start`)."""
        if end is None:
            end = start + timedelta(microseconds=1)
        if intervals.overlaps(self._time_off.get(user, []), start, end):
            return True
        spec = self._specialists.get(user)
        if spec is None or not spec.holidays or self._holiday_dates is None:
            return False
        y0 = timezones.local_date(start, spec.timezone).year
        y1 = timezones.local_date(end, spec.timezone).year
        return any(
            intervals.overlaps(self._holidays(user, y), start, end) for y in range(y0, y1 + 1)
        )

    # -- one rotation -----------------------------------------------------------

    def _effective_overrides(self, rot: Rotation) -> list[tuple[datetime, datetime, str]]:
        # Each override first loses its user's away hours; only what is left can beat
        # the overrides listed before it.
        usable = [
            (o.user, intervals.subtract([(o.start, o.end)],
                                        self.away_intervals(o.user, o.start, o.end)))
            for o in self.team.overrides if o.rotation == rot.name
        ]
        pieces: list[tuple[datetime, datetime, str]] = []
        for i, (user, spans) in enumerate(usable):
            later = intervals.merge(iv for _, ivs in usable[i + 1:] for iv in ivs)
            pieces += [(s, e, user) for s, e in intervals.subtract(spans, later)]
        pieces.sort()
        return pieces

    def _cover(self, rot: Rotation, slot: Slot) -> tuple[str | None, str]:
        n = len(rot.members)
        for k in range(n):
            user = rot.members[(slot.member_index + k) % n]
            if not self.is_away(user, slot.start, slot.end):
                return user, SCHEDULED if k == 0 else SUBSTITUTE
        return None, UNCOVERED

    def rotation_assignments(self, rot: Rotation, start: datetime, end: datetime
                             ) -> list[Assignment]:
        """Exact (unclipped) pieces of `rot`'s on-call that meet [start, end), in order."""
        out: list[Assignment] = []
        for slot in slots_between(rot, start, end):
            user, kind = self._cover(rot, slot)
            out.append(Assignment(slot.start, slot.end, rot.name, rot.tier, user, kind,
                                  rot.members[slot.member_index]))
        pieces = self._override_pieces.get(rot.name) or []
        if pieces:
            # Cut the base shifts by every override piece they meet, not only those in
            # the window, so each returned piece ends exactly where its person's stint does.
            if out:
                start, end = min(start, out[0].start), max(end, out[-1].end)
            # Pieces are disjoint and sorted, so the ones meeting the window are contiguous.
            lo = bisect_right(pieces, (start,))
            if lo > 0 and pieces[lo - 1][1] > start:
                lo -= 1
            hit = []
            for p in pieces[lo:]:
                if p[0] >= end:
                    break
                if p[1] > start:
                    hit.append(p)
            if hit:
                holes = [(s, e) for s, e, _ in hit]
                cut = []
                for a in out:
                    for s, e in intervals.subtract([(a.start, a.end)], holes):
                        cut.append(replace(a, start=s, end=e))
                cut += [Assignment(s, e, rot.name, rot.tier, u, OVERRIDE) for s, e, u in hit]
                out = sorted(cut)
        return out

    # -- the whole team ---------------------------------------------------------

    def assignments(self, start: datetime, end: datetime, rotation: str | None = None,
                    user: str | None = None, include_uncovered: bool = True
                    ) -> list[Assignment]:
        """Every on-call piece meeting [start, end), sorted by start."""
        out: list[Assignment] = []
        for rot in self.team.rotations:
            if rotation is not None and rot.name != rotation:
                continue
            for a in self.rotation_assignments(rot, start, end):
                if a.end <= start or a.start >= end:
                    continue
                if user is not None and a.user != user:
                    continue
                if a.user is None and not include_uncovered:
                    continue
                out.append(a)
        out.sort()
        return out

    def on_call(self, instant: datetime) -> list[Assignment]:
        """Who is on call at `instant` (any language), primary tier first."""
        return list(self._day(instant).at(instant.timestamp()).everyone)

    def on_call_for(self, lang: str, instant: datetime) -> list[Assignment]:
        """On-call readers of `lang` at `instant`, best first: primary before secondary,
        stronger language before weaker. One entry per person."""
        seg = self._day(instant).at(instant.timestamp())
        found = seg.by_lang.get(lang)
        if found is None:
            found = self._rank(lang, seg.everyone)
        return list(found)

    def on_call_direct(self, instant: datetime) -> list[Assignment]:
        """Same answer as `on_call` without the index (for checks and one-off queries)."""
        hits = [a for a in self.assignments(instant, instant + timedelta(microseconds=1),
                                            include_uncovered=False) if a.contains(instant)]
        return list(self._order_all(hits))

    def _order_all(self, actives: Iterable[Assignment]) -> tuple[Assignment, ...]:
        return tuple(sorted(actives, key=lambda a: (TIER_RANK.get(a.tier, 9), a.rotation,
                                                    a.user or "")))

    def _rank(self, lang: str, actives: Iterable[Assignment]) -> tuple[Assignment, ...]:
        best: dict[str, Assignment] = {}
        keyed = []
        for a in actives:
            spec = self._specialists.get(a.user or "")
            if spec is None or not spec.reads(lang):
                continue
            keyed.append(((TIER_RANK.get(a.tier, 9), spec.rank(lang), a.user, a.rotation), a))
        keyed.sort(key=lambda k: k[0])
        for _, a in keyed:
            best.setdefault(a.user, a)
        return tuple(best.values())

    def coverage_gaps(self, start: datetime, end: datetime,
                      languages: Iterable[str] | None = None) -> dict[str, list[Interval]]:
        """For each language, the parts of [start, end) when no on-call specialist reads it."""
        langs = list(languages) if languages is not None else list(self.team.languages)
        covered: dict[str, list[Interval]] = {lang: [] for lang in langs}
        for a in self.assignments(start, end, include_uncovered=False):
            spec = self._specialists.get(a.user or "")
            if spec is None:
                continue
            for lang in spec.languages:
                if lang in covered:
                    covered[lang].append((max(a.start, start), min(a.end, end)))
        return {lang: intervals.complement(intervals.merge(iv), start, end)
                for lang, iv in covered.items()}

    # -- the per-day index --------------------------------------------------------

    def _day(self, instant: datetime) -> _DayIndex:
        key = int(instant.timestamp() // DAY)
        idx = self._index.get(key)
        if idx is not None:
            return idx
        idx = self._build_day(key)
        self.day_builds += 1
        with self._lock:
            self._index[key] = idx
            while len(self._index) > self._index_days:
                self._index.popitem(last=False)
        return idx

    def _build_day(self, key: int) -> _DayIndex:
        a = EPOCH + timedelta(days=key)
        b = a + timedelta(days=1)
        actives = self.assignments(a, b, include_uncovered=False)
        cuts = {a}
        for x in actives:
            if a < x.start < b:
                cuts.add(x.start)
            if a < x.end < b:
                cuts.add(x.end)
        points = sorted(cuts)
        segments = []
        for p in points:
            here = [x for x in actives if x.start <= p < x.end]
            segments.append(_Segment(
                self._order_all(here),
                {lang: self._rank(lang, here) for lang in self.team.languages},
            ))
        return _DayIndex([p.timestamp() for p in points], segments)


@dataclass(frozen=True, slots=True)
class _Segment:
    everyone: tuple[Assignment, ...]
    by_lang: dict[str, tuple[Assignment, ...]]


@dataclass(frozen=True, slots=True)
class _DayIndex:
    starts: list[float]
    segments: list[_Segment]

    def at(self, ts: float) -> _Segment:
        return self.segments[bisect_right(self.starts, ts) - 1]
