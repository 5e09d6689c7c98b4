"""Schedules as code: `oncall_groups` read, checked, written back, stored and diffed;
and who each group should hold (bot.core.oncall_groups), on the example team.

Bad inputs are named fixtures under tests/fixtures/schedules/ whose `# expect:` lines
are where a problem must be reported (the convention of test_schedules_io.py).
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from bot.core import oncall_groups
from bot.core.checks import validate_team
from bot.core.diff import diff_teams
from bot.core.roster import Roster
from bot.schedules.reader import ScheduleError, load_team_file, parse_team
from bot.schedules.writer import dump_team
from bot.store import load_team, make_engine, migrate, save_team, session_factory
from tests.schedules.test_schedules_io import EXAMPLE, FIXTURES, check_fixture

MINIMAL = (FIXTURES / "good_minimal.yaml").read_text(encoding="utf-8")
GROUPS = "\noncall_groups:\n  ar: S0ONCALLAR\n  all: S0ONCALL1\n"


def with_groups(text: str = GROUPS):
    return parse_team(MINIMAL + text, "team.yaml")


def test_groups_read_in_the_files_order_and_are_optional():
    assert with_groups().oncall_groups == (("ar", "S0ONCALLAR"), ("all", "S0ONCALL1"))
    assert parse_team(MINIMAL, "team.yaml").oncall_groups == ()
    assert with_groups("\noncall_groups:\n").oncall_groups == ()


def test_keys_and_values_that_do_not_read_are_located():
    problems = check_fixture(
        "bad_oncall_groups_values.yaml",
        "'alll' is neither a two-letter ISO 639-1 language code (en, es, ar, ...) nor `all` "
        "(everyone on call) (did you mean 'all'?)",
        "language codes are lowercase: use 'es' instead of 'ES'",
        "'@oncall-english' is not a Slack user group ID; use S followed by capital letters",
        "'ar' is listed twice (first on line",
    )
    assert len(problems) == 4


def test_groups_that_break_the_team_rules_are_located():
    problems = check_fixture(
        "bad_oncall_groups_rules.yaml",
        "oncall_groups.it: 'it' is not one of the team's languages [en, es, ar]; a group "
        "follows the on-call readers of a language the team serves, or `all` for everyone "
        "on call, e.g. oncall_groups: {ar: S0ONCALLAR}",
        "oncall_groups.es: user group S0ONCALLAR already follows 'ar'; give each key its "
        "own user group (first on line",
        "oncall_groups.en: S0MGRGRP1 is the team's manager_group;",
    )
    assert len(problems) == 3


def test_not_a_mapping_shows_a_correct_example():
    with pytest.raises(ScheduleError) as info:
        with_groups("\noncall_groups: [ar, S0ONCALLAR]\n")
    [problem] = info.value.problems
    assert str(problem).endswith("oncall_groups: must map a language code (or `all`) to a "
                                 "Slack user group ID, e.g. oncall_groups: {ar: S0ONCALLAR, "
                                 "all: S0ONCALL1}")
    # ... and the example itself reads.
    assert with_groups("\noncall_groups: {ar: S0ONCALLAR, all: S0ONCALL1}\n").oncall_groups


def test_an_edit_that_breaks_a_rule_is_named_for_a_reply():
    team = dataclasses.replace(with_groups(), languages=("en", "es"))
    assert [line for line in validate_team(team) if "on-call" in line] == [
        "on-call group ar: 'ar' is not one of the team's languages [en, es]; a group follows "
        "the on-call readers of a language the team serves, or `all` for everyone on call, "
        "e.g. oncall_groups: {ar: S0ONCALLAR}"]


def test_export_and_import_round_trip():
    team = with_groups()
    text = dump_team(team)
    assert "\noncall_groups:\n  ar: S0ONCALLAR\n  all: S0ONCALL1\n" in text
    assert parse_team(text, "again.yaml") == team
    assert "oncall_groups" not in dump_team(parse_team(MINIMAL, "team.yaml"))


def test_the_import_diff_describes_each_change():
    old = with_groups()
    new = dataclasses.replace(old, oncall_groups=(("ar", "S0ARNEW1"), ("es", "S0ONCALLES")))
    assert [line for line in diff_teams(old, new) if "on-call group" in line] == [
        "- on-call group all",
        "~ on-call group ar: user group S0ONCALLAR -> S0ARNEW1",
        "+ on-call group es (user group S0ONCALLES kept equal to the on-call readers of es)",
    ]
    assert diff_teams(old, old) == []
    assert "+ on-call group all (user group S0ONCALL1 kept equal to everyone on call)" in (
        diff_teams(None, old))


def test_the_store_keeps_them(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    migrate(engine)
    sessions = session_factory(engine)
    team = with_groups()
    with sessions() as session, session.begin():
        save_team(session, team)
    with sessions() as session:
        assert load_team(session, team.name).oncall_groups == team.oncall_groups
    with sessions() as session, session.begin():
        save_team(session, dataclasses.replace(team, oncall_groups=()))
    with sessions() as session:
        assert load_team(session, team.name).oncall_groups == ()
    engine.dispose()


# -- who each group holds ----------------------------------------------------------------


def at(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture(scope="module")
def example():
    team = dataclasses.replace(load_team_file(EXAMPLE), oncall_groups=(
        ("ar", "S0ONCALLAR"), ("es", "S0ONCALLES"), ("all", "S0ONCALL1")))
    return team, Roster(team)


def test_a_language_group_holds_its_on_call_readers_and_all_holds_everyone(example):
    team, roster = example
    now = at(2026, 7, 1, 13, 0)
    on_call = roster.on_call(now)
    want = oncall_groups.members(team, on_call)
    everyone = sorted({a.user for a in on_call})
    assert want["S0ONCALL1"] == tuple(everyone)
    for lang, group in (("ar", "S0ONCALLAR"), ("es", "S0ONCALLES")):
        assert want[group] == tuple(sorted(u for u in everyone
                                           if team.specialist(u).reads(lang)))
        assert want[group]  # the example covers both at this hour
    assert want["S0ONCALLAR"] == ("U0EU00009",)


def test_an_uncovered_language_wants_nobody(example):
    team, roster = example
    # The example's ar/fr gap: 22:00-23:00 UTC in mid-March.
    assert oncall_groups.members(team, roster.on_call(at(2026, 3, 10, 22, 30)))[
        "S0ONCALLAR"] == ()


def test_the_next_change_is_the_next_shift_boundary(example):
    _, roster = example
    now = at(2026, 7, 1, 13, 0)
    assert oncall_groups.next_change(roster, now, now + timedelta(hours=3)) == at(
        2026, 7, 1, 14, 0)
    assert oncall_groups.next_change(roster, now, now + timedelta(minutes=10)) == (
        now + timedelta(minutes=10))
