"""End to end, issue 14's self-monitoring: /readyz from the reconcilers' heartbeats in the
database, /metrics in Prometheus text matching the database, the outside heartbeat GET
once a minute only while the reconciler runs.

The wired app over HTTP, requests filed with signed /emergency commands, the Slack
stand-in, a manual clock moved by hand (`advance` runs one reconciler pass; moving the
clock without a pass is a stalled reconciler). The heartbeat's monitor is a small HTTP
server started here that records the GETs. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections import Counter
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import event, func, select, text

from bot.app.runtime import Runtime
from bot.config import Settings
from bot.demo.local_server import LocalServer
from bot.services.due import DUE
from bot.slack import ids
from bot.store.db import session_factory
from bot.store.paging_tables import DeadlineRow, OutboxRow, RequestRow
from tests.slack_harness import SECRET, TOKEN, ToolHarness, page_id_of, utc
from tests.waits import to_block, writer_gate_held

OMAR = "U0EU00009"  # the only Arabic reader on call at 2026-07-01 12:00
START = utc(2026, 7, 1, 12, 0)
METRICS_TOKEN = "scrape-token-for-tests"


class HealthHarness(ToolHarness):
    """The harness with the settings issue 14 adds (heartbeat URL, metrics token)."""

    def __init__(self, tmp_path, start, database_url, heartbeat_url=None,
                 metrics_token=None, **options):
        self._health_settings = {"heartbeat_url": heartbeat_url,
                                 "metrics_token": metrics_token}
        super().__init__(tmp_path, start, database_url=database_url, **options)

    def _boot(self) -> None:
        self.settings = Settings(slack_bot_token=TOKEN, slack_signing_secret=SECRET,
                                 slack_api_url=self.standin.url,
                                 database_url=self.database_url, **self._health_settings)
        self.runtime = Runtime(self.settings, clock=self.clock, **self._runtime_options)
        self.server = LocalServer(self.runtime.wsgi).start()
        self.sim.base_url = self.server.url

    def get(self, path: str, headers: dict | None = None) -> tuple[int, str, dict]:
        """GET `path` unsigned, as a monitor or Prometheus does: status, body, headers."""
        request = urllib.request.Request(self.server.url + path, headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=10) as r:
                return r.status, r.read().decode(), dict(r.headers)
        except urllib.error.HTTPError as err:
            return err.code, err.read().decode(), dict(err.headers)

    def ready(self) -> tuple[int, dict]:
        status, body, headers = self.get("/readyz")
        assert headers["Content-Type"] == "application/json"
        return status, json.loads(body)

    def metrics(self) -> dict:
        """The scrape, parsed with Prometheus's own text parser: {name: family}."""
        status, body, headers = self.get("/metrics",
                                         {"Authorization": f"Bearer {METRICS_TOKEN}"})
        assert status == 200, body
        assert headers["Content-Type"].startswith("text/plain")
        return {f.name: f for f in text_string_to_metric_families(body)}


class Monitor:
    """An outside dead-man monitor: records every GET it receives."""

    def __init__(self):
        self.hits: list[str] = []
        self.got = threading.Condition()
        monitor = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - the stdlib's name
                with monitor.got:
                    monitor.hits.append(self.path)
                    monitor.got.notify_all()
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"OK")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/ping/abc-123"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def monitor():
    m = Monitor()
    yield m
    m.stop()


@pytest.fixture
def app(tmp_path, db_url, monitor):
    h = HealthHarness(tmp_path, START, db_url, heartbeat_url=monitor.url,
                      metrics_token=METRICS_TOKEN)
    yield h
    h.quiet_close()


# -- /readyz ----------------------------------------------------------------------------


def test_readyz_is_ready_after_a_pass_and_says_why_not_once_the_reconciler_stalls(app):
    status, doc = app.ready()
    assert status == 503 and doc["ready"] is False
    assert doc["reasons"] == ["no reconciler has run yet: start `oncall-bot worker`, or "
                              "`oncall-bot serve` without --no-jobs"]

    app.advance(0)  # one reconciler pass
    status, doc = app.ready()
    assert status == 200, doc
    assert doc["ready"] is True and doc["reasons"] == []
    assert doc["reconciler"].startswith("serve on ")
    assert doc["oldest_due_outbox_seconds"] is None

    app.clock.advance(9)  # no pass for 9 s: still ready
    assert app.ready()[0] == 200

    app.clock.advance(33)  # 42 s without a pass: the reconciler stalled
    status, doc = app.ready()
    assert status == 503 and doc["ready"] is False
    host = doc["reconciler"].removeprefix("serve on ")
    assert doc["reasons"] == [f"no reconciler has run for 42 s (last: serve on {host})"]
    assert doc["reconciler_seconds"] == 42.0
    # Alive is another question: the database still answers.
    status, body, _ = app.get("/healthz")
    assert (status, json.loads(body)) == (200, {"ok": True})

    app.advance(0)  # it runs again
    assert app.ready()[0] == 200


def test_readyz_reports_how_long_the_oldest_due_message_has_waited(app):
    app.advance(0)
    app.runtime.outbox.enqueue_direct([("U0MGR0001", {"text": "a note"})])
    app.clock.advance(3.2)  # due, not sent: no pass ran since
    status, doc = app.ready()
    assert status == 200
    assert doc["oldest_due_outbox_seconds"] == 3.2


def test_a_web_process_without_jobs_is_ready_only_while_a_workers_reconciler_runs(app):
    """`serve --no-jobs` runs no reconciler: its /readyz follows a worker's heartbeat
    in the shared database."""
    worker = Runtime(app.settings, clock=app.clock, migrate_schema=False, role="worker")
    try:
        assert app.ready()[0] == 503  # the web process never ticks here
        worker.tick()
        status, doc = app.ready()
        assert status == 200, doc
        assert doc["reconciler"].startswith("worker on ")
        app.clock.advance(11)
        status, doc = app.ready()
        assert status == 503
        assert doc["reasons"][0].startswith("no reconciler has run for 11 s (last: worker on ")
        worker.tick()
        assert app.ready()[0] == 200
    finally:
        worker.close()


def test_heartbeats_are_written_every_two_seconds_not_on_every_pass(app):
    """Passes may come close together (under load every commit wakes the reconciler);
    the heartbeat is one row per process, updated at most every 2 s."""
    writes = []

    def count(conn, cursor, statement, *args):
        if "process_heartbeats" in statement and not statement.lstrip().startswith("SELECT"):
            writes.append(statement)

    event.listen(app.runtime.engine, "before_cursor_execute", count)
    try:
        for _ in range(16):  # 4 s of passes
            app.clock.advance(0.25)
            app.runtime.tick()
    finally:
        event.remove(app.runtime.engine, "before_cursor_execute", count)
    # The first pass writes its row; then one UPDATE per 2 s (the 2 s and 4 s marks).
    assert len(writes) <= 4, writes
    with app.runtime.sessions() as s:
        assert s.scalar(text("SELECT count(*) FROM process_heartbeats")) == 1


# -- /metrics ---------------------------------------------------------------------------


def _file(app, line: str) -> None:
    r = app.command("/emergency", line)
    assert r.status == 200 and "T-" in r.json()["text"], r.text


def _samples(family, **labels) -> list:
    return [s for s in family.samples
            if all(s.labels.get(k) == v for k, v in labels.items())]


def test_metrics_match_the_database_after_requests_are_filed_paged_and_escalated(app):
    for line in ("sev1 lang:ar بث مباشر لشخص يهدد بالانتحار الآن",
                 "sev1 lang:ar تهديد بالقتل في بث مباشر",
                 "sev1 lang:es amenaza de muerte en directo",
                 "sev2 lang:fr menace de mort en direct"):
        _file(app, line)
    app.settle()
    first_pages = len(app.page_posts())
    assert first_pages >= 2
    page = page_id_of(app.page_posts(OMAR)[0].params)
    assert app.click(ids.ACK, page, OMAR).status == 200
    app.settle()

    m = app.metrics()
    with app.runtime.reads() as s:
        by_state = {(st, lang): n for st, lang, n in s.execute(
            select(RequestRow.status, RequestRow.language, func.count())
            .group_by(RequestRow.status, RequestRow.language))}
    assert {(x.labels["state"], x.labels["language"]): x.value
            for x in m["oncall_requests"].samples} == by_state
    assert ("acknowledged", "ar") in by_state and ("open", "ar") in by_state
    assert _samples(m["oncall_database_up"])[0].value == 1

    # Each first page DM reached Slack once, on the filing path: counted and timed.
    assert _samples(m["oncall_deliveries"], kind="page", result="sent", channel="slack")[
        0].value == first_pages
    latency = {s.name: s.value for s in m["oncall_request_to_page_seconds"].samples}
    assert latency["oncall_request_to_page_seconds_count"] == first_pages
    # Filed one at a time: each routed as it was filed, none left to the router.
    assert _samples(m["oncall_filings"], how="inline")[0].value == 4
    assert not _samples(m["oncall_filings"], how="deferred")

    # Nobody answered the other sev1 pages: their first step's 2 minutes pass, and the
    # reconciler fires the next step 1 s late.
    app.advance(timedelta(minutes=2, seconds=1).total_seconds())
    app.settle()
    m = app.metrics()
    with app.runtime.reads() as s:
        fired = s.execute(select(DeadlineRow.due_utc, DeadlineRow.fired_utc).where(
            DeadlineRow.state == "fired", DeadlineRow.reason != DUE)).all()
        sent = Counter(s.scalars(select(OutboxRow.kind).where(OutboxRow.state == "sent")))
        unsent = s.scalar(select(func.count()).select_from(OutboxRow).where(
            OutboxRow.state.in_(("pending", "sending"))))
    lateness = {s.name: s.value for s in m["oncall_escalation_lateness_seconds"].samples
                if not s.name.endswith("_bucket")}
    assert len(fired) >= 2
    assert lateness["oncall_escalation_lateness_seconds_count"] == len(fired)
    assert lateness["oncall_escalation_lateness_seconds_sum"] == pytest.approx(
        sum((f - d).total_seconds() for d, f in fired))
    for kind in ("page", "card"):
        assert sum(x.value for x in _samples(m["oncall_deliveries"], kind=kind,
                                             result="sent")) == sent[kind], kind
    assert _samples(m["oncall_outbox_pending"])[0].value == unsent
    # Each process's own counters carry its name; the database's gauges carry none.
    process = app.runtime.health.process.label
    assert all(x.labels["process"] == process for x in m["oncall_deliveries"].samples)
    assert "process" not in m["oncall_requests"].samples[0].labels
    # The first step's pages still wait for an answer (a wider step pages more people
    # and leaves them open): 121 s since they went out.
    assert _samples(m["oncall_oldest_unacknowledged_page_seconds"])[0].value == 121
    assert _samples(m["oncall_reconciler_last_run_seconds"])[0].value == 0


def test_requests_left_to_the_router_are_counted_as_deferred(tmp_path, db_url):
    """A process that only commits requests and routes them after the acknowledgement
    (here always: no room inline) says so, and its pages still go out."""
    h = HealthHarness(tmp_path, START, db_url, metrics_token=METRICS_TOKEN, inline_limit=0)
    try:
        _file(h, "sev1 lang:ar تهديد بالقتل في بث مباشر")
        _file(h, "sev2 lang:es amenaza de muerte en directo")
        h.settle()
        assert len(h.page_posts()) >= 2
        filings = h.metrics()["oncall_filings"]
        assert _samples(filings, how="deferred")[0].value == 2
        assert not _samples(filings, how="inline")
        assert {s.labels["process"] for s in filings.samples} == {
            h.runtime.health.process.label}
    finally:
        h.quiet_close()


def test_a_request_waits_a_moment_for_room_inline_rather_than_deferring(tmp_path, sqlite_url):
    """The one inline slot is taken by a filing held up for a moment (here: the
    database's writer gate is held): the next request waits for the slot rather than
    being left to the router, and both are counted inline."""
    h = HealthHarness(tmp_path, START, sqlite_url, metrics_token=METRICS_TOKEN,
                      inline_limit=1, inline_wait=30)
    answers: list = []
    posts = [threading.Thread(target=lambda t=t: answers.append(h.command(
        "/emergency", t, user="U0REQ0001"))) for t in (
        "sev1 lang:ar تهديد بالقتل في بث مباشر", "sev2 lang:es amenaza de muerte en directo")]
    try:
        # A writer of this process holds the gate: the first filing takes the slot and
        # queues there, the second waits for the slot.
        with writer_gate_held(session_factory(h.runtime.engine, immediate=True)):
            for post in posts:
                post.start()
                to_block(0.3)
        for t in posts:
            t.join(10)
        assert [a.status for a in answers] == [200, 200]
        h.settle()
        filings = h.metrics()["oncall_filings"]
        assert _samples(filings, how="inline")[0].value == 2
        assert not _samples(filings, how="deferred")
    finally:
        h.quiet_close()


def test_metrics_need_the_token_and_health_paths_need_no_signature(app):
    assert app.get("/metrics")[0] == 401
    assert app.get("/metrics", {"Authorization": "Bearer wrong"})[0] == 401
    status, body, headers = app.get("/metrics", {"Authorization": "Basic " + METRICS_TOKEN})
    assert status == 401 and headers["WWW-Authenticate"].startswith("Bearer")
    assert "ONCALL_METRICS_TOKEN" in body
    assert app.get("/metrics", {"Authorization": f"Bearer {METRICS_TOKEN}"})[0] == 200
    # No Slack signature on any of them (a monitor cannot sign), and no token either
    # on the two that say only yes or no.
    assert app.get("/healthz")[0] == 200
    assert app.get("/readyz")[0] == 503  # no pass yet: not ready, but answered
    r = app.post_raw(b"command=/emergency", "application/x-www-form-urlencoded", {})
    assert r.status == 401  # /slack/events still needs Slack's signature


def test_metrics_without_a_token_are_open_and_say_when_the_database_is_down(tmp_path,
                                                                          sqlite_url):
    h = HealthHarness(tmp_path, START, sqlite_url)
    try:
        status, body, _ = h.get("/metrics")
        assert status == 200
        assert 'oncall_requests' in body
        with h.runtime.engine.begin() as conn:  # the data is gone from under it
            conn.execute(text("DROP TABLE process_heartbeats"))
        status, body, _ = h.get("/metrics")
        families = {f.name: f for f in text_string_to_metric_families(body)}
        assert status == 200 and families["oncall_database_up"].samples[0].value == 0
        status, body, _ = h.get("/readyz")
        assert status == 503
        assert json.loads(body)["reasons"][0].startswith("the database cannot be read (")
    finally:
        h.quiet_close()


# -- the outside heartbeat --------------------------------------------------------------


def test_heartbeat_is_sent_each_minute_while_passes_run_and_stops_when_they_stall(
        app, monitor):
    app.advance(0)
    assert monitor.hits == ["/ping/abc-123"]
    for _ in range(3):  # passes every 20 s: one GET per minute, not per pass
        app.advance(20)
    assert len(monitor.hits) == 2
    app.advance(60)
    assert len(monitor.hits) == 3

    app.clock.advance(300)  # the reconciler stalls for 5 minutes: no GET at all
    assert len(monitor.hits) == 3
    app.advance(0)  # it runs again: the monitor hears at once
    assert len(monitor.hits) == 4

    # A pass that cannot complete (its heartbeat cannot be written) pings nobody.
    with app.runtime.engine.begin() as conn:
        conn.execute(text("DROP TABLE process_heartbeats"))
    for _ in range(3):
        app.clock.advance(60)
        with pytest.raises(Exception, match="process_heartbeats"):
            app.runtime.tick()
    assert len(monitor.hits) == 4


def test_heartbeat_to_an_unreachable_monitor_never_holds_the_reconciler(tmp_path,
                                                                         sqlite_url):
    import socket

    with socket.socket() as sock:  # a port that accepts nothing: a refused connection
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    h = HealthHarness(tmp_path, START, sqlite_url,
                      heartbeat_url=f"http://127.0.0.1:{port}/ping")
    try:
        h.advance(0)  # the failed GET is logged; the pass completed
        assert h.runtime.heartbeat.sent == 0
        assert h.ready()[0] == 200
    finally:
        h.quiet_close()
