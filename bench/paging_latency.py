"""A signed `/emergency` to the page DM at a local Slack stand-in, against a real server.

    python -m bench.paging_latency [--rate 50] [--duration 20] [--surge-rate 200]
                                   [--surge-duration 30] [--database sqlite|postgres]

Everything runs on this machine and talks to 127.0.0.1 only:

- the Slack Web API stand-in (`bot.demo.slack_standin.SlackStandIn`) runs inside this
  process, so the arrival of each Web API call is stamped with `time.monotonic()` on
  the same clock as the POSTs;
- the bot is the real thing: `oncall-bot serve --host 127.0.0.1 --port <free>` as a
  subprocess (gunicorn, one gthread worker, the APScheduler jobs inside it), with
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
detected by the bot); a surge of `--surge-rate` requests/s for `--surge-duration` s
(half of each kind). After sending, the bench waits (bounded) for the page DMs and for
the bot's outbox to drain (/healthz), then reads the bot's `requests` table.

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
import asyncio
import dataclasses
import http.client
import json
import math
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

from bench.team_gen import generate_team
from bot.core.model import EscalationPolicy, EscalationStep, Team
from bot.demo.simulate import EVENTS_PATH, SlackSimulator, sign
from bot.demo.slack_standin import Call, SlackStandIn
from bot.schedules.reader import parse_team
from bot.schedules.writer import dump_team

SECRET = "bench-signing-secret-not-a-real-one"
BOT_TOKEN = "xoxb-bench"
HOST = "127.0.0.1"
PG_PORT = 5432
TICKET = re.compile(r"\bT-(\d+)\b")
USER_ID = re.compile(r"^[UW][A-Z0-9]+$")
TEXTS = Path(__file__).resolve().parent / "data" / "emergency_texts.tsv"
REQUESTERS = tuple(f"U0REQ{i:05d}" for i in range(50))
ORIGIN_CHANNEL = "C0GENERAL1"


# -- the team ------------------------------------------------------------------------


def bench_policies(first_wait: timedelta = timedelta(minutes=5)
                   ) -> tuple[tuple[str, EscalationPolicy], ...]:
    """The policies of PRODUCT.md's example (team_gen makes none); sev2's first wait is
    `first_wait`."""
    step = EscalationStep
    return (
        ("sev1", EscalationPolicy((
            step("language_oncall", timedelta(minutes=2)),
            step("language_oncall_all", timedelta(minutes=2)),
            step("language_backup", timedelta(minutes=2)),
            step("managers", timedelta(minutes=3)),
            step("channel"),
        ), repeat=2)),
        ("sev2", EscalationPolicy((
            step("language_oncall", first_wait),
            step("managers", timedelta(minutes=10)),
            step("channel"),
        ), repeat=1)),
        ("sev3", EscalationPolicy((
            step("language_oncall", timedelta(minutes=30)),
            step("managers", timedelta(hours=1)),
        ))),
    )


def bench_team(seed: int = 1, first_wait: timedelta = timedelta(minutes=5)) -> Team:
    """`generate_team(seed)` with what a schedules file needs and the generator leaves
    out: escalation policies and a default severity (channels and managers it sets)."""
    team = generate_team(seed=seed)
    return dataclasses.replace(team, policies=bench_policies(first_wait),
                               default_severity="sev2")


def write_schedules(team: Team, folder: Path) -> tuple[Path, Team]:
    """Dump the team as YAML into `folder` and read it back with `parse_team`."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{team.name}.yaml"
    text = dump_team(team)
    path.write_text(text, encoding="utf-8")
    parsed = parse_team(text, str(path.name))  # raises ScheduleError with file/line/field
    if not parsed.policies or len(parsed.specialists) != len(team.specialists):
        raise SystemExit(f"{path.name}: the dumped team did not read back whole")
    return path, parsed


# -- PostgreSQL -----------------------------------------------------------------------


class FreshPostgres:
    """A new, empty database on 127.0.0.1:5432 (user postgres), dropped on exit."""

    def __init__(self, prefix: str = "oncall_bench"):
        self.name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
        self.url = f"postgresql+psycopg://postgres@{HOST}:{PG_PORT}/{self.name}"

    def _admin(self):
        import psycopg

        return psycopg.connect(host=HOST, port=PG_PORT, user="postgres", dbname="postgres",
                               autocommit=True, connect_timeout=5)

    def __enter__(self) -> FreshPostgres:
        with self._admin() as conn:
            conn.execute(f'CREATE DATABASE "{self.name}"')
        return self

    def __exit__(self, *exc) -> None:
        try:
            with self._admin() as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        except Exception as err:  # noqa: BLE001 - report, do not mask the run's outcome
            print(f"could not drop database {self.name}: {err}", file=sys.stderr)


# -- figures --------------------------------------------------------------------------


def pct(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); NaN for no values."""
    s = sorted(values)
    if not s:
        return float("nan")
    return s[min(len(s) - 1, max(0, math.ceil(q / 100 * len(s)) - 1))]


def ms(seconds: float) -> str:
    if math.isnan(seconds):
        return "-"
    return f"{seconds * 1000:,.1f}" if seconds < 0.1 else f"{seconds * 1000:,.0f}"


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


class Table:
    def __init__(self) -> None:
        self.rows: list[tuple[str, str, str, str]] = []

    def add(self, figure: str, measured: str, target: str = "", verdict: str = "") -> None:
        self.rows.append((figure, measured, target, verdict))

    def section(self, title: str) -> None:
        self.rows.append((title, "", "", "#"))

    def misses(self) -> list[str]:
        return [r[0] for r in self.rows if r[3] == "MISS"]

    def print(self) -> None:
        heads = ("figure", "measured", "baseline / target", "")
        rows = [r for r in self.rows if r[3] != "#"]
        w = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(heads)]
        print("  ".join(h.ljust(x) for h, x in zip(heads, w, strict=True)).rstrip())
        print("  ".join("-" * x for x in w))
        for r in self.rows:
            if r[3] == "#":
                print(f"[{r[0]}]")
                continue
            print("  ".join(c.ljust(x) for c, x in zip(r, w, strict=True)).rstrip())


# -- the stand-in side: page DMs as they arrive ------------------------------------------


class PageWatch:
    """The stand-in's `on_call` hook: the first page DM per ticket, with its arrival time
    (`Call.at`, time.monotonic() when the request reached the stand-in)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self.first: dict[int, float] = {}
        self.user: dict[int, str] = {}
        self.pages: Counter[int] = Counter()  # page DMs per ticket (all steps)
        self.methods: Counter[str] = Counter()
        self.failed: Counter[str] = Counter()

    def reset(self) -> None:
        """Forget the pages seen (each phase has a fresh database: tickets start at T-1)."""
        with self._lock:
            self.first, self.user, self.pages = {}, {}, Counter()

    def snapshot(self) -> tuple[dict[int, float], Counter[int], dict[int, str]]:
        with self._lock:
            return dict(self.first), Counter(self.pages), dict(self.user)

    def __call__(self, call: Call) -> None:
        with self._lock:
            self.methods[call.method] += 1
            if not call.ok:
                self.failed[f"{call.method}: {(call.response or {}).get('error')}"] += 1
        if call.method != "chat.postMessage" or not call.ok:
            return
        channel = str(call.params.get("channel") or "")
        if not USER_ID.match(channel):
            return
        blocks = call.params.get("blocks")
        if "page_ack" not in (blocks if isinstance(blocks, str) else json.dumps(blocks)):
            return
        found = TICKET.search(str(call.params.get("text") or ""))
        if found is None:
            return
        ticket = int(found.group(1))
        with self._cond:
            self.pages[ticket] += 1
            if ticket not in self.first:
                self.first[ticket] = call.at
                self.user[ticket] = channel
                self._cond.notify_all()

    def wait_for(self, tickets: set[int], timeout: float) -> float:
        """Wait (at most `timeout` s) until every ticket has a page; returns seconds waited."""
        t0 = time.monotonic()
        deadline = t0 + timeout
        with self._cond:
            while not tickets <= self.first.keys():
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(min(left, 0.5))
        return time.monotonic() - t0


# -- the bot as a subprocess -------------------------------------------------------------


def code_version() -> str:
    """The commit the bot's code is at, for the record (`+ changes` when the tree differs)."""
    root = Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, timeout=10,
                              capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "bot"],
                               cwd=root, timeout=10, capture_output=True, text=True).stdout
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return (head or "unknown") + (" + uncommitted changes in bot/" if dirty.strip() else "")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def oncall_bot_command() -> list[str]:
    script = Path(sys.executable).with_name("oncall-bot")
    if script.exists():
        return [str(script)]
    found = shutil.which("oncall-bot")
    return [found] if found else [sys.executable, "-m", "bot"]


def http_get_json(port: int, path: str, timeout: float = 5) -> dict | None:
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request("GET", path)
        r = conn.getresponse()
        body = r.read()
        return json.loads(body) if r.status == 200 else None
    except (OSError, ValueError, http.client.HTTPException):
        return None
    finally:
        conn.close()


class BotServer:
    """`oncall-bot serve` in a subprocess, stopped with SIGTERM (then SIGKILL) on exit."""

    def __init__(self, port: int, env: dict[str, str], cwd: Path, log_path: Path,
                 cmd: list[str] | None = None):
        self.cmd = cmd or [*oncall_bot_command(), "serve", "--host", HOST, "--port", str(port)]
        self.port = port
        self.env = env
        self.cwd = cwd
        self.log_path = log_path
        self.proc: subprocess.Popen | None = None
        self._log = None

    def start(self, timeout: float = 120) -> float:
        """Start and wait for /healthz (at most `timeout` s); returns seconds to healthy."""
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        t0 = time.monotonic()
        self.proc = subprocess.Popen(self.cmd, env=self.env, cwd=self.cwd, stdout=self._log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        for _ in range(int(timeout / 0.1)):
            if self.proc.poll() is not None:
                raise RuntimeError(f"oncall-bot serve exited with {self.proc.returncode}:\n"
                                   + self.log_tail())
            health = http_get_json(self.port, "/healthz", timeout=2)
            if health and health.get("ok") and health.get("teams"):
                return time.monotonic() - t0
            time.sleep(0.1)
        raise RuntimeError(f"/healthz not ready after {timeout:.0f} s:\n" + self.log_tail())

    def worker_pid(self) -> int | None:
        """The gunicorn worker: the master's child."""
        if self.proc is None:
            return None
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        try:
            pids = [int(p) for p in children.read_text().split()]
        except OSError:
            pids = []
            for stat in Path("/proc").glob("[0-9]*/stat"):
                try:
                    fields = stat.read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                if int(fields[1]) == self.proc.pid:
                    pids.append(int(stat.parent.name))
        return pids[0] if pids else None

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        if self._log is not None:
            self._log.close()
            self._log = None

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


def memory(pid: int | None) -> dict[str, int]:
    """VmRSS and VmHWM of a process in kB (empty when it is gone)."""
    if pid is None:
        return {}
    out = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = int(value.split()[0])
    except OSError:
        return {}
    return out


def cpu_seconds(pid: int | None) -> float:
    """User + system CPU seconds a process has used (NaN when it is gone)."""
    if pid is None:
        return math.nan
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return math.nan
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def own_cpu_seconds() -> float:
    t = os.times()
    return t.user + t.system


def mb(kb: int | None) -> str:
    return "-" if kb is None else f"{kb / 1024:.1f} MB"


# -- the load ---------------------------------------------------------------------------


@dataclasses.dataclass
class Shot:
    """One signed /emergency POST."""

    n: int
    text: str
    detect: bool = False
    scheduled: float = math.nan
    start: float = math.nan
    end: float = math.nan
    status: int = 0  # 0: no HTTP answer (timeout, connection error)
    ticket: int | None = None
    error: str | None = None

    @property
    def trigger_id(self) -> str:
        return f"{self.n}.1111.bench{self.n:06d}"

    @property
    def ack(self) -> float:
        return self.end - self.start

    @property
    def acked(self) -> bool:
        """Slack would count this as acknowledged: HTTP 200 within 3 s."""
        return self.status == 200 and self.ticket is not None and self.ack <= 3.0


class Client:
    """Signed POSTs to /slack/events on an open-loop schedule, from an asyncio loop: every
    request is its own task, started at its scheduled instant however slow the earlier
    ones are, and given up after `timeout` s (Slack itself gives up after 3 s)."""

    def __init__(self, port: int, timeout: float):
        self.port = port
        self.timeout = timeout
        self.sim = SlackSimulator(f"http://{HOST}:{port}", SECRET)

    def _request(self, shot: Shot) -> bytes:
        body = self.sim.command_body("/emergency", shot.text,
                                     REQUESTERS[shot.n % len(REQUESTERS)], ORIGIN_CHANNEL,
                                     trigger_id=shot.trigger_id)
        headers = {"Host": f"{HOST}:{self.port}",
                   "Content-Type": "application/x-www-form-urlencoded",
                   "Content-Length": str(len(body)), **sign(body, SECRET)}
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        # HTTP/1.0: the server closes the connection after the answer; read to EOF.
        return f"POST {EVENTS_PATH} HTTP/1.0\r\n{head}\r\n".encode() + body

    async def _exchange(self, request: bytes) -> bytes:
        reader, writer = await asyncio.open_connection(HOST, self.port)
        try:
            writer.write(request)
            await writer.drain()
            return await reader.read()
        finally:
            writer.close()

    async def fire(self, shot: Shot) -> None:
        request = self._request(shot)
        shot.start = time.monotonic()
        try:
            raw = await asyncio.wait_for(self._exchange(request), self.timeout)
        except TimeoutError:
            shot.end = time.monotonic()
            shot.error = "timeout"
            return
        except OSError as err:
            shot.end = time.monotonic()
            shot.error = type(err).__name__
            return
        shot.end = time.monotonic()
        head, _, body = raw.partition(b"\r\n\r\n")
        try:
            shot.status = int(head.split(b" ", 2)[1])
        except (IndexError, ValueError):
            shot.error = "bad answer"
            return
        text = body.decode(errors="replace")
        found = TICKET.search(text) if shot.status == 200 else None
        if shot.status != 200:
            shot.error = f"HTTP {shot.status}"
        elif found is None:
            shot.error = "200 without a ticket"
        else:
            shot.ticket = int(found.group(1))

    async def _open_loop(self, shots: list[Shot], rate: float) -> None:
        t0 = time.monotonic() + 0.05
        tasks = []
        for i, shot in enumerate(shots):
            shot.scheduled = t0 + i / rate
            delay = shot.scheduled - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(self.fire(shot)))
        await asyncio.gather(*tasks)

    def open_loop(self, shots: list[Shot], rate: float) -> float:
        t0 = time.monotonic()
        asyncio.run(self._open_loop(shots, rate))
        return time.monotonic() - t0

    def sequential(self, shots: list[Shot]) -> None:
        async def run() -> None:
            for shot in shots:
                shot.scheduled = time.monotonic()
                await self.fire(shot)

        asyncio.run(run())


def load_texts() -> list[tuple[str, str]]:
    rows = []
    for line in TEXTS.read_text(encoding="utf-8").splitlines()[1:]:
        lang, _, text = line.partition("\t")
        if text.strip():
            rows.append((lang, text.strip()))
    return rows


def make_shots(count: int, start_n: int, texts: list[tuple[str, str]],
               detect_share: float) -> list[Shot]:
    """`detect_share` of the requests have no `lang:` (spread evenly), the rest `lang:ar`."""
    shots = []
    for i in range(count):
        n = start_n + i
        _, text = texts[n % len(texts)]
        if math.floor((i + 1) * detect_share) > math.floor(i * detect_share):
            shots.append(Shot(n, f"sev2 {text} #{n}", detect=True))
        else:
            shots.append(Shot(n, f"sev2 lang:ar bench request #{n}: {text}"))
    return shots


def drain(port: int, timeout: float) -> tuple[float, int | None]:
    """Wait until the bot's outbox is empty (/healthz outbox_pending == 0)."""
    t0 = time.monotonic()
    pending = None
    for _ in range(int(timeout / 0.25) + 1):
        health = http_get_json(port, "/healthz")
        pending = None if health is None else health.get("outbox_pending")
        if pending == 0 or time.monotonic() - t0 > timeout:
            break
        time.sleep(0.25)
    return time.monotonic() - t0, pending


def filed_requests(db_url: str) -> dict[str, int]:
    """key -> request id of every request in the bot's database."""
    from sqlalchemy import create_engine, text

    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            return dict(conn.execute(text("SELECT key, id FROM requests")).all())
    finally:
        engine.dispose()


@dataclasses.dataclass
class Phase:
    name: str
    rate: float
    duration: float
    detect_share: float
    targets: str  # "latency" | "surge"


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


LOG_PATTERNS = {
    "database is locked": "database is locked",
    "didn't call ack()": "Bolt: listener didn't call ack() within 3 s",
    "Failed to run listener function": "Bolt: listener raised",
    "reconcile tick failed": "jobs: reconcile tick failed",
    "Error handling request": "gunicorn: error handling request",
    "WORKER TIMEOUT": "gunicorn: worker timeout",
}


def scan_log(text: str) -> tuple[Counter[str], list[str]]:
    counts: Counter[str] = Counter()
    samples: list[str] = []
    for line in text.splitlines():
        for needle, label in LOG_PATTERNS.items():
            if needle in line:
                counts[label] += 1
        if (" ERROR " in line or "[ERROR]" in line) and len(samples) < 5:
            samples.append(line[:200])
    return counts, samples


class Bench:
    def __init__(self, args: argparse.Namespace, tmp: Path, standin: SlackStandIn,
                 watch: PageWatch):
        self.args = args
        self.tmp = tmp
        self.standin = standin
        self.watch = watch
        self.texts = load_texts()
        self.n = 1

    def env(self, db_url: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items()
               if k not in ("SLACK_APP_TOKEN", "DATABASE_URL", "ONCALL_SCHEDULES", "PORT")}
        env.update(SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SECRET,
                   SLACK_API_URL=self.standin.url, DATABASE_URL=db_url,
                   ONCALL_SCHEDULES=str(self.tmp / "schedules"), PYTHONUNBUFFERED="1")
        return env

    def run(self, phase: Phase, index: int) -> PhaseResult:
        args = self.args
        pg = FreshPostgres() if args.database == "postgres" else None
        if pg is not None:
            pg.__enter__()
            db_url = pg.url
        else:
            db_url = f"sqlite:///{self.tmp / f'phase{index}.db'}"
        port = free_port()
        server = BotServer(port, self.env(db_url), self.tmp, self.tmp / f"server-phase{index}.log")
        self.watch.reset()
        try:
            print(f"{phase.name}: starting oncall-bot serve on {HOST}:{port} "
                  f"({args.database}) ...", file=sys.stderr, flush=True)
            ready_s = server.start()
            client = Client(port, args.timeout)
            warm = make_shots(args.warmup, self.n, self.texts, 0.5)
            self.n += len(warm)
            client.sequential(warm)
            self.watch.wait_for({s.ticket for s in warm if s.ticket is not None}, 30)
            drain(port, 30)
            worker = server.worker_pid()
            mem_idle = (memory(server.proc.pid), memory(worker))

            shots = make_shots(round(phase.rate * phase.duration), self.n, self.texts,
                               phase.detect_share)
            self.n += len(shots)
            print(f"{phase.name}: {len(shots)} requests at {phase.rate:g}/s ...",
                  file=sys.stderr, flush=True)
            cpu0, own0, t0 = cpu_seconds(worker), own_cpu_seconds(), time.monotonic()
            wall = client.open_loop(shots, phase.rate)
            tickets = {s.ticket for s in shots if s.ticket is not None}
            waited = self.watch.wait_for(tickets, args.page_timeout)
            drain_s, left = drain(port, args.drain_timeout)
            cpu = (cpu_seconds(worker) - cpu0, own_cpu_seconds() - own0, time.monotonic() - t0)
            mem_after = (memory(server.proc.pid), memory(worker))
            restarted = server.worker_pid() != worker
            filed = filed_requests(db_url)
            counts, samples = scan_log(server.log_tail(10_000_000))
            first, pages, users = self.watch.snapshot()
            return PhaseResult(phase, shots, warm, ready_s, wall, waited, drain_s, left,
                               mem_idle, mem_after, restarted, filed, first, pages, users,
                               counts, samples, cpu)
        finally:
            server.stop()
            if pg is not None:
                pg.__exit__(None, None, None)


    def bare_cpu_per_request(self, rate: float, duration: float) -> tuple[float, int]:
        """Worker CPU per acknowledged request of the bare Bolt app (bench/bare_bolt.py)
        under the same gunicorn settings and load; (seconds, requests)."""
        port = free_port()
        cmd = [sys.executable, "-m", "bench.bare_bolt", "--host", HOST, "--port", str(port)]
        root = Path(__file__).resolve().parent.parent
        server = BotServer(port, self.env("sqlite://"), root, self.tmp / "bare.log", cmd)
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

    def sql_per_request(self, count: int = 20) -> tuple[float, float]:
        """SQL statements and transactions per filed /emergency end to end (file, route,
        page DM, card, thread), counted with SQLAlchemy events on the app's engine in
        this process (bench/sqlcount.py), after warm-up requests."""
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
            with count_sql(runtime.engine) as counted:
                for shot in shots:  # one at a time: each request's own statements
                    client.sequential([shot])
                    self.watch.wait_for({shot.ticket} - {None}, 10)
                    _wait_quiet(runtime, counted)
            n = max(1, sum(1 for s in shots if s.acked))
            return counted.statements / n, counted.transactions / n
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


def report_path(table: Table, sql: tuple[float, float], bot_cpu: float | None,
                bare: tuple[float, int]) -> None:
    """Issue 8's figures: what one request costs along its path, beside its targets."""
    statements, transactions = sql
    table.section("the request's path (issue 8)")
    table.add("SQL statements per filed /emergency (file, route, page DM, card, thread)",
              f"{statements:.1f}", "<= 15", verdict(statements <= 15))
    table.add("transactions per filed /emergency", f"{transactions:.1f}", "<= 4",
              verdict(transactions <= 4))
    bare_cpu, bare_n = bare
    table.add("bare Bolt app: worker CPU per acknowledged request",
              f"{bare_cpu * 1000:.2f} ms", f"(same gunicorn settings, {bare_n} requests)")
    if bot_cpu is not None:
        table.add("bot: worker CPU per filed request (steady lang:ar)",
                  f"{bot_cpu * 1000:.2f} ms", "<= 5 ms", verdict(bot_cpu <= 0.005))
        ratio = bot_cpu / bare_cpu if bare_cpu else math.inf
        table.add("bot / bare", f"{ratio:.1f}", "<= 3", verdict(ratio <= 3))


def cpu_per_filed(res: PhaseResult) -> float:
    keys = {s.trigger_id for s in res.shots}
    n = sum(1 for t in res.filed if t.removeprefix("cmd:") in keys)
    return res.cpu[0] / max(1, n)


# -- the report --------------------------------------------------------------------------


def report(table: Table, res: PhaseResult) -> None:
    ph = res.phase
    n_det = sum(s.detect for s in res.shots)
    kind = ("`/emergency sev2 lang:ar <text #n>`" if n_det == 0 else
            "`/emergency sev2 <text #n>`, language detected" if n_det == len(res.shots) else
            f"{n_det} detected, {len(res.shots) - n_det} lang:ar")
    table.section(f"{ph.name}: {ph.rate:g} requests/s for {ph.duration:g} s, {kind} "
                  f"(fresh server and database)")
    outcomes = res.outcomes()
    n_ok = len(res.ok)
    table.add("answered HTTP 200 with a ticket / sent", f"{n_ok} / {len(res.shots)}", "all",
              verdict(n_ok == len(res.shots)))
    if n_ok != len(res.shots):
        table.add("  the others", ", ".join(f"{k}: {v}" for k, v in outcomes.most_common()
                                            if k != "200"))
    to_page = res.to_page()
    acks = res.acks()
    p50, p99 = pct(to_page, 50), pct(to_page, 99)
    if ph.targets == "latency":
        table.add("POST -> page DM at the stand-in, p50", f"{ms(p50)} ms", "<= 20 ms",
                  verdict(p50 <= 0.020))
        table.add("POST -> page DM, p99", f"{ms(p99)} ms", "<= 50 ms", verdict(p99 <= 0.050))
        table.add("POST -> page DM, max", f"{ms(max(to_page, default=math.nan))} ms")
        table.add("POST -> ack (HTTP 200), p50 / p99 / max",
                  f"{ms(pct(acks, 50))} / {ms(pct(acks, 99))} / "
                  f"{ms(max(acks, default=math.nan))} ms")
    else:
        slow = sum(1 for a in acks if a > 3.0)
        missed = sum(1 for s in res.shots if not s.acked)
        table.add("POST -> ack (HTTP 200), p50 / p99", f"{ms(pct(acks, 50))} / "
                  f"{ms(pct(acks, 99))} ms", "< 3 s", verdict(pct(acks, 99) < 3.0))
        table.add("POST -> ack, max", f"{ms(max(acks, default=math.nan))} ms")
        table.add("acks (HTTP 200) slower than 3 s", f"{slow}", "0", verdict(slow == 0))
        table.add("Slack's 3 s acknowledgement missed (slow, not 200, no answer)",
                  f"{missed} / {len(res.shots)}", "0", verdict(missed == 0))
        table.add("POST -> page DM, p50 / p99 / max", f"{ms(p50)} / {ms(p99)} / "
                  f"{ms(max(to_page, default=math.nan))} ms", "(for scale)")
    arrived = sum(1 for s in res.ok if s.ticket in res.first)
    table.add("page DMs arrived / acknowledged requests", f"{arrived} / {n_ok}",
              f"all (waited {res.waited_pages:.1f} s)", verdict(arrived == n_ok))
    keys = {s.trigger_id: s for s in res.shots}
    filed = {k.removeprefix("cmd:"): v for k, v in res.filed.items()}
    lost = sum(1 for s in res.ok if s.trigger_id not in filed)
    filed_unacked = sum(1 for t in filed if t in keys and not keys[t].acked)
    table.add("acknowledged but not in the database (lost)", f"{lost}", "0", verdict(lost == 0))
    table.add("in the database but Slack saw no ack within 3 s", f"{filed_unacked}",
              "(requester sees an error; a retry files it twice)")
    paged_filed = sum(1 for t, rid in filed.items() if t in keys and rid in res.first)
    n_filed = sum(1 for t in filed if t in keys)
    table.add("page DMs arrived / requests in the database", f"{paged_filed} / {n_filed}",
              "all", verdict(paged_filed == n_filed))
    twice = sum(1 for s in res.ok if res.pages.get(s.ticket, 0) > 1)
    table.add("tickets paged more than once", f"{twice}", "0", verdict(twice == 0))
    table.add("sending took / outbox drained after / rows left",
              f"{res.wall:.1f} s / {res.drain_s:.1f} s / "
              f"{'no answer' if res.outbox_left is None else res.outbox_left}",
              "(/healthz outbox_pending)")
    lags = res.lags()
    table.add("client: POST start behind schedule, p99 / max",
              f"{ms(pct(lags, 99))} / {ms(max(lags, default=math.nan))} ms",
              "(open-loop health: small)")
    worker_cpu, own_cpu, span = res.cpu
    n_in_db = max(1, sum(1 for t in filed if t in keys))
    table.add("CPU, sending to drained: worker / bench (client + stand-in)",
              f"{worker_cpu:.1f} s / {own_cpu:.1f} s in {span:.1f} s",
              f"worker {worker_cpu / n_in_db * 1000:.1f} ms per filed request")
    for label, count in res.log_counts.most_common():
        table.add(f"server log: {label}", f"{count} lines", "0", "MISS")
    if res.worker_restarted:
        table.add("gunicorn worker restarted during the phase", "yes", "no", "MISS")


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.paging_latency", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rate", type=float, default=50, help="steady requests/s (default 50)")
    ap.add_argument("--duration", type=float, default=20,
                    help="seconds of each steady phase (default 20)")
    ap.add_argument("--detect-duration", type=float, default=None,
                    help="seconds of the steady phase without lang: (default: --duration; "
                         "0 skips it)")
    ap.add_argument("--surge-rate", type=float, default=200, help="surge requests/s (default 200)")
    ap.add_argument("--surge-duration", type=float, default=30,
                    help="seconds of the surge (default 30; 0 skips it)")
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
                    help="keep the temporary folder (databases, schedules, server logs)")
    ap.add_argument("--fail-on-miss", action="store_true", help="exit 2 when a target is missed")
    ap.add_argument("--quick", action="store_true",
                    help="a short run: one steady lang:ar phase of 5 s, 5 warm-up requests")
    args = ap.parse_args(argv)
    if args.quick:
        args.duration, args.detect_duration, args.surge_duration = 5, 0, 0
        args.warmup = min(args.warmup, 5)
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
        if args.surge_duration > 0:
            phases.append(Phase("surge", args.surge_rate, args.surge_duration,
                                args.surge_detect_share, "surge"))
        version = code_version()
        bench = Bench(args, tmp, standin, watch)
        results = [bench.run(ph, i) for i, ph in enumerate(phases)]
        sql = bench.sql_per_request(10 if args.quick else 20)
        bare = bench.bare_cpu_per_request(args.rate, args.duration or 5)
        steady = next((r for r in results if r.phase.name == "steady lang:ar"), None)

        print(f"python {platform.python_version()} on {platform.machine()}, "
              f"{os.cpu_count()} CPUs; database {args.database}; bot code at {version}; "
              "oncall-bot serve (gunicorn, 1 gthread worker, jobs in it) in a subprocess, "
              "Slack stand-in in this process")
        print(f"team: {len(parsed.specialists)} specialists, {len(parsed.rotations)} rotations, "
              f"{len(parsed.overrides)} overrides, {len(parsed.time_off)} time-off entries, "
              f"{len(parsed.languages)} languages (dump_team + parse_team in {dump_s:.1f} s)")
        print("each phase: a fresh server and database, "
              f"{args.warmup} sequential warm-up requests, then the open loop; "
              "healthy after " + ", ".join(f"{r.ready_s:.1f} s" for r in results))
        print()
        for res in results:
            warm_acks = [s.ack for s in res.warm if s.status == 200]
            report(table, res)
            warm_pages = [res.first[s.ticket] - s.start for s in res.warm
                          if s.ticket is not None and s.ticket in res.first]
            table.add("warm-up, one at a time: first ack / p50 ack / p50 page DM",
                      f"{ms(warm_acks[0]) if warm_acks else '-'} / {ms(pct(warm_acks, 50))} / "
                      f"{ms(pct(warm_pages, 50))} ms", "(no load: the floor)")
        report_path(table, sql, cpu_per_filed(steady) if steady else None, bare)

        table.section("resident memory of the serving process (gunicorn worker), "
                      "300-specialist team loaded")
        after = [(r.phase.name, r.mem_after[1].get("VmRSS")) for r in results]
        for r in results:
            table.add(f"worker VmRSS: idle after warm-up / after {r.phase.name}",
                      f"{mb(r.mem_idle[1].get('VmRSS'))} / {mb(r.mem_after[1].get('VmRSS'))}")
        worst = max((kb for _, kb in after if kb is not None), default=None)
        table.add("worker VmRSS after load, worst phase", mb(worst), "< 150 MB",
                  verdict(worst is not None and worst < 150 * 1024))
        peak = max((r.mem_after[1].get("VmHWM", 0) for r in results), default=None)
        table.add("worker peak VmHWM (start-up included)", mb(peak), "< 150 MB",
                  verdict(bool(peak) and peak < 150 * 1024))
        table.add("gunicorn master VmRSS (does not load the app)",
                  " / ".join(mb(r.mem_after[0].get("VmRSS")) for r in results))
        if watch.failed:
            table.add("Web API calls answered ok=false", ", ".join(
                f"{k} x{v}" for k, v in watch.failed.most_common(5)))
        if standin.errors:
            table.add("stand-in internal errors", f"{len(standin.errors)}", "0", "MISS")
        table.print()
        print()
        for res in results:
            paged = Counter(res.users[s.ticket] for s in res.ok
                            if not s.detect and s.ticket in res.users)
            print(f"{res.phase.name}: lang:ar pages went to "
                  + (", ".join(f"{u} x{c}" for u, c in paged.most_common(5)) or "-"))
            for line in res.log_samples[:3]:
                print("  server log: " + line)
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
