"""The `/oncall` commands answered in words at once and with a chart after: `report`
(`bot.slack.report_chart`) and `crisis end` (`bot.slack.crisis_end`)."""

from __future__ import annotations

from collections.abc import Callable

from bot.core.roster import Roster
from bot.slack.crisis_end import end_crisis
from bot.slack.oncall_commands import CrisisCmd, Report
from bot.slack.report_chart import answer_report

__all__ = ["answer_with_chart", "with_chart"]


def with_chart(cmd) -> bool:
    return isinstance(cmd, Report) or (isinstance(cmd, CrisisCmd) and cmd.action == "end")


def answer_with_chart(d, roster: Roster, user: str, cmd: Report | CrisisCmd, say: Callable,
                      client, respond: Callable) -> None:
    """`d`: the `/oncall` dependencies (`bot.slack.oncall.OncallDeps`)."""
    manager = d.managers.is_manager(roster.team, user)
    if isinstance(cmd, Report):
        answer_report(d, roster, user, manager, cmd, say, client, respond)
    else:
        end_crisis(d, roster, user, manager, cmd, say, client, respond)
