"""One web process against two: the rate each sustains, side by side in one run.

    python -m bench.web_scaling [--database postgres|sqlite] [--rates 10,20,30,40,50]
                                [--seconds 8] [--bound 1.0] [--web 1,2] [--repeat 1]

PRODUCT.md "Many machines": adding a second web process must raise the rate the desk
sustains. For each rate of the ladder (`--rates`, requests/s, lowest first) and, at
that rate, each number of web processes (`--web`, default 1 then 2: the counts take
turns, so that a machine slowing down or speeding up during the run weighs on both
alike), on a fresh database and fresh processes (so that no step inherits another's
backlog or history): that many `oncall-bot serve` processes
(each with its jobs, as `serve` runs by default) on one database, signed
`/emergency sev2` requests (half `lang:ar`, half detected) for `--seconds` at the rate,
round-robin over the processes as a load balancer would, Slack (the stand-in, in this
process) answering in `--slack-latency` s. Then it waits for every page DM.

A rate is *sustained* when no acknowledgement took over 3 s (Slack's limit) and the
POST -> page DM p99 stayed within `--bound` s (default 1 s: a backlog that grows for the
whole step shows as seconds). The table gives, per rate and process count: acks over
3 s, POST -> page DM p50 / p99, and the CPU per request (from /proc) of the bot (all
its processes), of PostgreSQL (all its processes on the machine) and of this process
(the client and the stand-in, which stand for Slack), and the whole machine's busy
time (the kernel's part included); under it, the highest rate sustained by each
count, and PASS when two processes sustain more than one (MISS when they do not, or
when neither sustains the lowest rate: widen the ladder). A count stops climbing at
its first rate not sustained.

On a machine whose speed varies from minute to minute one run says little:
`--repeat N` runs the whole ladder N times and gives each run's highest rates, and
PASS when two processes sustained more than one in more than half of the runs.

Steps wider than the gap between the two counts' limits make them tie (both stop at
the same step): put the ladder near the rate where one process stops, a few per cent
apart (on the 2-core machine, `--rates 130,135,140,145,150,155,160 --seconds 6
--repeat 3`; bench/README.md).

The processes share this machine's cores with PostgreSQL, the client and the stand-in:
on 2 cores the second process can add at most what the first leaves idle, and the
machine's CPU per request says how much that is (times the rate, against the cores).
A PostgreSQL backend that exits between the readings takes its CPU with
it (few do: the bot's pool keeps its connections); the machine's figure misses nothing.
The load average is printed with the table.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.paging.figures import Table, ms, pct, verdict
from bench.paging.load import Client, PageWatch, load_texts, make_shots
from bench.paging.server import (
    HOST,
    BotServer,
    bot_env,
    code_version,
    cpu_delta,
    cpu_seconds,
    drain,
    free_port,
    machine_cpu_seconds,
    open_database,
    own_cpu_seconds,
    postgres_cpu_seconds,
)
from bench.paging.team import bench_team, write_schedules
from bot.demo.slack_standin import SlackStandIn


@dataclass
class Step:
    web: int
    rate: float
    sent: int
    acks_late: int  # answered after 3 s, or not 200 with a ticket
    page_p50: float
    page_p99: float
    pages_missing: int
    cpu_per_request: float  # seconds, all bot processes
    pg_per_request: float  # seconds, the PostgreSQL server's processes
    bench_per_request: float  # seconds, this process (the client and the stand-in)
    machine_per_request: float  # seconds, the whole machine busy

    def sustained(self, bound: float) -> bool:
        return (self.acks_late == 0 and self.pages_missing == 0
                and self.page_p99 <= bound)


def climb(rates: Sequence[float], webs: Sequence[int], bound: float,
          run: Callable[[int, float], Step]) -> list[Step]:
    """One run of the ladder: at each rate, lowest first, a step for each process count
    still climbing (in `webs` order); a count stops at its first rate not sustained."""
    steps: list[Step] = []
    climbing = list(webs)
    for rate in rates:
        for web in list(climbing):
            step = run(web, rate)
            steps.append(step)
            if not step.sustained(bound):
                climbing.remove(web)
                if rate != rates[-1]:
                    print(f"{web} web: {rate:g}/s not sustained; higher rates skipped",
                          file=sys.stderr, flush=True)
        if not climbing:
            break
    return steps


def highest(steps: Sequence[Step], web: int, bound: float) -> float | None:
    """The highest rate `web` processes sustained in these steps (None: not one)."""
    rates = [s.rate for s in steps if s.web == web and s.sustained(bound)]
    return max(rates) if rates else None


def more_wins(runs: Sequence[Sequence[Step]], one: int, more: int, bound: float
              ) -> tuple[int, bool]:
    """In how many runs `more` processes sustained a higher rate than `one` (not
    sustaining the lowest counts as 0), and whether that is more than half of them."""
    wins = sum(1 for steps in runs
               if (highest(steps, more, bound) or 0) > (highest(steps, one, bound) or 0))
    return wins, wins * 2 > len(runs)


def run_step(web: int, rate: float, args: argparse.Namespace, tmp: Path,
             standin: SlackStandIn, watch: PageWatch, texts, index: int) -> Step:
    pg, db_url = open_database(args.database, tmp / f"step{index}.db")
    env = bot_env(standin.url, db_url, tmp / "schedules")
    servers = [BotServer(free_port(), env, tmp, tmp / f"step{index}-web{i + 1}.log")
               for i in range(web)]
    # The stand-in forgets the steps before: its record of every call and message grew
    # by thousands a step, and this process's CPU per request with it (3 ms in a
    # run's first steps, 9 ms in a third run's), taken from the machine's two cores.
    standin.clear()
    watch.reset()
    try:
        # One after the other: the first migrates and imports the team.
        for s in servers:
            s.start()
        ports = [s.port for s in servers]
        client = Client(ports[0], args.timeout,
                        route=lambda shot: ports[shot.n % len(ports)])
        warm = make_shots(args.warmup * web, 1, texts, 0.5)
        client.sequential(warm)
        watch.wait_for({s.ticket for s in warm if s.ticket is not None}, 30)
        drain(db_url, 30)
        workers = [p for s in servers for p in s.worker_pids()]  # jobs workers too
        shots = make_shots(round(rate * args.seconds), 1 + len(warm), texts, 0.5)
        print(f"{web} web: {len(shots)} requests at {rate:g}/s ...", file=sys.stderr,
              flush=True)
        cpu0, pg0, own0, all0 = (sum(cpu_seconds(p) for p in workers), postgres_cpu_seconds(),
                                 own_cpu_seconds(), machine_cpu_seconds())
        client.open_loop(shots, rate)
        tickets = {s.ticket for s in shots if s.ticket is not None}
        watch.wait_for(tickets, args.page_timeout)
        drain(db_url, args.page_timeout)
        cpu = sum(cpu_seconds(p) for p in workers) - cpu0
        pg_cpu, own = cpu_delta(pg0, postgres_cpu_seconds()), own_cpu_seconds() - own0
        machine = machine_cpu_seconds() - all0
        first, _, _ = watch.snapshot()
        to_page = [first[s.ticket] - s.start for s in shots if s.ticket in first]
        late = sum(1 for s in shots if not s.acked)
        missing = sum(1 for s in shots if s.ticket is not None and s.ticket not in first)
        return Step(web, rate, len(shots), late, pct(to_page, 50), pct(to_page, 99),
                    missing, cpu / max(1, len(shots)), pg_cpu / max(1, len(shots)),
                    own / max(1, len(shots)), machine / max(1, len(shots)))
    finally:
        for s in servers:
            s.stop()
        if pg is not None:
            pg.__exit__(None, None, None)


def report(runs: Sequence[Sequence[Step]], webs: Sequence[int], args: argparse.Namespace
           ) -> Table:
    """The header line (printed) and the table of every run's steps and the verdict."""
    table = Table()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs; database "
          f"{args.database}; bot code at {code_version()}; Slack answers in "
          f"{args.slack_latency * 1000:.0f} ms; {args.seconds:g} s per step; process "
          f"counts taking turns at each rate; load average "
          f"{' / '.join(f'{x:.1f}' for x in os.getloadavg())}")
    for n, steps in enumerate(runs):
        label = f"run {n + 1} of {len(runs)}: " if len(runs) > 1 else ""
        for web in webs:
            table.section(f"{label}{web} web process{'es' if web > 1 else ''} "
                          "(`oncall-bot serve`, jobs in each)")
            for s in (s for s in steps if s.web == web):
                table.add(f"{s.rate:g}/s: acks over 3 s / page DM p50 / p99 / missing; "
                          "CPU per request: bot / PostgreSQL / bench / machine",
                          f"{s.acks_late} / {ms(s.page_p50)} / {ms(s.page_p99)} ms / "
                          f"{s.pages_missing}; {s.cpu_per_request * 1000:.1f} / "
                          f"{s.pg_per_request * 1000:.1f} / {s.bench_per_request * 1000:.1f}"
                          f" / {s.machine_per_request * 1000:.1f} ms",
                          f"0 / - / <= {args.bound * 1000:.0f} ms / 0",
                          "sustained" if s.sustained(args.bound) else "not")
    table.section("the highest rate sustained")

    def rate_text(rate: float | None) -> str:
        return "none" if rate is None else f"{rate:g}/s"

    for n, steps in enumerate(runs):
        label = f"run {n + 1}: " if len(runs) > 1 else ""
        table.add(f"{label}{' / '.join(f'{w} web' for w in webs)}",
                  " / ".join(rate_text(highest(steps, w, args.bound)) for w in webs))
    if len(webs) >= 2:
        one, more = webs[0], webs[-1]
        wins, ok = more_wins(runs, one, more, args.bound)
        if len(runs) == 1:
            table.add(f"{more} web sustain more than {one}",
                      f"{rate_text(highest(runs[0], more, args.bound))} vs "
                      f"{rate_text(highest(runs[0], one, args.bound))}", "more", verdict(ok))
        else:
            table.add(f"runs where {more} web sustained more than {one}",
                      f"{wins} of {len(runs)}", "more than half", verdict(ok))
    return table


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.web_scaling", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--database", choices=("postgres", "sqlite"), default="postgres")
    ap.add_argument("--rates", default="10,20,30,40,50",
                    help="the ladder of requests/s, lowest first (default 10,20,30,40,50)")
    ap.add_argument("--web", default="1,2", help="web process counts (default 1,2)")
    ap.add_argument("--seconds", type=float, default=8, help="seconds of load per step")
    ap.add_argument("--bound", type=float, default=1.0,
                    help="POST -> page DM p99 a sustained rate stays within, s (default 1)")
    ap.add_argument("--slack-latency", type=float, default=0.15)
    ap.add_argument("--warmup", type=int, default=10, help="warm-up requests per process")
    ap.add_argument("--timeout", type=float, default=10)
    ap.add_argument("--page-timeout", type=float, default=60)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=1,
                    help="runs of the whole ladder (default 1); PASS when two processes "
                         "sustain more than one in more than half of them")
    ap.add_argument("--fail-on-miss", action="store_true")
    args = ap.parse_args(argv)
    try:
        rates = [float(r) for r in args.rates.split(",") if r.strip()]
        webs = [int(w) for w in args.web.split(",") if w.strip()]
    except ValueError:
        ap.error("--rates and --web take comma-separated numbers, e.g. --rates 10,20,40")
    if not rates or not webs or min(webs) < 1 or min(rates) <= 0:
        ap.error("give at least one rate above 0 and one process count of 1 or more")
    if rates != sorted(rates):
        ap.error(f"--rates climbs a ladder: give them lowest first, e.g. --rates "
                 f"{','.join(f'{r:g}' for r in sorted(rates))}")
    if args.repeat < 1:
        ap.error("--repeat takes a number of runs of 1 or more, e.g. --repeat 3")

    def stop(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, stop)
    tmp = Path(tempfile.mkdtemp(prefix="oncall-webscale-"))
    watch = PageWatch()
    standin = SlackStandIn(on_call=watch, host=HOST).start()
    standin.latency = args.slack_latency
    runs: list[list[Step]] = []
    try:
        write_schedules(bench_team(args.seed), tmp / "schedules")
        texts = load_texts()
        index = 0

        def run(web: int, rate: float) -> Step:
            nonlocal index
            index += 1
            return run_step(web, rate, args, tmp, standin, watch, texts, index)

        for n in range(args.repeat):
            if args.repeat > 1:
                print(f"run {n + 1} of {args.repeat}", file=sys.stderr, flush=True)
            runs.append(climb(rates, webs, args.bound, run))
    finally:
        standin.stop()
        shutil.rmtree(tmp, ignore_errors=True)

    table = report(runs, webs, args)
    table.print()
    return 2 if args.fail_on_miss and table.misses() else 0


if __name__ == "__main__":
    raise SystemExit(main())
