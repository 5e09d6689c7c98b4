"""What an idle bot costs its database: SQL statements per second, now and before.

    python -m bench.idle_cost [--database postgres|sqlite] [--seconds 15] [--settle 2]

An in-process `Runtime` on the system clock, its jobs started as `oncall-bot worker`
starts them (on PostgreSQL with its LISTEN connection), on a fresh database holding the
example team and no request. After `--settle` seconds (start-up's first pass reads
every team), every statement on the runtime's engine is counted for `--seconds`
(`bench.sqlcount`: SQLAlchemy events; the LISTEN connection's wait costs none).

The baseline is measured in the same run, on the same database: a second runtime
whose reconciler runs a whole pass every 0.25 s and whose router looks for received
requests every second, as the bot did before wake-ups (issue 16 measured about 34
statements per second). Target: at most 1 statement per second now.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from bench.paging.figures import Table, verdict
from bench.paging.server import REPO, FreshPostgres, code_version
from bench.sqlcount import count_sql
from bot.app.runtime import INLINE_LIMIT, Runtime
from bot.config import Settings
from bot.demo.slack_standin import SlackStandIn
from bot.jobs.router import Router
from bot.jobs.scheduler import Jobs

TARGET = 1.0  # statements per second, idle (issue 16)
BEFORE_TICK, BEFORE_ROUTER_SWEEP = 0.25, 1.0  # what the bot did before wake-ups


def measure(runtime: Runtime, settle: float, seconds: float) -> tuple[float, Counter]:
    """Statements per second over `seconds` once `settle` seconds have passed, and the
    statements by their first words."""
    time.sleep(settle)
    with count_sql(runtime.engine) as counted:
        time.sleep(seconds)
    kinds = Counter(" ".join(s.split()[:4]) for s in counted.sql)
    return counted.statements / seconds, kinds


def before(runtime: Runtime) -> None:
    """Make `runtime` reconcile as before wake-ups: a whole pass every 0.25 s (and no
    look first), a router sweeping every second."""
    def tick() -> float:  # APScheduler's interval job: one start every 0.25 s
        started = time.monotonic()
        runtime.tick(wait=False)
        return BEFORE_TICK - (time.monotonic() - started)

    runtime.jobs = Jobs(tick, BEFORE_TICK, min_gap=0.0)
    runtime.listener = None
    runtime.router = Router(runtime.intake, runtime.deliver_filed, INLINE_LIMIT,
                            sweep=BEFORE_ROUTER_SWEEP)
    runtime.router.wake()


def run(settings: Settings, args: argparse.Namespace, old: bool) -> tuple[float, Counter, int]:
    runtime = Runtime(settings, role="worker")
    try:
        runtime.bootstrap(REPO / "schedules" / "example")
        if old:
            before(runtime)
        runtime.start_jobs()
        rate, kinds = measure(runtime, args.settle, args.seconds)
        return rate, kinds, runtime.jobs.passes
    finally:
        runtime.close()


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m bench.idle_cost", description=__doc__)
    ap.add_argument("--database", choices=("postgres", "sqlite"), default="postgres")
    ap.add_argument("--seconds", type=float, default=15.0, help="the window counted")
    ap.add_argument("--settle", type=float, default=2.0,
                    help="seconds after start-up before counting")
    ap.add_argument("--fail-on-miss", action="store_true")
    return ap.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    standin = SlackStandIn(tokens=["xoxb-bench"]).start()
    tmp = Path(tempfile.mkdtemp(prefix="oncall-bench-idle-"))
    pg = FreshPostgres("oncall_idle") if args.database == "postgres" else None
    table = Table()
    try:
        url = pg.__enter__().url if pg is not None else f"sqlite:///{tmp / 'oncall.db'}"
        settings = Settings(slack_bot_token="xoxb-bench", slack_signing_secret="bench",
                            slack_api_url=standin.url, database_url=url)
        now, now_kinds, now_passes = run(settings, args, old=False)
        old, old_kinds, old_passes = run(settings, args, old=True)
    finally:
        standin.stop()
        if pg is not None:
            pg.__exit__(None, None, None)
    print(f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} "
          f"CPUs; database {args.database}; bot code at {code_version()}")
    print(f"idle: the example team, no request; {args.seconds:g} s counted after "
          f"{args.settle:g} s; reconciler passes from start-up: now {now_passes}, "
          f"before {old_passes}")
    print()
    table.section("an idle runtime's SQL statements")
    table.add("idle statements per second (wake-ups, safety sweep)", f"{now:.2f}/s",
              f"<= {TARGET:g}/s", verdict(now <= TARGET))
    table.add("before: a pass every 0.25 s, router every 1 s (same run)", f"{old:.2f}/s",
              "baseline")
    table.print()
    print()
    print("statements now: " + (", ".join(f"{k} x{v}" for k, v in now_kinds.most_common(6))
                                or "none"))
    print("statements before: " + ", ".join(f"{k} x{v}" for k, v in
                                            old_kinds.most_common(6)))
    return 2 if args.fail_on_miss and table.misses() else 0


if __name__ == "__main__":
    sys.exit(main())
