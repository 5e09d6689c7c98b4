"""Schedules as code: `crisis: {update_every: 30m}` (PRODUCT.md "Crisis mode"). A bad
value is reported with an example; the setting round-trips through export, import and
the store; export leaves out the default; the diff names it."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from bot.core.diff import diff_teams
from bot.schedules.reader import load_team_file, parse_team
from bot.schedules.writer import dump_team
from bot.store import teams as team_store
from bot.store.db import session_factory
from tests.schedules.test_schedules_io import EXAMPLE


def test_default_when_left_out_and_not_written():
    team = load_team_file(EXAMPLE)
    assert team.crisis_update_every == timedelta(minutes=30)
    assert "crisis" not in dump_team(team)


def test_round_trip_store_and_diff(db_engine):
    base = load_team_file(EXAMPLE)
    team = dataclasses.replace(base, crisis_update_every=timedelta(minutes=20))
    text = dump_team(team)
    assert "crisis:\n  update_every: 20m\n" in text
    assert parse_team(text, "exported.yaml") == team
    sessions = session_factory(db_engine)
    with sessions() as session, session.begin():
        team_store.save_team(session, team)
    with sessions() as session:
        assert team_store.load_team(session, team.name) == team
    assert diff_teams(base, team) == [
        f"~ team {team.name}: crisis.update_every 30m -> 20m"]


def test_bad_values_are_reported_with_an_example():
    text = dump_team(load_team_file(EXAMPLE))
    for bad, expected in (
            ("crisis: {update_every: soon}\n", "crisis.update_every: malformed duration 'soon'"),
            ("crisis: {every: 30m}\n", "unknown field 'every' in crisis; allowed: update_every")):
        try:
            parse_team(text + bad, "bad.yaml")
        except Exception as exc:  # noqa: BLE001 - the reader's error names every problem
            assert expected in str(exc), str(exc)
        else:
            raise AssertionError(f"{bad!r} was accepted")
