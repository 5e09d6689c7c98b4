"""`oncall-bot serve` as an operator runs it: a real process tree (the gunicorn master
and its worker) answering signed requests over HTTP, with the Web API pointed at the
stand-in. This is the path the Procfile and the benchmark take; the other end-to-end
tests serve the same WSGI app in-process."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.demo.simulate import SlackSimulator
from bot.demo.slack_standin import SlackStandIn

ROOT = Path(__file__).resolve().parents[2]
SECRET = "serve-process-secret"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _health(port: int) -> dict | None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        conn.request("GET", "/healthz")
        r = conn.getresponse()
        return json.loads(r.read()) if r.status == 200 else None
    except (OSError, ValueError, http.client.HTTPException):
        return None
    finally:
        conn.close()


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


@pytest.fixture
def served(tmp_path):
    standin = SlackStandIn().start()
    port = _free_port()
    env = {**os.environ, "SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": SECRET,
           "SLACK_API_URL": standin.url, "DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}",
           "ONCALL_SCHEDULES": str(ROOT / "schedules"), "ONCALL_CACHE_DIR": str(tmp_path),
           "PYTHONPATH": str(ROOT)}
    env.pop("SLACK_APP_TOKEN", None)
    log = open(tmp_path / "serve.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 90
        while True:
            # `serve` migrates and imports the schedules before the server listens.
            health = _health(port)
            if health and health.get("ok"):
                break
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("serve did not come up:\n"
                                     + (tmp_path / "serve.log").read_text(errors="replace"))
            time.sleep(0.1)
        yield proc, port, standin
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
        log.close()
        standin.stop()


def test_serve_pages_over_real_http_from_a_lean_worker(served):
    proc, port, standin = served
    sim = SlackSimulator(f"http://127.0.0.1:{port}", SECRET)
    r = sim.command("/emergency", "sev1 lang:ar بث مباشر لتهديد مدرسة", "U0REQ0001",
                    "C0INTAKE01")
    assert r.status == 200, r.text
    assert "Filed T-1" in r.text
    standin.wait_for(lambda c: c.method == "chat.postMessage"
                     and "page_ack" in json.dumps(c.params.get("blocks") or ""), timeout=10,
                     description="the page DM")

    # The process Slack talks to is the one that was started (`exec`, not a child), and
    # its one worker serves; neither the migration tool nor the language model's loader
    # (numpy) was loaded into the worker.
    (worker,) = _children(proc.pid)
    maps = Path(f"/proc/{worker}/maps").read_text()
    assert "numpy" not in maps
    assert "bot.app.http_server" in Path(f"/proc/{proc.pid}/cmdline").read_text()
    rss = [line for line in Path(f"/proc/{worker}/status").read_text().splitlines()
           if line.startswith(("VmRSS", "VmHWM"))]
    print("\nserving process:", ", ".join(" ".join(line.split()) for line in rss))


def test_serve_with_a_bad_signature_is_refused(served, tmp_path):
    _proc, port, standin = served
    sim = SlackSimulator(f"http://127.0.0.1:{port}", "not-the-secret")
    r = sim.command("/emergency", "sev1 lang:ar test", "U0REQ0001", "C0INTAKE01")
    assert r.status == 401
    # /healthz says only that the process is alive (not what it holds), so the
    # database itself is read: nothing was filed.
    assert _health(port) == {"ok": True}
    with sqlite3.connect(tmp_path / "serve.db") as db:
        assert db.execute("SELECT count(*) FROM requests").fetchone() == (0,)
    assert not [c for c in standin.calls if c.method == "chat.postMessage"]
