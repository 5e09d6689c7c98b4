"""`--log-format json` (one JSON object per line, request id and ticket as fields) and
`worker --port` (the health paths of a worker), as an operator runs them: real
processes, a SQLite file they share, HTTP on a local port."""

from __future__ import annotations

import contextlib
import http.client
import io
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from bot.app.logs import JsonFormatter, gunicorn_config

ROOT = Path(__file__).resolve().parents[2]


def _line(**extra) -> dict:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("tests.log_format")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        try:
            raise ValueError("boom\nsecond line")
        except ValueError:
            logger.error("outbox row %s given up: %s", 7, "said 'no'\nreally",
                         exc_info=True, extra=extra)
    finally:
        logger.removeHandler(handler)
    text = stream.getvalue()
    assert text.count("\n") == 1, text  # one line, tracebacks and newlines included
    return json.loads(text)


def test_a_json_line_carries_the_request_id_its_ticket_and_the_traceback():
    doc = _line(request_id=42, page_id=9, nothing=None)
    assert doc["message"] == "outbox row 7 given up: said 'no'\nreally"
    assert (doc["level"], doc["logger"]) == ("ERROR", "tests.log_format")
    assert (doc["request_id"], doc["ticket"], doc["page_id"]) == (42, "T-42", 9)
    assert "nothing" not in doc
    assert doc["exc"].startswith("Traceback") and "ValueError: boom" in doc["exc"]
    assert doc["time"].endswith("Z")


def test_a_line_without_a_request_has_no_ticket_and_text_keeps_gunicorn_as_it_was():
    doc = _line()
    assert "request_id" not in doc and "ticket" not in doc
    assert gunicorn_config("text") is None
    assert gunicorn_config("json")["formatters"]["json"]["()"] is JsonFormatter


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(port: int, path: str) -> tuple[int, str] | None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        conn.request("GET", path)
        r = conn.getresponse()
        return r.status, r.read().decode()
    except (OSError, http.client.HTTPException):
        return None
    finally:
        conn.close()


def _start(args: list[str], tmp_path: Path, name: str) -> tuple[subprocess.Popen, Path]:
    env = {**os.environ, "SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": "s3cret",
           "SLACK_API_URL": "http://127.0.0.1:9/api/",
           "DATABASE_URL": f"sqlite:///{tmp_path / 'shared.db'}",
           "ONCALL_CACHE_DIR": str(tmp_path), "PYTHONPATH": str(ROOT)}
    for name_ in ("SLACK_APP_TOKEN", "ONCALL_SCHEDULES", "ONCALL_HEARTBEAT_URL",
                  "ONCALL_METRICS_TOKEN"):
        env.pop(name_, None)
    log = tmp_path / f"{name}.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "bot", *args], env=env, cwd=tmp_path,
                                stdout=subprocess.DEVNULL, stderr=out, start_new_session=True)
    return proc, log


def _wait(what: str, check, procs: list[tuple[subprocess.Popen, Path]], timeout=90.0):
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        for proc, log in procs:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"{what}: no\n" + log.read_text(errors="replace"))
        time.sleep(0.1)


def _stop(proc: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)


def _json_lines(log: Path) -> list[dict]:
    lines = [line for line in log.read_text().splitlines() if line.strip()]
    assert lines, "nothing was logged"
    return [json.loads(line) for line in lines]  # every line is one JSON object


def test_serve_without_jobs_is_ready_while_a_worker_runs_and_both_log_json(tmp_path):
    worker_port, web_port = _free_port(), _free_port()
    worker = _start(["worker", "--log-format", "json", "--host", "127.0.0.1",
                     "--port", str(worker_port)], tmp_path, "worker")
    web = None
    try:
        _wait("the worker is ready", lambda: (_get(worker_port, "/readyz") or (0,))[0] == 200,
              [worker])
        web = _start(["serve", "--no-jobs", "--log-format", "json", "--host", "127.0.0.1",
                      "--port", str(web_port)], tmp_path, "web")
        # The web process runs no reconciler: it is ready because the worker's runs.
        status, body = _wait("the web process is ready",
                             lambda: (r := _get(web_port, "/readyz")) and r[0] == 200 and r,
                             [worker, web])
        assert json.loads(body)["reconciler"].startswith("worker on ")
        status, body = _get(worker_port, "/metrics")
        names = {f.name for f in text_string_to_metric_families(body)}
        assert {"oncall_requests", "oncall_deliveries", "oncall_reconciler_last_run_seconds",
                "oncall_escalation_lateness_seconds"} <= names
        assert _get(worker_port, "/slack/events")[0] == 404  # health paths only
    finally:
        if web is not None:
            _stop(web[0])
        _stop(worker[0])
    worker_lines = _json_lines(worker[1])
    assert any(d["message"].startswith("worker: reconciling") for d in worker_lines)
    # SIGTERM stops both cleanly (status 0, the jobs ended, nothing left hanging).
    assert (worker[0].returncode, web[0].returncode) == (0, 0)
    assert any(d["message"].startswith("stopped cleanly") for d in worker_lines)
    web_lines = _json_lines(web[1])
    assert {d["logger"] for d in web_lines} >= {"oncall-bot", "gunicorn.error"}
    assert any(d["message"].startswith("stopped cleanly") for d in web_lines)
    assert all({"time", "level", "logger", "message"} <= d.keys()
               for d in worker_lines + web_lines)


def test_heartbeat_url_must_be_http_and_both_new_settings_stay_out_of_the_repr():
    from bot.config import ConfigError, Settings

    settings = Settings.from_env({"ONCALL_HEARTBEAT_URL": " https://hc-ping.com/abc-123 ",
                                  "ONCALL_METRICS_TOKEN": "t0ken"})
    assert settings.heartbeat_url == "https://hc-ping.com/abc-123"
    assert settings.metrics_token == "t0ken"
    assert "abc-123" not in repr(settings) and "t0ken" not in repr(settings)
    assert Settings.from_env({}).heartbeat_url is None
    for bad in ("file:///etc/passwd", "hc-ping.com/abc", "http:///nohost", "https://[::1"):
        try:
            Settings.from_env({"ONCALL_HEARTBEAT_URL": bad})
        except ConfigError as err:
            assert "ONCALL_HEARTBEAT_URL" in str(err) and bad not in str(err)
        else:
            raise AssertionError(f"{bad!r} was accepted")
