"""The example team's made-up Slack ids, so a deploy can refuse to page them.

`schedules/example/safety-escalations.yaml` is the demo's team and the documentation's
example. Its ids name nobody in a real workspace: imported into a production database,
every page would go to a user who does not exist and every card to a missing channel.
The user ids are listed here (not read from the file) so the check works wherever the bot is
installed; `tests/core/test_example_team.py` holds the list equal to the file.
"""

from __future__ import annotations

from bot.core.model import Team

EXAMPLE_USERS = frozenset({
    "U0AM00006", "U0AM00007", "U0AM00010", "U0AM00011", "U0EU00004", "U0EU00005",
    "U0EU00008", "U0EU00009", "U0MGR0001", "U0MGR0002", "U0SG00001", "U0SG00002",
    "U0SG00003", "U0SG00012", "U0SG00013", "U0SG00014", "U0SG00015",
})


def example_ids_in(team: Team) -> list[str]:
    """The example's made-up user ids among this team's specialists and managers, in
    the order the file names them (empty for a team of real people). One is enough to
    refuse the team: a half-edited copy of the example still pages somebody who does
    not exist. (Channel ids are not compared: placeholders such as C0INTAKE01 appear
    in the documentation's snippets and in generated teams, and a wrong channel is
    reported by Slack on the first card, not on a page that reaches nobody.)"""
    seen: list[str] = []
    for value in [s.id for s in team.specialists] + list(team.managers):
        if value in EXAMPLE_USERS and value not in seen:
            seen.append(value)
    return seen
