"""The crisis-mode commands of `/oncall`, `crisis ...` (bot/slack/crisis.py) and `sweep
...` (bot/slack/sweeps.py), behind one entry for the command handler."""

from __future__ import annotations

from bot.core.roster import Roster
from bot.slack.crisis import run_crisis
from bot.slack.oncall_commands import CrisisCmd, SweepCmd
from bot.slack.sweeps import run_sweep

__all__ = ["run_crisis_mode"]


def run_crisis_mode(d, roster: Roster, user: str, cmd: CrisisCmd | SweepCmd) -> str:
    """`d`: the /oncall deps (crises, sweeps, managers, clock)."""
    if isinstance(cmd, SweepCmd):
        return run_sweep(d, roster, user, cmd)
    return run_crisis(d.crises, roster, user, d.managers.is_manager(roster.team, user),
                      d.managers.describe_managers(roster.team), cmd)
