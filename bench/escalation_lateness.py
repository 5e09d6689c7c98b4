"""How late escalations fire with 1,000 open pages whose deadlines fall within a minute.

    python -m bench.escalation_lateness [--pages 1000] [--spread 60] [--lead 10]
                                        [--database sqlite|postgres]

An in-process `Runtime` on the system clock, like `oncall-bot serve` builds it: a
fresh database (a SQLite file in a temporary folder, or with `--database postgres` a
fresh PostgreSQL database on 127.0.0.1:5432 as user postgres, dropped afterwards), the
real Slack client pointed at a local Slack stand-in (127.0.0.1), and the jobs
(APScheduler, the default tick interval) started as `serve` starts them.

1. The 300-specialist team of `bench.team_gen` is imported from YAML (`dump_team`,
   then `Runtime.bootstrap`), with a sev2 policy `language_oncall` (wait 1 h) ->
   `language_oncall_all` (wait 5 m) -> `managers` -> `channel`.
2. `--pages` requests are filed through `IntakeService.file` (sev2, lang:ar), each
   paging its first specialist; the outbox is delivered (cards, pages, threads) before
   anything is timed, so the jobs start with an empty outbox.
3. The pending first-step deadline of every request is moved (`deadlines.due_utc`) so
   that the deadlines fall uniformly over `--spread` seconds, the first one `--lead`
   seconds from now (request order shuffled), and the jobs are started.
4. When each deadline comes due, the reconciler fires step 2, which pages every on-call
   reader of Arabic (or the fallback chain): a page DM to the stand-in.

Measured per deadline: `fired_utc - due_utc` from the `deadlines` table, and the arrival
at the stand-in of the first page DM of that ticket after the deadline (its
`time.monotonic()` stamp mapped to UTC) minus `due_utc`. Checked: every moved deadline
fired exactly once, no request paged the same person twice at a step, no page DM
arrived twice for one (ticket, person) after the move.

See bench/README.md for what each figure means.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import platform
import random
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from bench.paging.figures import Table, ms, pct, verdict
from bench.paging.load import TICKET, USER_ID, load_texts
from bench.paging.server import HOST, FreshPostgres, code_version
from bench.paging.team import bench_team, write_schedules
from bot.app.runtime import Runtime
from bot.config import Settings
from bot.core.model import EscalationPolicy, EscalationStep
from bot.demo.slack_standin import Call, SlackStandIn
from bot.services.intake import Intake
from bot.store.paging_tables import DeadlineRow, OutboxRow, PageRow, RequestRow

FIRST_WAIT = timedelta(hours=1)  # the filed deadlines; moved before anything is timed


def lateness_policies() -> tuple[tuple[str, EscalationPolicy], ...]:
    step = EscalationStep
    sev2 = EscalationPolicy((
        step("language_oncall", FIRST_WAIT),
        step("language_oncall_all", timedelta(minutes=5)),
        step("managers", timedelta(minutes=5)),
        step("channel"),
    ))
    return (("sev2", sev2),)


class PageArrivals:
    """The stand-in's `on_call` hook: every page DM (chat.postMessage to a user id with
    the `page_ack` button), by ticket, with its arrival in UTC seconds."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # time.monotonic() -> UTC: both clocks read in this process, back to back.
        self.offset = time.time() - time.monotonic()
        self.by_ticket: dict[int, list[tuple[float, str]]] = defaultdict(list)
        self.calls: Counter[str] = Counter()
        self.failed: Counter[str] = Counter()

    def reset(self) -> None:
        with self._lock:
            self.by_ticket.clear()
            self.calls.clear()
            self.failed.clear()

    def __call__(self, call: Call) -> None:
        with self._lock:
            self.calls[call.method] += 1
            if not call.ok:
                self.failed[f"{call.method}: {(call.response or {}).get('error')}"] += 1
        if call.method != "chat.postMessage" or not call.ok:
            return
        channel = str(call.params.get("channel") or "")
        blocks = call.params.get("blocks")
        if not USER_ID.match(channel) or "page_ack" not in (
                blocks if isinstance(blocks, str) else json.dumps(blocks)):
            return
        found = TICKET.search(str(call.params.get("text") or ""))
        if found:
            with self._lock:
                self.by_ticket[int(found.group(1))].append((call.at + self.offset, channel))


def drain_outbox(rt: Runtime, timeout: float) -> int:
    """Deliver the outbox from this thread until it is empty (or `timeout` s)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rt.outbox.deliver(rt.sender)
        left = rt.outbox.pending()
        if left == 0:
            return 0
        time.sleep(0.05)
    return rt.outbox.pending()


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.escalation_lateness", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pages", type=int, default=1000, help="open requests (default 1000)")
    ap.add_argument("--spread", type=float, default=60,
                    help="seconds over which the deadlines fall (default 60)")
    ap.add_argument("--lead", type=float, default=10,
                    help="seconds from the move to the first deadline (default 10)")
    ap.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    ap.add_argument("--seed", type=int, default=1, help="team and shuffle seed (default 1)")
    ap.add_argument("--max-wait", type=float, default=300,
                    help="give up this many seconds after the last deadline (default 300)")
    ap.add_argument("--fail-on-miss", action="store_true", help="exit 2 when a target is missed")
    args = ap.parse_args(argv)

    def stop(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, stop)
    wall0 = time.monotonic()
    version = code_version()
    tmp = Path(tempfile.mkdtemp(prefix="oncall-bench-esc-"))
    arrivals = PageArrivals()
    standin = SlackStandIn(on_call=arrivals, host=HOST).start()
    pg = FreshPostgres() if args.database == "postgres" else None
    rt: Runtime | None = None
    table = Table()
    try:
        if pg is not None:
            pg.__enter__()
            db_url = pg.url
        else:
            db_url = f"sqlite:///{tmp / 'oncall.db'}"
        team = bench_team(args.seed)
        team = dataclasses.replace(team, policies=lateness_policies())
        write_schedules(team, tmp / "schedules")
        settings = Settings(slack_bot_token="xoxb-bench", slack_signing_secret="bench",
                            slack_api_url=standin.url, database_url=db_url,
                            schedules_path=tmp / "schedules")
        rt = Runtime(settings)  # SystemClock, default tick interval
        rt.bootstrap(settings.schedules_path)
        rt.warm_up()

        # -- file the requests (untimed set-up) ----------------------------------------------
        print(f"filing {args.pages} requests and delivering their outbox ...", file=sys.stderr,
              flush=True)
        texts = load_texts()
        t0 = time.monotonic()
        ids = []
        for i in range(args.pages):
            _, text = texts[i % len(texts)]
            filed = rt.intake.file(Intake(
                key=f"bench-esc:{i}", requester=f"U0REQ{i % 50:05d}", text=f"{text} #{i}",
                via="demo", severity="sev2", language="ar", origin_channel="C0GENERAL1"))
            ids.append(filed.request.id)
        file_s = time.monotonic() - t0
        t0 = time.monotonic()
        left = drain_outbox(rt, timeout=600)
        deliver_s = time.monotonic() - t0
        first_pages = sum(len(v) for v in arrivals.by_ticket.values())
        arrivals.reset()

        # -- move the deadlines: uniform over the spread, shuffled ---------------------------
        rng = random.Random(args.seed)
        with rt.sessions() as session, session.begin():
            rows = list(session.scalars(select(DeadlineRow).where(
                DeadlineRow.state == "pending").order_by(DeadlineRow.id)))
            rng.shuffle(rows)
            base = datetime.now(UTC) + timedelta(seconds=args.lead)
            step = args.spread / max(1, len(rows))
            for k, row in enumerate(rows):
                row.due_utc = base + timedelta(seconds=k * step)
            moved = {row.id: row.request_id for row in rows}
        last_due = base + timedelta(seconds=(len(rows) - 1) * step)
        rt.start_jobs()
        print(f"{len(moved)} deadlines from {base:%H:%M:%S} to {last_due:%H:%M:%S} UTC; "
              "jobs started ...", file=sys.stderr, flush=True)

        # -- wait: every moved deadline settled, then the outbox empty (bounded) ---------------
        give_up = last_due + timedelta(seconds=args.max_wait)
        pending = len(moved)
        while datetime.now(UTC) < give_up:
            with rt.reads() as session:
                pending = session.scalar(select(func.count()).select_from(DeadlineRow).where(
                    DeadlineRow.id.in_(list(moved)), DeadlineRow.state == "pending"))
            if pending == 0:
                break
            time.sleep(0.5)
        settled_at = datetime.now(UTC)
        while datetime.now(UTC) < give_up and rt.outbox.pending():
            time.sleep(0.25)
        drained_at = datetime.now(UTC)
        rt.jobs.stop()

        # -- read the results -------------------------------------------------------------------
        with rt.reads() as session:
            deadlines = {d.id: d for d in session.scalars(
                select(DeadlineRow).where(DeadlineRow.id.in_(list(moved))))}
            dup_pages = session.execute(
                select(PageRow.request_id, PageRow.round, PageRow.step, PageRow.user,
                       func.count()).group_by(PageRow.request_id, PageRow.round, PageRow.step,
                                              PageRow.user).having(func.count() > 1)).all()
            step2 = session.scalar(select(func.count()).select_from(RequestRow).where(
                RequestRow.id.in_(ids), RequestRow.esc_step == 1))
            failed_outbox = session.scalar(select(func.count()).select_from(OutboxRow).where(
                OutboxRow.state == "failed"))
            fired_rows = session.scalar(select(func.count()).select_from(DeadlineRow).where(
                DeadlineRow.state == "fired"))
        states = Counter(d.state for d in deadlines.values())
        fired = [d for d in deadlines.values() if d.state == "fired" and d.fired_utc]
        late = [(d.fired_utc - d.due_utc).total_seconds() for d in fired]
        arrive = []
        for d in fired:
            got = [at for at, _ in arrivals.by_ticket.get(d.request_id, ())]
            if got:
                arrive.append(min(got) - d.due_utc.timestamp())
        twice_dm = sum(1 for v in arrivals.by_ticket.values()
                       for _, c in Counter(u for _, u in v).items() if c > 1)
        # lateness against position in the minute: does it build up?
        by_due = sorted(fired, key=lambda d: d.due_utc)
        tenth = max(1, len(by_due) // 10)
        first_tenth = [(d.fired_utc - d.due_utc).total_seconds() for d in by_due[:tenth]]
        last_tenth = [(d.fired_utc - d.due_utc).total_seconds() for d in by_due[-tenth:]]

        # -- report ----------------------------------------------------------------------------
        print(f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} "
              f"CPUs; database {args.database}; tick interval {rt.jobs.interval} s; bot code "
              f"at {version}")
        print(f"team: {len(team.specialists)} specialists, {len(team.rotations)} rotations, "
              f"{len(team.overrides) + len(team.time_off)} overrides and time-off entries")
        print(f"set-up (untimed): filed {args.pages} requests in {file_s:.1f} s "
              f"({file_s / max(1, args.pages) * 1000:.0f} ms each, sequential), delivered their "
              f"outbox ({first_pages} first pages) in {deliver_s:.1f} s, {left} left")
        print()
        table.section(f"{len(moved)} deadlines due uniformly over {args.spread:g} s, "
                      f"{args.lead:g} s after the move; reconciler on APScheduler")
        table.add("deadlines fired / moved", f"{len(fired)} / {len(moved)}",
                  "all, once", verdict(len(fired) == len(moved)))
        table.add("fired - due, p50", f"{ms(pct(late, 50))} ms")
        table.add("fired - due, p99", f"{ms(pct(late, 99))} ms", "<= 1 s",
                  verdict(pct(late, 99) <= 1.0))
        table.add("fired - due, max", f"{ms(max(late, default=math.nan))} ms")
        table.add("fired more than 1 s late", f"{sum(1 for x in late if x > 1)}")
        table.add("fired - due, p50: first / last tenth of the minute",
                  f"{ms(pct(first_tenth, 50))} / {ms(pct(last_tenth, 50))} ms",
                  "(equal = keeping up)")
        table.add("page DM arrival - due, p50 / p99 / max",
                  f"{ms(pct(arrive, 50))} / {ms(pct(arrive, 99))} / "
                  f"{ms(max(arrive, default=math.nan))} ms", "(the page after the deadline)")
        table.add("tickets whose step-2 page DM arrived", f"{len(arrive)} / {len(fired)}",
                  "all", verdict(len(arrive) == len(moved)))
        table.add("requests now at step 2", f"{step2} / {len(ids)}", "all",
                  verdict(step2 == len(ids)))
        table.section("nothing twice")
        table.add("moved deadlines by state", ", ".join(f"{k} {v}" for k, v in states.items()),
                  f"fired {len(moved)}", verdict(states.get("fired") == len(moved)))
        table.add("deadline rows fired in the database (all)", f"{fired_rows}",
                  f"{len(moved)}", verdict(fired_rows == len(moved)))
        table.add("(request, round, step, person) paged twice", f"{len(dup_pages)}", "0",
                  verdict(not dup_pages))
        table.add("page DMs arriving twice for one (ticket, person)", f"{twice_dm}", "0",
                  verdict(twice_dm == 0))
        table.section("other")
        table.add("all settled / outbox drained after the last due",
                  f"{(settled_at - last_due).total_seconds():.1f} s / "
                  f"{(drained_at - last_due).total_seconds():.1f} s",
                  f"still pending: {pending}")
        table.add("outbox rows failed", f"{failed_outbox}", "0", verdict(failed_outbox == 0))
        table.add("Web API calls after the move", ", ".join(
            f"{k} {v}" for k, v in arrivals.calls.most_common()))
        if arrivals.failed:
            table.add("Web API calls answered ok=false", ", ".join(
                f"{k} x{v}" for k, v in arrivals.failed.most_common(5)))
        table.print()
        print(f"total wall time {time.monotonic() - wall0:.0f} s")
    finally:
        if rt is not None:
            rt.close()
        standin.stop()
        if pg is not None:
            pg.__exit__(None, None, None)
        shutil.rmtree(tmp, ignore_errors=True)
    if table.misses() and args.fail_on_miss:
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
