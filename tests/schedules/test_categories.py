"""Schedules as code: categories, skills, routing and named escalation policies.

Each bad input is a named fixture under tests/fixtures/schedules/ whose `# expect:`
lines are where a problem must be reported (the same convention as
test_schedules_io.py); the command-line tests reject every bad_*.yaml and write nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core import checks, timezones
from bot.core.diff import diff_teams
from bot.core.model import DEFAULT_MAX_OPEN, OTHER, Category
from bot.core.roster import Roster
from bot.schedules.reader import Problem, ScheduleError, load_team_file, parse_team
from bot.schedules.writer import dump_team
from tests.schedules.test_schedules_io import EXAMPLE, FIXTURES, check_fixture

GOOD = FIXTURES / "good_categories.yaml"
GOOD_TEXT = GOOD.read_text(encoding="utf-8")


def edited(old: str, new: str) -> str:
    assert GOOD_TEXT.count(old) == 1, old
    return GOOD_TEXT.replace(old, new)


# -- the good files -----------------------------------------------------------------------------


def test_good_categories_fixture_reads_every_field():
    team = load_team_file(GOOD)
    le, child, other = team.categories
    assert le == Category(
        "le-emergency", "Law-enforcement emergency request", severity="sev1",
        policy="le-emergency", skills=("le_requests",), due=timedelta(minutes=30),
        verification="two_person", fields=("agency", "officer", "callback_number",
                                           "case_reference"),
    )  # fmt: skip
    assert le.two_person and le.weight == 0
    assert (child.sensitive, child.exposure_weight, child.weight) == (True, 3, 3)
    assert child.due == timedelta(hours=1) and child.severity == "sev2"
    assert (other.name, other.severity, other.policy, other.skills) == ("other", None, None, ())
    assert team.default_category == "other" and team.max_open_per_person == 2
    assert team.specialist("U0ES00002").skills == ("le_requests",)
    assert [name for name, _ in team.policies] == ["sev2", "le-emergency"]
    assert team.policy_for(le, "sev1") == team.policy("le-emergency")
    assert team.policy_for(child, "sev2") == team.policy("sev2")


def test_defaults_when_the_fields_are_left_out():
    team = parse_team((FIXTURES / "good_minimal.yaml").read_text(encoding="utf-8"), "t.yaml")
    assert team.categories == () and team.default_category is None
    assert team.max_open_per_person == DEFAULT_MAX_OPEN
    assert team.category(None) is OTHER and team.category_names == ("other",)
    assert all(s.skills == () for s in team.specialists)
    # empty values mean the defaults too
    empty = edited("routing:\n  max_open_per_person: 2\n", "routing:\n")
    assert parse_team(empty, "t.yaml").max_open_per_person == DEFAULT_MAX_OPEN
    bare = edited("    severity: sev2\n    due: 1h\n", "    severity:\n    due:\n")
    child = parse_team(bare, "t.yaml").category("child-safety")
    assert (child.severity, child.due) == (None, None)


def test_categories_round_trip_exactly():
    team = load_team_file(GOOD)
    text = dump_team(team)
    assert parse_team(text, "dumped.yaml") == team
    assert dump_team(parse_team(text, "dumped.yaml")) == text
    assert diff_teams(team, parse_team(text, "dumped.yaml")) == []
    # only what differs from the defaults is written, in the documented order
    assert "  - name: other\n    label: Other\n\ndefault_category: other\n" in text
    assert "routing:\n  max_open_per_person: 2\n" in text
    assert "    sensitive: true\n    exposure_weight: 3\n" in text
    assert "sensitive: false" not in text
    assert "    skills: [le_requests]\n" in text
    three = parse_team(edited("max_open_per_person: 2", "max_open_per_person: 3"), "t.yaml")
    assert "routing" not in dump_team(three)


def test_policy_order_is_severities_then_named_in_file_order():
    text = edited("  policies:\n    sev2:\n", "  policies:\n    zz-last:\n      steps: "
                  "[{notify: channel}]\n    sev2:\n")
    names = [name for name, _ in parse_team(text, "t.yaml").policies]
    assert names == ["sev2", "zz-last", "le-emergency"]
    team = parse_team(text, "t.yaml")
    assert parse_team(dump_team(team), "t.yaml") == team


def test_a_team_with_only_named_policies_still_needs_the_default_severitys():
    text = edited("    sev2:\n      steps:\n        - {notify: language_oncall, wait: 5m}\n"
                  "        - {notify: managers, wait: 10m}\n        - {notify: channel}\n"
                  "      repeat: 1\n", "")
    with pytest.raises(ScheduleError) as info:
        parse_team(text, "t.yaml")
    assert ("escalation.default_severity: default_severity 'sev2' has no policy (policies "
            "given: le-emergency)") in str(info.value)


def test_the_example_team_has_the_desks_categories():
    team = load_team_file(EXAMPLE)
    assert team.category_names == ("le-emergency", "threat-to-life", "self-harm",
                                   "child-safety", "violent-content", "other")
    le = team.category("le-emergency")
    assert (le.severity, le.policy, le.skills, le.due, le.verification) == (
        "sev1", "le-emergency", ("le_requests",), timedelta(minutes=30), "two_person")
    assert le.fields == ("agency", "officer", "callback_number", "case_reference")
    assert team.category("child-safety").weight == 3
    assert team.category("self-harm").sensitive and team.category("violent-content").sensitive
    assert team.max_open_per_person == 3 and team.default_category == "other"


@pytest.mark.parametrize("start", ["2026-01-12", "2026-07-13"])
def test_every_skill_of_the_example_has_a_holder_on_call_all_day(start: str):
    """A week in winter and one in summer, hour by hour: for every skilled category some
    specialist on call holds its skills, and some holder opted in as a backup. (The
    documented ar/fr gap weeks in March and October are left out on purpose.)"""
    team = load_team_file(EXAMPLE)
    roster = Roster(team)
    t0 = datetime.fromisoformat(start).replace(tzinfo=timezones.UTC)
    for c in (c for c in team.categories if c.skills):
        holders = [s for s in team.specialists if s.holds(c.skills)]
        assert any(s.backup for s in holders), c.name
        assert {lang for s in holders for lang in s.languages} == set(team.languages), c.name
        for hour in range(7 * 24):
            at = t0 + timedelta(hours=hour, minutes=30)
            on = [team.specialist(a.user) for a in roster.on_call(at)]
            assert any(s and s.holds(c.skills) for s in on), (c.name, at)


# -- warnings -------------------------------------------------------------------------------


def test_a_skill_nobody_holds_is_a_warning_not_an_error():
    text = edited("    skills: [le_requests]\n    due: 30m\n",
                  "    skills: [le_requests, le_langauge]\n    due: 30m\n")
    warnings: list[Problem] = []
    team = parse_team(text, "t.yaml", warnings)
    assert team.category("le-emergency").skills == ("le_requests", "le_langauge")
    (w,) = warnings
    line = text.splitlines().index("    skills: [le_requests, le_langauge]") + 1
    assert (w.file, w.line, w.field) == ("t.yaml", line, "categories[0].skills[1]")
    assert "no specialist holds skill 'le_langauge'" in w.message
    assert "category 'le-emergency'" in w.message
    assert "skills: [le_langauge]" in w.message
    assert parse_team(text, "t.yaml") == team  # no list: warnings are not asked for
    assert checks.problems(team) == []


def test_the_example_team_has_no_warnings():
    warnings: list[Problem] = []
    load_team_file(EXAMPLE, warnings)
    assert warnings == []


# -- one named test per bad input -----------------------------------------------------------


def test_category_names_a_policy_that_does_not_exist():
    check_fixture("bad_category_unknown_policy.yaml", "unknown policy 'le-emergancy'",
                  "escalation.policies (sev2, le-emergency)", "did you mean 'le-emergency'?",
                  "e.g. le-emergency: {steps:")


def test_duplicate_category_name():
    check_fixture("bad_category_duplicate_name.yaml", "duplicate category name 'child-safety'",
                  "first on line")


def test_category_due_is_a_duration():
    check_fixture("bad_category_due.yaml", "malformed duration '30 minutes'", "5m or 1h")


def test_unknown_verification():
    check_fixture("bad_category_verification.yaml", "unknown verification 'two-person'",
                  "allowed: two_person", "did you mean 'two_person'?")


def test_category_severity_must_be_sev1_to_sev3():
    check_fixture("bad_category_severity.yaml", "unknown severity 'sev4'",
                  "unknown severity 'urgent'; allowed: sev1, sev2, sev3, e.g. severity: sev1")


def test_unknown_field_in_a_category_and_a_missing_label():
    check_fixture("bad_category_unknown_field.yaml",
                  "unknown field 'sensitve' in categories[1]; allowed: name, label,",
                  "did you mean 'sensitive'?",
                  "missing required field 'label' in categories[2]; e.g. label: "
                  "Law-enforcement emergency request")


def test_category_values_of_the_wrong_kind():
    check_fixture("bad_category_values.yaml", "'yes' must be true or false",
                  "'0' must be a whole number >= 1", "e.g. exposure_weight: 3",
                  "must be a list, not the value 'le_requests'",
                  "'none' must be a whole number >= 1", "e.g. max_open_per_person: 3")


def test_names_skills_and_fields_are_slugs_and_the_default_category_is_listed():
    check_fixture("bad_category_names.yaml",
                  "category name 'Child Safety' must be 1-64 lowercase letters",
                  "skill 'le requests' must be", "field 'Callback Number' must be",
                  "field 'agency' is listed twice",
                  "default_category 'le-emergancy' is not a listed category",
                  "or use other", "did you mean 'le-emergency'?")


def test_policy_names_are_slugs_and_sevN_is_a_severity():
    check_fixture("bad_policy_name.yaml", "policy name 'LE_Emergency' must be",
                  "unknown field 'sev4' in escalation.policies: severities are sev1, sev2, sev3")


def test_default_category_may_be_other_without_listing_it():
    text = edited("  - name: other\n    label: Other\n", "")
    team = parse_team(text, "t.yaml")
    assert team.category(None) is OTHER and "other" in team.category_names


@pytest.mark.parametrize("bad,phrase", [
    ("max_open_per_person: 0", "'0' must be a whole number >= 1"),
    ("max_open_per_person: -1", "'-1' must be a whole number >= 1"),
    ("max_opne_per_person: 2", "did you mean 'max_open_per_person'?"),
])
def test_routing_problems(bad: str, phrase: str):
    with pytest.raises(ScheduleError) as info:
        parse_team(edited("max_open_per_person: 2", bad), "t.yaml")
    assert phrase in str(info.value)
    assert str(info.value).startswith("t.yaml:")


# -- diff -------------------------------------------------------------------------------------


def test_diff_names_category_skill_and_capacity_changes():
    old = load_team_file(GOOD)
    new_text = (GOOD_TEXT
                .replace("    due: 30m\n", "    due: 20m\n")
                .replace("    skills: [le_requests]\n    due", "    skills: [le_requests, x]\n"
                         "    due")
                .replace("max_open_per_person: 2", "max_open_per_person: 4")
                .replace("default_category: other", "default_category: child-safety")
                .replace("  - name: other\n    label: Other\n", "")
                .replace("    holidays: ES\n    skills: [le_requests]\n",
                         "    holidays: ES\n    skills: [le_requests, x]\n"))
    lines = diff_teams(old, parse_team(new_text, "new.yaml"))
    assert lines == [
        "~ team fixture-team: default_category other -> child-safety",
        "~ team fixture-team: at most 2 -> 4 open requests per person "
        "(routing.max_open_per_person)",
        "~ specialist U0ES00002 Ana Ruiz: skills le_requests -> le_requests, x",
        "- category other",
        "~ category le-emergency: skills le_requests -> le_requests, x",
        "~ category le-emergency: due 30m -> 20m",
    ]
    added = diff_teams(None, old)
    assert ('+ category le-emergency ("Law-enforcement emergency request"; sev1; policy '
            "le-emergency; only people with skills le_requests; due in 30m; verification "
            "two_person; asks agency, officer, callback_number, case_reference)") in added
    assert ('+ category child-safety ("Child safety"; sev2; due in 1h; sensitive; exposure '
            "weight 3)") in added
    assert "default category other; at most 2 open requests per person)" in added[0]


TOKENS = ["", "~", "[]", "{}", "null", "- x", "[a, b]", "{a: 1}", "1", "0", "-1", "no",
          "true", "sev9", "2m", ":", "*a"]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, 80), st.sampled_from(["del", "dup", "val"]),
                          st.sampled_from(TOKENS)), max_size=4))
def test_edited_category_files_parse_or_fail_with_problems(edits):
    """Whatever a hand edit does to the categories fixture, the answer is a Team that
    round-trips, or a ScheduleError with located problems; never a crash."""
    lines = GOOD_TEXT.splitlines()
    for i, op, token in edits:
        i %= len(lines)
        if op == "del":
            del lines[i]
        elif op == "dup":
            lines.insert(i, lines[i])
        elif ":" in lines[i]:
            lines[i] = lines[i].split(":", 1)[0] + ": " + token
    try:
        team = parse_team("\n".join(lines), "edited.yaml", [])
    except ScheduleError as e:
        assert e.problems and all(p.message and p.file == "edited.yaml" for p in e.problems)
    else:
        assert parse_team(dump_team(team), "edited.yaml") == team
