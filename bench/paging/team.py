"""The bench's team: `bench.team_gen`'s 300 specialists with escalation policies, written
as a schedules folder and read back as the bot reads it."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from pathlib import Path

from bench.team_gen import generate_team
from bot.core.model import EscalationPolicy, EscalationStep, Team
from bot.schedules.reader import parse_team
from bot.schedules.writer import dump_team


def bench_policies(first_wait: timedelta = timedelta(minutes=5),
                   then_wait: timedelta = timedelta(minutes=10), repeat: int = 1
                   ) -> tuple[tuple[str, EscalationPolicy], ...]:
    """The policies of PRODUCT.md's example (team_gen makes none); sev2 waits
    `first_wait` before paging the managers, `then_wait` before the channel, and runs
    `repeat` more rounds."""
    step = EscalationStep
    return (
        ("sev1", EscalationPolicy((
            step("language_oncall", timedelta(minutes=2)),
            step("language_oncall_all", timedelta(minutes=2)),
            step("language_backup", timedelta(minutes=2)),
            step("managers", timedelta(minutes=3)),
            step("channel"),
        ), repeat=2)),
        ("sev2", EscalationPolicy((
            step("language_oncall", first_wait),
            step("managers", then_wait),
            step("channel"),
        ), repeat=repeat)),
        ("sev3", EscalationPolicy((
            step("language_oncall", timedelta(minutes=30)),
            step("managers", timedelta(hours=1)),
        ))),
    )


def bench_team(seed: int = 1, first_wait: timedelta = timedelta(minutes=5),
               then_wait: timedelta = timedelta(minutes=10), repeat: int = 1) -> Team:
    """`generate_team(seed)` with what a schedules file needs and the generator leaves
    out: escalation policies (`bench_policies`) and a default severity (channels and
    managers it sets)."""
    team = generate_team(seed=seed)
    return dataclasses.replace(team, policies=bench_policies(first_wait, then_wait, repeat),
                               default_severity="sev2")


def write_schedules(team: Team, folder: Path) -> tuple[Path, Team]:
    """Dump the team as YAML into `folder` and read it back with `parse_team`."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{team.name}.yaml"
    text = dump_team(team)
    path.write_text(text, encoding="utf-8")
    parsed = parse_team(text, str(path.name))  # raises ScheduleError with file/line/field
    if not parsed.policies or len(parsed.specialists) != len(team.specialists):
        raise SystemExit(f"{path.name}: the dumped team did not read back whole")
    return path, parsed
