"""Schedules as code: specialists' `phone` and `email`, steps' `via` (PRODUCT.md
"Delivery that reaches a person"). Bad values are reported at their lines naming the
person; Slack is implied in every `via`; a step that texts someone without a number is a
warning; the values round-trip through export, import and the store, and the diff
names them (a phone number masked)."""

from __future__ import annotations

import dataclasses

import pytest

from bot.core.diff import diff_teams
from bot.core.model import EscalationStep
from bot.schedules.problems import ScheduleError
from bot.schedules.reader import parse_team
from bot.schedules.writer import dump_team
from bot.store import teams as team_store
from bot.store.db import session_factory
from tests.schedules.test_schedules_io import FIXTURES, check_fixture

GOOD = (FIXTURES / "good_minimal.yaml").read_text(encoding="utf-8")


def _with_contacts(text: str) -> str:
    text = text.replace("    backup: [ar]\n",
                        "    backup: [ar]\n    phone: +971501234567\n"
                        "    email: layla.haddad@example.org\n", 1)
    return text.replace("{notify: managers, wait: 10m}",
                        "{notify: language_backup, wait: 10m, via: [sms, voice, email]}")


def test_values_that_do_not_read_are_reported_at_their_lines():
    check_fixture(
        "bad_contacts.yaml",
        "specialists[0].phone: '0861234567' is not an E.164 number (Layla Haddad); write it "
        "with + and the country code, no spaces, e.g. +353861234567",
        "'layla.haddad@' is not an email address (Layla Haddad)",
        "unknown channel 'text'; allowed: slack, sms, voice, email",
        "channel 'voice' is listed twice",
        "a 'channel' step posts in the escalation channel",
    )


def test_a_phone_written_as_a_list_is_a_shape_problem():
    text = GOOD.replace("    holidays: ES\n", "    holidays: ES\n    phone: [+34600111222]\n")
    with pytest.raises(ScheduleError) as info:
        parse_team(text, "team.yaml")
    assert "team.yaml:19: specialists[1].phone: must be a single value, not a list" in str(
        info.value)


def test_slack_is_implied_and_the_values_round_trip(db_engine):
    team = parse_team(_with_contacts(GOOD), "team.yaml")
    layla = team.specialist("U0AR00001")
    assert (layla.phone, layla.email) == ("+971501234567", "layla.haddad@example.org")
    step = team.policies[0][1].steps[1]
    assert step == EscalationStep("language_backup", step.wait, ("slack", "sms", "voice", "email"))
    assert team.policies[0][1].steps[0].via == ("slack",)
    text = dump_team(team)
    assert "via: [slack, sms, voice, email]" in text and "via: [slack]" not in text
    assert parse_team(text, "exported.yaml") == team
    sessions = session_factory(db_engine)
    with sessions() as session, session.begin():
        team_store.save_team(session, team)
    with sessions() as session:
        assert team_store.load_team(session, team.name) == team


def test_the_diff_names_contacts_and_masks_the_number():
    before = parse_team(GOOD, "team.yaml")
    after = parse_team(_with_contacts(GOOD), "team.yaml")
    lines = diff_teams(before, after)
    text = "\n".join(lines)
    assert "+971501234567" not in text
    assert "phone none -> +97150•••••67" in text
    assert "email none -> layla.haddad@example.org" in text
    assert "language_backup 10m via slack+sms+voice+email" in text


def test_a_step_that_texts_someone_without_a_number_is_a_warning():
    text = GOOD.replace("{notify: language_oncall, wait: 5m}",
                        "{notify: language_oncall, wait: 5m, via: [sms]}")
    warnings: list = []
    team = parse_team(text, "team.yaml", warnings)
    assert team.policies[0][1].steps[0].via == ("slack", "sms")
    [w] = warnings
    assert w.field == "escalation.policies.sev2.steps[0].via" and w.line == 39
    assert "sms: Layla Haddad, Ana Ruiz have no phone, so this step reaches them by Slack " \
           "only; add `phone:` to the specialist" in w.message
    # Once everyone it could page has a number, nothing is said.
    both = text.replace("    holidays: ES\n", "    holidays: ES\n    phone: +34600111222\n")
    both = both.replace("    backup: [ar]\n", "    backup: [ar]\n    phone: +971501234567\n")
    none: list = []
    parse_team(both, "team.yaml", none)
    assert none == []


def test_empty_values_mean_not_set():
    text = GOOD.replace("    holidays: ES\n", "    holidays: ES\n    phone:\n    email:\n")
    team = parse_team(text, "team.yaml")
    assert dataclasses.astuple(team.specialist("U0ES00002"))[-2:] == (None, None)
