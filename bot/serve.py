"""Running the app: gunicorn for HTTP, Bolt's Socket Mode handler, or jobs alone."""

from __future__ import annotations

import logging
import signal
import sys
import threading

from bot.config import MANIFEST, Settings

log = logging.getLogger("oncall-bot")


def _logging() -> None:
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def _runtime(settings: Settings):
    from bot.runtime import Runtime

    runtime = Runtime(settings)
    if settings.schedules_path.exists():
        imported = runtime.bootstrap(settings.schedules_path)
        if imported:
            log.info("imported %s from %s", ", ".join(imported), settings.schedules_path)
    runtime.warm_up()
    return runtime


def _check_credentials(settings: Settings) -> str | None:
    missing = settings.missing_slack_settings()
    if missing:
        return (f"missing {', '.join(missing)}: create the Slack app from {MANIFEST} "
                "(see docs/slack-setup.md) and set them in the environment")
    return None


def serve(settings: Settings, port: int | None = None, host: str = "0.0.0.0",
          jobs: bool = True, threads: int = 16) -> int:
    problem = _check_credentials(settings)
    if problem:
        print(f"oncall-bot serve: {problem}", file=sys.stderr)
        return 2
    _logging()
    if settings.socket_mode:
        return _socket_mode(settings, jobs)
    return _gunicorn(settings, host, port or settings.port, jobs, threads)


def _socket_mode(settings: Settings, jobs: bool) -> int:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    runtime = _runtime(settings)
    if jobs:
        runtime.start_jobs()
    log.info("Socket Mode: connecting to Slack")
    try:
        SocketModeHandler(runtime.bolt, settings.slack_app_token).start()
    finally:
        runtime.close()
    return 0


def _gunicorn(settings: Settings, host: str, port: int, jobs: bool, threads: int) -> int:
    from gunicorn.app.base import BaseApplication

    class OncallApplication(BaseApplication):
        def load_config(self):
            for key, value in {
                "bind": f"{host}:{port}", "workers": 1, "worker_class": "gthread",
                "threads": threads, "timeout": 60, "graceful_timeout": 10,
                "accesslog": None, "errorlog": "-", "loglevel": "info",
                # One worker owns the jobs; they start once it has loaded the app.
                "post_worker_init": lambda worker: worker.app.runtime.start_jobs()
                if jobs else None,
                "worker_exit": lambda server, worker: worker.app.runtime.close(),
            }.items():
                self.cfg.set(key, value)

        def load(self):
            self.runtime = _runtime(settings)
            return self.runtime.wsgi

    log.info("HTTP mode: Slack posts to http://%s:%s/slack/events (jobs %s)", host, port,
             "on" if jobs else "off: run `oncall-bot worker`")
    OncallApplication().run()
    return 0


def worker(settings: Settings) -> int:
    _logging()
    runtime = _runtime(settings)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    runtime.start_jobs(recover=False)
    log.info("worker: reconciling deadlines and delivering messages")
    stop.wait()
    runtime.close()
    return 0
