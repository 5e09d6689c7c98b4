"""`oncall-bot report --from DATE --to DATE --by WHAT [--team T] [--json|--csv]`:
response numbers per language, region, category, severity, tier or person (the same rows as
`/oncall report ... by=...`). Days are UTC; --to is included."""

from __future__ import annotations

import csv
import sys
from collections.abc import Callable
from datetime import datetime, time, timedelta

from bot.cli.common import UsageError, emit_json, iso, sessions_for
from bot.config import Settings
from bot.core import timezones
from bot.core.roster import Roster
from bot.services.report_groups import COLUMNS, MAX_DAYS, GroupedReport, grouped_report

EXAMPLE = "oncall-bot report --from 2026-03-01 --to 2026-03-31 --by language --json"


def period(args) -> tuple[datetime, datetime]:
    """[start, end) in UTC from --from and --to (both days included)."""
    if args.end < args.start:
        raise UsageError(f"--to {args.end} is before --from {args.start}; "
                         f"example: {EXAMPLE}")
    if (args.end - args.start).days + 1 > MAX_DAYS:
        raise UsageError(f"the period is longer than {MAX_DAYS} days; example: {EXAMPLE}")
    start = timezones.utc(datetime.combine(args.start, time(0)))
    end = timezones.utc(datetime.combine(args.end + timedelta(days=1), time(0)))
    return start, end


def _cell(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:.4f}".rstrip("0").rstrip(".") if v != int(v) else str(int(v))
    return str(v)


def _text(report: GroupedReport) -> None:
    print(f"Team {report.team}, by {report.by}, {iso(report.start)} to {iso(report.end)}")
    if not report.rows:
        print("No requests, pages or shifts in this period.")
        return
    for r in report.rows:
        who = f"{r.name} ({r.key})" if r.name else r.key

        def mins(s):
            return "-" if s is None else f"{s / 60:.1f} min"

        def pct(x):
            return "-" if x is None else f"{100 * x:.0f}%"

        line = (f"{who}: {r.requests} request(s); acknowledge p50 {mins(r.ack_p50_s)}, "
                f"p95 {mins(r.ack_p95_s)}; resolve p50 {mins(r.resolve_p50_s)}, "
                f"p95 {mins(r.resolve_p95_s)}; escalated {pct(r.escalated_rate)}, "
                f"fallback {pct(r.fallback_rate)}, declined {pct(r.decline_rate)} "
                f"of {r.pages} page(s)")
        if report.by == "person":
            line += (f"; pages in business/evening/sleep hours {r.business_pages}/"
                     f"{r.evening_pages}/{r.sleep_pages}; on call {r.oncall_hours} h; "
                     f"exposure {r.exposure_points} point(s)")
        print(line)


def cmd_report(args, settings: Settings, roster_of: Callable[[], Roster]) -> int:
    start, end = period(args)  # checked before anything is read or imported
    roster = roster_of()
    report = grouped_report(sessions_for(settings), roster, start, end, args.by)
    if args.json:
        return emit_json({"team": report.team, "by": report.by, "from": iso(report.start),
                          "to": iso(report.end), "rows": [r.as_dict() for r in report.rows]})
    if args.csv:
        w = csv.writer(sys.stdout, lineterminator="\n")
        w.writerow(COLUMNS)
        for r in report.rows:
            d = r.as_dict()
            w.writerow([_cell(d[c]) for c in COLUMNS])
        return 0
    _text(report)
    return 0
