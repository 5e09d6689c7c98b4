"""Trend digests (PRODUCT.md "Crisis mode, sweeps, trends, reports"): pure arithmetic.

Requests are counted by (category, language, region) over the last `hours` hours, and
against the same hours of each of the trailing 7 days (the window moved back by whole
days). A group is RISING when its count is statistically unusual for those hours:

- expected = the baseline's average per day, at least 1/7 (as if one request had come
  in the whole week, so a first request of a kind is not infinitely surprising);
- the one-sided Poisson test P(X >= observed | mean = expected) < `P_LIMIT` (0.01);
- and at least `MIN_EXCESS` (3) more requests than expected, so a rare kind going from
  0 to 2 is not a headline.

Region: the time-zone area (Europe, Americas, Asia, Africa, Oceania, other) of the
specialist who acknowledged the request, else of the first person paged for it, else
"unassigned". Requests carry no region of their own; the person handling them is the
nearest honest proxy for where the desk answers them.

Words: the most repeated words and two-word phrases of the NON-sensitive requests of
the group in the window (the caller never passes any other text), stop words removed.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

BASELINE_DAYS = 7
P_LIMIT = 0.01
MIN_EXCESS = 3.0
MIN_EXPECTED = 1 / BASELINE_DAYS
UNASSIGNED = "unassigned"
TOP_WORDS = 6

_AREAS = {"Europe": "Europe", "America": "Americas", "US": "Americas", "Canada": "Americas",
          "Brazil": "Americas", "Mexico": "Americas", "Chile": "Americas", "Asia": "Asia",
          "Africa": "Africa", "Australia": "Oceania", "Pacific": "Oceania"}

# A small multilingual stop list (en, es, pt, fr, ar); other scripts keep every word.
_STOP_TEXT = """
a an the and or but if of to in on at by for with from as is are was were be been being it
its this that these those there here i you he she we they me him her us them my your his
our their not no yes do does did have has had will would can could should may might must
please urgent help need needs now just so very also about into over than then what who
when where which how all any some more most other out up down only same too again
el la los las un una unos unas y o de del en con por para que es son fue ser al lo se su
sus le les no si ya muy mas más pero como este esta estos estas eso esa hay
o os as um uma e do da dos das em no na nos nas com por para que é são foi ser ao não sim
le la les un une des et ou de du en dans sur avec pour par que qui est sont été être au
aux ce cette ces il elle ils elles ne pas plus
في من على إلى الى عن مع هذا هذه ذلك التي الذي و أو ثم قد لا ما كان هو هي
"""
STOP_WORDS = frozenset(_STOP_TEXT.split())
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?", re.UNICODE)


@dataclass(frozen=True)
class Filed:
    """One request as the digest counts it (never its text)."""

    created: datetime
    category: str
    language: str
    region: str


Group = tuple[str, str, str]  # (category, language, region)


@dataclass(frozen=True)
class Trend:
    group: Group
    count: int  # in the window
    expected: float  # the baseline's average for the same hours
    p_value: float
    rising: bool
    words: tuple[tuple[str, int], ...] = ()  # (word or phrase, how often), rising only


def region_of_zone(tz: str | None) -> str:
    """The area of an IANA zone: 'Europe/Dublin' -> 'Europe', 'America/Chicago' ->
    'Americas'; None -> 'unassigned'; anything else -> 'other'."""
    if not tz:
        return UNASSIGNED
    return _AREAS.get(tz.split("/", 1)[0], "other")


def poisson_tail(k: int, mean: float) -> float:
    """P(X >= k) for X ~ Poisson(mean), with the stdlib only."""
    if k <= 0:
        return 1.0
    # 1 - P(X <= k-1), summed in log space so large k or mean do not overflow.
    below = sum(math.exp(i * math.log(mean) - mean - math.lgamma(i + 1)) for i in range(k))
    return max(0.0, 1.0 - below)


def is_rising(count: int, expected: float) -> tuple[bool, float]:
    """(rising, p-value) for `count` in the window against the baseline's average."""
    mean = max(expected, MIN_EXPECTED)
    p = poisson_tail(count, mean)
    return (p < P_LIMIT and count - mean >= MIN_EXCESS), p


def windows(now: datetime, span: timedelta) -> list[tuple[datetime, datetime]]:
    """The window (now - span, now] first, then the same hours of each of the
    BASELINE_DAYS days before."""
    return [(now - timedelta(days=d) - span, now - timedelta(days=d))
            for d in range(BASELINE_DAYS + 1)]


def trends(filed: Iterable[Filed], now: datetime, span: timedelta) -> list[Trend]:
    """Every group seen in the window or its baseline, rising ones first (most
    surprising first), then by count."""
    spans = windows(now, span)
    current: Counter[Group] = Counter()
    base: Counter[Group] = Counter()
    for f in filed:
        for day, (lo, hi) in enumerate(spans):
            if lo < f.created <= hi:
                (current if day == 0 else base)[(f.category, f.language, f.region)] += 1
                break
    out = []
    for group in set(current) | set(base):
        expected = base[group] / BASELINE_DAYS
        rising, p = is_rising(current[group], expected)
        out.append(Trend(group, current[group], expected, p, rising))
    out.sort(key=lambda t: (not t.rising, t.p_value if t.rising else 0, -t.count, t.group))
    return out


def words(texts: Iterable[str], top: int = TOP_WORDS) -> tuple[tuple[str, int], ...]:
    """The most repeated words and two-word phrases (each counted once per request),
    seen in at least two requests; a phrase replaces its words when as frequent."""
    counts: Counter[str] = Counter()
    for text in texts:
        tokens = [w.lower() for w in _WORD.findall(text or "")]
        kept = [w if (len(w) > 1 and w not in STOP_WORDS) else None for w in tokens]
        terms = {w for w in kept if w}
        terms |= {f"{a} {b}" for a, b in zip(kept, kept[1:], strict=False) if a and b}
        counts.update(terms)
    ranked = sorted(((t, n) for t, n in counts.items() if n >= 2),
                    key=lambda tn: (-tn[1], -len(tn[0].split()), tn[0]))
    out: list[tuple[str, int]] = []
    for term, n in ranked:
        parts = term.split()
        if len(parts) == 1 and any(term in o.split() and m >= n for o, m in out):
            continue  # already said by a phrase as frequent
        out.append((term, n))
        if len(out) == top:
            break
    return tuple(out)
