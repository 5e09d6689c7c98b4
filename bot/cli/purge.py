"""`oncall-bot purge [--dry-run] [--json]`: request text past each team's retention."""

from __future__ import annotations

from bot.cli.common import emit_json, iso, sessions_for
from bot.config import Settings
from bot.services import schedules as svc


def cmd_purge(args, settings: Settings) -> int:
    from bot.clock import SystemClock
    from bot.schedules.holidays import holiday_dates
    from bot.services.retention import Retention

    sf = sessions_for(settings, immediate=True)
    rosters = svc.RosterCache(sf, holiday_dates)
    try:
        report = Retention(sf, rosters, SystemClock()).purge(dry_run=args.dry_run)
    finally:
        rosters.close()
    edits = sum(p.edits for p in report.purged)
    if args.json:
        return emit_json({
            "dry_run": report.dry_run,
            "teams": [{"team": c.team, "retention": c.retention, "before": iso(c.cutoff)}
                      for c in report.cutoffs],
            "purged": [{"ticket": p.ticket, "team": p.team, "filed": iso(p.created),
                        "removed": list(p.removed), "slack_edits": p.edits}
                       for p in report.purged],
            "kept": [{"ticket": k.ticket, "team": k.team, "filed": iso(k.created),
                      "why": k.why} for k in report.kept],
        })
    if not report.cutoffs:
        print("The database holds no team; nothing to purge.")
        return 0
    for c in report.cutoffs:
        print(f"Team {c.team} keeps request text {c.retention}: requests filed before "
              f"{c.cutoff:%Y-%m-%d %H:%M} UTC are past it.")
    verb = "would remove" if report.dry_run else "removed"
    for p in report.purged:
        what = ", ".join(p.removed) or "nothing left to remove"
        print(f"  {p.ticket} ({p.team}, filed {p.created:%Y-%m-%d}): {verb} {what}; "
              f"{p.edits} Slack message{'s' if p.edits != 1 else ''} to edit")
    for k in report.kept:
        print(f"  {k.ticket} ({k.team}, filed {k.created:%Y-%m-%d}): kept, {k.why}")
    n = len(report.purged)
    if report.dry_run:
        print(f"Dry run: {n} request{'s' if n != 1 else ''} would be purged and {edits} "
              "Slack message(s) edited; nothing was changed.")
    else:
        print(f"Purged {n} request{'s' if n != 1 else ''}; {edits} Slack message edit(s) "
              "queued (the running bot sends them).")
    return 0
