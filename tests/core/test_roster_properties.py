"""Property tests: the arithmetic roster agrees with a brute-force expansion."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.model import Override, Rotation, Specialist, Team, TimeOff
from bot.core.roster import Roster
from tests.brute_force import Brute

ZONES = [
    "America/Chicago", "Europe/Dublin", "Asia/Singapore", "Australia/Lord_Howe",
    "America/Santiago", "Pacific/Chatham", "America/Sao_Paulo", "Europe/London",
    "America/St_Johns", "Asia/Tehran", "America/Mexico_City", "Africa/Cairo",
]
USERS = ["U1", "U2", "U3", "U4", "U5"]
LANGS = ["en", "es", "ar"]
T0 = datetime(2025, 1, 1, tzinfo=UTC)


def fake_holidays(code: str, year: int):
    # A deterministic stand-in for a country's holidays: a few fixed days a year.
    return [date(year, 1, 1), date(year, 3, 8 + len(code)), date(year, 10, 26)]


times = st.one_of(
    st.sampled_from([time(0), time(1, 30), time(2), time(2, 30), time(3), time(23, 30)]),
    st.builds(time, st.integers(0, 23), st.sampled_from([0, 15, 30, 45])),
)
instants = st.integers(0, 3 * 365 * 24 * 60).map(lambda m: T0 + timedelta(minutes=m))


@st.composite
def teams(draw):
    specialists = tuple(
        Specialist(u, u, draw(st.sampled_from(ZONES)),
                   tuple(draw(st.lists(st.sampled_from(LANGS), min_size=1, max_size=3,
                                       unique=True))),
                   holidays=draw(st.sampled_from([None, None, "MX"])))
        for u in USERS
    )
    rotations = []
    for i in range(draw(st.integers(1, 3))):
        rotations.append(Rotation(
            name=f"r{i}",
            timezone=draw(st.sampled_from(ZONES)),
            shift_start=draw(times),
            shift_end=draw(times),
            days=frozenset(draw(st.lists(st.integers(0, 6), min_size=1, unique=True))),
            handoff_days=draw(st.sampled_from([1, 2, 3, 7, 10])),
            start=date(2025, 1, 1) + timedelta(days=draw(st.integers(0, 400))),
            tier=draw(st.sampled_from(["primary", "secondary"])),
            members=tuple(draw(st.lists(st.sampled_from(USERS), min_size=1, max_size=4))),
        ))
    overrides = tuple(
        Override(f"r{draw(st.integers(0, len(rotations) - 1))}", draw(st.sampled_from(USERS)),
                 s, s + timedelta(hours=draw(st.integers(1, 60))))
        for s in draw(st.lists(instants, max_size=3))
    )
    time_off = tuple(
        TimeOff(draw(st.sampled_from(USERS)), s, s + timedelta(hours=draw(st.integers(1, 200))))
        for s in draw(st.lists(instants, max_size=3))
    )
    return Team("t", tuple(LANGS), "C1", "C2", specialists=specialists,
                rotations=tuple(rotations), overrides=overrides, time_off=time_off)


def pairs(assignments):
    return {(a.rotation, a.user) for a in assignments}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(team=teams(), instant=instants)
def test_lookup_matches_brute_force_expansion(team, instant):
    roster = Roster(team, fake_holidays)
    expected = Brute(team, fake_holidays).on_call(instant)
    assert pairs(roster.on_call(instant)) == expected
    assert pairs(roster.on_call_direct(instant)) == expected


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(team=teams(), instant=instants)
def test_handoff_instants_are_half_open(team, instant):
    """At every boundary near `instant`, the index, the direct lookup and brute force agree
    at the boundary itself and one microsecond before it."""
    roster = Roster(team, fake_holidays)
    brute = Brute(team, fake_holidays)
    window = roster.assignments(instant, instant + timedelta(days=2))
    for a in window[:6]:
        for t in (a.start, a.start - timedelta(microseconds=1), a.end):
            assert pairs(roster.on_call(t)) == brute.on_call(t)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(team=teams(), instant=instants, lang=st.sampled_from(LANGS))
def test_language_order_primary_then_strength(team, instant, lang):
    roster = Roster(team, fake_holidays)
    ranked = roster.on_call_for(lang, instant)
    users = [a.user for a in ranked]
    assert len(users) == len(set(users))
    keys = [({"primary": 0, "secondary": 1}[a.tier], roster.specialist(a.user).rank(lang))
            for a in ranked]
    assert keys == sorted(keys)
    readers = {u for _, u in Brute(team, fake_holidays).on_call(instant)
               if lang in roster.specialist(u).languages}
    assert set(users) == readers


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(team=teams(), instant=instants, hours=st.integers(1, 96))
def test_coverage_gaps_match_pointwise_lookups(team, instant, hours):
    roster = Roster(team, fake_holidays)
    end = instant + timedelta(hours=hours)
    gaps = roster.coverage_gaps(instant, end)
    probe = instant
    while probe < end:
        for lang in LANGS:
            in_gap = any(s <= probe < e for s, e in gaps[lang])
            assert in_gap == (not roster.on_call_for(lang, probe))
        probe += timedelta(minutes=47)
