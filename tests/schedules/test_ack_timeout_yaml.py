"""Schedules as code: a policy's `ack_timeout` (PRODUCT.md "Delivery that reaches a
person"). A bad value is reported at its line with an example; the setting round-trips
through export, import and the store, and the import diff names it."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from bot.core.diff import diff_teams
from bot.schedules.reader import load_team_file, parse_team
from bot.schedules.writer import dump_team
from bot.store import teams as team_store
from bot.store.db import session_factory
from tests.schedules.test_schedules_io import EXAMPLE, check_fixture


def test_values_that_do_not_read_are_reported_at_their_lines():
    check_fixture(
        "bad_ack_timeout.yaml",
        "escalation.policies.sev1.ack_timeout: malformed duration '0m'; use a positive "
        "whole number with s, m or h, e.g. 30s, 5m or 1h",
        "escalation.policies.sev2.ack_timeout: malformed duration 'half an hour'",
    )


def test_left_out_means_never():
    team = load_team_file(EXAMPLE)
    assert all(p.ack_timeout is None for _, p in team.policies)
    assert "ack_timeout" not in dump_team(team)


def test_round_trip_store_and_diff(db_engine):
    plain = load_team_file(EXAMPLE)
    team = dataclasses.replace(plain, policies=tuple(
        (sev, dataclasses.replace(p, ack_timeout=timedelta(minutes=30)) if sev == "sev1" else p)
        for sev, p in plain.policies))
    text = dump_team(team)
    assert "      ack_timeout: 30m\n" in text
    assert parse_team(text, "exported.yaml") == team
    sessions = session_factory(db_engine)
    with sessions() as session, session.begin():
        team_store.save_team(session, team)
    with sessions() as session:
        assert team_store.load_team(session, team.name) == team
    changes = diff_teams(plain, team)
    assert any("sev1" in c and "ack_timeout none -> 30m" in c for c in changes), changes
