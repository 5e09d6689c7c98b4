"""SQLite between processes (bot.store.file_wakeups): another process's commit wakes a
runtime sleeping on the same file, its own commits do not, and an idle runtime reads
the database at most once a second. Runtimes in one test process, each with an engine
of its own, as two processes have; the clock is the harness's, except where the idle
cost is counted (real time from a quiet instant, over a bounded real window)."""

from __future__ import annotations

from bot.app.runtime import Runtime
from bot.store.paging_tables import SeenEventRow
from tests.slack_harness import ToolHarness, utc
from tests.waits import QUIET, RealTimeFrom, idle_statements, until

OMAR = "U0EU00009"


def texts_posted(h: ToolHarness) -> list[str]:
    return [c.params.get("text") for c in h.standin.calls
            if c.ok and c.method == "chat.postMessage"]


def test_another_process_commit_wakes_a_runtime_on_the_same_file(tmp_path):
    h = ToolHarness(tmp_path, utc(2026, 7, 1, 12, 0))
    # A worker whose safety sweep is a minute: only the file watch explains a delivery.
    worker = Runtime(h.settings, clock=h.clock, tick_interval=60.0, role="worker")
    try:
        worker.start_jobs()
        assert until(lambda: worker.jobs.completed >= 1 and worker.dispatch.idle())
        passes = worker.jobs.completed
        # The other runtime commits a DM to send and sends nothing itself (no jobs).
        h.runtime.outbox.enqueue_direct([(OMAR, {"text": "wake-up across processes"})])
        assert until(lambda: "wake-up across processes" in texts_posted(h))
        assert worker.jobs.completed > passes
    finally:
        worker.close()
        h.quiet_close()


def test_own_commits_are_not_news_and_others_are(tmp_path):
    h = ToolHarness(tmp_path, utc(2026, 7, 1, 12, 0))
    other = Runtime(h.settings, clock=h.clock, role="worker")
    try:
        watch = h.runtime.listener
        watch.changed()  # from here on
        with h.runtime.sessions() as s, s.begin():
            s.add(SeenEventRow(event_id="own", at_utc=h.clock.now()))
        assert not watch.changed()  # its own commit: the in-process wake-up covers it
        with other.sessions() as s, s.begin():
            s.add(SeenEventRow(event_id="other", at_utc=h.clock.now()))
        assert watch.changed()
        assert not watch.changed()  # seen once
    finally:
        other.close()
        h.quiet_close()


def test_an_idle_runtime_on_sqlite_issues_at_most_one_statement_a_second(tmp_path):
    h = ToolHarness(tmp_path, utc(2026, 7, 1, 12, 0))
    h.close()
    # Real time (passes as in production), at an instant with no shift change near.
    runtime = Runtime(h.settings, clock=RealTimeFrom(QUIET))
    try:
        runtime.start_jobs()
        window = 6.0  # over a whole safety sweep
        statements = idle_statements(runtime, window)
    finally:
        runtime.close()
    assert len(statements) <= window, f"{len(statements)} statements in {window} s: {statements}"
