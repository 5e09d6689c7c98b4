"""Running the app: gunicorn for HTTP, Bolt's Socket Mode handler, or jobs alone."""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading

from bot.config import MANIFEST, Settings

log = logging.getLogger("oncall-bot")


def _logging() -> None:
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def _runtime(settings: Settings):
    from bot.app.runtime import Runtime

    runtime = Runtime(settings)
    try:
        imported = runtime.import_configured()
    except BaseException:
        runtime.close()
        raise
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


def prepare(settings: Settings) -> None:
    """What the server needs done once before it starts: the schema migrated, the
    schedules ONCALL_SCHEDULES names imported into an empty database (nothing when it
    is unset; never the example team), the language tables built."""
    from bot.app.runtime import import_configured
    from bot.language.detector import ensure_cache
    from bot.store.db import make_engine, migrate, session_factory

    engine = make_engine(settings.database_url)
    try:
        migrate(engine)
        imported = import_configured(settings, engine, session_factory(engine, immediate=True),
                                     session_factory(engine))
        if imported:
            log.info("imported %s from %s", ", ".join(imported), settings.schedules_path)
    finally:
        engine.dispose()
    ensure_cache()


def _gunicorn(settings: Settings, host: str, port: int, jobs: bool, threads: int) -> int:
    """Prepare, then become the HTTP server (`bot.app.http_server`): `exec` leaves this
    process's imports behind, so the server starts lean, with this process's pid."""
    prepare(settings)
    argv = [sys.executable, "-m", "bot.app.http_server", "--host", host, "--port", str(port),
            "--threads", str(threads)] + ([] if jobs else ["--no-jobs"])
    # The server's threads (sending pools, request threads) each get a malloc arena of
    # their own by default, and freed memory stays spread over them: under a 429 storm
    # the worker grew past its 150 MB budget. Two arenas keep it near its working set.
    env = {"MALLOC_ARENA_MAX": "2", **os.environ, "DATABASE_URL": settings.database_url}
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, argv, env)
    return 1  # not reached


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
