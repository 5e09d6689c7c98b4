"""The HTTP server: a gunicorn master that imports little, and one worker that builds the
`Runtime` and serves `/slack/events`, `/healthz` and the calendar feeds with waitress
(`bot.app.waitress_worker`: slow or stalled clients hold no thread).

`oncall-bot serve` starts it with `exec` once it has migrated the database, imported
the schedules and built the language tables (`bot.app.serve.prepare`): the worker is
forked from the master, so whatever the master had loaded would stay resident in the
serving process too, and Alembic and the language model's loader are not needed there.

    python -m bot.app.http_server --host 0.0.0.0 --port 3000 [--threads 16] [--no-jobs]
        [--worker waitress|gthread] [--log-format text|json]

`--worker gthread` (gunicorn's own threaded worker, what served before) is kept only as
the baseline `bench.stalled_clients` measures against.
"""

from __future__ import annotations

import argparse
import gc
import logging
import sys
from collections.abc import Sequence

from gunicorn.app.base import BaseApplication

from bot.app import logs
from bot.config import Settings

log = logging.getLogger("oncall-bot")
WORKERS = {"waitress": "bot.app.waitress_worker.WaitressWorker", "gthread": "gthread"}


class OncallApplication(BaseApplication):
    def __init__(self, settings: Settings, host: str, port: int, jobs: bool, threads: int,
                 worker: str = "waitress", log_format: str = "text"):
        self._settings, self._bind = settings, f"{host}:{port}"
        self._jobs, self._threads, self._worker = jobs, threads, WORKERS[worker]
        self._log_format = log_format
        self.runtime = None
        super().__init__()

    def load_config(self) -> None:
        jobs = self._jobs
        for key, value in {
            "bind": self._bind, "workers": 1, "worker_class": self._worker,
            "threads": self._threads, "timeout": 60, "graceful_timeout": 10,
            "accesslog": None, "errorlog": "-", "loglevel": "info",
            # One worker owns the jobs; they start once it has loaded the app.
            "post_worker_init": lambda worker: worker.app.runtime.start_jobs()
            if jobs else worker.app.runtime.router.wake(),
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

    def load(self):
        from bot.app.runtime import Runtime

        self.runtime = Runtime(self._settings, migrate_schema=False,
                               role="serve" if self._jobs else "web")
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
    ap.add_argument("--no-jobs", action="store_true")
    ap.add_argument("--worker", choices=sorted(WORKERS), default="waitress")
    ap.add_argument("--log-format", choices=logs.FORMATS, default="text")
    args = ap.parse_args(argv)
    logs.configure(args.log_format)
    settings = Settings.from_env()
    log.info("HTTP mode: Slack posts to http://%s:%s/slack/events (jobs %s)", args.host,
             args.port, "off: run `oncall-bot worker`" if args.no_jobs else "on")
    OncallApplication(settings, args.host, args.port, not args.no_jobs, args.threads,
                      args.worker, args.log_format).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
