"""The pure category and capacity edits (`bot.core.category_edits`): a team without a
listed `other`, a team without categories, capacity, and that each edit is refused by
the same team rules a schedule file obeys, leaving the team as it was."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from bot.core import category_edits as ce
from bot.core import checks
from bot.core.edits import EditError
from bot.core.model import Category, Specialist, Team

LE = Category("le-emergency", "Law-enforcement emergency request", "sev1",
              skills=("le_requests",), due=timedelta(minutes=30))
TEAM = Team("desk", ("en",), "C0INTAKE01", "C0ESCAL001", managers=("U0MGR0001",),
            specialists=(Specialist("U0EN00001", "Ana", "Europe/Dublin", ("en",),
                                    skills=("le_requests",)),),
            categories=(LE,))


def test_the_built_in_other_must_be_listed_before_it_is_changed():
    with pytest.raises(EditError, match=r"other is built in and not listed \(categories: "
                                        r"le-emergency\); to give it settings, list it first"):
        ce.set_category(TEAM, "other", {"due": timedelta(hours=1)})
    listed = ce.create_category(TEAM, "other", {"label": "Other", "severity": "sev2"})
    assert listed.categories[-1] == Category("other", "Other", "sev2")
    assert checks.problems(listed) == []


def test_the_last_category_cannot_be_deleted_while_it_is_the_default():
    team = replace(TEAM, default_category="le-emergency")
    with pytest.raises(EditError, match="le-emergency is the default category .* create "
                                        "another category and make it the default first"):
        ce.delete_category(team, "le-emergency")
    # With no default named, `other` is the default and le-emergency may go.
    assert ce.delete_category(TEAM, "le-emergency").categories == ()


def test_values_the_team_rules_refuse_leave_the_team_unchanged():
    for fields, said in (({"severity": "sev9"}, "unknown severity 'sev9'"),
                         ({"policy": "nope"}, "unknown policy 'nope'"),
                         ({"exposure_weight": 0}, "exposure_weight 0 must be"),
                         ({"due": timedelta(0)}, "due must be a positive duration"),
                         ({"skills": ("Bad Skill",)}, "skill 'Bad Skill' must be"),
                         ({"label": "two\nlines"}, "label must be printable text")):
        with pytest.raises(EditError, match=said):
            ce.set_category(TEAM, "le-emergency", fields)


def test_capacity_is_a_whole_number_of_at_least_one():
    assert ce.set_capacity(TEAM, 7).max_open_per_person == 7
    with pytest.raises(EditError, match=r"max_open_per_person 0 must be a whole number >= 1"):
        ce.set_capacity(TEAM, 0)
    with pytest.raises(EditError, match="whole number"):
        ce.set_capacity(TEAM, True)


def test_routing_changes_and_new_unheld_skills():
    assert not ce.affects_routing(LE, replace(LE, label="LE request", fields=("agency",)))
    assert ce.affects_routing(LE, replace(LE, due=timedelta(minutes=20)))
    after = ce.set_category(TEAM, "le-emergency", {"skills": ("le_requests", "forensics")})
    assert ce.new_unheld(TEAM, after) == [
        "nobody holds forensics: le-emergency requests will go to the managers"]
    assert ce.new_unheld(after, after) == []
