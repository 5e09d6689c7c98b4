"""Leases on outbox rows, kept by each process's lease keeper (bot/jobs/leases.py), not by
its reconciler's pass: a live process keeps what it is sending however slow Slack or
its tick is; a dead one's rows are taken over by a survivor within seconds, and what
the dead one had already posted (its answer lost or late) is looked up, not posted
again.

Two runtimes on one database (SQLite and PostgreSQL) with one manual clock: the lease
times are the clock's, the keeper's cadence is wall time (a bounded poll waits for it;
no test sleeps for a deadline). Runtime A serves the signed requests and runs no
reconciler at all (a web process without jobs: the extreme of a tick that never comes
back); B is the other process.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import func, select

from bot.app.runtime import Runtime
from bot.core.messages import TIMELINE
from bot.store.liveness import LOOK_EVERY
from bot.store.paging import LEASE
from bot.store.paging_tables import OutboxRow
from tests.slack_harness import INTAKE, Held, ToolHarness, page_deliveries, utc

ARABIC = "sev1 lang:ar بث مباشر لشخص يهدد بالانتحار الآن"
T0 = utc(2026, 7, 1, 12, 0)
WAIT = 15.0  # wall seconds a bounded poll waits for an effect


@pytest.fixture
def two(tmp_path, db_url):
    h = ToolHarness(tmp_path, T0, database_url=db_url)
    other = Runtime(h.settings, clock=h.clock)
    yield h, other
    other.close()
    h.quiet_close()


def poll(what: str, done: Callable[[], bool], timeout: float = WAIT) -> float:
    """Wait for an effect (not a deadline); returns the wall seconds it took."""
    start = time.monotonic()
    while not done():
        assert time.monotonic() - start < timeout, f"gave up waiting for {what}"
        time.sleep(0.02)
    return time.monotonic() - start


def rows(h: ToolHarness, *where) -> int:
    with h.runtime.sessions() as s:
        return s.scalar(select(func.count()).select_from(OutboxRow).where(*where))


def test_a_process_whose_tick_never_runs_keeps_its_leases(two):
    h, b = two
    held = Held(h, lambda c: c.method == "chat.postMessage")  # the page DM: no answer
    try:
        assert h.command("/emergency", ARABIC).status == 200
        assert held.arrived.wait(WAIT)
        sending = (OutboxRow.state == "sending",)
        assert rows(h, *sending) > 0
        # Almost a lease later, A's keeper renews from the clock's new now (A runs no
        # tick); a whole lease past the claim, nothing is B's to take over.
        h.clock.advance(LEASE.total_seconds() - 1)
        renewed = OutboxRow.next_attempt_utc >= h.clock.now() + LEASE
        poll("A's keeper to renew", lambda: rows(h, *sending, ~renewed) == 0)
        # B's keeper is told when A's leases end (a lease from the clock's now, as A
        # renewed), to look again just then rather than on a fixed poll; on PostgreSQL
        # within LOOK_EVERY, to see at once if A dies (its liveness lock gone).
        taken, ends_in = b.outbox.take_over_timed()
        wait = LOOK_EVERY if b.liveness.enabled else LEASE.total_seconds()
        assert taken == 0 and ends_in == pytest.approx(wait, abs=0.01)
        h.clock.advance(LEASE.total_seconds() - 1)
        assert b.outbox.take_over() == 0
        assert rows(h, OutboxRow.unsure) == 0
    finally:
        held.release()
    h.settle()
    assert rows(h, OutboxRow.state != "sent") == 0
    assert_each_posted_once(h)


def assert_each_posted_once(h: ToolHarness) -> None:
    """One card, each thread line once, each page DM once."""
    posts = [c for c in h.standin.calls_to("chat.postMessage") if c.ok]
    cards = [c for c in posts if c.params["channel"] == INTAKE
             and not c.params.get("thread_ts")]
    assert len(cards) == 1, "the card was posted twice"
    line_rows = Counter()
    for c in posts:
        if c.params["channel"] == INTAKE and c.params.get("thread_ts"):
            meta = c.params.get("metadata") or {}
            meta = json.loads(meta) if isinstance(meta, str) else meta
            line_rows.update(meta["event_payload"]["rows"].split(","))
    assert line_rows and max(line_rows.values()) == 1, f"thread lines twice: {line_rows}"
    assert len(line_rows) == rows(h, OutboxRow.kind == TIMELINE)
    assert max(page_deliveries(h.standin.calls).values()) == 1


@contextmanager
def dies_mid_send(h: ToolHarness, session_too: bool) -> Iterator[None]:
    """A (the harness's runtime) files an emergency and dies while Slack holds the
    answer of a thread line it posted (the line is in Slack; the answer comes after A is
    gone): no more requests, routing or renewals; nothing it holds is settled. With
    `session_too`, its database session ends as well (its liveness lock with it), as a
    SIGKILL's does; without, only its lease keeper stops."""
    a = h.runtime
    held = Held(h, lambda c: c.method == "chat.postMessage"
                and c.params.get("channel") == INTAKE and c.params.get("thread_ts"))
    try:
        assert h.command("/emergency", ARABIC).status == 200
        assert held.arrived.wait(WAIT)
        assert rows(h, OutboxRow.state == "sending") > 0
        h.server.stop()
        a.router.stop(timeout=2.0)
        a.leases.stop()
        if session_too:
            a.liveness.stop()
        yield
    finally:
        # A's thread that posted the held line lives on in this test process (a dead
        # process's would not): it may no longer reach Slack, then gets its answer.
        a.slack_sender.client.token = "xoxb-dead-process"
        held.release()
        a.dispatch.wait_idle()


def test_a_dead_process_rows_are_taken_over_and_not_posted_twice(two):
    """A dies mid-send. Its page DM and card went out, but A settles a request's
    messages together, so none was recorded. B's keeper takes them over once A's leases
    ran out, looks each up and posts nothing twice."""
    h, b = two
    b.leases.start()  # B's keeper, as its jobs would start it
    with dies_mid_send(h, session_too=False):
        h.clock.advance(LEASE.total_seconds() + 1)
        took = poll("B to take over and deliver", lambda: rows(
            h, OutboxRow.state != "sent") == 0 and rows(h) > 0)
        # B's keeper took them over once the lease it saw ended (at most a lease of
        # wall time: the clock here jumps, the keeper's waits do not), plus B's sends
        # and look-ups on a busy machine.
        assert took < LEASE.total_seconds() + 5, took
        print(f"\nA's rows taken over and delivered by B {took:.1f} s after they expired")
        assert rows(h, OutboxRow.attempts == 2) > 0  # claimed by A, then by B
        assert_each_posted_once(h)


def test_a_killed_process_rows_are_taken_over_before_their_lease_ends_on_postgres(two):
    """A is killed mid-send: its session, and its liveness lock with it, ends. On
    PostgreSQL B takes A's rows over at its keeper's next look while their leases still
    run (the clock does not move), and posts nothing twice. SQLite has no such sign: B
    waits for the lease."""
    h, b = two
    b.leases.start()
    with dies_mid_send(h, session_too=True):
        if not b.liveness.enabled:
            assert b.outbox.take_over() == 0  # SQLite: only the lease says A is gone
            h.clock.advance(LEASE.total_seconds() + 1)
        poll("B to take over and deliver", lambda: rows(
            h, OutboxRow.state != "sent") == 0 and rows(h) > 0)
        assert rows(h, OutboxRow.attempts == 2) > 0  # claimed by A, then by B
        assert_each_posted_once(h)


def test_a_holder_whose_rows_were_taken_over_sends_none_of_them(two):
    """A's keeper starves past the lease while Slack holds its page DM's answer; B takes
    A's rows over and delivers them (the page DM found, not posted again). When A's
    keeper renews again it learns they are B's, so A sends none of the card and lines
    it still held, and settles none of them."""
    h, b = two
    a = h.runtime
    held = Held(h, lambda c: c.method == "chat.postMessage")  # the page DM
    try:
        assert h.command("/emergency", ARABIC).status == 200
        assert held.arrived.wait(WAIT)
        a.leases.stop()  # starved: no renewal until the one made by hand below
        h.clock.advance(LEASE.total_seconds() + 1)
        assert b.outbox.take_over() > 0
        b.deliver()
        assert rows(h, OutboxRow.state != "sent") == 0
        assert a.outbox.renew() == 0  # every row it held is B's now
    finally:
        held.release()
    poll("A's sending threads to finish", a.dispatch.idle)
    assert_each_posted_once(h)
    assert rows(h, OutboxRow.state != "sent") == 0


def test_an_idle_keeper_costs_one_statement_per_take_over_period(two):
    """Nothing held: renewing issues nothing; a pass takes over at most once per
    TAKE_OVER_EVERY (one statement), however often it runs."""
    from sqlalchemy import event

    from bot.jobs.leases import LeaseKeeper

    h, _ = two
    rt = h.runtime
    issued: list[str] = []

    def count(conn, cursor, statement, *args):
        if not statement.startswith("BEGIN"):  # SQLite's BEGIN IMMEDIATE of a write
            issued.append(statement)

    keeper = LeaseKeeper(rt.outbox.renew, rt.outbox.take_over)  # not started: passes by hand
    event.listen(rt.engine, "before_cursor_execute", count)
    try:
        assert rt.outbox.renew() == 0
        assert issued == []
        for _ in range(5):
            keeper.keep()
    finally:
        event.remove(rt.engine, "before_cursor_execute", count)
    assert len(issued) == 1 and "outbox" in issued[0], issued


def test_an_idle_timed_take_over_is_one_read_and_says_nobody_else_sends(two):
    """The keeper's timed take-over (the app's): idle, one statement, which reads that
    no other process is sending (so the next look may wait a whole lease)."""
    from sqlalchemy import event

    h, _ = two
    rt = h.runtime
    issued: list[str] = []

    def count(conn, cursor, statement, *args):
        if not statement.startswith("BEGIN"):
            issued.append(statement)

    event.listen(rt.engine, "before_cursor_execute", count)
    try:
        assert rt.outbox.take_over_timed() == (0, None)
    finally:
        event.remove(rt.engine, "before_cursor_execute", count)
    assert len(issued) == 1 and issued[0].startswith("SELECT"), issued
