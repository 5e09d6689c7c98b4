"""`/oncall report [days] [by=language|region|category|severity|tier|person]`: the grouped
response report as a table in blocks (a monospace table per section, at most
`ROWS_PER_SECTION` rows each). Without `by=` the command is the per-language report it
always was (`bot.slack.oncall_replies.report_reply`).

The numbers come from `bot.services.report_groups.grouped_report` (transport-neutral
rows); this module parses the command and renders the rows. The chart that comes with the
table is `bot.slack.report_chart`.
"""

from __future__ import annotations

from bot.core.report_numbers import GROUPINGS
from bot.services.report_groups import GroupedReport, GroupRow
from bot.slack.oncall_args import Args, days_arg
from bot.slack.oncall_commands import DEFAULT_DAYS, Report
from bot.slack.oncall_replies import Reply
from bot.slack.oncall_text import decode, quote
from bot.slack.render import blocks as kit
from bot.slack.render import mrkdwn as md

__all__ = ["WHAT", "grouped_blocks", "grouped_reply", "p_report", "row_label"]

ROWS_PER_SECTION = 15
WHAT = {"language": "language", "region": "region", "category": "category",
         "severity": "severity", "tier": "tier", "person": "person"}


def p_report(args: list[str]) -> Report:
    """`/oncall report [days] [by=...]`, in either order (also `days=7`)."""
    c = Args("report", args)
    days, by, seen_days = DEFAULT_DAYS["report"], None, False
    for tok in args:
        low = decode(tok).strip().lower()
        if low.startswith("by="):
            value = low[3:]
            if by is not None:
                c.fail("Give `by=` once.")
            if value not in GROUPINGS:
                c.fail(f"{quote('by=' + value)} is not a grouping; use by= with one of "
                       f"{', '.join(GROUPINGS)}.")
            by = value
        elif seen_days:
            c.fail(f"Unexpected {quote(tok)}; give at most a number of days and a by=.")
        else:
            days, seen_days = days_arg(c, tok), True
    return Report(days, by)


def _dur(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 90:
        return f"{seconds:.0f}s"
    if seconds < 5400:
        return f"{seconds / 60:.0f}m"
    return f"{seconds / 3600:.1f}h"


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.0f}%"


def row_label(report: GroupedReport, row: GroupRow) -> str:
    if report.by == "language":
        return f"{md.language_name(row.key)} ({row.key})"
    if report.by == "person":
        return row.name or row.key
    return row.key


def _table(report: GroupedReport, rows: list[GroupRow]) -> str:
    if report.by == "person":
        head = ["Person", "Pages", "Day", "Eve", "Sleep", "Decl", "On call", "Exposure"]
        body = [[row_label(report, r)[:22], str(r.pages), str(r.business_pages),
                 str(r.evening_pages), str(r.sleep_pages), _pct(r.decline_rate),
                 f"{r.oncall_hours:.0f}h", str(r.exposure_points)] for r in rows]
    else:
        head = [report.by.capitalize(), "Reqs", "Ack p50", "p95", "Fix p50", "p95",
                "Esc", "Fallbk", "Decl"]
        body = [[row_label(report, r)[:22], str(r.requests), _dur(r.ack_p50_s),
                 _dur(r.ack_p95_s), _dur(r.resolve_p50_s), _dur(r.resolve_p95_s),
                 _pct(r.escalated_rate), _pct(r.fallback_rate), _pct(r.decline_rate)]
                for r in rows]
    widths = [max(len(x[i]) for x in [head, *body]) for i in range(len(head))]
    lines = ["  ".join(cell.ljust(w) if i == 0 else cell.rjust(w)
                       for i, (cell, w) in enumerate(zip(cells, widths, strict=True)))
             for cells in [head, *body]]
    text = "\n".join(lines).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return "```\n" + text.replace("`", "'") + "\n```"


_NOTES = {
    "person": ("Pages each person got, by the hour on their own clock: Day 09:00-18:00 "
               "Monday-Friday, Eve 18:00-23:00 Monday-Friday, Sleep 23:00-09:00 and "
               "weekends. On call: rostered hours in the period. Exposure: points "
               "counted for graphic content."),
}
_NOTE = ("Ack and Fix: time from filing to acknowledged and to resolved, middle (p50) and "
         "slowest 5% (p95). Esc: went past the first step. Fallbk: answered by someone "
         "who does not read the language, or needed translation. Decl: pages declined.")
_REGION = ("Region: where the person who took the request lives (by their time zone), "
           "or the first person paged when nobody took it.")


_TIER = ("Tier: of the rotation through which the person who took the request was on call "
         "when paged (or the first person paged, when nobody took it); off rotation: an "
         "off-shift backup or someone else not on call then.")


def grouped_blocks(report: GroupedReport, days: int) -> list[dict]:
    since = f"{report.start:%Y-%m-%d %H:%M} to {report.end:%Y-%m-%d %H:%M} UTC"
    total = sum(r.requests for r in report.rows)
    blocks = [kit.header(f"Response report by {WHAT[report.by]}, last {days} day(s)"),
              kit.context(f"Team {md.escape(report.team)} · {since}"
                          + ("" if report.by == "person" else f" · {total} request(s)"))]
    if not report.rows:
        blocks.append(kit.section("No requests, pages or shifts in this period."))
        return blocks
    for i in range(0, len(report.rows), ROWS_PER_SECTION):
        blocks.append(kit.section(_table(report, report.rows[i:i + ROWS_PER_SECTION])))
    notes = [_NOTES.get(report.by, _NOTE)]
    if report.by == "region":
        notes.append(_REGION)
    if report.by == "tier":
        notes.append(_TIER)
    blocks.append(kit.context(*notes))
    return kit.cap(blocks)


def grouped_reply(report: GroupedReport, days: int) -> Reply:
    n = len(report.rows)
    text = (f"Response report by {WHAT[report.by]}, last {days} day(s): "
            f"{n} row{'s' if n != 1 else ''}.")
    return Reply(text, grouped_blocks(report, days))
