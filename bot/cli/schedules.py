"""`oncall-bot schedules validate|import|export`: schedules as code."""

from __future__ import annotations

import sys

from bot.cli.common import UsageError, sessions_for
from bot.config import Settings
from bot.services import schedules as svc


def cmd_schedules(args, settings: Settings) -> int:
    from bot.schedules.reader import ScheduleError, load_schedules, warning_text
    from bot.schedules.writer import dump_team

    if args.action is None:
        raise UsageError("say what to do: validate, import or export; "
                         "example: oncall-bot schedules validate schedules/")
    if args.action == "export":
        sf = sessions_for(settings)
        names = [svc.pick_team_name(sf, args.team)] if args.team else svc.team_names(sf)
        if not names:
            raise UsageError("the database holds no team; nothing to export")
        for name in names:
            text = dump_team(svc.load_team(sf, name))
            if args.path:
                args.path.mkdir(parents=True, exist_ok=True)
                (args.path / f"{name}.yaml").write_text(text, encoding="utf-8")
                print(f"wrote {args.path / (name + '.yaml')}", file=sys.stderr)
            else:
                sys.stdout.write(text)
        return 0
    path = args.path or settings.command_schedules
    if not path.exists():
        raise UsageError(f"{path} does not exist; give a .yaml file or a folder of them")
    warnings: list = []
    try:
        teams = load_schedules(path, warnings)
    except ScheduleError as err:
        print(warning_text(warnings), end="", file=sys.stderr)
        print(str(err), file=sys.stderr)
        n = len(err.problems)
        print(f"{n} problem{'s' if n != 1 else ''} found; nothing was written.", file=sys.stderr)
        return 1
    print(warning_text(warnings), end="", file=sys.stderr)  # never fatal
    if args.action == "validate":
        for t in teams:
            print(f"ok: team {t.name}: {len(t.specialists)} specialists, "
                  f"{len(t.rotations)} rotations, {len(t.overrides)} overrides, "
                  f"{len(t.time_off)} time-off entries"
                  + (f", {len(t.categories)} categories" if t.categories else ""))
        return 0
    sf = sessions_for(settings)
    results = svc.import_teams(sf, teams, dry_run=args.dry_run)
    for r in results:
        if not r.changes:
            print(f"team {r.team}: no changes")
            continue
        verb = "would change" if args.dry_run else "changed"
        print(f"team {r.team}: {verb} {len(r.changes)} thing(s):")
        for line in r.changes:
            print(f"  {line}")
    if args.dry_run:
        print("dry run: nothing was written")
    return 0
