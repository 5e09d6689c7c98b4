"""`intake_channels`: more channels whose /emergency requests are the team's. Optional;
read and checked like the other channel ids (file:line: field errors), written back by
the writer, stored, and exported then imported without a change."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.schedules.reader import ScheduleError, parse_team
from bot.schedules.writer import dump_team
from bot.services.schedules import import_teams, load_team
from bot.store.db import make_engine, migrate, session_factory

MINIMAL = (Path(__file__).resolve().parents[1] / "fixtures" / "schedules"
           / "good_minimal.yaml").read_text()
WITH = MINIMAL.replace("intake_channel: C0INTAKE01\n",
                       "intake_channel: C0INTAKE01\nintake_channels: [C0DESK2ALT, G0PRIVATE1]\n")


def test_read_and_written_back():
    team = parse_team(WITH, "t.yaml")
    assert team.intake_channels == ("C0DESK2ALT", "G0PRIVATE1")
    assert team.takes_from("G0PRIVATE1") and team.takes_from("C0INTAKE01")
    assert not team.takes_from("C0ELSEWHERE") and not team.takes_from(None)
    text = dump_team(team)
    assert "intake_channels: [C0DESK2ALT, G0PRIVATE1]\n" in text
    assert parse_team(text, "t.yaml") == team


def test_optional_and_not_written_when_empty():
    team = parse_team(MINIMAL, "t.yaml")
    assert team.intake_channels == ()
    assert "intake_channels" not in dump_team(team)
    assert parse_team(MINIMAL.replace("intake_channel: C0INTAKE01\n",
                                      "intake_channel: C0INTAKE01\nintake_channels:\n"),
                      "t.yaml").intake_channels == ()


@pytest.mark.parametrize(("value", "expected"), [
    ("[C0DESK2ALT, '#desk-two']",
     "t.yaml:5: intake_channels[1]: '#desk-two' is not a Slack channel ID"),
    ("C0DESK2ALT", "t.yaml:5: intake_channels: "),
    ("[C0DESK2ALT, C0DESK2ALT]", "t.yaml:5: intake_channels[1]: intake channel 'C0DESK2ALT' "),
])
def test_bad_values_name_the_file_line_and_field(value, expected):
    text = MINIMAL.replace("intake_channel: C0INTAKE01\n",
                           f"intake_channel: C0INTAKE01\nintake_channels: {value}\n")
    with pytest.raises(ScheduleError) as err:
        parse_team(text, "t.yaml")
    assert expected in str(err.value), str(err.value)


def test_stored_exported_and_imported_without_a_change(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    migrate(engine)
    sf = session_factory(engine)
    try:
        team = parse_team(WITH, "t.yaml")
        import_teams(sf, [team])
        stored = load_team(sf, team.name)
        assert stored.intake_channels == ("C0DESK2ALT", "G0PRIVATE1")
        again = parse_team(dump_team(stored), "t.yaml")
        [result] = import_teams(sf, [again])
        assert result.changes == []
        [result] = import_teams(sf, [parse_team(MINIMAL, "t.yaml")], dry_run=True)
        assert result.changes == ["~ team fixture-team: intake_channels C0DESK2ALT, "
                                  "G0PRIVATE1 -> none"]
    finally:
        engine.dispose()


def test_two_teams_may_not_claim_one_channel(tmp_path):
    from bot.schedules.reader import load_schedules

    (tmp_path / "a.yaml").write_text(WITH)
    (tmp_path / "b.yaml").write_text(MINIMAL.replace("team: fixture-team", "team: other-team")
                                     .replace("intake_channel: C0INTAKE01",
                                              "intake_channel: C0DESK2ALT"))
    with pytest.raises(ScheduleError) as err:
        load_schedules(tmp_path)
    assert (f"{tmp_path / 'b.yaml'}: intake_channels: channel C0DESK2ALT already takes "
            f"requests for team fixture-team ({tmp_path / 'a.yaml'})") in str(err.value)
