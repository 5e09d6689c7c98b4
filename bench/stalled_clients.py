"""Stalled clients against the real server: can Slack still get through?

    python -m bench.stalled_clients [--stalled 16 64] [--timeout 10]

For each server worker (`waitress`, what serves now, and `gthread`, gunicorn's threaded
worker that served before, as the same-run baseline), the script starts
`python -m bot.app.http_server` (16 threads, jobs off) on a fresh SQLite database with
the Web API pointed at the Slack stand-in, then for each N in `--stalled` opens N
connections that stall the way a stranger would (half of them send the headers of a
POST with `Content-Length: 100000` and hold back the body, half connect and send
nothing) and times, while they are open, a signed `/emergency` (its acknowledgement,
which Slack waits 3 s for) and a `GET /healthz`. Target: both answer within 3 s with
any number of stalled connections. "no answer" means nothing came back within
`--timeout` seconds.
"""

from __future__ import annotations

import argparse
import http.client
import os
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack, contextmanager
from pathlib import Path

from bench.paging.team import bench_team, write_schedules
from bot.demo.simulate import FORM, SlackSimulator
from bot.demo.slack_standin import SlackStandIn

REPO = Path(__file__).resolve().parents[1]
SECRET = "bench-stalled-secret"
HOST = "127.0.0.1"
TARGET_S = 3.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def stall(port: int, n: int) -> list[socket.socket]:
    """N open connections that never finish a request: even ones send a POST's headers
    announcing a 100 kB body and no body, odd ones send nothing at all."""
    held = []
    for i in range(n):
        s = socket.create_connection((HOST, port), timeout=5)
        if i % 2 == 0:
            s.sendall(b"POST /slack/events HTTP/1.1\r\nHost: bot\r\n"
                      b"Content-Type: application/x-www-form-urlencoded\r\n"
                      b"Content-Length: 100000\r\n\r\n")
        held.append(s)
    return held


def time_health(port: int, timeout: float) -> float | None:
    t0 = time.monotonic()
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request("GET", "/healthz")
        r = conn.getresponse()
        r.read()
        return time.monotonic() - t0 if r.status == 200 else None
    except (OSError, http.client.HTTPException):
        return None
    finally:
        conn.close()


def time_emergency(sim: SlackSimulator, timeout: float) -> float | None:
    t0 = time.monotonic()
    try:
        body = sim.command_body("/emergency", "sev2 lang:en stalled-clients check",
                                "U0REQ0001", "C0INTAKE01")
        r = sim.post(body, FORM, timeout=timeout)
    except (OSError, http.client.HTTPException):
        return None
    return time.monotonic() - t0 if r.status == 200 and "Filed" in r.text else None


@contextmanager
def server(worker: str, tmp: Path, standin_url: str):
    """`python -m bot.app.http_server --worker WORKER` on a prepared SQLite database."""
    port = free_port()
    # A generated team: `serve` refuses the example team's made-up people.
    schedules, _ = write_schedules(bench_team(), tmp / "schedules")
    env = {**os.environ, "SLACK_BOT_TOKEN": "xoxb-bench", "SLACK_SIGNING_SECRET": SECRET,
           "SLACK_API_URL": standin_url, "DATABASE_URL": f"sqlite:///{tmp / 'bot.db'}",
           "ONCALL_SCHEDULES": str(schedules), "ONCALL_CACHE_DIR": str(tmp),
           "PYTHONPATH": str(REPO)}
    env.pop("SLACK_APP_TOKEN", None)
    subprocess.run([sys.executable, "-c", "from bot.app.serve import prepare; "
                    "from bot.config import Settings; prepare(Settings.from_env())"],
                   env=env, cwd=tmp, check=True)
    with open(tmp / f"{worker}.log", "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot.app.http_server", "--host", HOST, "--port", str(port),
             "--jobs", "off", "--worker", worker],
            env=env, cwd=tmp, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            deadline = time.monotonic() + 60
            while time_health(port, 2) is None:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{worker} server did not start:\n"
                                       + (tmp / f"{worker}.log").read_text(errors="replace"))
                time.sleep(0.1)
            yield port
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


def measure(worker: str, counts: list[int], timeout: float) -> list[tuple[int, float | None,
                                                                          float | None]]:
    rows = []
    with tempfile.TemporaryDirectory() as d, ExitStack() as stack:
        standin = SlackStandIn().start()
        stack.callback(standin.stop)
        port = stack.enter_context(server(worker, Path(d), standin.url))
        sim = SlackSimulator(f"http://{HOST}:{port}", SECRET)
        for n in [0, *counts]:
            held = stall(port, n)
            try:
                time.sleep(0.5)  # let the server take them in (accept, hand to threads)
                rows.append((n, time_emergency(sim, timeout), time_health(port, timeout)))
            finally:
                for s in held:
                    s.close()
            time.sleep(1.0)
    return rows


def _fmt(seconds: float | None) -> str:
    return "no answer" if seconds is None else f"{seconds * 1000:7.0f} ms"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.stalled_clients",
                                 description=__doc__.split("\n\n")[0])
    ap.add_argument("--stalled", type=int, nargs="+", default=[16, 64],
                    help="numbers of stalled connections to hold open (default 16 64)")
    ap.add_argument("--timeout", type=float, default=10.0,
                    help="seconds to wait for an answer before calling it none (default 10)")
    args = ap.parse_args(argv)
    missed = False
    print(f"{'worker':<9} {'stalled':>7}  {'/emergency ack':>14}  {'/healthz':>10}  target")
    for worker in ("waitress", "gthread"):
        for n, ack, health in measure(worker, args.stalled, args.timeout):
            ok = all(t is not None and t <= TARGET_S for t in (ack, health))
            if worker == "waitress":
                missed |= not ok
            verdict = ("PASS" if ok else "MISS") if worker == "waitress" else "(baseline)"
            print(f"{worker:<9} {n:>7}  {_fmt(ack):>14}  {_fmt(health):>10}  "
                  f"<= {TARGET_S:.0f} s {verdict}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
