"""Chaos on many machines: web and worker processes on one PostgreSQL database, Slack
failing for a while, one web and one worker process SIGKILLed mid-run and restarted.

    python -m bench.many_machines [--web 2] [--workers 2] [--rate 10] [--seconds 60]
                                  [--step 20] [--quick]

On 127.0.0.1: a fresh PostgreSQL database (port 5432, user postgres; created with a
unique name, dropped afterwards), the Slack stand-in in this process (one stand-in for
every bot process), the 300-specialist bench team with sev2 `language_oncall` (wait
`--step` s) -> `managers` (wait `--step` s) -> `channel`, so that steps fire during
the run. `--web` `oncall-bot serve --no-jobs` and `--workers` `oncall-bot worker`
processes start together, then:

1. signed `/emergency sev2` requests (half `lang:ar`, half detected) at `--rate`
   per second for `--seconds`, round-robin over the web processes that are up;
2. a Slack fault window (`--fault-mix`, default 20% 429 + 30% 500 of every call) from
   20% to 40% of the run, and as it opens `--fault-timeouts` posts that take effect but
   answer after the bot's Slack timeout;
3. at 55% of the run web 1 and worker 1 get SIGKILL (web 1 leaves the rotation at that
   instant), and are restarted `--restart-after` s later on the same ports;
4. after the load, the bench waits until every deadline has fired and nothing is left to
   send (`--drain-timeout`), then counts the database's transactions for `--idle` s.

It prints answered vs stored requests, page DMs per escalation step (doubled, missing:
the stand-in's calls against the database's outbox rows), step lateness, the takeover
of the killed processes' work, acknowledgements over 3 s and the idle transaction rate,
beside issue 16's targets. See bench/README.md for what each figure means.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import shutil
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

from bench.chaos import ledger
from bench.chaos.fleet import Fleet
from bench.chaos.report import Figures, print_table
from bench.chaos.watch import Database, idle_statements, transactions
from bench.paging.figures import pct
from bench.paging.load import Client, load_texts, make_shots
from bench.paging.server import (
    FreshPostgres,
    bot_env,
    code_version,
    own_cpu_seconds,
    scan_log,
)
from bench.paging.slack import SlackConditions, add_options, window_line
from bench.paging.team import bench_team, write_schedules
from bot.demo.slack_standin import SlackStandIn

# The rows being sent at the SIGKILL are watched this often until every lease they had
# has ended (bench/chaos/ledger.py, `orphans`); a received request still unrouted
# `ORPHAN_LOOK` s after the kill was the dead web process's (a live one routes at once).
WATCH_EVERY, ORPHAN_LOOK = 0.25, 3.0


def parse_args(argv: Sequence[str] | None) -> tuple[argparse.Namespace, SlackConditions]:
    ap = argparse.ArgumentParser(prog="python -m bench.many_machines", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--web", type=int, default=2, help="web processes (default 2)")
    ap.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    ap.add_argument("--rate", type=float, default=10, help="requests/s (default 10)")
    ap.add_argument("--seconds", type=float, default=60, help="seconds of load (default 60)")
    ap.add_argument("--step", type=float, default=20,
                    help="seconds each escalation step waits (default 20)")
    ap.add_argument("--kill-at", type=float, default=0.55,
                    help="share of the load when web 1 and worker 1 get SIGKILL (default 0.55)")
    ap.add_argument("--restart-after", type=float, default=5,
                    help="seconds from the SIGKILL to the restart (default 5)")
    ap.add_argument("--web-jobs", action="store_true",
                    help="web processes run the jobs too (`serve` without --no-jobs)")
    ap.add_argument("--idle", type=float, default=20,
                    help="seconds of idle transaction counting after the drain (default 20)")
    ap.add_argument("--idle-after", type=float, default=10,
                    help="seconds from the drain to the idle counting, for the last passes "
                         "and sends after it to end (default 10)")
    ap.add_argument("--drain-timeout", type=float, default=360,
                    help="give up waiting for the last steps and sends after this (default 360)")
    ap.add_argument("--timeout", type=float, default=10, help="client timeout per POST (s)")
    ap.add_argument("--seed", type=int, default=1, help="team and fault draws (default 1)")
    ap.add_argument("--keep", action="store_true",
                    help="keep the temporary folder (logs, record.json)")
    ap.add_argument("--fail-on-miss", action="store_true", help="exit 2 when a target is missed")
    ap.add_argument("--quick", action="store_true",
                    help="about a minute: 20 s of load, 6 s steps, 4 s to restart, 8 s idle")
    add_options(ap)
    ap.add_argument("--fault-timeouts", type=int, default=20, metavar="N",
                    help="when the fault window opens, the next N chat.postMessage calls "
                         "take effect but answer --fault-delay s late (default 20)")
    ap.add_argument("--fault-delay", type=float, default=12, metavar="SECONDS",
                    help="how late those answer: past the bot's 10 s Slack timeout, so it "
                         "cannot know they were posted (default 12)")
    ap.set_defaults(fault_mix=(0.2, 0.3), fault_seconds=None, fault_start=None)
    args = ap.parse_args(argv)
    if args.quick:
        args.seconds, args.step, args.restart_after = 20, 6, 4
        args.idle = min(args.idle, 8)
    if args.web < 2 or args.workers < 2:
        ap.error("--web and --workers must be at least 2: one of each is killed, the "
                 "others take over")
    if args.fault_timeouts < 0 or args.fault_delay < 0:
        ap.error("--fault-timeouts and --fault-delay must be >= 0")
    if args.rate <= 0 or args.seconds <= 0 or args.step <= 0 or not 0 < args.kill_at < 1:
        ap.error("--rate, --seconds and --step must be > 0, --kill-at between 0 and 1")
    # The fault window: from 20% to 40% of the load unless given, over before the kill.
    args.fault_start = 0.2 * args.seconds if args.fault_start is None else args.fault_start
    args.fault_seconds = 0.2 * args.seconds if args.fault_seconds is None else args.fault_seconds
    return args, SlackConditions.from_args(ap, args)


class Chaos:
    """The kill and the restart, on a thread of their own while the load runs."""

    def __init__(self, fleet: Fleet, db: Database, kill_in: float, restart_after: float):
        self.fleet, self.db = fleet, db
        self.kill_in, self.restart_after = kill_in, restart_after
        self.killed: list[tuple[int, float]] = []  # (web port, monotonic)
        self.at_wall = self.at = float("nan")
        self.orphans: set[int] = set()
        self.orphan_requests: frozenset[int] = frozenset()
        self.restart_took: dict[str, float] = {}
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="chaos", daemon=True)

    def _run(self) -> None:
        try:
            time.sleep(self.kill_in)
            web, worker = self.fleet.webs[0], self.fleet.workers[0]
            alive = self.db.claims().live  # the processes' numbers, the two to die among them
            self.at_wall, self.at = self.fleet.kill(web)
            self.fleet.kill(worker)
            self.killed.append((web.port, self.at))
            print(f"SIGKILL {web.name} and {worker.name} ...", file=sys.stderr, flush=True)
            restart = threading.Thread(target=self._restart, args=(web, worker), daemon=True)
            restart.start()
            first = self.db.claims()
            samples = []
            ends = max([*first.sending.values(), first.at + ORPHAN_LOOK])
            while time.time() < ends + WATCH_EVERY:
                time.sleep(WATCH_EVERY)
                samples.append(self.db.claims())
            # The dead: numbers whose lock went with the kill (the restarted draw new ones).
            dead = alive - (samples[-1] if samples else first).live
            self.orphans = ledger.orphans(first.sending, [(c.at, c.sending) for c in samples],
                                          first.holders, dead)
            later = next((c for c in samples if c.at >= first.at + ORPHAN_LOOK), first)
            self.orphan_requests = first.received & later.received
            restart.join()
        except BaseException as err:  # noqa: BLE001 - reported by the main thread
            self.error = err

    def _restart(self, *members) -> None:
        time.sleep(max(0.0, self.at + self.restart_after - time.monotonic()))
        print("restarting " + " and ".join(m.name for m in members) + " ...",
              file=sys.stderr, flush=True)
        try:
            self.restart_took = self.fleet.start(list(members))
        except BaseException as err:  # noqa: BLE001 - reported by the main thread
            self.error = err


def read_logs(fleet: Fleet) -> tuple[Counter[str], list[tuple[float, int]]]:
    """Flagged lines (bench/paging/server.py's patterns) over every process's log, and
    the survivors' "took over N message(s)" lines."""
    counts: Counter[str] = Counter()
    took: list[tuple[float, int]] = []
    for path in fleet.logs:
        text = path.read_text(errors="replace")
        counts.update(scan_log(text)[0])
        took.extend(ledger.took_over(text))
    return counts, sorted(took)


def figures(args, shots, facts, standin: SlackStandIn, chaos: Chaos, window_bounds,
            idle: tuple[int, int], processes: int, took: list[tuple[float, int]],
            left: int | None) -> Figures:
    calls = standin.calls
    delivered = ledger.delivered_rows(calls)
    lateness = ledger.step_lateness(facts.deadlines, facts.rows, delivered)
    due = {d.id: d.due for d in facts.deadlines}
    calm = [late for i, late in lateness.items()
            if not any(lo <= due[i] <= hi for lo, hi in window_bounds)]
    # the rows of requests the dead web had received and not routed count as its work
    orphan_ids = chaos.orphans | {r.id for r in facts.rows
                                  if r.request_id in chaos.orphan_requests
                                  and r.kind in ledger.PAGE_KINDS}
    answered = {f"cmd:{s.trigger_id}" for s in shots if s.status == 200 and s.ticket}
    acks = [s.ack for s in shots if s.status == 200]
    return Figures(
        acks=ledger.acks(shots, chaos.killed), stored=len(facts.keys),
        lost=ledger.lost(shots, facts.keys),
        stored_unanswered=sum(1 for k in facts.keys if k.startswith("cmd:")
                              and k not in answered),
        tallies=ledger.tally(facts.rows, delivered), doubled_page_rows=facts.doubled_page_rows,
        other_posts=ledger.tally(facts.rows, delivered, ledger.OTHER_POSTS,
                                 ledger.digest_shown(calls, facts.cards)),
        lateness=list(lateness.values()), calm_lateness=calm,
        fired_late=ledger.fired_late(facts.deadlines),
        took_over=[(at - chaos.at_wall, n) for at, n in took],
        takeover=ledger.takeover(chaos.at_wall, orphan_ids, facts.rows, delivered,
                                 facts.deadlines),
        ack_p99=pct(acks, 99),
        idle_per_process=ledger.idle_per_process(*idle, args.idle, processes),
        idle_total=ledger.idle_per_process(*idle, args.idle, 1),
        idle_seconds=args.idle, processes=processes, left=left)


def run(args, slack: SlackConditions, tmp: Path, pg: FreshPostgres, standin: SlackStandIn
        ) -> int:
    wall0 = time.monotonic()
    wait = timedelta(seconds=args.step)
    _, team = write_schedules(bench_team(args.seed, wait, wait, repeat=0), tmp / "schedules")
    fleet = Fleet(bot_env(standin.url, pg.url, tmp / "schedules"), tmp, args.web,
                  args.workers, args.web_jobs)
    db = Database(pg.url)
    try:
        print(f"starting {args.web} web and {args.workers} worker processes ...",
              file=sys.stderr, flush=True)
        started = fleet.start()
        standin.latency = slack.latency
        shots = make_shots(round(args.rate * args.seconds), 1, load_texts(), 0.5)
        client = Client(fleet.webs[0].port, args.timeout, route=fleet.route)
        t0, t0_wall = time.monotonic(), time.time()
        window = slack.open_window(standin, args.seed)
        # Answers lost in a timeout: the post took effect, the bot cannot know it did.
        timeouts = threading.Timer(slack.start, standin.delay_next, args=(
            "chat.postMessage", args.fault_delay, args.fault_timeouts))
        if args.fault_timeouts:
            timeouts.start()
        chaos = Chaos(fleet, db, args.kill_at * args.seconds, args.restart_after)
        chaos.thread.start()
        print(f"{len(shots)} requests at {args.rate:g}/s over {args.seconds:g} s ...",
              file=sys.stderr, flush=True)
        client.open_loop(shots, args.rate)
        chaos.thread.join()
        if chaos.error is not None:
            raise chaos.error
        print("draining ...", file=sys.stderr, flush=True)
        drained, left = db.wait_settled(args.drain_timeout)
        standin.end_fault_windows()
        cpu, load = fleet.cpu(), os.getloadavg()
        # The last passes and settles after the drain end, and their counts reach
        # pg_stat_database (which backends report at most every half second).
        time.sleep(max(2.0, args.idle_after))
        before = transactions(pg.name)
        seen = idle_statements(pg.name, args.idle)
        idle = (before, transactions(pg.name))
        facts = db.facts()
        bounds = [(t0_wall + slack.start, t0_wall + slack.start + slack.seconds + 5)] if (
            slack.faulty) else []
        bounds.append((chaos.at_wall, chaos.at_wall + args.restart_after + 10))
        logs, took = read_logs(fleet)
        twice = sorted(i for i, got in ledger.delivered_rows(standin.calls).items()
                       if len(got) > 1)
        f = figures(args, shots, facts, standin, chaos, bounds, idle, len(fleet.members), took,
                    left)
        if args.keep:  # what the figures were computed from, for a closer look
            _write_record(tmp / "record.json", facts, standin.calls, chaos, t0_wall)

        print(f"python {platform.python_version()}, {os.cpu_count()} CPUs (shared with "
              f"whatever else runs); PostgreSQL on the same machine; bot code at "
              f"{code_version()}")
        print(f"{args.web} web (serve{'' if args.web_jobs else ' --no-jobs'}) + "
              f"{args.workers} worker processes, started in "
              + ", ".join(f"{k} {v:.1f} s" for k, v in started.items()))
        print(f"team: {len(team.specialists)} specialists; sev2 language_oncall "
              f"{args.step:g} s -> managers {args.step:g} s -> channel")
        delayed = sum(1 for c in standin.calls if c.fault == "delay")
        print(f"load: {len(shots)} signed /emergency at {args.rate:g}/s for "
              f"{args.seconds:g} s; {slack.describe()} (window: {window_line(window)}); "
              f"{delayed} of {args.fault_timeouts} chat.postMessage answered "
              f"{args.fault_delay:g} s late from the window's start")
        print(f"SIGKILL web 1 and worker 1 at {chaos.at - t0:.1f} s, restarted "
              f"{args.restart_after:g} s later (healthy after "
              + ", ".join(f"{k} {v:.1f} s" for k, v in chaos.restart_took.items()) + ")")
        print()
        extra = [
            ("drained after the load (every step fired, nothing to send)",
             f"{drained:.1f} s, work left {left}"),
            ("outbox rows by state", _states(facts.outbox_states)),
            ("deadlines by state", _states(facts.deadline_states)),
            ("requests by status", _states(facts.request_states)),
            ("server logs", _states(logs) or "nothing flagged"),
            ("outbox rows posted more than once (ids, any kind)",
             ", ".join(map(str, twice[:20])) or "none"),
            ("CPU seconds to the drain (restarted: since the restart)",
             ", ".join(f"{k} {v:.1f}" for k, v in cpu.items())
             + f"; this process (client, stand-in) {own_cpu_seconds():.1f}"),
            ("idle: statements seen in pg_stat_activity (a sample)",
             ", ".join(f"{q} x{n}" for q, n in seen.most_common(6)) or "none"),
            ("machine load average 1 / 5 min at the drain", f"{load[0]:.1f} / {load[1]:.1f}"),
            ("total wall time", f"{time.monotonic() - wall0:.0f} s"),
        ]
        table = print_table(f, extra)
        return 2 if table.misses() and args.fail_on_miss else 0
    finally:
        fleet.stop()
        db.close()


def _write_record(path: Path, facts, calls, chaos: Chaos, t0_wall: float) -> None:
    """The rows, deadlines and Slack calls of the run as JSON (`--keep`): wall clock
    seconds, with the start of the load and the SIGKILL to read them against."""
    def call(c) -> dict:
        meta = c.params.get("metadata")
        payload = meta.get("event_payload") if isinstance(meta, dict) else None
        return {"method": c.method, "ok": c.ok, "status": c.status, "fault": c.fault,
                "at": c.received, "channel": c.params.get("channel"),
                "ts": c.params.get("ts") or (c.response or {}).get("ts"),
                "rows": (payload or {}).get("rows") if isinstance(payload, dict) else None}

    path.write_text(json.dumps({
        "load_start": t0_wall, "kill": chaos.at_wall, "orphans": sorted(chaos.orphans),
        "orphan_requests": sorted(chaos.orphan_requests),
        "rows": [dataclasses.asdict(r) for r in facts.rows],
        "deadlines": [dataclasses.asdict(d) for d in facts.deadlines],
        "calls": [call(c) for c in calls]}))


def _states(counts: Counter[str]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))


def main(argv: Sequence[str] | None = None) -> int:
    args, slack = parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="oncall-chaos-"))
    standin = SlackStandIn(host="127.0.0.1").start()
    pg = FreshPostgres("oncall_chaos")
    try:
        pg.__enter__()
        return run(args, slack, tmp, pg, standin)
    finally:
        standin.stop()
        pg.__exit__(None, None, None)
        if args.keep:
            print(f"kept {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
