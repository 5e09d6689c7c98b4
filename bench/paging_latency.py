"""A signed `/emergency` to the page DM at a local Slack stand-in, against a real server.

    python -m bench.paging_latency [--rate 50] [--duration 20] [--surge-rate 200]
                                   [--surge-duration 30] [--surge-runs 1]
                                   [--categories-duration <--duration>]
                                   [--database sqlite|postgres] [--slack-latency 0.15]
                                   [--fault-mix 429=0.3,500=0.15 --fault-seconds 30]

Everything runs on this machine and talks to 127.0.0.1 only:

- the Slack Web API stand-in (`bot.demo.slack_standin.SlackStandIn`) runs inside this
  process, so the arrival of each Web API call is stamped with `time.monotonic()` on
  the same clock as the POSTs;
- the bot is the real thing: `oncall-bot serve --host 127.0.0.1 --port <free>` as a
  subprocess (gunicorn, one waitress worker, the APScheduler jobs inside it), with
  SLACK_API_URL pointing at the stand-in, a fresh database (a SQLite file in a
  temporary folder, or with `--database postgres` a fresh PostgreSQL database on
  127.0.0.1:5432 as user postgres, dropped afterwards) and ONCALL_SCHEDULES holding
  the 300-specialist team of `bench.team_gen` written with `dump_team` (plus the
  escalation policies the generator does not make), checked with `parse_team`;
- requests are what Slack sends: form bodies signed with the signing secret
  (`bot.demo.simulate`), POSTed to /slack/events from a thread pool on an open-loop
  schedule (a slow answer never delays the next request).

Phases, each on a fresh server and database (so one phase's backlog cannot spoil the
next) after `--warmup` sequential requests: `--rate` requests/s for `--duration` s of
`/emergency sev2 lang:ar <text #n>` (the language is given: no detection); the same
rate without `lang:` (texts in five languages from bench/data/emergency_texts.tsv,
detected by the bot); a burst of `--rate` requests/s for `--categories-duration` s,
all in the language with the most readers on call, most carrying a category
(`cat:child-safety`, `cat:le-emergency`), the team given categories, skills and
`max_open_per_person` 3 once its server is up (bench/paging/categories.py: how the
first pages spread per person, and the routing CPU per request with and without a
category); a surge of `--surge-rate` requests/s for `--surge-duration` s
(half of each kind), `--surge-runs` times in a row. After sending, the bench waits
(bounded) for the page DMs and for the bot's outbox to drain (/healthz), then reads
the bot's `requests` table.

Slack is slow as the real one is: the stand-in answers every Web API call after
`--slack-latency` s (default 0.15). `--fault-mix` adds a window of 429 and 500
answers that opens with each phase's load (see the Slack options below). Each phase
prints the acknowledgements over 3 s and the HTTP 404/5xx answers (issue 9's targets:
none, under any Slack fault mix) and the tickets paged more than once (0).

Per request: the POST start, the HTTP answer (the acknowledgement Slack waits for, at
most 3 s), and the arrival at the stand-in of the page DM: the first chat.postMessage
to a user id whose blocks hold the `page_ack` button and whose text names the ticket
the acknowledgement named ("Filed T-17 ..."). The POSTs come from an asyncio loop, one
task per request started at its scheduled instant, each given up after `--timeout` s.
The resident memory (VmRSS, and the peak VmHWM) of the gunicorn worker (the serving
process) and of the master is read from /proc before and after each phase.

See bench/README.md for what each figure means.
"""

from __future__ import annotations

import argparse
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from bench.paging.categories import busiest_language, routing_cpu
from bench.paging.figures import Table
from bench.paging.load import PageWatch
from bench.paging.phases import Bench, Phase
from bench.paging.report import RunInfo, print_run
from bench.paging.server import HOST, code_version
from bench.paging.slack import SlackConditions, add_options
from bench.paging.team import bench_team, write_schedules
from bot.demo.slack_standin import SlackStandIn


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.paging_latency", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rate", type=float, default=50, help="steady requests/s (default 50)")
    ap.add_argument("--duration", type=float, default=None,
                    help="seconds of each steady phase (default 20, with --quick 5)")
    ap.add_argument("--detect-duration", type=float, default=None,
                    help="seconds of the steady phase without lang: (default: --duration; "
                         "0 skips it)")
    ap.add_argument("--categories-duration", type=float, default=None,
                    help="seconds of the categories phase: lang:ar requests carrying "
                         "categories, the team with skills and capacity (default: "
                         "--duration; 0 skips it)")
    ap.add_argument("--surge-rate", type=float, default=200, help="surge requests/s (default 200)")
    ap.add_argument("--surge-duration", type=float, default=None,
                    help="seconds of the surge (default 30, with --quick 0; 0 skips it)")
    ap.add_argument("--surge-runs", type=int, default=1,
                    help="run the surge this many times in a row, each on a fresh server "
                         "and database (default 1; issue 9 asks for 3 with no ticket paged "
                         "twice)")
    ap.add_argument("--surge-detect-share", type=float, default=0.5,
                    help="share of surge requests without lang: (default 0.5)")
    ap.add_argument("--warmup", type=int, default=20,
                    help="sequential warm-up requests per server (default 20)")
    ap.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite",
                    help="sqlite: a file in a temporary folder; postgres: a fresh database "
                         "at 127.0.0.1:5432, user postgres (default sqlite)")
    ap.add_argument("--seed", type=int, default=1, help="team seed (default 1)")
    ap.add_argument("--timeout", type=float, default=10,
                    help="client timeout per POST in s (default 10; Slack's is 3)")
    ap.add_argument("--page-timeout", type=float, default=60,
                    help="how long to wait for missing page DMs after a phase (default 60)")
    ap.add_argument("--drain-timeout", type=float, default=60,
                    help="how long to wait for the bot's outbox to empty after a phase "
                         "(default 60)")
    ap.add_argument("--keep", action="store_true",
                    help="keep the temporary folder (databases, schedules, server logs, "
                         "each phase's requests in timeline-phase<n>.csv)")
    ap.add_argument("--fail-on-miss", action="store_true", help="exit 2 when a target is missed")
    ap.add_argument("--path-requests", type=int, default=None,
                    help="requests sent one at a time for the SQL-per-request figure "
                         "(default 20, with --quick 10)")
    ap.add_argument("--jobs-process", action="store_true",
                    help="PostgreSQL: `serve --jobs-process` (the jobs in a second worker at "
                         "lower CPU priority)")
    ap.add_argument("--quick", action="store_true",
                    help="a short run: one steady lang:ar phase of 5 s, 5 warm-up requests "
                         "(a --duration or --surge-duration given still applies)")
    add_options(ap)
    args = ap.parse_args(argv)
    slack = SlackConditions.from_args(ap, args)
    if args.surge_runs < 1:
        ap.error("--surge-runs must be at least 1")
    if args.quick:
        args.detect_duration = 0
        args.warmup = min(args.warmup, 5)
    if args.duration is None:
        args.duration = 5 if args.quick else 20
    if args.surge_duration is None:
        args.surge_duration = 0 if args.quick else 30
    if args.path_requests is None:
        args.path_requests = 10 if args.quick else 20
    if args.path_requests < 1:
        ap.error("--path-requests must be at least 1")
    detect_duration = args.duration if args.detect_duration is None else args.detect_duration

    def stop(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, stop)  # clean up the server and the database on kill
    wall0 = time.monotonic()
    tmp = Path(tempfile.mkdtemp(prefix="oncall-bench-"))
    watch = PageWatch()
    standin = SlackStandIn(on_call=watch, host=HOST).start()
    table = Table()
    try:
        team = bench_team(args.seed)
        t0 = time.monotonic()
        _, parsed = write_schedules(team, tmp / "schedules")
        dump_s = time.monotonic() - t0
        phases = []
        if args.duration > 0:
            phases.append(Phase("steady lang:ar", args.rate, args.duration, 0.0, "latency"))
        if detect_duration > 0:
            phases.append(Phase("steady detected", args.rate, detect_duration, 1.0, "latency"))
        cat_duration = (args.duration if args.categories_duration is None
                        else args.categories_duration)
        burst_lang, _ = busiest_language(parsed, datetime.now(UTC))
        if cat_duration > 0:
            phases.append(Phase(f"categories lang:{burst_lang} burst", args.rate,
                                cat_duration, 0.0, "latency", categories=True,
                                language=burst_lang))
        for run in range(1, args.surge_runs + 1) if args.surge_duration > 0 else ():
            name = "surge" if args.surge_runs == 1 else f"surge run {run}/{args.surge_runs}"
            phases.append(Phase(name, args.surge_rate, args.surge_duration,
                                args.surge_detect_share, "surge"))
        version = code_version()
        bench = Bench(args, tmp, standin, watch, slack)
        bench.team_name = parsed.name
        standin.latency = slack.latency
        results = [bench.run(ph, i) for i, ph in enumerate(phases)]
        # The path figures count statements and CPU, not time: Slack answers at once.
        standin.latency = 0
        sql = bench.sql_per_request(args.path_requests)
        bare = bench.bare_cpu_per_request(args.rate, args.duration or 5)
        cpu = routing_cpu(parsed, datetime.now(UTC), burst_lang, 500 if args.quick else 2000)

        print_run(table, RunInfo(args.database, slack, args.warmup, version, parsed, dump_s,
                                 args.jobs_process),
                  results, sql, bare, watch, standin, cpu)
        print(f"total wall time {time.monotonic() - wall0:.0f} s")
    finally:
        standin.stop()
        if args.keep:
            print(f"kept {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    if table.misses() and args.fail_on_miss:
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
