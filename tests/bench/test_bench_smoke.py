"""Smoke test of bench/: the engine against an independent iCalendar expansion.

A tiny generated team is exported as recurring iCalendar events, expanded with
`recurring_ical_events`, and every answer to "who reads <lang> on call at T" must
equal the engine's (and, as sets, the brute-force model's). No timing here: the
figures are `python -m bench.schedule_lookup`'s job (bench/lookup/).
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta

import icalendar
import pytest

from bench.lookup.answers import compare, engine_answer
from bench.lookup.ical import export_ics
from bench.lookup.instants import WINDOW_END, WINDOW_START, edge_instants, random_instants
from bench.team_gen import generate_team
from bot.core.model import Override, Rotation, Specialist, Team, TimeOff
from bot.core.roster import Roster
from tests.brute_force import Brute


def tiny(seed: int):
    return generate_team(seed=seed, specialists=20, rotations=3, overrides_and_time_off=50)


def test_generator_is_deterministic_and_sized():
    team = generate_team(seed=3)
    assert team == generate_team(seed=3)
    assert team != generate_team(seed=4)
    assert len(team.specialists) == 300
    assert len(team.rotations) == 20
    assert len(team.overrides) + len(team.time_off) == 1000
    assert len(team.languages) == 12
    assert all(1 <= len(s.languages) <= 3 for s in team.specialists)
    assert all(r.start.year == 2026 for r in team.rotations)
    assert {r.handoff_days for r in team.rotations} >= {1, 7}
    assert any(r.crosses_midnight for r in team.rotations)
    assert {r.tier for r in team.rotations} == {"primary", "secondary"}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_ical_expansion_agrees_with_engine(seed):
    team = tiny(seed)
    roster = Roster(team)
    cal = icalendar.Calendar.from_ical(export_ics(team))
    rng = random.Random(seed)
    instants = random_instants(rng, 30, WINDOW_START, WINDOW_END)
    instants += edge_instants(rng, team, 30)
    # Everyone on call (every rotation's person), then a few languages with ranking.
    for lang in (None, "en", "ar", "es"):
        mismatches = compare(team, roster, cal, lang, instants)
        assert not mismatches, "\n".join(map(str, mismatches))


@pytest.mark.parametrize("seed", [1, 2])
def test_engine_agrees_with_brute_force_on_the_bench_team_shape(seed):
    team = tiny(seed)
    roster = Roster(team)
    brute = Brute(team)
    specs = {s.id: s for s in team.specialists}
    rng = random.Random(seed + 100)
    for t in random_instants(rng, 30, WINDOW_START, WINDOW_END) + edge_instants(rng, team, 30):
        expected = {u for _, u in brute.on_call(t) if specs.get(u) and specs[u].reads("en")}
        assert {u for u, _ in engine_answer(roster, "en", t)} == expected, t


def test_ical_agrees_on_a_handmade_team_where_every_rule_bites():
    """Stacked overrides (later wins), an override whose person is away (the earlier
    override, or else the rotation's cover, applies), a member away for part of a
    shift (the next free member covers), a night shift across the Chicago DST change,
    and handoff instants."""
    def at(day: int, hour: float) -> datetime:
        return datetime(2026, 3, day, tzinfo=UTC) + timedelta(hours=hour)

    people = tuple(Specialist(u, u, "America/Chicago", langs) for u, langs in (
        ("A", ("ar", "en")), ("B", ("en", "ar")), ("C", ("ar",)), ("D", ("ar", "fr")),
        ("E", ("es",))))
    rotations = (
        Rotation("night", "America/Chicago", time(22), time(6), frozenset(range(7)), 1,
                 date(2026, 3, 1), "primary", ("A", "B", "E")),
        Rotation("day", "Europe/Dublin", time(8), time(16), frozenset(range(5)), 7,
                 date(2026, 3, 2), "secondary", ("D", "C")),
    )
    team = Team(
        "hand", ("en", "ar", "es", "fr"), "C1", "C2", specialists=people, rotations=rotations,
        overrides=(Override("night", "C", at(9, 3), at(9, 11)),
                   Override("night", "D", at(9, 5), at(9, 9)),
                   Override("day", "B", at(10, 9), at(10, 12))),
        time_off=(TimeOff("D", at(9, 6), at(9, 7), all_day=False),      # D away: C again
                  TimeOff("C", at(9, 6.5), at(9, 7), all_day=False),    # both: the cover
                  TimeOff("B", at(6, 11), at(6, 13), all_day=False),    # B skips a night
                  TimeOff("D", at(4, 10), at(4, 11), all_day=False)),   # D skips a day
    )
    roster = Roster(team)
    cal = icalendar.Calendar.from_ical(export_ics(team))
    instants = [at(3, 0) + timedelta(minutes=30 * k) for k in range(9 * 48)]
    for lang in (None, "ar", "en"):
        assert not compare(team, roster, cal, lang, instants), lang
    brute = Brute(team)
    for t in instants:
        assert {(r, u) for u, r in engine_answer(roster, None, t)} == brute.on_call(t), t
