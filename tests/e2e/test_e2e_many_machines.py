"""Several processes on one PostgreSQL database, as runtimes in one test process: an
idle one costs next to nothing, a commit that creates work wakes a listening worker
(LISTEN/NOTIFY), and two runtimes working the same rows at once deliver each once.

The Slack stand-in records every call; the clock is the harness's manual one, except
where the idle cost is counted (the real clock, over a bounded real window).
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import psycopg
import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from bot.app.runtime import Runtime
from bot.jobs.router import JOBS_GRACE
from bot.store.paging_tables import DeadlineRow, OutboxRow, PageRow, RequestRow
from bot.store.wakeups import CHANNEL
from tests.slack_harness import INTAKE, REQUESTER, ToolHarness, page_deliveries, utc
from tests.waits import QUIET, RealTimeFrom, idle_statements, until

pytestmark = pytest.mark.postgres
ON_POSTGRES = pytest.mark.parametrize("db_url", ["postgres"], indirect=True)

ARABIC = "sev1 lang:ar بث مباشر لشخص يهدد بالانتحار الآن"
STEP = timedelta(minutes=2, seconds=1)  # sev1 step 1 waits 2 minutes
OMAR = "U0EU00009"


@pytest.fixture
def slack(tmp_path, db_url):
    h = ToolHarness(tmp_path, utc(2026, 7, 1, 12, 0), database_url=db_url)
    yield h
    h.quiet_close()


def texts_posted(h: ToolHarness) -> Counter:
    return Counter(c.params.get("text") for c in h.standin.calls
                   if c.ok and c.method == "chat.postMessage")


@ON_POSTGRES
def test_an_idle_runtime_issues_at_most_one_statement_a_second(slack):
    # Real time (passes as in production), at an instant with no shift change near.
    runtime = Runtime(slack.settings, clock=RealTimeFrom(QUIET))
    try:
        runtime.start_jobs()
        window = 3.0
        statements = idle_statements(runtime, window)
    finally:
        runtime.close()
    assert len(statements) <= window, f"{len(statements)} statements in {window} s: {statements}"


@ON_POSTGRES
def test_a_notify_wakes_a_listening_worker(slack):
    # A worker whose safety sweep is a minute: only a notification explains a delivery.
    worker = Runtime(slack.settings, clock=slack.clock, tick_interval=60.0, role="worker")
    try:
        worker.start_jobs()
        assert until(lambda: worker.listener.listening.is_set() and worker.jobs.completed)
        passes = worker.jobs.completed  # the start-up pass is over: the worker sleeps
        # The web runtime commits a DM to send and sends nothing itself (no jobs).
        slack.runtime.outbox.enqueue_direct([(OMAR, {"text": "wake-up test"})])
        assert until(lambda: texts_posted(slack)["wake-up test"] == 1)
        assert worker.jobs.completed > passes
    finally:
        worker.close()


@ON_POSTGRES
def test_a_filing_wakes_a_listening_worker_for_the_card(tmp_path, db_url):
    """A filing writes its request, pages, deadlines and outbox rows in statements that
    carry several inserts (data-modifying CTEs): they still notify. A web runtime files;
    the card it leaves pending is sent by a worker whose safety sweep is a minute."""
    h = ToolHarness(tmp_path, utc(2026, 7, 1, 12, 0), database_url=db_url, role="web")
    worker = Runtime(h.settings, clock=h.clock, tick_interval=60.0, role="worker")
    try:
        worker.start_jobs()
        assert until(lambda: worker.listener.listening.is_set() and worker.jobs.completed)
        passes = worker.jobs.completed  # the start-up pass is over: the worker sleeps
        r = h.command("/emergency", ARABIC, user=REQUESTER)
        assert r.status == 200 and "Filed T-1" in r.text, r.text
        assert until(lambda: any(
            c.ok and c.method == "chat.postMessage" and c.params.get("channel") == INTAKE
            and not c.params.get("thread_ts") for c in h.standin.calls))
        assert worker.jobs.completed > passes
    finally:
        worker.close()
        h.quiet_close()


@ON_POSTGRES
def test_a_web_process_pages_at_once_and_leaves_the_card_and_thread_to_the_jobs(
        tmp_path, db_url):
    """A web runtime with its jobs elsewhere (`serve --no-jobs`, the serving worker of
    `serve` on PostgreSQL) sends the page DM itself and writes the card, its thread
    and the notes pending: the jobs runtime, woken by the commit's NOTIFY, sends them,
    each once. The work the web process does per request is what someone waits for."""
    h = ToolHarness(tmp_path, utc(2026, 7, 1, 12, 0), database_url=db_url, role="web")
    worker = Runtime(h.settings, clock=h.clock, tick_interval=60.0, role="worker")
    worker.health.process = dataclasses.replace(worker.health.process, host="jobs-host")
    try:
        r = h.command("/emergency", ARABIC, user=REQUESTER)
        assert r.status == 200 and "Filed T-1" in r.text, r.text
        assert until(lambda: page_deliveries(h.standin.calls))  # the web's own page DM
        assert until(lambda: h.runtime.dispatch.idle() and not h.runtime.outbox.in_flight())
        with h.runtime.sessions() as s:
            waiting = Counter(s.scalars(select(OutboxRow.kind).where(
                OutboxRow.state == "pending")).all())
        assert waiting["card"] == 1 and waiting["timeline"] >= 1, waiting
        channel = [c for c in h.standin.calls if c.method == "chat.postMessage"
                   and c.params.get("channel") == INTAKE]
        assert channel == []  # nothing in the intake channel from the web runtime

        worker.start_jobs()  # its start-up pass, or the notify, sends what waits
        assert until(lambda: worker.dispatch.idle() and not worker.outbox.pending()
                     and not worker.outbox.in_flight())
        cards = [c for c in h.standin.calls if c.ok and c.method == "chat.postMessage"
                 and c.params.get("channel") == INTAKE
                 and not c.params.get("thread_ts")]
        assert len(cards) == 1 and "T-1" in cards[0].params["text"], cards
        assert max(page_deliveries(h.standin.calls).values()) == 1
    finally:
        worker.close()
        h.quiet_close()


@ON_POSTGRES
def test_a_jobs_process_routes_what_a_web_process_received_once_its_grace_ends(
        tmp_path, db_url):
    """A request a web process received but never routed (it died, or a surge kept it
    answering) is the jobs process's to route once JOBS_GRACE has passed, not before:
    a fresh one is the web process's, which pages it at once."""
    h = ToolHarness(tmp_path, utc(2026, 7, 1, 12, 0), database_url=db_url, role="web",
                    inline_limit=0)
    h.runtime.router.stop()  # the web process received it, then died
    worker = Runtime(h.settings, clock=h.clock, tick_interval=60.0, role="worker")
    try:
        r = h.command("/emergency", ARABIC, user=REQUESTER)
        assert r.status == 200 and "Filed T-1" in r.text, r.text
        # The scheduled pass (its one look at what is due) wakes the router only once
        # the grace ends, and says when that is.
        wait = worker.scheduled_pass()
        assert wait is not None and wait <= JOBS_GRACE.total_seconds()
        assert until(lambda: worker.router.idle())
        with h.runtime.sessions() as s:
            assert s.scalar(select(RequestRow.status)) == "received"
        assert not page_deliveries(h.standin.calls)

        h.clock.advance(JOBS_GRACE.total_seconds())
        worker.scheduled_pass()
        assert until(lambda: page_deliveries(h.standin.calls))
        with h.runtime.sessions() as s:
            assert s.scalar(select(RequestRow.status)) == "open"
    finally:
        worker.close()
        h.quiet_close()


@ON_POSTGRES
def test_two_runtimes_deliver_each_row_once_under_interleavings(tmp_path, db_url):
    # Filing only commits (`received`): the web runtime's router never runs, so the two
    # others route, fire and send everything, at once, from threads.
    h = ToolHarness(tmp_path, utc(2026, 7, 1, 12, 0), database_url=db_url, inline_limit=0)
    h.runtime.router.stop()
    a = Runtime(h.settings, clock=h.clock, role="worker")
    b = Runtime(h.settings, clock=h.clock, role="worker")
    both = (a, b)
    # Two runtimes in one process share its host:pid, as two processes never do: give
    # the second a heartbeat row of its own.
    b.health.process = dataclasses.replace(b.health.process, host="second-host")
    try:
        count = 24
        with ThreadPoolExecutor(6) as pool:
            answers = list(pool.map(lambda i: h.command("/emergency", f"{ARABIC} {i}",
                                                        user=REQUESTER), range(count)))
        assert [r.status for r in answers] == [200] * count
        h.runtime.outbox.enqueue_direct([(OMAR, {"text": f"direct {i}"}) for i in range(40)])

        def together(work) -> list:
            start = threading.Barrier(len(both))

            def run(rt):
                start.wait()
                return work(rt)
            with ThreadPoolExecutor(len(both)) as pool:
                return list(pool.map(run, both))

        # A jobs process leaves a received request to the web process that received it
        # for JOBS_GRACE; this one's router is stopped, so past it the two route them.
        assert together(lambda rt: rt.router.drain()) == [0, 0]
        h.clock.advance(JOBS_GRACE.total_seconds())
        routed = together(lambda rt: rt.router.drain())  # both route the received requests
        assert sum(routed) == count, routed  # each request routed by one of them
        together(lambda rt: rt.tick())  # both sweep the outbox
        with h.runtime.sessions() as s:
            assert s.scalar(select(RequestRow.id).where(RequestRow.status == "received")) \
                is None
        h.clock.advance(STEP.total_seconds())
        together(lambda rt: rt.tick())  # both fire the due escalation steps
        assert until(lambda: all(rt.dispatch.idle() and not rt.outbox.in_flight()
                                 for rt in both))
        together(lambda rt: rt.tick())

        with h.runtime.sessions() as s:
            fired = s.scalars(select(DeadlineRow).where(DeadlineRow.reason == "deadline",
                                                        DeadlineRow.state == "fired")).all()
            pages = s.scalars(select(PageRow)).all()
        assert len(fired) == count  # each request's first step, once
        sent = page_deliveries(h.standin.calls)
        assert max(sent.values()) == 1, "a page DM went out twice"
        assert set(sent) == {str(p.id) for p in pages}
        posted = texts_posted(h)
        assert all(posted[f"direct {i}"] == 1 for i in range(40)), posted
    finally:
        for rt in both:
            rt.close()
        h.quiet_close()


def test_the_listener_comes_back_after_the_database_restarts(tmp_path, outage_database,
                                                            caplog):
    """Its connection cut and refused: said once at warning, retried with a growing
    pause; once the database is back, a commit wakes the worker again."""
    url, reachable = outage_database
    h = ToolHarness(tmp_path, utc(2026, 7, 1, 12, 0), database_url=url)
    worker = Runtime(h.settings, clock=h.clock, tick_interval=60.0, role="worker")
    try:
        worker.start_jobs()
        assert until(lambda: worker.listener.listening.is_set() and worker.jobs.completed)
        with caplog.at_level(logging.WARNING, logger="bot.store.wakeups"):
            reachable(False)
            assert until(lambda: not worker.listener.listening.is_set())
            time.sleep(2.0)  # the outage lasts through more than one retry (0.5 s, 1 s)
            reachable(True)
            assert until(lambda: worker.listener.listening.is_set(), timeout=15.0)
        lost = [r for r in caplog.records if "listens for wake-ups" in r.getMessage()]
        assert len(lost) == 1 and lost[0].levelno == logging.WARNING
        assert lost[0].getMessage().startswith("lost the connection that listens")
        h.runtime.outbox.enqueue_direct([(OMAR, {"text": "after the restart"})])
        assert until(lambda: texts_posted(h)["after the restart"] == 1)
    finally:
        worker.close()
        h.quiet_close()


def notified(url: str, act) -> list[str]:
    """The payloads of the `oncall_work` notifications sent while `act()` ran, read on
    a LISTEN of this test's own up to a marker it notifies afterwards. PostgreSQL
    delivers notifications in commit order, so whatever a commit made during `act()`
    notified has arrived once the marker has: no waiting for what may never come."""
    u = make_url(url)
    info = {"host": u.host, "port": u.port, "user": u.username, "dbname": u.database}
    with psycopg.connect(**{k: v for k, v in info.items() if v}, autocommit=True) as conn:
        conn.execute(f"LISTEN {CHANNEL}")
        act()
        marker = f"marker-{uuid.uuid4().hex}"
        conn.execute("SELECT pg_notify(%s, %s)", (CHANNEL, marker))
        payloads = []
        for note in conn.notifies(timeout=30):
            if note.payload == marker:
                return payloads
            payloads.append(note.payload)
    raise AssertionError("the marker notification never came")


def filing(h: ToolHarness, n: int):
    """A filing through `h`, over once its messages are sent (as `notified` wants it)."""
    def act():
        r = h.command("/emergency", f"{ARABIC} #{n}", user=REQUESTER)
        assert r.status == 200 and "Filed T-" in r.text, r.text
        assert until(lambda: h.runtime.dispatch.idle() and not h.runtime.outbox.in_flight())
    return act


@pytest.mark.parametrize("options, heard", [
    ({}, False),  # routed and sent here, by the process running its jobs: no one told
    ({"inline_limit": 0}, True),  # too busy to route: left for any router
    ({"role": "web"}, True),  # its jobs elsewhere: they must hear of every filing
])
def test_a_process_running_its_jobs_notifies_only_what_another_should_take(
        tmp_path, pg_url_own, options, heard):
    """A filing's work is its own process's where that process runs its jobs: it sends
    the messages it claimed and its reconciler is woken in-process, so the others hear
    nothing (under load each notification woke every other process, for nothing). A
    request left for routing is the first free router's, of any process: it notifies.
    So does every filing of a process whose jobs run elsewhere."""
    h = ToolHarness(tmp_path, utc(2026, 7, 1, 12, 0), database_url=pg_url_own, **options)
    try:
        if options.get("role") != "web":
            h.runtime.start_jobs()
            assert until(lambda: h.runtime.jobs.completed)
        filing(h, 1)()  # warm: start-up's own writes are behind us
        payloads = notified(pg_url_own, filing(h, 2))
        assert (str(h.runtime.liveness.holder) in payloads) is heard, payloads
    finally:
        h.quiet_close()
