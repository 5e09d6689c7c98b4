"""One load phase on a fresh server and database (`Bench.run`), the bare Bolt baseline
under the same load (`Bench.bare_cpu_per_request`) and the SQL one request runs
(`Bench.sql_per_request`)."""

from __future__ import annotations

import argparse
import dataclasses
import math
import sys
import time
from collections import Counter
from pathlib import Path

from bench.paging.categories import category_shots, store_categories
from bench.paging.load import Client, PageWatch, Shot, load_texts, make_shots
from bench.paging.server import (
    BOT_TOKEN,
    HOST,
    REPO,
    SECRET,
    BotServer,
    FreshPostgres,
    bot_env,
    cpu_seconds,
    drain,
    filed_requests,
    filings,
    free_port,
    memory,
    oncall_bot_command,
    open_database,
    own_cpu_seconds,
    scan_log,
)
from bench.paging.slack import SlackConditions
from bot.demo.slack_standin import FaultWindow, SlackStandIn


@dataclasses.dataclass
class Phase:
    name: str
    rate: float
    duration: float
    detect_share: float
    targets: str  # "latency" | "surge"
    # The team gains categories, skills and a capacity; requests carry categories, all
    # in Arabic (bench/paging/categories.py).
    categories: bool = False
    language: str = "ar"  # of the categories phase's requests


@dataclasses.dataclass
class PhaseResult:
    phase: Phase
    shots: list[Shot]
    warm: list[Shot]
    ready_s: float
    wall: float
    waited_pages: float
    drain_s: float
    outbox_left: int | None
    mem_idle: tuple[dict, dict]
    mem_after: tuple[dict, dict]
    worker_restarted: bool
    filed: dict[str, int]
    first: dict[int, float]
    pages: Counter[int]
    users: dict[int, str]
    log_counts: Counter[str]
    log_samples: list[str]
    cpu: tuple[float, float, float]  # worker CPU s, bench process CPU s, wall s
    window: FaultWindow | None = None  # the Slack fault window of this phase, if any
    # The load's requests the serving process routed as it filed them ("inline") and
    # left to its router ("deferred"), from its /metrics.
    filings: Counter[str] = dataclasses.field(default_factory=Counter)

    @property
    def ok(self) -> list[Shot]:
        return [s for s in self.shots if s.status == 200 and s.ticket is not None]

    def acks(self) -> list[float]:
        return [s.ack for s in self.shots if s.status == 200]

    def to_page(self) -> list[float]:
        return [self.first[s.ticket] - s.start for s in self.ok if s.ticket in self.first]

    def lags(self) -> list[float]:
        return [s.start - s.scheduled for s in self.shots if not math.isnan(s.start)]

    def outcomes(self) -> Counter[str]:
        return Counter("200" if s.status == 200 and s.ticket else (s.error or "?")
                       for s in self.shots)

    def slow_acks(self) -> int:
        """Acknowledgements over Slack's 3 s: a 200 that came later, or no answer at all
        within 3 s (the client waits up to --timeout). Error statuses are counted apart."""
        return sum(1 for s in self.shots if s.status in (0, 200) and s.ack > 3.0)

    def error_answers(self) -> tuple[int, int]:
        """(HTTP 404 answers, HTTP 5xx answers): 404 is Bolt's "unhandled request" when a
        listener has not acknowledged within 3 s."""
        return (sum(1 for s in self.shots if s.status == 404),
                sum(1 for s in self.shots if 500 <= s.status <= 599))

    def paged_twice(self) -> int:
        return sum(1 for s in self.ok if self.pages.get(s.ticket, 0) > 1)


class Bench:
    def __init__(self, args: argparse.Namespace, tmp: Path, standin: SlackStandIn,
                 watch: PageWatch, slack: SlackConditions):
        self.args = args
        self.slack = slack
        self.tmp = tmp
        self.standin = standin
        self.watch = watch
        self.texts = load_texts()
        self.n = 1
        self.team_name = ""  # the bench team's name (set by the caller)

    def env(self, db_url: str) -> dict[str, str]:
        return bot_env(self.standin.url, db_url, self.tmp / "schedules")

    def run(self, phase: Phase, index: int) -> PhaseResult:
        args = self.args
        pg, db_url = open_database(args.database, self.tmp / f"phase{index}.db")
        port = free_port()
        cmd = ([*oncall_bot_command(), "serve", "--host", HOST, "--port", str(port),
                "--jobs-process"] if args.jobs_process else None)
        server = BotServer(port, self.env(db_url), self.tmp,
                           self.tmp / f"server-phase{index}.log", cmd)
        self.standin.clear()  # a phase pays nothing for the calls of the phases before
        self.watch.reset()
        try:
            print(f"{phase.name}: starting oncall-bot serve on {HOST}:{port} "
                  f"({args.database}) ...", file=sys.stderr, flush=True)
            ready_s = server.start()
            if phase.categories:
                store_categories(db_url, self.team_name)
            client = Client(port, args.timeout)
            warm = make_shots(args.warmup, self.n, self.texts, 0.5)
            self.n += len(warm)
            client.sequential(warm)
            self.watch.wait_for({s.ticket for s in warm if s.ticket is not None}, 30)
            drain(db_url, 30)
            worker = server.worker_pid()  # the serving one (its memory is the budget's)
            workers = server.worker_pids()  # with the jobs one on PostgreSQL: the CPU
            mem_idle = (memory(server.proc.pid), memory(worker))

            shots = make_shots(round(phase.rate * phase.duration), self.n, self.texts,
                               phase.detect_share)
            if phase.categories:
                shots = category_shots(shots, phase.language)
            self.n += len(shots)
            print(f"{phase.name}: {len(shots)} requests at {phase.rate:g}/s ...",
                  file=sys.stderr, flush=True)
            filings0 = filings(port)
            cpu0, own0, t0 = bot_cpu(workers), own_cpu_seconds(), time.monotonic()
            # The window opens with the load (its own seed per phase), not in the warm-up.
            window = self.slack.open_window(self.standin, args.seed * 1000 + index)
            wall = client.open_loop(shots, phase.rate)
            tickets = {s.ticket for s in shots if s.ticket is not None}
            waited = self.watch.wait_for(tickets, args.page_timeout)
            drain_s, left = drain(db_url, args.drain_timeout)
            cpu = (bot_cpu(workers) - cpu0, own_cpu_seconds() - own0, time.monotonic() - t0)
            mem_after = (memory(server.proc.pid), memory(worker))
            restarted = set(server.worker_pids()) != set(workers)
            filed = filed_requests(db_url)
            how = filings(port)
            how.subtract(filings0)
            counts, samples = scan_log(server.log_tail(10_000_000))
            first, pages, users = self.watch.snapshot()
            if args.keep:
                write_timeline(self.tmp / f"timeline-phase{index}.csv", shots, first)
            return PhaseResult(phase, shots, warm, ready_s, wall, waited, drain_s, left,
                               mem_idle, mem_after, restarted, filed, first, pages, users,
                               counts, samples, cpu, window, how)
        finally:
            self.standin.end_fault_windows()
            server.stop()
            if pg is not None:
                pg.__exit__(None, None, None)


    def bare_cpu_per_request(self, rate: float, duration: float) -> tuple[float, int]:
        """Worker CPU per acknowledged request of the bare Bolt app (bench/bare_bolt.py)
        under the same gunicorn settings and load; (seconds, requests)."""
        port = free_port()
        cmd = [sys.executable, "-m", "bench.bare_bolt", "--host", HOST, "--port", str(port)]
        server = BotServer(port, self.env("sqlite://"), REPO, self.tmp / "bare.log", cmd)
        try:
            server.start()
            client = Client(port, self.args.timeout)
            client.sequential(make_shots(self.args.warmup, self.n, self.texts, 0.0))
            shots = make_shots(round(rate * duration), self.n, self.texts, 0.0)
            worker = server.worker_pid()
            cpu0 = cpu_seconds(worker)
            client.open_loop(shots, rate)
            time.sleep(1.0)  # the Web API calls after the last acks
            acked = sum(1 for s in shots if s.acked)
            return (cpu_seconds(worker) - cpu0) / max(1, acked), acked
        finally:
            server.stop()

    def sql_per_request(self, count: int = 20) -> tuple[float, float, float]:
        """SQL statements, transactions and round trips to PostgreSQL (0 on SQLite) per
        filed /emergency end to end (file, route, page DM, card, thread), counted with
        SQLAlchemy events on the app's engine in this process (bench/sqlcount.py), after
        warm-up requests."""
        from bench.sqlcount import count_sql
        from bot.app.runtime import Runtime
        from bot.config import Settings
        from bot.demo.local_server import LocalServer

        pg = FreshPostgres() if self.args.database == "postgres" else None
        url = pg.__enter__().url if pg is not None else \
            f"sqlite:///{self.tmp / 'sqlcount.db'}"
        settings = Settings(slack_bot_token=BOT_TOKEN, slack_signing_secret=SECRET,
                            slack_api_url=self.standin.url, database_url=url)
        runtime = Runtime(settings)
        server = None
        try:
            runtime.bootstrap(self.tmp / "schedules")
            server = LocalServer(runtime.wsgi, port=0).start()
            client = Client(int(server.url.rsplit(":", 1)[1]), self.args.timeout)
            warm = make_shots(max(3, min(self.args.warmup, 10)), self.n, self.texts, 0.0)
            self.n += len(warm)
            client.sequential(warm)
            self.watch.wait_for({s.ticket for s in warm if s.ticket is not None}, 30)
            _wait_quiet(runtime)
            shots = make_shots(count, self.n, self.texts, 0.0)
            self.n += len(shots)
            own = runtime.rosters.revision_reads  # reads the engine's events do not see
            own_before = own.own_reads
            with count_sql(runtime.engine) as counted:
                for shot in shots:  # one at a time: each request's own statements
                    client.sequential([shot])
                    self.watch.wait_for({shot.ticket} - {None}, 10)
                    _wait_quiet(runtime, counted)
            n = max(1, sum(1 for s in shots if s.acked))
            extra = own.own_reads - own_before  # one statement and one round trip each
            return ((counted.statements + extra) / n, counted.transactions / n,
                    (counted.round_trips + extra) / n)
        finally:
            if server is not None:
                server.stop()
            runtime.close()
            if pg is not None:
                pg.__exit__(None, None, None)


def _wait_quiet(runtime, counted=None, still: float = 0.3, timeout: float = 10) -> None:
    """Until the app's delivery threads are done: nothing new on the database for
    `still` s (watched through `counted`), or the outbox empty (without a counter)."""
    deadline = time.monotonic() + timeout
    if counted is None:
        while runtime.outbox.pending() and time.monotonic() < deadline:
            time.sleep(0.05)
        return
    last, since = counted.statements, time.monotonic()
    while time.monotonic() - since < still and time.monotonic() < deadline:
        time.sleep(0.02)
        if counted.statements != last:
            last, since = counted.statements, time.monotonic()


def write_timeline(path: Path, shots: list[Shot], first: dict[int, float]) -> None:
    """Each request of a phase (`--keep`): when it was sent (seconds into the phase), how
    late the client sent it, its acknowledgement and its page DM (ms): where the slow
    ones cluster in time, and whether the client itself stalled then."""
    t0 = min((s.start for s in shots if not math.isnan(s.start)), default=0.0)
    with path.open("w") as out:
        out.write("n,sent_s,late_ms,status,ack_ms,page_ms\n")
        for s in shots:
            page = (first[s.ticket] - s.start) * 1000 if s.ticket in first else math.nan
            out.write(f"{s.n},{s.start - t0:.4f},{(s.start - s.scheduled) * 1000:.1f},"
                      f"{s.status},{s.ack * 1000:.1f},{page:.1f}\n")


def bot_cpu(pids: list[int]) -> float:
    """CPU seconds of the bot's workers together (the serving one and the jobs one)."""
    return sum(cpu_seconds(p) for p in pids)


def cpu_per_filed(res: PhaseResult) -> float:
    keys = {s.trigger_id for s in res.shots}
    n = sum(1 for t in res.filed if t.removeprefix("cmd:") in keys)
    return res.cpu[0] / max(1, n)
