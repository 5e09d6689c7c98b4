"""The chart of `/oncall report` and of a crisis's summary: numbers to a chart spec,
drawn in a child process (`bot.charts.child`, so this process never imports
matplotlib), uploaded with Slack's upload flow (`files_upload_v2`:
files.getUploadURLExternal, the bytes to the upload URL, files.completeUploadExternal).

`/oncall report`: the table answers at once (the command's ephemeral reply, within
Slack's 3 seconds, ending "the chart is on its way"); then the chart is drawn and sent
to the asking manager's direct messages with the bot (an ephemeral reply cannot carry a
file), and a second ephemeral reply says it was sent, or why there is no chart (it could
not be drawn in time, Slack refused the upload): the table has every number either way.

The chart: per group, time to acknowledge p50 and p95 with the group's request count
(`by=person`: pages per person, stacked by business, evening and sleep hours on the
person's own clock), titled with the grouping and the period.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from slack_sdk.errors import SlackApiError, SlackClientError

from bot.charts.child import ChartError, render
from bot.core.roster import Roster
from bot.services.errors import ServiceError
from bot.services.report import response_report
from bot.services.report_groups import GroupedReport, grouped_report
from bot.slack.oncall_commands import Report
from bot.slack.oncall_replies import Reply, report_reply
from bot.slack.render import blocks as kit
from bot.slack.render import mrkdwn as md
from bot.slack.report_groups import WHAT, grouped_reply, row_label
from bot.slack.reports import format_report
from bot.slack.sender import slack_error
from bot.slack.text import from_neutral

__all__ = ["answer_report", "period_words", "report_chart_spec", "send_chart", "times_spec"]

log = logging.getLogger(__name__)

ON_ITS_WAY = ":bar_chart: The chart of this report is on its way to your direct messages."


def period_words(start: datetime, end: datetime) -> str:
    """"1 Mar 2026 to 31 Mar 2026 (UTC)": the period's days, `end` excluded."""
    last = end - timedelta(microseconds=1)
    return f"{start.day} {start:%b %Y} to {last.day} {last:%b %Y} (UTC)"


def times_spec(title: str, subtitle: str, rows: list[tuple[str, dict]]) -> dict:
    """A "times" chart: (label, row-as-dict with requests, ack_p50_s, ack_p95_s)."""
    return {"kind": "times", "title": title, "subtitle": subtitle,
            "rows": [{"label": label, "p50": r["ack_p50_s"], "p95": r["ack_p95_s"],
                      "count": r["requests"]} for label, r in rows]}


def report_chart_spec(report: GroupedReport, days: int) -> dict:
    period = period_words(report.start, report.end)
    subtitle = f"Team {report.team} · last {days} day(s): {period}"
    if report.by == "person":
        return {"kind": "pages", "title": "Pages per person, by the hour on their own clock",
                "subtitle": subtitle,
                "rows": [{"label": row_label(report, r), "business": r.business_pages,
                          "evening": r.evening_pages, "sleep": r.sleep_pages}
                         for r in report.rows]}
    total = sum(r.requests for r in report.rows)
    return times_spec(f"Time to acknowledge by {WHAT[report.by]}",
                      f"{subtitle} · {total} request(s)",
                      [(row_label(report, r), r.as_dict()) for r in report.rows])


def send_chart(client, channel: str, spec: dict, filename: str, title: str,
               comment: str) -> str | None:
    """Draw `spec` and upload it to `channel`; None when it was sent, else why not, in
    words for the person who asked."""
    try:
        png = render(spec)
        client.files_upload_v2(channel=channel, content=png, filename=filename, title=title,
                               initial_comment=comment, alt_txt=title)
    except ChartError as err:
        log.warning("chart %s not drawn: %s", filename, err)
        return f"it could not be drawn: {err}"
    except SlackApiError as err:
        code = slack_error(err)[1]
        log.warning("chart %s not uploaded: %s", filename, code)
        return f"Slack did not accept the picture (it answered {code or 'an error'})"
    except (SlackClientError, OSError) as err:
        log.warning("chart %s not uploaded: %s", filename, err)
        return "Slack could not be reached to upload the picture"
    return None


def _tables(session_factory, roster: Roster, now: datetime, cmd: Report
            ) -> tuple[Reply, GroupedReport]:
    """The reply's table, and the grouped numbers the chart draws (by language for the
    report without `by=`)."""
    start = now - timedelta(days=cmd.days)
    grouped = grouped_report(session_factory, roster, start, now, cmd.by or "language")
    if cmd.by:
        return grouped_reply(grouped, cmd.days), grouped
    report = response_report(session_factory, roster.team.name, now, cmd.days)
    return report_reply(report, cmd.days, format_report(report)), grouped


def answer_report(d, roster: Roster, user: str, manager: bool, cmd: Report, say: Callable,
                  client, respond: Callable) -> None:
    """`/oncall report ...` for a manager: the table now, then the chart in their DM.
    `d`: the `/oncall` dependencies (managers, clock, reports_session_factory)."""
    if not manager:
        raise ServiceError(f"only managers ({d.managers.describe_managers(roster.team)}) can "
                           "see response reports")
    now = d.clock.now()
    session_factory = d.reports_session_factory
    reply, grouped = _tables(session_factory, roster, now, cmd)
    say(text=from_neutral(reply.text), blocks=_with_note(reply.blocks, ON_ITS_WAY))
    what = WHAT[grouped.by]
    title = f"Response report by {what}, last {cmd.days} day(s)"
    why = None
    try:
        dm = client.conversations_open(users=user)["channel"]["id"]
    except SlackClientError as err:
        why = "Slack did not open our direct messages"
        log.warning("report chart: conversations.open failed: %s", err)
    if why is None:
        why = send_chart(client, dm, report_chart_spec(grouped, cmd.days),
                         f"report-{what}-{now:%Y%m%d}-{cmd.days}d.png", title,
                         f"{title}: {md.escape(period_words(grouped.start, grouped.end))}. "
                         "The numbers are in the table of your report.")
    note = (f":bar_chart: The chart of your {title[0].lower()}{title[1:]} is in your direct "
            "messages with me." if why is None else
            f":warning: No chart this time: {why}. Every number is in the table of the "
            "report above.")
    try:
        respond(text=note, response_type="ephemeral")
    except OSError as err:  # the response URL is gone (expired, or Slack is away)
        log.warning("report chart: the follow-up reply failed: %s", err)


def _with_note(blocks: list[dict], note: str) -> list[dict]:
    """`blocks` with `note` added to the context under the header (the table stays the
    third block, the notes the last)."""
    out = [dict(b) for b in blocks]
    if len(out) > 1 and out[1].get("type") == "context" and len(out[1]["elements"]) < 10:
        out[1]["elements"] = [*out[1]["elements"], kit.context(note)["elements"][0]]
        return out
    return kit.cap([*out[:49], kit.context(note)])
