"""Several `oncall-bot serve` and `oncall-bot worker` processes on one database, as an
operator runs them on many machines: started together, any of them SIGKILLed and
restarted, and the signed requests spread over the live web processes."""

from __future__ import annotations

import dataclasses
import threading
import time
from pathlib import Path

from bench.paging.load import Shot
from bench.paging.server import HOST, BotServer, cpu_seconds, free_port, oncall_bot_command


@dataclasses.dataclass
class Member:
    """One process of the fleet: `web` (serve) or `worker`, on its own port (a worker
    serves /healthz there), restarted on the same port."""

    role: str
    index: int
    port: int
    server: BotServer | None = None
    starts: int = 0

    @property
    def name(self) -> str:
        return f"{self.role} {self.index + 1}"

    def command(self, web_jobs: bool) -> list[str]:
        if self.role == "web":
            return [*oncall_bot_command(), "serve", "--host", HOST, "--port", str(self.port),
                    *([] if web_jobs else ["--no-jobs"])]
        return [*oncall_bot_command(), "worker", "--host", HOST, "--port", str(self.port)]


class Fleet:
    """`webs` web and `workers` worker processes sharing `env` (one database, one Slack
    stand-in). Requests go round-robin to the web processes that are up, as a load
    balancer with instant health checks would send them: a killed one is taken out at
    the SIGKILL and put back once its restart answers /healthz."""

    def __init__(self, env: dict[str, str], folder: Path, webs: int, workers: int,
                 web_jobs: bool = False):
        self.env = {**env, "TZ": "UTC"}  # log time stamps in UTC, as the bench reads them
        self.folder = folder
        self.web_jobs = web_jobs
        self.members = [Member("web", i, free_port()) for i in range(webs)] + [
            Member("worker", i, free_port()) for i in range(workers)]
        self._up: set[int] = set()
        self._lock = threading.Lock()

    @property
    def webs(self) -> list[Member]:
        return [m for m in self.members if m.role == "web"]

    @property
    def workers(self) -> list[Member]:
        return [m for m in self.members if m.role == "worker"]

    @property
    def logs(self) -> list[Path]:
        return sorted(self.folder.glob("*.log"))

    def _start(self, member: Member) -> float:
        member.starts += 1
        log = self.folder / f"{member.role}{member.index + 1}-{member.starts}.log"
        member.server = BotServer(member.port, self.env, self.folder, log,
                                  cmd=member.command(self.web_jobs))
        took = member.server.start()
        if member.role == "web":
            with self._lock:
                self._up.add(member.port)
        return took

    def start(self, members: list[Member] | None = None) -> dict[str, float]:
        """Start the members (default: all) at the same instant, as a deploy does; wait
        until each answers /healthz. Seconds each took, by name."""
        members = self.members if members is None else members
        took: dict[str, float] = {}
        errors: list[BaseException] = []

        def run(m: Member) -> None:
            try:
                took[m.name] = self._start(m)
            except BaseException as err:  # noqa: BLE001 - raised below, in this thread
                errors.append(err)

        threads = [threading.Thread(target=run, args=(m,), daemon=True) for m in members]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            raise errors[0]
        return took

    def kill(self, member: Member) -> tuple[float, float]:
        """SIGKILL one process (a web one leaves the rotation first); (wall clock,
        monotonic) of the kill."""
        with self._lock:
            self._up.discard(member.port)
        at = (time.time(), time.monotonic())
        if member.server is not None:
            member.server.kill()
        return at

    def route(self, shot: Shot) -> int:
        with self._lock:
            up = sorted(self._up)
        if not up:
            return self.webs[0].port  # refused: nobody serves
        return up[shot.n % len(up)]

    def cpu(self) -> dict[str, float]:
        """CPU seconds (user + system) each process has used, a web process's gunicorn
        workers included (its jobs worker too, when it runs the jobs on PostgreSQL); a
        restarted one counts from its restart."""
        out = {}
        for m in self.members:
            if m.server is None or m.server.proc is None:
                continue
            pids = [m.server.proc.pid, *m.server.worker_pids()]
            out[m.name] = sum(cpu_seconds(p) for p in pids)
        return out

    def stop(self) -> None:
        for m in self.members:
            if m.server is not None:
                m.server.stop()
