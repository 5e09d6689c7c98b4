"""The HTTP server: a gunicorn master that imports little, and a worker that builds the
`Runtime` and serves `/slack/events`, `/healthz` and the calendar feeds with waitress
(`bot.app.waitress_worker`: slow or stalled clients hold no thread).

Where the jobs run (`--jobs`): `here`, in that worker (the default, and always on SQLite:
its wake-ups are in-process only); `process` (`serve --jobs-process`, PostgreSQL), in a
second worker of the same master that serves nothing and runs at a lower CPU priority,
woken by LISTEN/NOTIFY; `off`, in an `oncall-bot worker` elsewhere. With `process`,
answering Slack never shares an interpreter (one GIL) with the escalations, look-ups and
channel posts; on this project's 2-core bench machine it cost more than it gave (twice
the CPU per request, the page DM later at 50 requests/s: docs/design.md has the figures),
so it is not the default. The web worker routes and pages what it files at once; the
jobs worker routes what the web one leaves for JOBS_GRACE.

`oncall-bot serve` starts it with `exec` once it has migrated the database, imported
the schedules and built the language tables (`bot.app.serve.prepare`): the worker is
forked from the master, so whatever the master had loaded would stay resident in the
serving process too, and Alembic and the language model's loader are not needed there.

    python -m bot.app.http_server --host 0.0.0.0 --port 3000 [--threads 16]
        [--jobs here|process|off] [--worker waitress|gthread] [--log-format text|json]

`--worker gthread` (gunicorn's own threaded worker, what served before) is kept only as
the baseline `bench.stalled_clients` measures against.
"""

from __future__ import annotations

import argparse
import gc
import logging
import os
import sys
from collections.abc import Sequence

from gunicorn.app.base import BaseApplication

from bot.app import logs
from bot.config import Settings

log = logging.getLogger("oncall-bot")
WORKERS = {"waitress": "bot.app.waitress_worker.WaitressWorker", "gthread": "gthread"}
JOBS = ("here", "process", "off")
WEB, JOBS_ROLE = "web", "jobs"  # a worker's part when the jobs have a process of their own
# The jobs worker's niceness: under a surge the kernel gives the web worker the CPU
# first, so Slack's answers keep their 3 s while the backlog waits its turn.
JOBS_NICE = 10


class OncallApplication(BaseApplication):
    def __init__(self, settings: Settings, host: str, port: int, jobs: str, threads: int,
                 worker: str = "waitress", log_format: str = "text"):
        if jobs not in JOBS:
            raise ValueError(f"jobs must be one of {', '.join(JOBS)}, not {jobs!r}")
        self._settings, self._bind = settings, f"{host}:{port}"
        self._jobs, self._threads, self._worker = jobs, threads, WORKERS[worker]
        self._log_format = log_format
        self._role = WEB  # the part of the worker forked next (set by _pre_fork)
        self.runtime = None
        super().__init__()

    def load_config(self) -> None:
        for key, value in {
            "bind": self._bind, "workers": 2 if self._jobs == "process" else 1,
            "worker_class": self._worker,
            "threads": self._threads, "timeout": 60, "graceful_timeout": 10,
            "accesslog": None, "errorlog": "-", "loglevel": "info",
            "pre_fork": self._pre_fork,
            "post_worker_init": self._post_worker_init,
            "worker_exit": lambda server, worker: worker.app.runtime.close(),
            "logconfig_dict": logs.gunicorn_config(self._log_format) or {},
        }.items():
            self.cfg.set(key, value)
        # gunicorn 25.1+ opens a control socket for `gunicornc` at one path per user
        # (~/.gunicorn/gunicorn.ctl): every `serve` on a machine would take it from the
        # one before, and the first to stop would remove the live one's. Nothing here uses
        # it (the processes are run by signals: bot.app.serve), so it is off.
        if "control_socket_disable" in self.cfg.settings:
            self.cfg.set("control_socket_disable", True)

    def _pre_fork(self, server, worker) -> None:
        """In the master, before each fork: with the jobs in a process of their own, the
        worker forked when none holds them takes them (at start, and when the master
        replaces a jobs worker that died); every other one serves."""
        held = any(getattr(w, "role", None) == JOBS_ROLE for w in server.WORKERS.values())
        worker.role = JOBS_ROLE if self._jobs == "process" and not held else WEB
        self._role = worker.role  # the forked worker reads its part here (load)

    def _post_worker_init(self, worker) -> None:
        runtime = worker.app.runtime
        if self._role == JOBS_ROLE:
            os.nice(JOBS_NICE)
            runtime.start_jobs()
        elif self._jobs == "here":
            runtime.start_jobs()
        else:  # requests received while no router ran are routed now
            runtime.router.wake()

    def load(self):
        from bot.app.runtime import Runtime

        role = {"here": "serve", "off": "web"}.get(
            self._jobs, "worker" if self._role == JOBS_ROLE else "web")
        self.runtime = Runtime(self._settings, migrate_schema=False, role=role)
        self.runtime.warm_up()
        # What start-up built (the team, the roster, the app) lives as long as the
        # process: keep it out of the collector's full passes (~25 ms each otherwise).
        gc.collect()
        gc.freeze()
        return self.runtime.wsgi


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bot.app.http_server",
                                 description="serve the Slack app over HTTP (see bot.app.serve)")
    ap.add_argument("--host", default="0.0.0.0")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--threads", type=int, default=16)
    ap.add_argument("--jobs", choices=JOBS, default="here")
    ap.add_argument("--worker", choices=sorted(WORKERS), default="waitress")
    ap.add_argument("--log-format", choices=logs.FORMATS, default="text")
    args = ap.parse_args(argv)
    logs.configure(args.log_format)
    settings = Settings.from_env()
    log.info("HTTP mode: Slack posts to http://%s:%s/slack/events (jobs %s)", args.host,
             args.port, {"here": "on, in the serving process",
                         "process": "on, in a second process at lower CPU priority",
                         "off": "off: run `oncall-bot worker`"}[args.jobs])
    OncallApplication(settings, args.host, args.port, args.jobs, args.threads,
                      args.worker, args.log_format).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
