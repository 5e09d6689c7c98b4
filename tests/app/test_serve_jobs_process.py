"""`oncall-bot serve --jobs-process` on PostgreSQL: the gunicorn master forks two workers,
one serving Slack and one running the jobs at a lower CPU priority (bot.app.http_server).
A real process tree, signed requests over HTTP, the Web API at the stand-in."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from bot.app.http_server import JOBS_NICE
from bot.demo.simulate import SlackSimulator
from bot.demo.slack_standin import SlackStandIn
from tests.app.test_serve_process import _accepted, _children, _free_port, _health
from tests.slack_harness import own_team

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[2]
SECRET = "serve-jobs-process-secret"


def _nice(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[16])


def _lowered(jobs: int, master: int) -> bool:
    """The jobs worker runs JOBS_NICE below the master (19 is as low as it goes)."""
    return _nice(jobs) == min(19, _nice(master) + JOBS_NICE)


def _until(what: str, check, timeout: float = 60):
    """Poll `check` until it returns something truthy (bounded; not a timing claim)."""
    deadline = time.monotonic() + timeout
    while True:
        got = check()
        if got:
            return got
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.1)


def _ready(port: int) -> bool:
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        conn.request("GET", "/readyz")
        return conn.getresponse().status == 200
    except OSError:
        return False
    finally:
        conn.close()


def _roles(pid: int) -> dict[int, str]:
    """The master's workers by part: the niced one runs the jobs."""
    return {p: ("jobs" if _nice(p) > _nice(pid) else "web") for p in _children(pid)}


def _both(pid: int, gone: int | None = None) -> dict[int, str] | None:
    """The two workers once one serves and one holds the jobs (a worker lowers its
    priority once it has loaded the app), without `gone`."""
    roles = _roles(pid)
    return roles if sorted(roles.values()) == ["jobs", "web"] and gone not in roles else None


@pytest.fixture
def served_pg(tmp_path, pg_url_own):
    pg_url = pg_url_own
    standin = SlackStandIn().start()
    port = _free_port()
    env = {**os.environ, "SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": SECRET,
           "SLACK_API_URL": standin.url, "DATABASE_URL": pg_url,
           "ONCALL_SCHEDULES": str(own_team(tmp_path / "schedules")),
           "ONCALL_CACHE_DIR": str(tmp_path), "PYTHONPATH": str(ROOT)}
    env.pop("SLACK_APP_TOKEN", None)
    log = open(tmp_path / "serve.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1", "--port", str(port),
         "--jobs-process"],
        env=env, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _until("serve to answer /healthz", lambda: proc.poll() is not None
               or (_health(port) or {}).get("ok"), timeout=90)
        assert proc.poll() is None, (tmp_path / "serve.log").read_text(errors="replace")
        yield proc, port, standin, pg_url
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        log.close()
        standin.stop()


def test_serve_on_postgres_answers_from_one_worker_and_runs_the_jobs_niced_in_another(
        served_pg, tmp_path):
    proc, port, standin, url = served_pg
    roles = _until("a web and a jobs worker", lambda: _both(proc.pid))
    jobs = next(p for p, r in roles.items() if r == "jobs")
    web = next(p for p, r in roles.items() if r == "web")
    assert _lowered(jobs, proc.pid)

    # /readyz follows a reconciler's heartbeat: the jobs worker's (the web one runs none).
    _until("/readyz", lambda: _ready(port))
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            beats = dict(conn.execute(text("SELECT pid, role FROM process_heartbeats")).all())
    finally:
        engine.dispose()
    assert beats.get(jobs) == "worker" and web not in beats, beats

    sim = SlackSimulator(f"http://127.0.0.1:{port}", SECRET)
    for n in range(1, 4):
        r = sim.command("/emergency", f"sev1 lang:ar بث مباشر لتهديد مدرسة {n}", "U0REQ0001",
                        "C0INTAKE01")
        assert r.status == 200 and f"Filed T-{n}" in r.text, r.text
    standin.wait_for(lambda c: c.method == "chat.postMessage" and "T-3" in c.params.get(
        "text", "") and "page_ack" in json.dumps(c.params.get("blocks") or ""), timeout=20,
        description="the third page DM")
    # Every connection went to the serving worker: the jobs one never accepts.
    assert _accepted(jobs, port) == 0


def test_a_dead_jobs_worker_is_replaced_by_one_that_takes_the_jobs(served_pg, tmp_path):
    proc, port, standin, _url = served_pg
    roles = _until("a web and a jobs worker", lambda: _both(proc.pid))
    jobs = next(p for p, r in roles.items() if r == "jobs")
    web = next(p for p, r in roles.items() if r == "web")
    os.kill(jobs, signal.SIGKILL)

    roles = _until("the master to fork a new jobs worker", lambda: _both(proc.pid, jobs))
    assert roles[web] == "web"  # the serving worker carried on
    new_jobs = next(p for p, r in roles.items() if r == "jobs")
    assert _lowered(new_jobs, proc.pid)

    sim = SlackSimulator(f"http://127.0.0.1:{port}", SECRET)
    r = sim.command("/emergency", "sev2 lang:en after the jobs worker died", "U0REQ0001",
                    "C0INTAKE01")
    assert r.status == 200 and "Filed T-1" in r.text, r.text
    standin.wait_for(lambda c: c.method == "chat.postMessage"
                     and "page_ack" in json.dumps(c.params.get("blocks") or ""), timeout=20,
                     description="the page DM")

    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 0
    log = (tmp_path / "serve.log").read_text(errors="replace")
    assert log.count("stopped cleanly") == 2, log  # both workers closed their runtime
