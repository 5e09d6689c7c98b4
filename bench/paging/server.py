"""The bot as a subprocess (`oncall-bot serve`, or the bare Bolt baseline), a fresh
PostgreSQL database, and what the bench reads of a server: /healthz, the outbox and the
requests table (from its database), /proc (memory, CPU) and the log."""

from __future__ import annotations

import http.client
import json
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

SECRET = "bench-signing-secret-not-a-real-one"
BOT_TOKEN = "xoxb-bench"
HOST = "127.0.0.1"
PG_PORT = 5432
REPO = Path(__file__).resolve().parents[2]  # the repository: bench/paging/server.py


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


def open_database(kind: str, sqlite_path: Path) -> tuple[FreshPostgres | None, str]:
    """A fresh database for one run: (the PostgreSQL one to drop afterwards, or None for
    SQLite; its URL). `kind` is a bench's --database (postgres or sqlite)."""
    if kind != "postgres":
        return None, f"sqlite:///{sqlite_path}"
    pg = FreshPostgres()
    pg.__enter__()
    return pg, pg.url


# -- the bot as a subprocess -------------------------------------------------------------


def code_version() -> str:
    """The commit the bot's code is at, for the record (`+ changes` when the tree differs)."""
    root = REPO
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


def bot_env(slack_url: str, db_url: str, schedules: Path) -> dict[str, str]:
    """The environment a bench gives `oncall-bot serve` and `worker`: this one without
    what would point the bot elsewhere, plus the bench's token, secret, stand-in,
    database and schedules folder."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("SLACK_APP_TOKEN", "DATABASE_URL", "ONCALL_SCHEDULES", "PORT",
                        "ONCALL_METRICS_TOKEN")}
    env.update(SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SECRET, SLACK_API_URL=slack_url,
               DATABASE_URL=db_url, ONCALL_SCHEDULES=str(schedules), PYTHONUNBUFFERED="1")
    return env


def _http_get(port: int, path: str, timeout: float) -> bytes | None:
    """The body of a 200 answer to GET `path` (None for any other answer or none)."""
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request("GET", path)
        r = conn.getresponse()
        body = r.read()
        return body if r.status == 200 else None
    except (OSError, http.client.HTTPException):
        return None
    finally:
        conn.close()


def http_get_json(port: int, path: str, timeout: float = 5) -> dict | None:
    body = _http_get(port, path, timeout)
    try:
        return json.loads(body) if body is not None else None
    except ValueError:
        return None


def filings(port: int, timeout: float = 5) -> Counter[str]:
    """The serving process's requests filed inline and deferred to its router
    (`oncall_filings_total` from /metrics; empty when it cannot be read)."""
    from prometheus_client.parser import text_string_to_metric_families

    body = _http_get(port, "/metrics", timeout)
    out: Counter[str] = Counter()
    if body is None:
        return out
    for family in text_string_to_metric_families(body.decode()):
        if family.name == "oncall_filings":
            for sample in family.samples:
                if sample.name == "oncall_filings_total":
                    out[sample.labels["how"]] += int(sample.value)
    return out


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
            # `serve` migrates and imports the schedules before it listens, so a live
            # /healthz (which tells only that) means ready.
            health = http_get_json(self.port, "/healthz", timeout=2)
            if health and health.get("ok"):
                return time.monotonic() - t0
            time.sleep(0.1)
        raise RuntimeError(f"/healthz not ready after {timeout:.0f} s:\n" + self.log_tail())

    def kill(self) -> None:
        """SIGKILL the whole server (gunicorn master and worker: it has a session of its
        own) and reap it."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def worker_pids(self) -> list[int]:
        """The gunicorn workers: the master's children (on PostgreSQL `serve` forks two,
        the serving one and the jobs one; bot.app.http_server)."""
        if self.proc is None:
            return []
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        try:
            return [int(p) for p in children.read_text().split()]
        except OSError:
            pids = []
            for stat in Path("/proc").glob("[0-9]*/stat"):
                try:
                    fields = stat.read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                if int(fields[1]) == self.proc.pid:
                    pids.append(int(stat.parent.name))
            return pids

    def worker_pid(self) -> int | None:
        """The serving worker (the one answering Slack): of the master's children, the
        one at normal CPU priority (the jobs worker runs niced)."""
        pids = self.worker_pids()
        return min(pids, key=niceness) if pids else None

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
    """VmRSS and VmHWM of a process in kB, and VmRSS's parts RssAnon (the heap) and
    RssFile (mapped files: libraries, the language tables); empty when it is gone."""
    if pid is None:
        return {}
    out = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM", "RssAnon", "RssFile"):
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


def niceness(pid: int) -> int:
    """A process's nice value (0 when it is gone)."""
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[16])
    except (OSError, IndexError, ValueError):
        return 0


def postgres_cpu_seconds() -> dict[int, float]:
    """CPU seconds by process of every PostgreSQL server process on this machine
    (`postgres` by name: the server, its backends, its writers); compare two readings
    with `cpu_delta`, which counts only the processes in both."""
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() != "postgres":
                    continue
            except OSError:
                continue
            seconds = cpu_seconds(int(entry.name))
            if not math.isnan(seconds):
                found[int(entry.name)] = seconds
    return found


def cpu_delta(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds used between two `postgres_cpu_seconds` readings; a backend opened
    in between counts from zero, one closed in between is lost (the bot's pool keeps
    its connections, so few are)."""
    return sum(t - before.get(pid, 0.0) for pid, t in after.items())


def machine_cpu_seconds() -> float:
    """CPU seconds the whole machine has been busy (all cores, every process and the
    kernel: /proc/stat's user, nice, system, irq, softirq and steal)."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def own_cpu_seconds() -> float:
    t = os.times()
    return t.user + t.system


def drain(db_url: str, timeout: float) -> tuple[float, int | None]:
    """Wait until the bot's outbox is empty (no row pending or sending) and no request
    waits to be routed, read from its database (/healthz tells only whether the bot is
    alive). Returns (seconds waited, rows and requests left)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(db_url)
    t0 = time.monotonic()
    pending = None
    try:
        for _ in range(int(timeout / 0.25) + 1):
            try:
                with engine.connect() as conn:
                    pending = conn.execute(text(
                        "SELECT (SELECT count(*) FROM outbox"
                        "        WHERE state IN ('pending', 'sending'))"
                        " + (SELECT count(*) FROM requests WHERE status = 'received')"
                    )).scalar_one()
            except Exception:  # noqa: BLE001 - the database busy or away: look again
                pending = None
            if pending == 0 or time.monotonic() - t0 > timeout:
                break
            time.sleep(0.25)
    finally:
        engine.dispose()
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
