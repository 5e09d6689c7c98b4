"""`/oncall crisis end [name]`: the summary in words answers the manager at once and
goes to the crisis channel through the outbox (`CrisisService.end`, durable); then its
chart (time to acknowledge by language, `bot.slack.report_chart`) is drawn in a child
process and uploaded to the crisis channel, or to the manager's direct messages when
Slack never made the channel. A chart that cannot be drawn or uploaded costs nothing
but the picture: the manager is told why, privately; the summary stands."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from slack_sdk.errors import SlackClientError

from bot.core.crisis import slug
from bot.core.roster import Roster
from bot.services.crisis import Ended
from bot.slack.crisis import run_crisis
from bot.slack.oncall_commands import CrisisCmd
from bot.slack.render import mrkdwn as md
from bot.slack.report_chart import period_words, send_chart, times_spec
from bot.slack.text import from_neutral

__all__ = ["crisis_chart_spec", "end_crisis"]

log = logging.getLogger(__name__)


def crisis_chart_spec(ended: Ended) -> dict:
    s = ended.summary
    start, end = (datetime.fromisoformat(s[k].replace("Z", "+00:00")) for k in ("from", "to"))
    rows = [(f"{md.language_name(r['key'])} ({r['key']})", r) for r in s["languages"]]
    return times_spec(f"Crisis {ended.name}: time to acknowledge by language",
                      f"{period_words(start, end)} · {s['requests']} request(s)", rows)


def end_crisis(d, roster: Roster, user: str, manager: bool, cmd: CrisisCmd, say: Callable,
               client, respond: Callable) -> None:
    """`d`: the `/oncall` dependencies (crises, managers, deliver)."""
    ended = run_crisis(d.crises, roster, user, manager,
                       d.managers.describe_managers(roster.team), cmd)
    where = "the crisis channel" if ended.channel else "your direct messages"
    say(text=from_neutral(f"{ended.text}\n:bar_chart: The chart follows in {where}."))
    d.deliver()  # the summary's post to the crisis channel
    try:
        channel = ended.channel or client.conversations_open(users=user)["channel"]["id"]
    except SlackClientError as err:
        log.warning("crisis chart: conversations.open failed: %s", err)
        why = "Slack did not open our direct messages"
    else:
        title = f"Crisis {ended.name}: time to acknowledge by language"
        why = send_chart(client, channel, crisis_chart_spec(ended),
                         f"{slug(ended.name)}-summary.png", title,
                         f"The numbers of crisis *{md.escape(ended.name)}*, by language.")
    if why is not None:
        try:
            respond(text=f":warning: No chart of the crisis summary: {why}. The summary "
                         "above has every number.", response_type="ephemeral")
        except OSError as err:
            log.warning("crisis chart: the follow-up reply failed: %s", err)
