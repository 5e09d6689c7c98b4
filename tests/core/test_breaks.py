"""The coverage rule of a break and the end of a shift (bot/core/breaks.py), on the
breaks desk (tests/fixtures/teams/breaks-desk.yaml): Layla ar-day 08:00-16:00 UTC, Nour
ar-late 12:00-20:00 UTC, Emil English all day, Farah the off-shift Arabic backup."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.core.breaks import Gap, break_length_problem, shift_ends, uncovered_by_break
from bot.core.model import Override
from bot.core.roster import Roster
from bot.schedules.reader import load_schedules

LAYLA, NOUR, EMIL, FARAH = (f"U0BD0000{i}" for i in range(1, 5))
[TEAM] = load_schedules(Path(__file__).resolve().parents[1] / "fixtures" / "teams"
                        / "breaks-desk.yaml")
ROSTER = Roster(TEAM)


def at(hour: int, minute: int = 0, day: int = 1) -> datetime:
    return datetime(2026, 7, day, hour, minute, tzinfo=UTC)


def test_the_only_reader_on_call_cannot_go():
    assert uncovered_by_break(ROSTER, LAYLA, at(9), at(9, 30), {}) == [
        Gap(at(9), at(9, 30), "ar")]


def test_with_another_reader_on_call_she_can():
    assert uncovered_by_break(ROSTER, LAYLA, at(13), at(13, 30), {}) == []


def test_the_whole_break_counts_a_colleague_leaving_halfway_leaves_a_gap():
    assert uncovered_by_break(ROSTER, NOUR, at(15, 30), at(16, 30), {}) == [
        Gap(at(16), at(16, 30), "ar")]


def test_people_on_a_break_do_not_count_for_the_time_they_are_on_it():
    layla_off = {LAYLA: [(at(13), at(13, 20))]}
    assert uncovered_by_break(ROSTER, NOUR, at(13), at(13, 30), layla_off) == [
        Gap(at(13), at(13, 20), "ar")]
    assert uncovered_by_break(ROSTER, NOUR, at(13, 20), at(13, 50), layla_off) == []


def test_off_shift_backups_do_not_count_and_may_always_take_a_break():
    assert uncovered_by_break(ROSTER, FARAH, at(9), at(10), {}) == []
    # Layla stays the only reader on call at 09:00 although Farah reads Arabic.
    assert uncovered_by_break(ROSTER, LAYLA, at(9), at(10), {}) != []


def test_someone_off_shift_or_not_on_the_team_may_go():
    assert uncovered_by_break(ROSTER, LAYLA, at(20), at(21), {}) == []
    assert uncovered_by_break(ROSTER, "U0NOBODY1", at(9), at(10), {}) == []
    assert uncovered_by_break(ROSTER, LAYLA, at(9), at(9), {}) == []


def test_english_is_covered_by_anyone_reading_it():
    assert uncovered_by_break(ROSTER, EMIL, at(9), at(10), {}) == []
    assert uncovered_by_break(ROSTER, EMIL, at(21), at(22), {}) == [
        Gap(at(21), at(22), "en")]


@pytest.mark.parametrize("length, problem", [
    (timedelta(minutes=4), "at least 5 minutes"),
    (timedelta(minutes=5), None),
    (timedelta(hours=12), None),
    (timedelta(hours=12, minutes=1), "at most 12 hours"),
])
def test_break_lengths(length, problem):
    found = break_length_problem(length)
    assert (found is None) if problem is None else (problem in found)


def test_shift_ends_once_per_stretch():
    assert shift_ends(ROSTER, at(15), at(16)) == [(LAYLA, at(8), at(16))]
    assert shift_ends(ROSTER, at(16), at(17)) == []  # (lo, hi]: 16:00 is not in it
    assert shift_ends(ROSTER, at(19), at(20)) == [(NOUR, at(12), at(20))]
    # Emil is on call all day every day: his stretch never ends within a day.
    assert [u for u, _, _ in shift_ends(ROSTER, at(0), at(0, day=2))] == [LAYLA, NOUR]


def test_an_override_extending_a_shift_moves_its_end():
    team = dataclasses.replace(TEAM, overrides=(Override("ar-day", LAYLA, at(16), at(17)),))
    roster = Roster(team)
    assert shift_ends(roster, at(15), at(16, 30)) == []
    assert shift_ends(roster, at(16, 30), at(17)) == [(LAYLA, at(8), at(17))]
