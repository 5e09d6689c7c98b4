"""Schedules as code: `trends_channel` and `trends_every` (PRODUCT.md "Crisis mode,
sweeps, trends, reports"). Bad values are reported at their lines; the settings
round-trip through export, import and the store, and the diff names them."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from bot.core.diff import diff_teams
from bot.schedules.problems import ScheduleError
from bot.schedules.reader import load_team_file, parse_team
from bot.schedules.writer import dump_team
from bot.store import teams as team_store
from bot.store.db import session_factory
from tests.schedules.test_schedules_io import EXAMPLE, check_fixture


def test_values_that_do_not_read_are_reported_at_their_lines():
    check_fixture(
        "bad_trends_values.yaml",
        "trends_channel: '#trends' is not a Slack channel ID",
        "trends_every: '10m' is too often for a digest; use at least 1h, e.g. trends_every: 6h",
    )


def test_a_digest_covers_whole_hours():
    text = dump_team(load_team_file(EXAMPLE)) + "trends_every: 90m\n"
    with pytest.raises(ScheduleError) as err:
        parse_team(text, "team.yaml")
    assert "trends_every: '90m' is not a whole number of hours" in str(err.value)
    assert parse_team(dump_team(load_team_file(EXAMPLE)) + "trends_every: 1d\n",
                      "team.yaml").trends_every == timedelta(days=1)


def test_defaults_when_left_out():
    team = load_team_file(EXAMPLE)
    assert team.trends_channel is None and team.trends_every == timedelta(hours=6)


def test_round_trip_store_and_diff(db_engine):
    plain = load_team_file(EXAMPLE)
    team = dataclasses.replace(plain, trends_channel="C0TRENDS1",
                               trends_every=timedelta(hours=12))
    text = dump_team(team)
    assert "trends_channel: C0TRENDS1\ntrends_every: 12h\n" in text
    assert parse_team(text, "exported.yaml") == team
    # Defaults are not written: a file without the keys stays without them.
    assert "trends" not in dump_team(plain)
    # An empty channel means none.
    assert parse_team(dump_team(plain) + "trends_channel:\n", "x.yaml") == plain
    sessions = session_factory(db_engine)
    with sessions() as session, session.begin():
        team_store.save_team(session, team)
    with sessions() as session:
        assert team_store.load_team(session, team.name) == team
    assert diff_teams(plain, team) == [
        f"~ team {team.name}: trends_channel none -> C0TRENDS1",
        f"~ team {team.name}: trends_every 6h -> 12h",
    ]
