"""The pure rules of sweeps (bot/core/sweeps.py): whose turn, the interval's bounds, and
the instants of a turn after downtime and near `until`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core import sweeps as rules

T0 = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
M30 = timedelta(minutes=30)
READERS = [("U3", "chadi"), ("U1", "Amal"), ("U2", "basma")]


def test_fewest_turns_first_then_by_name_whatever_the_case():
    assert rules.pick(READERS, {}) == "U1"
    assert rules.pick(READERS, {"U1": 1}) == "U2"
    assert rules.pick(READERS, {"U1": 1, "U2": 1}) == "U3"
    assert rules.pick(READERS, {"U1": 2, "U2": 1, "U3": 1}) == "U2"


def test_someone_excluded_never_and_someone_busy_last():
    assert rules.pick(READERS, {}, excluded={"U1"}) == "U2"
    assert rules.pick(READERS, {}, busy={"U1"}) == "U2"
    assert rules.pick(READERS, {"U2": 5, "U3": 5}, busy={"U1"}) == "U2"
    assert rules.pick(READERS, {}, excluded={"U2", "U3"}, busy={"U1"}) == "U1"
    assert rules.pick(READERS, {}, excluded={"U1", "U2", "U3"}) is None
    assert rules.pick([], {}) is None


@given(st.lists(st.integers(0, 5), min_size=1, max_size=6))
def test_a_rotation_gives_everyone_a_turn_before_anyone_a_second(start):
    readers = [(f"U{i}", f"n{i}") for i in range(len(start))]
    taken = {f"U{i}": n for i, n in enumerate(start)}
    for _ in range(len(start) * 6):
        user = rules.pick(readers, taken)
        assert taken[user] == min(taken.values())  # always someone with the fewest
        taken[user] += 1
    assert max(taken.values()) - min(taken.values()) <= 1  # once caught up, even


@pytest.mark.parametrize(("every", "ok"), [
    (timedelta(minutes=4, seconds=59), False), (timedelta(minutes=5), True),
    (timedelta(hours=12), True), (timedelta(hours=12, minutes=1), False)])
def test_every_is_5_minutes_to_12_hours(every, ok):
    assert (rules.every_problem(every) is None) is ok


def test_a_turn_claimed_on_time_keeps_its_instant_and_after_downtime_takes_the_last_one():
    assert rules.turn_start(T0, M30, T0 + timedelta(seconds=1)) == T0
    assert rules.turn_start(T0, M30, T0 + timedelta(minutes=29)) == T0
    assert rules.turn_start(T0, M30, T0 + timedelta(minutes=95)) == T0 + 3 * M30


def test_the_next_turn_stops_at_until():
    assert rules.next_start(T0, M30, None) == T0 + M30
    assert rules.next_start(T0, M30, T0 + timedelta(minutes=31)) == T0 + M30
    assert rules.next_start(T0, M30, T0 + M30) is None
    assert rules.nudge_at(T0, M30) == T0 + timedelta(minutes=15)
    assert rules.report_at(T0, M30) == T0 + M30
