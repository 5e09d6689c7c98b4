"""`oncall-bot serve` as an operator runs it: a real process tree (the gunicorn master
and its worker) answering signed requests over HTTP, with the Web API pointed at the
stand-in. This is the path the Procfile and the benchmark take; the other end-to-end
tests serve the same WSGI app in-process."""

from __future__ import annotations

import contextlib
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

from bot.demo.simulate import FORM, SlackSimulator
from bot.demo.slack_standin import SlackStandIn
from tests.slack_harness import own_team

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


@pytest.fixture(scope="module")
def language_cache(tmp_path_factory) -> Path:
    """One language-table cache for this module's servers: each built its own before
    (a child process writing ~150 MB at every start-up). Building it, and builds that
    race, are tests/language's and tests/app/test_concurrent_start.py's subject."""
    return tmp_path_factory.mktemp("language-cache")


@pytest.fixture
def served(tmp_path, language_cache):
    standin = SlackStandIn().start()
    port = _free_port()
    env = {**os.environ, "SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": SECRET,
           "SLACK_API_URL": standin.url, "DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}",
           "ONCALL_SCHEDULES": str(own_team(tmp_path / "schedules")),
           "ONCALL_CACHE_DIR": str(language_cache),
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



def test_sigterm_stops_serve_cleanly_and_promptly(served, tmp_path):
    """A deploy stops the bot with SIGTERM: the request in flight is answered, the jobs
    stop, and the process exits 0 at once. It used to take 10 s whenever the signal came
    during a reconcile pass (the pass and the scheduler's shutdown waited on each other
    until gunicorn killed the worker). The bound only guards against such a hang."""
    proc, port, standin = served
    sim = SlackSimulator(f"http://127.0.0.1:{port}", SECRET)
    r = sim.command("/emergency", "sev2 lang:en a shutdown check", "U0REQ0001", "C0INTAKE01")
    assert r.status == 200 and "Filed T-1" in r.text, r.text
    # The filing woke the reconciler: passes run now, and one may be under way.
    proc.send_signal(signal.SIGTERM)
    t0 = time.monotonic()
    try:
        status = proc.wait(timeout=8)
    except subprocess.TimeoutExpired:
        raise AssertionError("serve still running 8 s after SIGTERM:\n"
                             + (tmp_path / "serve.log").read_text(errors="replace")) from None
    took = time.monotonic() - t0
    log = (tmp_path / "serve.log").read_text(errors="replace")
    print(f"\nserve exited {took:.2f} s after SIGTERM")
    assert status == 0, log
    assert "stopped cleanly" in log, log
    assert "Shutting down: Master" in log and "SIGKILL" not in log, log
    # No gunicorn control socket: its path is one per user, shared by every `serve` on
    # the machine (bot.app.http_server).
    assert "Control socket" not in log, log


# -- strangers at the endpoint: stalled, oversized -------------------------------------------


def _rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def _accepted(pid: int, port: int) -> int:
    """Connections to `port` that process `pid` has accepted (its sockets whose local
    end is `port`, established): not its other sockets (database, Slack), which come
    and go while the test waits."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):  # closed meanwhile
            link = os.readlink(fd)
            if link.startswith("socket:["):
                inodes.add(link[8:-1])
    found = 0
    for table in ("tcp", "tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
                cols = line.split()
                local_port = int(cols[1].rsplit(":", 1)[1], 16)
                if local_port == port and cols[3] == "01" and cols[9] in inodes:
                    found += 1
    return found


def _stall(port: int, n: int) -> list[socket.socket]:
    """N connections that never finish a request: even ones send a POST's headers with
    `Content-Length: 100000` and hold back the body, odd ones send nothing."""
    held = []
    for i in range(n):
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        if i % 2 == 0:
            s.sendall(b"POST /slack/events HTTP/1.1\r\nHost: bot\r\n"
                      b"Content-Type: application/x-www-form-urlencoded\r\n"
                      b"Content-Length: 100000\r\n\r\n")
        held.append(s)
    return held


def _answer(sock: socket.socket) -> bytes:
    """What the server sent back on a raw connection (until it closes or 5 s pass)."""
    sock.settimeout(5)
    data = b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
            if b"\r\n\r\n" in data and data.endswith(b"\n"):
                break
    except (TimeoutError, ConnectionResetError):
        pass
    return data


def test_stalled_clients_do_not_keep_slack_out(served):
    """Before (gunicorn's gthread worker), 16 such connections held all 16 threads and
    signed requests waited or timed out (`python -m bench.stalled_clients`). Now they
    cost a socket each; Slack's requests and /healthz answer at once."""
    proc, port, _standin = served
    (worker,) = _children(proc.pid)
    held = _stall(port, 64)
    try:
        # The server has accepted all of them (they are its sockets now), so any thread
        # they could hold, they hold.
        deadline = time.monotonic() + 10
        while _accepted(worker, port) < 64:
            assert time.monotonic() < deadline, "the server did not accept the connections"
            time.sleep(0.05)
        sim = SlackSimulator(f"http://127.0.0.1:{port}", SECRET)
        t0 = time.monotonic()
        body = sim.command_body("/emergency", "sev2 lang:en a stalled-clients check",
                                "U0REQ0001", "C0INTAKE01")
        r = sim.post(body, FORM, timeout=5)
        acked = time.monotonic() - t0
        assert r.status == 200 and "Filed" in r.text, r.text
        assert acked < 3.0, f"acknowledged after {acked:.2f} s"
        t0 = time.monotonic()
        assert _health(port) == {"ok": True}
        assert time.monotonic() - t0 < 3.0
    finally:
        for s in held:
            s.close()


def test_declared_oversized_body_is_refused_before_it_is_sent(served):
    proc, port, _standin = served
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(b"POST /slack/events HTTP/1.1\r\nHost: bot\r\n"
                  b"Content-Type: application/x-www-form-urlencoded\r\n"
                  b"Content-Length: 104857600\r\n\r\n")
        answer = _answer(s)  # nothing of the 100 MB was sent: the refusal needs none of it
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b"Traceback" not in answer


def test_big_unsigned_chunked_body_is_cut_off_and_memory_stays_flat(served):
    """An unsigned 50 MB body of unknown length (chunked): read up to the limit, then
    refused; the serving process does not grow by the body's size."""
    proc, port, _standin = served
    (worker,) = _children(proc.pid)
    rss_before = _rss_kb(worker)
    chunk = b"x" * 65536
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(b"POST /slack/events HTTP/1.1\r\nHost: bot\r\n"
                  b"Content-Type: application/x-www-form-urlencoded\r\n"
                  b"Transfer-Encoding: chunked\r\n\r\n")
        try:
            for _ in range(50 * 1024 * 1024 // len(chunk)):
                s.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            s.sendall(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # refused part-way: what we want
        answer = _answer(s)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    grew_mb = (_rss_kb(worker) - rss_before) / 1024
    assert grew_mb < 10, f"the serving process grew by {grew_mb:.1f} MB"
    assert _health(port) == {"ok": True}


def test_unsigned_body_under_the_limit_is_refused_unread_by_bolt(served):
    _proc, port, _standin = served
    body = b"payload=" + b"x" * (900 * 1024)
    sim = SlackSimulator(f"http://127.0.0.1:{port}", SECRET)
    r = sim.post_raw(body, FORM, {})
    assert r.status == 401
    assert r.text.strip() == ("This request is not signed by Slack, or was signed more than "
                              "5 minutes ago.")
