"""Schedules as code: `wellbeing` and `retention` (PRODUCT.md "Graphic content and the
people who read it"). Bad values are reported at their lines with an example; the
settings round-trip through export, import and the store, and the diff names them."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from bot.core.diff import diff_teams
from bot.core.model import DEFAULT_RETENTION, Wellbeing
from bot.schedules.reader import load_team_file, parse_team
from bot.schedules.writer import dump_team
from bot.store import teams as team_store
from bot.store.db import session_factory
from tests.schedules.test_schedules_io import EXAMPLE, check_fixture


def test_values_that_do_not_read_are_reported_at_their_lines():
    check_fixture(
        "bad_wellbeing_values.yaml",
        "wellbeing.exposure_limit: '0' must be a whole number >= 1",
        "e.g. exposure_limit: 6",
        "wellbeing.exposure_window: malformed duration '8 hours'; use a positive whole "
        "number with s, m, h or d, e.g. 8h or 30d",
        "wellbeing.checkin: 'yes' must be true or false, e.g. checkin: true",
        "did you mean 'exposure_limit'?",
        "retention: malformed duration '30'",
    )


def test_defaults_when_left_out():
    team = load_team_file(EXAMPLE)
    assert team.retention == DEFAULT_RETENTION == timedelta(days=30)
    assert dataclasses.replace(team, wellbeing=Wellbeing()).wellbeing.exposure_limit == 6


def test_round_trip_store_and_diff(db_engine):
    base = load_team_file(EXAMPLE)
    team = dataclasses.replace(
        base, wellbeing=Wellbeing(exposure_limit=4, exposure_window=timedelta(hours=12),
                                  checkin=True),
        retention=timedelta(days=90))
    text = dump_team(team)
    assert ("wellbeing:\n  exposure_limit: 4\n  exposure_window: 12h\n  checkin: true\n"
            in text) and "retention: 90d\n" in text
    assert parse_team(text, "exported.yaml") == team
    # Defaults are not written: a file without the keys stays without them.
    plain = dataclasses.replace(team, wellbeing=Wellbeing(), retention=DEFAULT_RETENTION)
    assert "wellbeing" not in dump_team(plain) and "retention" not in dump_team(plain)
    sessions = session_factory(db_engine)
    with sessions() as session, session.begin():
        team_store.save_team(session, team)
    with sessions() as session:
        assert team_store.load_team(session, team.name) == team
    assert diff_teams(plain, team) == [
        f"~ team {team.name}: wellbeing.exposure_limit 6 -> 4",
        f"~ team {team.name}: wellbeing.exposure_window 8h -> 12h",
        f"~ team {team.name}: wellbeing.checkin false -> true",
        f"~ team {team.name}: retention 30d -> 90d",
    ]
    assert "; wellbeing.checkin true; retention 90d)" in diff_teams(None, team)[0]
