"""The trend arithmetic (bot.core.trends): the Poisson tail against an independent sum,
a planted rise flagged and a flat week not, regions, and the words of a group."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from bot.core.trends import Filed, is_rising, poisson_tail, region_of_zone, trends, words

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
SIX = timedelta(hours=6)


def test_poisson_tail_matches_the_sum_of_the_mass():
    for mean in (0.2, 1.3, 7.0, 40.0):
        for k in (0, 1, 3, 9, 60):
            mass = sum(math.exp(-mean) * mean ** i / math.factorial(i) for i in range(k))
            assert abs(poisson_tail(k, mean) - (1 - mass)) < 1e-9


def test_thresholds():
    assert is_rising(9, 1.3)[0]
    assert not is_rising(3, 1.3)[0]  # p ~ 0.14
    assert not is_rising(3, 0.0)[0]  # unlikely, but only 2.86 more than expected
    assert is_rising(4, 0.0)[0]
    assert not is_rising(30, 25.0)[0]


def _week(per_window: int, planted: int = 0) -> list[Filed]:
    out = []
    for day in range(8):
        n = planted if day == 0 else per_window
        for i in range(n):
            at = NOW - timedelta(days=day, hours=5) + timedelta(minutes=10 * i)
            out.append(Filed(at, "child-safety", "ar", "Europe"))
    return out


def test_a_planted_rise_is_flagged_and_a_flat_week_is_not():
    flat = trends(_week(2, planted=2), NOW, SIX)
    assert [(t.count, t.expected, t.rising) for t in flat] == [(2, 2.0, False)]
    risen = trends(_week(1, planted=9), NOW, SIX)
    assert risen[0].rising and risen[0].count == 9 and risen[0].expected == 1.0
    # Outside the window and the same hours of the days before: not counted.
    far = [Filed(NOW - timedelta(hours=9), "x", "en", "Asia")]
    assert trends(far, NOW, SIX) == []


def test_regions():
    assert region_of_zone("Europe/Dublin") == "Europe"
    assert region_of_zone("America/Chicago") == "Americas"
    assert region_of_zone("Australia/Sydney") == "Oceania"
    assert region_of_zone(None) == "unassigned"
    assert region_of_zone("UTC") == "other"


def test_words_repeat_and_phrases():
    got = dict(words(["The bridge attack video is spreading",
                      "video of the bridge attack", "bridge attack again", "unrelated"]))
    assert got["bridge attack"] == 3 and "bridge" not in got and "the" not in got
    assert got["video"] == 2 and "unrelated" not in got
    assert dict(words(["هجوم على الجسر", "هجوم الجسر"]))["هجوم"] == 2
