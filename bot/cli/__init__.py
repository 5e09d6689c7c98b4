"""`oncall-bot`: argument parsing and output only; the work is done by services."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from pathlib import Path

from bot import __version__
from bot.cli.common import UsageError, emit_json, iso, sessions_for
from bot.config import EXAMPLE_SCHEDULES, ConfigError, Settings
from bot.core import refs, timezones
from bot.core.coverage import group_gaps
from bot.core.report_numbers import GROUPINGS
from bot.core.roster import Assignment, Roster
from bot.services import schedules as svc
from bot.services.errors import ServiceError

EPILOG = """\
Examples:
  oncall-bot demo                               the whole flow here, no Slack needed
  oncall-bot serve                              the Slack app (needs the Slack variables)
  oncall-bot who --lang ar                      who reads Arabic on call now
  oncall-bot who --at 2026-03-15T06:30Z --json  everyone on call then, as JSON
  oncall-bot shifts --rotation emea --days 14   the next two weeks of one rotation
  oncall-bot coverage --days 30                 hours when a language has no reader
  oncall-bot export-ics --user U0AR00001 > me.ics
  oncall-bot schedules validate schedules/example/
  oncall-bot schedules import --dry-run
  oncall-bot purge --dry-run                    request text past retention, not removed
  oncall-bot report --from 2026-03-01 --to 2026-03-31 --by person --csv

Environment: DATABASE_URL (default: SQLite file oncall.db here), ONCALL_SCHEDULES
(default ./schedules for these commands; `serve` and `worker` import only what it
names). When the database holds no team yet, the schedule commands import it first.
The example team is in schedules/example/.
"""


def _instant(text: str) -> datetime:
    """ISO-8601 instant; without an offset it is taken as UTC."""
    try:
        dt = datetime.fromisoformat(text.strip().replace("z", "Z"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"'{text}' is not an ISO-8601 time; example: 2026-12-24T08:00Z or "
            "2026-12-24T08:00+01:00") from None
    return timezones.utc(dt)


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"'{text}' is not an ISO date; example: 2026-12-24") from None


def _positive(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1 or n > 3660:
        raise argparse.ArgumentTypeError(
            f"'{text}' is not a number of days from 1 to 3660; example: --days 14")
    return n


def _lang(text: str) -> str:
    t = text.strip().lower()
    if len(t) != 2 or not t.isalpha():
        raise argparse.ArgumentTypeError(f"'{text}' is not an ISO 639-1 code; example: ar")
    return t


class _Parser(argparse.ArgumentParser):
    """An argument error ends with a correct example of the command, when it has none."""

    def __init__(self, *args, example: str | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.example = example

    def error(self, message: str):
        if self.example and "example:" not in message:
            message = f"{message}; example: {self.example}"
        super().error(message)


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="oncall-bot", description="Follow-the-sun on-call rotations and paging for Slack.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
        example="oncall-bot who --lang ar")
    p.add_argument("--version", action="version", version=f"oncall-bot {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    def team_opt(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--team", help="team name (needed only when several are stored)")

    def rotation_or_user(sp: argparse.ArgumentParser, rotation_help: str, user_help: str
                         ) -> None:
        g = sp.add_mutually_exclusive_group()
        g.add_argument("--rotation", help=rotation_help)
        g.add_argument("--user", help=user_help)

    def day_span(sp: argparse.ArgumentParser, days: int) -> None:
        sp.add_argument("--from", dest="start", type=_day, help="first day, UTC (default: today)")
        sp.add_argument("--days", type=_positive, default=days,
                        help=f"how many days (default {days})")

    w = sub.add_parser("who", help="who is on call at an instant, overall or for a language",
                       example="oncall-bot who --lang ar --at 2026-03-15T06:30Z")
    w.add_argument("--lang", type=_lang, help="ISO 639-1 language code, e.g. ar")
    w.add_argument("--at", type=_instant, help="ISO-8601 instant (default: now; no offset = UTC)")
    w.add_argument("--json", action="store_true", help="print a JSON document")
    team_opt(w)

    s = sub.add_parser("shifts", help="shifts between two dates, substitutions marked",
                       example="oncall-bot shifts --rotation emea --days 14 "
                               "(or --user U0AR00001 instead of --rotation, not both)")
    rotation_or_user(s, "one rotation's shifts", "one person's shifts (Slack user ID)")
    day_span(s, 7)
    s.add_argument("--json", action="store_true", help="print a JSON document")
    team_opt(s)

    c = sub.add_parser("coverage", help="hours (UTC) when no on-call specialist reads a language",
                       example="oncall-bot coverage --from 2026-03-01 --days 30")
    day_span(c, 14)
    c.add_argument("--json", action="store_true", help="print a JSON document")
    team_opt(c)

    e = sub.add_parser("export-ics", help="an iCalendar file of the shifts on stdout",
                       example="oncall-bot export-ics --user U0AR00001 --days 30 > me.ics "
                               "(--rotation or --user, not both)")
    rotation_or_user(e, "one rotation", "one person (Slack user ID)")
    day_span(e, 90)
    team_opt(e)

    sv = sub.add_parser("serve", help="run the Slack app (HTTP, or Socket Mode when "
                                      "SLACK_APP_TOKEN is set) and the background jobs")
    sv.add_argument("--port", type=int, help="port to listen on (default: PORT or 3000)")
    sv.add_argument("--host", default="0.0.0.0", help="address to bind (default 0.0.0.0)")
    sv.add_argument("--no-jobs", action="store_true",
                    help="serve requests only; run `oncall-bot worker` for the jobs")
    sv.add_argument("--jobs-process", action="store_true",
                    help="on PostgreSQL, run the jobs in a second worker process at lower "
                         "CPU priority (answers to Slack never share an interpreter with "
                         "them; by default they run in the serving process)")
    sv.add_argument("--threads", type=int, default=16, help="request threads (default 16)")
    wk = sub.add_parser("worker", help="the background jobs alone: escalations and deliveries")
    wk.add_argument("--port", type=int, help="also serve /healthz, /readyz and /metrics here")
    wk.add_argument("--host", default="0.0.0.0", help="address for --port (default 0.0.0.0)")
    for adapter in (sv, wk):
        adapter.add_argument("--log-format", choices=("text", "json"), default="text",
                             help="text lines (default), or one JSON object per line "
                                  "with request_id and ticket fields where known")

    dm = sub.add_parser("demo", help="the whole flow on this machine with no Slack workspace")
    dm.add_argument("--schedules", type=Path,
                    help="schedules to load (default: the example team, "
                         f"./{EXAMPLE_SCHEDULES})")

    pg = sub.add_parser("purge", help="remove request text, links, field values and resolve "
                                      "notes past each team's retention (default 30 days) "
                                      "from the database and the bot's Slack messages",
                        example="oncall-bot purge --dry-run")
    pg.add_argument("--dry-run", action="store_true",
                    help="show what would be purged; change nothing")
    pg.add_argument("--json", action="store_true", help="print a JSON document")

    rp = sub.add_parser("report", help="response numbers for a period, grouped by language, "
                                       "region, category, severity, tier or person",
                        example="oncall-bot report --from 2026-03-01 --to 2026-03-31 "
                                "--by language --json")
    rp.add_argument("--from", dest="start", type=_day, required=True,
                    help="first day, UTC (e.g. 2026-03-01)")
    rp.add_argument("--to", dest="end", type=_day, required=True,
                    help="last day, UTC, included (e.g. 2026-03-31)")
    rp.add_argument("--by", required=True, choices=GROUPINGS)
    rp.add_argument("--team", help="team name (default: the only team)")
    out = rp.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="print a JSON document")
    out.add_argument("--csv", action="store_true", help="print CSV with a header row")

    sc = sub.add_parser("schedules", help="schedules as code: validate, import, export YAML")
    ssub = sc.add_subparsers(dest="action", metavar="ACTION")
    for name, text in (("validate", "check YAML files; writes nothing"),
                       ("import", "make the database match the YAML (all or nothing)"),
                       ("export", "print the stored teams as YAML")):
        a = ssub.add_parser(name, help=text)
        if name == "export":
            a.add_argument("path", nargs="?", type=Path,
                           help="folder to write <team>.yaml into (default: stdout)")
            team_opt(a)
        else:
            a.add_argument("path", nargs="?", type=Path,
                           help="a .yaml file or a folder of them (default: ONCALL_SCHEDULES)")
        if name == "import":
            a.add_argument("--dry-run", action="store_true", help="show changes, write nothing")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        settings = Settings.from_env()
        return COMMANDS[args.command](args, settings)
    except (ServiceError, ConfigError, UsageError) as err:
        print(f"oncall-bot {args.command}: {refs.plain(str(err))}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        return 0


# -- plumbing ---------------------------------------------------------------------------

def _roster(args, settings: Settings) -> Roster:
    from bot.schedules.holidays import holiday_dates

    sf = sessions_for(settings)
    if not svc.team_names(sf):
        _bootstrap(sf, settings.command_schedules)
    name = svc.pick_team_name(sf, getattr(args, "team", None))
    return Roster(svc.load_team(sf, name), holiday_dates)


def _bootstrap(sf, path: Path) -> None:
    from bot.schedules.reader import ScheduleError, load_schedules

    if not path.exists():
        raise UsageError(f"the database holds no team and {path} does not exist; "
                         "set ONCALL_SCHEDULES or run `oncall-bot schedules import PATH`")
    try:
        teams = load_schedules(path)
    except ScheduleError as err:
        raise UsageError(f"cannot bootstrap from {path}:\n{err}") from None
    if not teams:  # a fresh checkout: ./schedules holds only the example's folder
        raise UsageError(f"the database holds no team and {path} has no team file; set "
                         "ONCALL_SCHEDULES to your team's .yaml, or try the example with "
                         f"`oncall-bot schedules import {EXAMPLE_SCHEDULES}`")
    svc.import_teams(sf, teams)
    print(f"(first run: imported {', '.join(t.name for t in teams)} from {path})",
          file=sys.stderr)


def _now() -> datetime:
    from bot.clock import SystemClock

    return SystemClock().now()


def _start(args) -> datetime:
    day = args.start or _now().date()
    return timezones.utc(datetime.combine(day, time(0)))


def _assignment_json(roster: Roster, a: Assignment) -> dict:
    spec = roster.specialist(a.user) if a.user else None
    rot = roster.team.rotation(a.rotation)
    return {
        "user": a.user, "name": spec.name if spec else None,
        "languages": list(spec.languages) if spec else [],
        "rotation": a.rotation, "tier": a.tier, "kind": a.kind,
        "scheduled": a.scheduled, "start": iso(a.start), "end": iso(a.end),
        "rotation_timezone": rot.timezone if rot else None,
    }


def _local(dt: datetime, zone: str) -> str:
    return f"{timezones.format_local(dt, zone)} ({zone})"


def _person(roster: Roster, user: str | None) -> str:
    if user is None:
        return "nobody"
    spec = roster.specialist(user)
    return f"{spec.name} <{user}>" if spec else user


def _line(roster: Roster, a: Assignment) -> str:
    zone = roster.team.rotation(a.rotation).timezone
    spec = roster.specialist(a.user) if a.user else None
    langs = ",".join(spec.languages) if spec else "-"
    mark = {"override": " [override]", "uncovered": " [UNCOVERED]"}.get(a.kind, "")
    if a.kind == "substitute":
        mark = f" [covering for {_person(roster, a.scheduled)}]"
    return (f"{_person(roster, a.user)} [{langs}]  {a.rotation} ({a.tier})  "
            f"until {_local(a.end, zone)}{mark}")


# -- commands -----------------------------------------------------------------------------

def cmd_who(args, settings: Settings) -> int:
    roster = _roster(args, settings)
    at = args.at or _now()
    ans = svc.who(roster, at, args.lang)
    if args.json:
        doc = {"team": roster.team.name, "at": iso(ans.at),
               "on_call": [_assignment_json(roster, a) for a in ans.on_call]}
        if args.lang:
            doc["language"] = args.lang
            doc["backups"] = ans.backups
        else:
            doc["by_language"] = {
                lang: [a.user for a in roster.on_call_for(lang, ans.at)]
                for lang in roster.team.languages}
        return emit_json(doc)
    print(f"Team {roster.team.name}, at {iso(ans.at)}")
    if args.lang:
        if args.lang not in roster.team.languages:
            print(f"note: {args.lang} is not one of the team's languages "
                  f"({', '.join(roster.team.languages)})")
        if not ans.on_call:
            print(f"Nobody on call reads {args.lang}.")
            if ans.backups:
                print("Off-shift backups who opted in: "
                      + ", ".join(_person(roster, u) for u in ans.backups))
            return 0
        print(f"On call for {args.lang}, best first:")
        for i, a in enumerate(ans.on_call, 1):
            print(f"  {i}. {_line(roster, a)}")
        return 0
    if not ans.on_call:
        print("Nobody is on call.")
    for a in ans.on_call:
        print(f"  {_line(roster, a)}")
    print("By language:")
    for lang in roster.team.languages:
        names = [roster.specialist(a.user).name for a in roster.on_call_for(lang, ans.at)]
        print(f"  {lang}: {', '.join(names) if names else 'NOBODY'}")
    return 0


def cmd_shifts(args, settings: Settings) -> int:
    roster = _roster(args, settings)
    start = _start(args)
    found = svc.shifts(roster, start, args.days, args.rotation, args.user)
    if args.json:
        return emit_json({"team": roster.team.name, "from": iso(start),
                           "to": iso(start + timedelta(days=args.days)),
                           "shifts": [_assignment_json(roster, a) for a in found]})
    what = (f"rotation {args.rotation}" if args.rotation else
            f"{_person(roster, args.user)}" if args.user else "all rotations")
    print(f"Shifts of {what}, {args.days} days from {start:%Y-%m-%d} (UTC)")
    spec = roster.specialist(args.user) if args.user else None
    for a in found:
        zone = spec.timezone if spec else roster.team.rotation(a.rotation).timezone
        mark = {"override": "  [override]", "uncovered": "  [UNCOVERED: nobody free]"}.get(
            a.kind, "")
        if a.kind == "substitute":
            mark = f"  [covering for {_person(roster, a.scheduled)}, who is away]"
        print(f"  {timezones.format_local(a.start, zone)} -> "
              f"{timezones.format_local(a.end, zone)} ({zone})  {a.rotation:<12} "
              f"{_person(roster, a.user)}{mark}")
    if not found:
        print("  (no shifts)")
    return 0


def cmd_coverage(args, settings: Settings) -> int:
    roster = _roster(args, settings)
    cov = svc.coverage(roster, _start(args), args.days)
    if args.json:
        return emit_json({
            "team": roster.team.name, "from": iso(cov.start), "to": iso(cov.end),
            "gaps": {lang: [{"start": iso(s), "end": iso(e),
                             "hours": round((e - s).total_seconds() / 3600, 2)}
                            for s, e in gaps] for lang, gaps in cov.gaps.items()},
            "dst_changes": {z: [iso(t) for t in ts] for z, ts in cov.dst_changes.items()},
        })
    print(f"Coverage of team {roster.team.name}, {iso(cov.start)} to {iso(cov.end)}")
    for lang, gaps in cov.gaps.items():
        if not gaps:
            print(f"  {lang}: covered all the time")
            continue
        hours = sum((e - s).total_seconds() for s, e in gaps) / 3600
        print(f"  {lang}: {len(gaps)} gap(s), {hours:g} h without an on-call reader")
        for line in _gap_lines(gaps):
            print(f"      {line}")
    changes = [(t, z) for z, ts in cov.dst_changes.items() for t in ts]
    if changes:
        print("Clock changes in this window (shift windows are local wall-clock times):")
        for t, z in sorted(changes):
            before = timezones.utc_offset(t - timedelta(seconds=1), z)
            after = timezones.utc_offset(t, z)
            print(f"      {iso(t)}  {z}: UTC{timezones.format_offset(before)} -> "
                  f"UTC{timezones.format_offset(after)}")
    return 0


def _gap_lines(gaps: list[tuple[datetime, datetime]]) -> list[str]:
    """One line per gap, except that the same gap on consecutive days is one line."""
    lines = []
    for run in group_gaps(gaps):
        hours = f"{(run.end - run.start).total_seconds() / 3600:g} h"
        if run.daily:
            lines.append(f"daily {run.start:%H:%M}-{run.end:%H:%M} UTC ({hours}) from "
                         f"{run.start:%Y-%m-%d} to {run.last_start:%Y-%m-%d} "
                         f"({run.days} days)")
        else:
            lines.append(f"{iso(run.start)} -> {iso(run.end)}  ({hours})")
    return lines


def cmd_export_ics(args, settings: Settings) -> int:
    from bot.schedules.ics import calendar

    roster = _roster(args, settings)
    start = _start(args)
    found = svc.shifts(roster, start, args.days, args.rotation, args.user)
    title = (f"On call: {args.rotation}" if args.rotation else
             f"On call: {_person(roster, args.user)}" if args.user else
             f"On call: {roster.team.name}")
    sys.stdout.buffer.write(calendar(roster, found, title, stamp=_now()))
    return 0


def cmd_schedules(args, settings: Settings) -> int:
    from bot.cli.schedules import cmd_schedules as run

    return run(args, settings)


def cmd_purge(args, settings: Settings) -> int:
    from bot.cli.purge import cmd_purge as run

    return run(args, settings)


def cmd_report(args, settings: Settings) -> int:
    from bot.cli.report import cmd_report as run

    return run(args, settings, lambda: _roster(args, settings))


def cmd_serve(args, settings: Settings) -> int:
    from bot.app import serve

    return serve.serve(settings, port=args.port, host=args.host, jobs=not args.no_jobs,
                       threads=args.threads, log_format=args.log_format,
                       jobs_process=args.jobs_process)


def cmd_worker(args, settings: Settings) -> int:
    from bot.app import serve

    return serve.worker(settings, args.log_format, args.port, args.host)


def cmd_demo(args, settings: Settings) -> int:
    from bot.demo.run import run_demo

    return run_demo(args.schedules or EXAMPLE_SCHEDULES)


COMMANDS = {
    "serve": cmd_serve,
    "worker": cmd_worker,
    "demo": cmd_demo,
    "who": cmd_who,
    "shifts": cmd_shifts,
    "coverage": cmd_coverage,
    "export-ics": cmd_export_ics,
    "schedules": cmd_schedules,
    "purge": cmd_purge,
    "report": cmd_report,
}
