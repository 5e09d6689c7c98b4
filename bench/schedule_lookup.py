"""Who reads Arabic on call at T: the engine against recurring iCalendar events.

    python -m bench.schedule_lookup [--instants 10000] [--ical-instants 300] [--seed 1]

Measures, in one run, on the team of `bench.team_gen` (300 specialists, 20
rotations, 1,000 overrides and time-off entries):

- the engine: `Roster.on_call_for(lang, T)` over random instants in 2026-2027 on a
  fresh Roster (lazy per-day index builds included and counted), the cost of the
  first lookup in a UTC day (the index build), `on_call_direct(T)` (no index), and
  the same lookup in 2036;
- the baseline: the same schedule exported as recurring iCalendar events (one
  RRULE series per rotation, member and day of the handoff period, VTIMEZONEs,
  one VEVENT per override and time-off entry), parsed back, and the same question
  answered with `recurring_ical_events` plus the same rules. Every answer is
  checked against the engine's; any disagreement is printed and the exit status
  is 1;
- coverage: `Roster.coverage_gaps` over 90 days for every team language.

See bench/README.md for what each figure means. This module reads the options and
prints the report; the measuring lives in bench/lookup/.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import sys
import time as clock
from collections.abc import Sequence
from importlib import metadata

from bench.lookup.instants import (
    FAR_END,
    FAR_START,
    WINDOW_END,
    WINDOW_START,
    edge_instants,
    random_instants,
)
from bench.lookup.report import baseline_section, coverage_section, engine_section
from bench.paging.figures import Table
from bench.team_gen import generate_team


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "?"


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.schedule_lookup", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--instants", type=int, default=10_000,
                    help="random instants in 2026-2027 for the engine lookup (default 10000)")
    ap.add_argument("--ical-instants", type=int, default=300,
                    help="of those, how many are also answered (and timed) from iCalendar "
                         "(default 300; the expansion is slow)")
    ap.add_argument("--edge-instants", type=int, default=200,
                    help="extra boundary instants checked engine vs iCal, untimed (default 200)")
    ap.add_argument("--direct-instants", type=int, default=2_000,
                    help="of those, how many also time on_call_direct (default 2000)")
    ap.add_argument("--seed", type=int, default=1, help="team and instants seed (default 1)")
    ap.add_argument("--lang", default="ar", help="language asked for (default ar)")
    ap.add_argument("--coverage-from", default="2026-09-01",
                    help="first day of the 90-day coverage window (default 2026-09-01)")
    ap.add_argument("--coverage-runs", type=int, default=5)
    ap.add_argument("--fail-on-miss", action="store_true",
                    help="exit 2 when a target is missed (mismatches always exit 1)")
    args = ap.parse_args(argv)

    wall0 = clock.perf_counter()
    t0 = clock.perf_counter()
    team = generate_team(seed=args.seed)
    gen_s = clock.perf_counter() - t0
    rng = random.Random(args.seed * 1_000_003 + 7)
    instants = random_instants(rng, args.instants, WINDOW_START, WINDOW_END)
    far = random_instants(rng, round(args.instants * (FAR_END - FAR_START).days
                                     / (WINDOW_END - WINDOW_START).days), FAR_START, FAR_END)
    direct_sample = instants[: args.direct_instants]
    ical_sample = instants[: args.ical_instants]
    edges = edge_instants(rng, team, args.edge_instants)
    lang = args.lang

    print(f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs; "
          f"icalendar {_version('icalendar')}, recurring-ical-events "
          f"{_version('recurring-ical-events')}")
    print(f"team (seed {args.seed}): {len(team.specialists)} specialists, "
          f"{len(team.rotations)} rotations, {len(team.overrides)} overrides, "
          f"{len(team.time_off)} time-off entries, {len(team.languages)} languages; "
          f"{sum(s.reads(lang) for s in team.specialists)} read {lang!r}; "
          f"generated in {gen_s * 1000:.0f} ms")
    print(f"question: who reads {lang!r} on call at T, answer = ordered [(user, rotation)]")
    print()

    table = Table()

    engine = engine_section(table, team, lang, instants, far, direct_sample)
    mismatches = baseline_section(table, team, lang, engine, ical_sample, edges)
    gaps = coverage_section(table, team, args.coverage_from, args.coverage_runs)

    table.print()
    print()
    print("uncovered hours in the coverage window, by language: " + ", ".join(
        f"{k} {sum((e - s).total_seconds() for s, e in iv) / 3600:.0f}"
        for k, iv in gaps.items()))
    print(f"total wall time {clock.perf_counter() - wall0:.0f} s")

    if mismatches:
        print(f"\n{len(mismatches)} MISMATCHES between the engine and the iCalendar expansion:",
              file=sys.stderr)
        for m in mismatches[:50]:
            print(m, file=sys.stderr)
        return 1
    if table.misses() and args.fail_on_miss:
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
