"""Processes started together on an empty database all start (issue: the web and worker
processes of the Procfile, started at once, both imported the schedules and one died
on the unique team name).

Three real processes on one empty database, released at the same instant once their
imports are done: two run `serve`'s start-up (`bot.app.serve.prepare`: migrate, import
the schedules when no team exists, build the language tables) and one is
`oncall-bot worker` (its own migration and import, then the jobs). All three must get
through, and the schedules must be imported exactly once. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import yaml
from sqlalchemy import create_engine, text

from tests.slack_harness import own_team

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "schedules" / "example"
WORKER_UP = "worker: reconciling deadlines"

# Import everything first, say so (a byte on the pipe whose descriptor is argv[1]), then
# wait for the go (a byte on stdin), then start up: once all three are ready they are let
# go at once, so they reach the migration and the import check together however long
# their imports took on a busy machine.
_RELEASE = ("import os, sys; import bot.app.serve, bot.app.runtime, bot.cli; "
            "os.write(int(sys.argv[1]), b'r'); sys.stdin.buffer.read(1); ")
PREPARE = _RELEASE + ("from bot.app.serve import prepare; from bot.config import Settings; "
                      "import logging; logging.basicConfig(level=logging.INFO); "
                      "prepare(Settings.from_env())")
WORKER = _RELEASE + "sys.exit(bot.cli.main(['worker']))"


def _team_count() -> int:
    return sum(1 for p in EXAMPLE.glob("*.y*ml") if "team" in yaml.safe_load(p.read_text()))


def test_three_processes_started_together_on_an_empty_database(db_url, tmp_path):
    # The example team with its user ids rewritten: `serve` refuses the example itself.
    schedules = own_team(tmp_path / "schedules")
    env = {**os.environ, "DATABASE_URL": db_url, "ONCALL_SCHEDULES": str(schedules),
           "ONCALL_CACHE_DIR": str(tmp_path), "SLACK_BOT_TOKEN": "xoxb-test",
           "SLACK_SIGNING_SECRET": "start-secret", "SLACK_API_URL": "http://127.0.0.1:9/api/",
           "PYTHONPATH": str(ROOT)}
    env.pop("SLACK_APP_TOKEN", None)
    logs = [tmp_path / f"start-{i}.log" for i in range(3)]
    procs, ready = [], []
    try:
        for i, code in enumerate((PREPARE, PREPARE, WORKER)):
            r, w = os.pipe()
            ready.append(r)
            with open(logs[i], "wb") as log:
                procs.append(subprocess.Popen(
                    [sys.executable, "-c", code, str(w)], env=env, cwd=tmp_path,
                    stdin=subprocess.PIPE, stdout=log, stderr=subprocess.STDOUT,
                    pass_fds=(w,), bufsize=0))
            os.close(w)
        _wait_until_imported(ready, logs)
        for p in procs:  # the go: unbuffered, so each byte leaves at once
            p.stdin.write(b"g")
            p.stdin.close()
        for p in procs[:2]:
            assert p.wait(timeout=120) == 0, _text(logs)
        deadline = time.monotonic() + 60
        while WORKER_UP not in logs[2].read_text(errors="replace"):
            assert procs[2].poll() is None, _text(logs)
            assert time.monotonic() < deadline, _text(logs)
            time.sleep(0.1)
        procs[2].send_signal(signal.SIGTERM)
        assert procs[2].wait(timeout=30) == 0, _text(logs)
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
        for r in ready:
            os.close(r)
    out = _text(logs)
    assert out.count("imported ") == 1, out
    assert "Traceback" not in out and "UniqueViolation" not in out, out
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            teams = conn.execute(text("SELECT count(*) FROM teams")).scalar_one()
    finally:
        engine.dispose()
    assert teams == _team_count()


def _wait_until_imported(ready: list[int], logs: list[Path]) -> None:
    """Until each process has written its byte (end of file: it died before; the bound
    only guards against a hang)."""
    waiting, deadline = set(ready), time.monotonic() + 120
    while waiting:
        left = deadline - time.monotonic()
        assert left > 0, "not all imported:\n" + _text(logs)
        readable, _, _ = select.select(list(waiting), [], [], left)
        for r in readable:
            assert os.read(r, 1) == b"r", "exited before its imports were done:\n" + _text(logs)
            waiting.discard(r)


def _text(logs: list[Path]) -> str:
    return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')}" for p in logs)
