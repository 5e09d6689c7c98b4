"""Running the app: gunicorn for HTTP, Bolt's Socket Mode handler, or jobs alone."""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading

from bot.app import logs
from bot.config import MANIFEST, Settings

log = logging.getLogger("oncall-bot")


def _runtime(settings: Settings, role: str = "serve"):
    from bot.app.runtime import Runtime

    runtime = Runtime(settings, role=role)
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
          jobs: bool = True, threads: int = 16, log_format: str = "text",
          jobs_process: bool = False) -> int:
    problem = _check_credentials(settings)
    if problem:
        print(f"oncall-bot serve: {problem}", file=sys.stderr)
        return 2
    logs.configure(log_format)
    if settings.socket_mode:
        return _socket_mode(settings, jobs)
    return _gunicorn(settings, host, port or settings.port,
                     jobs_placement(settings, jobs, jobs_process), threads, log_format)


def jobs_placement(settings: Settings, jobs: bool, jobs_process: bool) -> str:
    """Where `serve` runs the jobs (bot.app.http_server says why): off with `--no-jobs`;
    with `--jobs-process`, on PostgreSQL, in a second worker of their own; otherwise in
    the serving process (SQLite always: its wake-ups do not cross processes)."""
    if not jobs:
        return "off"
    from sqlalchemy.engine import make_url

    postgres = make_url(settings.database_url).get_backend_name() == "postgresql"
    return "process" if postgres and jobs_process else "here"


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
    from bot.app.first_import import import_configured
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


def _gunicorn(settings: Settings, host: str, port: int, jobs: str, threads: int,
              log_format: str = "text") -> int:
    """Prepare, then become the HTTP server (`bot.app.http_server`): `exec` leaves this
    process's imports behind, so the server starts lean, with this process's pid."""
    prepare(settings)
    argv = [sys.executable, "-m", "bot.app.http_server", "--host", host, "--port", str(port),
            "--threads", str(threads), "--log-format", log_format, "--jobs", jobs]
    # The server's threads (sending pools, request threads) each get a malloc arena of
    # their own by default, and freed memory stays spread over them: under a 429 storm
    # the worker grew past its 150 MB budget. Two arenas keep it near its working set.
    env = {"MALLOC_ARENA_MAX": "2", **os.environ, "DATABASE_URL": settings.database_url}
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, argv, env)
    return 1  # not reached


def worker(settings: Settings, log_format: str = "text", port: int | None = None,
           host: str = "0.0.0.0") -> int:
    """The jobs alone; with `port`, /healthz, /readyz and /metrics served there too (the
    worker's own counters: escalation lateness, deliveries it made)."""
    logs.configure(log_format)
    runtime = _runtime(settings, role="worker")
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    server = _health_server(runtime, host, port) if port else None
    runtime.start_jobs(recover=False)
    log.info("worker: reconciling deadlines and delivering messages%s",
             f"; /healthz, /readyz and /metrics on port {port}" if port else "")
    stop.wait()
    if server is not None:
        server.close()
    runtime.close()
    return 0


def _health_server(runtime, host: str, port: int):
    """waitress on a thread of its own, answering the health paths only (never Slack:
    the worker has no signing secret to check, and nothing of Slack's is routed here)."""
    from waitress.server import create_server

    from bot.app.health import health_only

    server = create_server(health_only(runtime.probes), host=host, port=port, threads=2,
                           ident="oncall-bot", expose_tracebacks=False)
    threading.Thread(target=server.run, name="health-server", daemon=True).start()
    return server
