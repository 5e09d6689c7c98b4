"""The operator's first deploy: `serve` imports only what ONCALL_SCHEDULES names, and
never the example team's made-up people.

These run `serve`'s real start-up (`bot.app.serve.prepare`: migrate, import, build the
language tables) and the worker's (`Runtime.import_configured`) on fresh databases.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from bot.app.runtime import Runtime
from bot.app.serve import prepare
from bot.config import ConfigError, Settings
from bot.core.example_team import EXAMPLE_USERS
from tests.slack_harness import SCHEDULES, own_team


def _teams(url: str) -> list[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(text("SELECT name FROM teams")).scalars())
    finally:
        engine.dispose()


def _settings(tmp_path: Path, schedules: Path | None) -> Settings:
    return Settings(slack_bot_token="xoxb-test", slack_signing_secret="s",
                    database_url=f"sqlite:///{tmp_path / 'fresh.db'}",
                    schedules_path=schedules)


def test_serve_without_oncall_schedules_imports_nothing(tmp_path, monkeypatch, caplog):
    # Run where a ./schedules folder with the example exists, as in a fresh checkout:
    # the old default would have imported it.
    monkeypatch.chdir(SCHEDULES.parents[1])
    settings = Settings.from_env({"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": "s",
                                  "DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.db'}"})
    assert settings.schedules_path is None
    prepare(settings)
    assert _teams(settings.database_url) == []
    assert "ONCALL_SCHEDULES is not set, so no team was imported" in caplog.text


@pytest.mark.parametrize("given", ["folder", "file"])
def test_serve_refuses_the_example_team(tmp_path, given):
    path = SCHEDULES if given == "folder" else SCHEDULES / "safety-escalations.yaml"
    settings = _settings(tmp_path, path)
    with pytest.raises(ConfigError) as err:
        prepare(settings)
    message = str(err.value)
    assert message.startswith(f"ONCALL_SCHEDULES ({path}): team safety-escalations uses the "
                              "example team's made-up Slack user ids (U0SG00001, U0SG00002, "
                              "U0SG00003, ...)")
    assert "nothing was imported" in message
    assert "set ONCALL_SCHEDULES to that file or folder" in message
    assert _teams(settings.database_url) == []


def test_one_example_id_left_in_a_copy_is_enough_to_refuse(tmp_path):
    folder = own_team(tmp_path / "mine")
    path = folder / "safety-escalations.yaml"
    path.write_text(path.read_text().replace("U9EU00009", "U0EU00009"))
    settings = _settings(tmp_path, folder)
    with pytest.raises(ConfigError, match=r"made-up Slack user ids \(U0EU00009\)"):
        prepare(settings)
    assert _teams(settings.database_url) == []


def test_serve_imports_the_operators_own_team(tmp_path, caplog):
    settings = _settings(tmp_path, own_team(tmp_path / "mine"))
    prepare(settings)
    assert _teams(settings.database_url) == ["safety-escalations"]


def test_oncall_schedules_naming_nothing_is_an_error(tmp_path):
    settings = _settings(tmp_path, tmp_path / "no-such-folder")
    with pytest.raises(ConfigError, match="ONCALL_SCHEDULES names .*no-such-folder, which "
                                          "does not exist"):
        prepare(settings)


def test_the_worker_start_refuses_the_example_too(tmp_path):
    # `oncall-bot worker` and the WSGI entry build a Runtime and import through it.
    runtime = Runtime(_settings(tmp_path, SCHEDULES))
    try:
        with pytest.raises(ConfigError, match="ONCALL_SCHEDULES"):
            runtime.import_configured()
        assert runtime.rosters.all() == []
    finally:
        runtime.close()
    runtime = Runtime(_settings(tmp_path, None))
    try:
        assert runtime.import_configured() == []
    finally:
        runtime.close()


def test_the_refused_ids_are_the_example_files_ids():
    import yaml

    doc = yaml.safe_load((SCHEDULES / "safety-escalations.yaml").read_text())
    assert {s["id"] for s in doc["specialists"]} | set(doc["managers"]) == EXAMPLE_USERS


def test_a_fresh_checkout_says_where_the_example_is(tmp_path, monkeypatch, capsys):
    # ./schedules holds only the example's folder: the schedule commands say how to try
    # it instead of starting with no team.
    import shutil

    from bot import cli

    shutil.copytree(SCHEDULES, tmp_path / "schedules" / "example")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ONCALL_SCHEDULES", raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    assert cli.main(["who", "--lang", "ar"]) == 1
    err = capsys.readouterr().err
    assert "the database holds no team and schedules has no team file" in err
    assert "`oncall-bot schedules import schedules/example`" in err
    assert cli.main(["schedules", "import", "schedules/example"]) == 0
    assert cli.main(["who", "--lang", "ar", "--at", "2026-07-01T12:00Z"]) == 0
    assert "Omar Farouk" in capsys.readouterr().out
