"""SIGKILL mid-surge, then restart: is any acknowledged request lost, is any step paged twice?

    python -m bench.crash_surge [--rate 200] [--duration 10] [--kill-after 5]
                                [--database sqlite|postgres]

The same set-up as `bench.paging_latency` (the 300-specialist team, the Slack stand-in
in this process, `oncall-bot serve` as a subprocess on a fresh database, signed
`/emergency` POSTs on an open-loop schedule, half with `lang:ar`, half detected):

1. server A takes `--rate` requests/s; `--kill-after` s in, the whole server (gunicorn
   master and worker) gets SIGKILL, with requests in flight, some committed and
   acknowledged but not routed yet, pages and cards half sent;
2. the load goes on for the rest of `--duration` s against a dead port (those
   requests fail: Slack would show the requester an error, nothing was acknowledged);
3. server B starts on the same database and is left to recover: route what A had
   only received, re-send what A was sending, deliver the rest.

Then, from the stand-in and the database: every request answered 200 is in the
database and routed; every one got its page DM; no (request, step, user) has two page
rows; and how many page DMs reached Slack twice (delivery is at least once: a DM
Slack accepted just before the SIGKILL, whose row was not yet marked sent, is sent
again by B).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from bench.paging.figures import Table, ms, pct, verdict
from bench.paging.load import Client, PageWatch, load_texts, make_shots
from bench.paging.server import (
    BotServer,
    FreshPostgres,
    bot_env,
    code_version,
    drain,
    free_port,
)
from bench.paging.team import bench_team, write_schedules
from bot.demo.slack_standin import SlackStandIn


def db_facts(db_url: str) -> tuple[dict[str, int], Counter[str], int]:
    """(key -> request id, requests per status, (request, round, step, user) with more
    than one page row)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            keys = dict(conn.execute(text("SELECT key, id FROM requests")).all())
            status = Counter(dict(conn.execute(
                text("SELECT status, count(*) FROM requests GROUP BY status")).all()))
            doubled = conn.execute(text(
                'SELECT count(*) FROM (SELECT request_id, round, step, "user" FROM pages '
                'GROUP BY request_id, round, step, "user" HAVING count(*) > 1) AS d')).scalar()
        return keys, status, int(doubled or 0)
    finally:
        engine.dispose()


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.crash_surge", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rate", type=float, default=200, help="requests/s (default 200)")
    ap.add_argument("--duration", type=float, default=10,
                    help="seconds of load in all (default 10)")
    ap.add_argument("--kill-after", type=float, default=5,
                    help="seconds into the load when server A gets SIGKILL (default 5)")
    ap.add_argument("--detect-share", type=float, default=0.5,
                    help="share of requests without lang: (default 0.5)")
    ap.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    ap.add_argument("--seed", type=int, default=1, help="team seed (default 1)")
    ap.add_argument("--timeout", type=float, default=10, help="client timeout per POST (s)")
    ap.add_argument("--recover-timeout", type=float, default=180,
                    help="how long B may take to page every acknowledged request (s)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder")
    ap.add_argument("--fail-on-miss", action="store_true", help="exit 2 when a target is missed")
    args = ap.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="oncall-crash-"))
    watch = PageWatch()
    standin = SlackStandIn(on_call=watch, host="127.0.0.1").start()
    pg = FreshPostgres() if args.database == "postgres" else None
    table = Table()
    servers: list[BotServer] = []
    try:
        _, team = write_schedules(bench_team(args.seed), tmp / "schedules")
        db_url = pg.__enter__().url if pg is not None else f"sqlite:///{tmp / 'crash.db'}"
        env = bot_env(standin.url, db_url, tmp / "schedules")
        port = free_port()
        a = BotServer(port, env, tmp, tmp / "server-a.log")
        servers.append(a)
        print(f"A: starting oncall-bot serve on port {port} ({args.database}) ...",
              file=sys.stderr, flush=True)
        a.start()
        shots = make_shots(round(args.rate * args.duration), 1, load_texts(),
                           args.detect_share)
        client = Client(port, args.timeout)

        killed_at: list[float] = []

        def kill_a() -> None:
            time.sleep(args.kill_after)
            killed_at.append(time.monotonic())
            a.kill()  # master and worker

        killer = threading.Thread(target=kill_a, daemon=True)
        print(f"A: {len(shots)} requests at {args.rate:g}/s, SIGKILL after "
              f"{args.kill_after:g} s ...", file=sys.stderr, flush=True)
        killer.start()
        client.open_loop(shots, args.rate)
        killer.join()
        keys_a, status_a, _ = db_facts(db_url)
        acked = [s for s in shots if s.status == 200 and s.ticket is not None]
        in_flight = sum(1 for s in shots if s.start < killed_at[0] < s.end)

        b = BotServer(port, env, tmp, tmp / "server-b.log")
        servers.append(b)
        print("B: restarting on the same database ...", file=sys.stderr, flush=True)
        t_b = time.monotonic()
        ready = b.start()
        waited = watch.wait_for({s.ticket for s in acked}, args.recover_timeout)
        drain_s, left = drain(db_url, 60)
        recovered_in = time.monotonic() - t_b
        keys, status, doubled_rows = db_facts(db_url)
        first, pages, _users = watch.snapshot()

        print(f"python on {os.cpu_count()} CPUs; database {args.database}; bot code at "
              f"{code_version()}; team of {len(team.specialists)} specialists")
        print()
        table.section(f"A: {args.rate:g} requests/s, SIGKILL (master and worker) "
                      f"{args.kill_after:g} s in; the load goes on to {args.duration:g} s")
        table.add("requests sent / answered 200 with a ticket by A",
                  f"{len(shots)} / {len(acked)}")
        table.add("requests in flight at the SIGKILL", f"{in_flight}")
        table.add("in the database when A died: routed / only received",
                  f"{len(keys_a) - status_a.get('received', 0)} / "
                  f"{status_a.get('received', 0)}")
        acks = [s.ack for s in acked]
        table.add("A's acks: p99 / max", f"{ms(pct(acks, 99))} / "
                  f"{ms(max(acks, default=float('nan')))} ms", "< 3 s",
                  verdict(bool(acks) and max(acks) < 3.0))
        table.section("B: restarted on the same database")
        table.add("healthy after / every acknowledged request paged after",
                  f"{ready:.1f} s / {waited:.1f} s from B's start")
        lost = sum(1 for s in acked if f"cmd:{s.trigger_id}" not in keys)
        table.add("acknowledged by A but not in the database (lost)", f"{lost}", "0",
                  verdict(lost == 0))
        unpaged = sum(1 for s in acked if s.ticket not in first)
        table.add("acknowledged but never paged", f"{unpaged}", "0", verdict(unpaged == 0))
        table.add("requests left `received` (never routed)", f"{status.get('received', 0)}",
                  "0", verdict(status.get("received", 0) == 0))
        table.add("steps paged twice: (request, step, user) with two page rows",
                  f"{doubled_rows}", "0", verdict(doubled_rows == 0))
        dup_dms = sum(1 for t in first if pages[t] > 1)
        table.add("tickets whose page DM reached Slack twice", f"{dup_dms}",
                  "(at least once: sent just before the SIGKILL, not yet marked sent)")
        table.add("outbox drained after / rows left", f"{drain_s:.1f} s / {left}",
                  f"(recovery took {recovered_in:.1f} s in all)")
        table.print()
    finally:
        for s in servers:
            s.stop()
        standin.stop()
        if pg is not None:
            pg.__exit__(None, None, None)
        if args.keep:
            print(f"kept {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    if table.misses() and args.fail_on_miss:
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
