"""The teams a process imports when the database holds none: the schedules at a path
(`bootstrap`, the demo and tests), or on a deploy only what ONCALL_SCHEDULES names and
never the example team's made-up people (`import_configured`). Processes started
together take turns (`startup_lock`)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from bot.config import ConfigError, Settings
from bot.core.example_team import example_ids_in
from bot.core.model import Team
from bot.services import schedules as schedule_svc
from bot.store.db import startup_lock

__all__ = ["bootstrap", "import_configured", "refuse_example"]

log = logging.getLogger(__name__)


def bootstrap(engine, sessions, reads, path: Path,
              check: Callable[[list[Team]], None] | None = None) -> list[str]:
    """Import the schedules at `path` when the database holds no team yet; the names
    of the teams imported. Processes started together take turns (`startup_lock`),
    and the one that comes second finds the teams the first imported. `check(teams)`
    may refuse them by raising, before anything is written."""
    from bot.schedules.reader import load_schedules

    if schedule_svc.team_names(reads):
        return []  # the usual start: no need to wait for the lock
    with startup_lock(engine):
        if schedule_svc.team_names(reads):
            return []
        teams = load_schedules(path)
        if check is not None:
            check(teams)
        schedule_svc.import_teams(sessions, teams)
        return [t.name for t in teams]


def import_configured(settings: Settings, engine, sessions, reads) -> list[str]:
    """What `serve`, `worker` and the WSGI entry import into an empty database: only
    the schedules ONCALL_SCHEDULES names (nothing when it is unset, never ./schedules
    by default), and never the example team's made-up people. A ConfigError says what
    to do instead; nothing is written then."""
    path = settings.schedules_path
    if path is None:
        if not schedule_svc.team_names(reads):
            log.warning("ONCALL_SCHEDULES is not set, so no team was imported; set it to "
                        "your team's .yaml file or folder (schedules/example/ shows the "
                        "format), or import one with `oncall-bot schedules import PATH`")
        return []
    if not path.exists():
        if schedule_svc.team_names(reads):
            return []
        raise ConfigError(f"ONCALL_SCHEDULES names {path}, which does not exist; set it to "
                          "your team's .yaml file or a folder of them")
    return bootstrap(engine, sessions, reads, path, check=lambda teams: refuse_example(
        teams, path))


def refuse_example(teams: list[Team], path: Path) -> None:
    """Raise a ConfigError when a team uses the example team's made-up Slack ids."""
    for team in teams:
        found = example_ids_in(team)
        if found:
            shown = ", ".join(found[:3]) + (", ..." if len(found) > 3 else "")
            raise ConfigError(
                f"ONCALL_SCHEDULES ({path}): team {team.name} uses the example team's "
                f"made-up Slack user ids ({shown}), so its pages would reach nobody; nothing "
                "was imported. Copy the example, put your workspace's user and channel "
                "ids in it, and set ONCALL_SCHEDULES to that file or folder "
                "(`oncall-bot demo` runs the example without Slack)")
