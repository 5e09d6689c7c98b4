"""A process's liveness lock on PostgreSQL (bot.store.liveness): the rows a process
claims carry its number; while it holds its lock they are its own until their lease
runs out; once its session is gone (killed), another process takes them over at once;
a row taken over and claimed again elsewhere is no longer renewed by the first; a
renewal never waits for a row being settled (and so never deadlocks with a settle)."""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.store import paging as q
from bot.store import wakeups
from bot.store.db import make_engine
from bot.store.liveness import Liveness
from bot.store.paging import LEASE
from bot.store.paging_tables import OutboxRow

NOW = datetime(2026, 12, 4, 3, 0, tzinfo=UTC)


class Process:
    """An engine and its liveness, as a Runtime makes them (the liveness first)."""

    def __init__(self, url: str):
        self.engine = make_engine(url)
        self.liveness = Liveness(self.engine)
        assert self.liveness.start()

    def run(self, work):
        with Session(self.engine) as session, session.begin():
            return work(session)

    def close(self) -> None:
        self.liveness.stop()
        self.engine.dispose()


@pytest.fixture
def two(db_engine, db_url):
    a, b = Process(db_url), Process(db_url)
    yield a, b
    a.close()
    b.close()


def add_row(session: Session) -> int:
    row = OutboxRow(kind="card", target="C0INTAKE01", payload={}, priority=5,
                    state="pending", attempts=0, created_utc=NOW, next_attempt_utc=NOW)
    session.add(row)
    session.flush()
    return row.id


def holder_of(p: Process, row_id: int) -> int | None:
    return p.run(lambda s: s.scalar(select(OutboxRow.holder).where(OutboxRow.id == row_id)))


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_a_killed_holders_rows_are_taken_over_at_once_and_a_row_claimed_again_is_not_renewed(
        two):
    a, b = two
    assert a.liveness.holder != b.liveness.holder

    row_id = a.run(add_row)
    assert a.run(lambda s: q.claim_outbox_rows(s, [row_id], NOW)) == {row_id}
    assert holder_of(a, row_id) == a.liveness.holder
    assert a.run(lambda s: q.renew_leases(s, [row_id], NOW)) == {row_id}

    # A lives and its lease runs: nothing is B's. Once the lease ran out (A starved of
    # CPU, not dead), B takes the row over, and claims it under its own number.
    assert b.run(lambda s: q.take_over_expired(s, NOW)) == 0
    later = NOW + LEASE + timedelta(seconds=1)
    assert b.run(lambda s: q.take_over_expired(s, later)) == 1
    assert b.run(lambda s: q.claim_outbox_rows(s, [row_id], later)) == {row_id}
    assert holder_of(b, row_id) == b.liveness.holder
    # A's renewal learns the row is B's now (without the holder it would renew B's claim
    # and A would go on to send it too).
    assert a.run(lambda s: q.renew_leases(s, [row_id], later)) == set()

    # B is killed: its session ends and its lock with it. A takes the row over at its
    # next look, its lease still running (a bounded poll for the server to end B's
    # session; no clock moves).
    b.liveness.stop()
    until = time.monotonic() + 10
    while (taken := a.run(lambda s: q.take_over_expired(s, later))) == 0:
        assert time.monotonic() < until, "the dead holder's row was never taken over"
        time.sleep(0.05)
    assert taken == 1
    assert a.run(lambda s: s.get(OutboxRow, row_id).unsure) is True


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_a_renewal_never_waits_for_a_row_being_settled(two):
    """A settle holds one held row's lock (as its UPDATE does until it commits) while the
    lease keeper renews every held row. The renewal skips that row and ends at once:
    the settle then locks the other row without waiting, where a renewal that waited
    for the first row while holding the other made a deadlock (PostgreSQL breaks one
    only after `deadlock_timeout`, a second in which every settle behind them stalls)."""
    a, _ = two
    ids = sorted(a.run(lambda s: [add_row(s), add_row(s)]))
    assert a.run(lambda s: q.claim_outbox_rows(s, ids, NOW)) == set(ids)
    first, second = ids
    renewed_at = NOW + timedelta(seconds=2)
    kept: list[set[int]] = []
    done = threading.Event()

    def renew() -> None:
        kept.append(a.run(lambda s: q.renew_leases(s, ids, renewed_at)))
        done.set()

    settle = Session(a.engine)
    renewal = threading.Thread(target=renew, daemon=True)
    try:
        with settle.begin():
            settle.execute(update(OutboxRow).where(OutboxRow.id == second).values(error=None))
            renewal.start()
            # A bounded wait for the renewal to end, the settle still holding its lock.
            assert done.wait(10), "the renewal waited for the row being settled"
            settle.execute(update(OutboxRow).where(OutboxRow.id == first).values(error=None))
    finally:
        settle.close()  # rolls back whatever is left, which lets a waiting renewal end
        renewal.join(10)
    assert kept == [set(ids)], "a row being settled is still this process's"
    leases = dict(a.run(lambda s: s.execute(select(OutboxRow.id, OutboxRow.next_attempt_utc)
                                            .where(OutboxRow.id.in_(ids))).all()))
    assert leases == {first: renewed_at + LEASE, second: NOW + LEASE}


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_every_connection_carries_the_process_number_and_a_taken_number_is_drawn_again(
        two):
    a, b = two
    from sqlalchemy import text

    with a.engine.connect() as conn:
        assert conn.scalar(text("SELECT current_setting('oncall.holder')")) == str(
            a.liveness.holder)
    # A third process that drew A's number (by chance) draws another before it claims.
    c_engine = make_engine(b.engine.url.render_as_string(hide_password=False))
    c = Liveness(c_engine)
    c.holder = a.liveness.holder
    try:
        assert c.start()
        assert c.holder not in (a.liveness.holder, None)
        with c_engine.connect() as conn:
            assert conn.scalar(text("SELECT current_setting('oncall.holder')")) == str(c.holder)
    finally:
        c.stop()
        c_engine.dispose()


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_a_listener_passes_over_its_own_process_commits_and_hears_the_others(two):
    """A commit that creates work wakes its own process in-process (`watch`); its
    NOTIFY carries the process number, so that process's listener does not wake it a
    second time, while every other process's listener hears it."""
    a, b = two
    heard = {"a": 0, "b": 0}
    committed = {"a": 0, "b": 0}
    listeners = []
    for name, p in (("a", a), ("b", b)):
        wakeups.watch(p.engine, lambda n=name: committed.__setitem__(n, committed[n] + 1))
        listener = wakeups.across_processes(
            p.engine, lambda n=name: heard.__setitem__(n, heard[n] + 1), p.liveness)
        listener.start()
        listeners.append(listener)
    try:
        assert all(x.listening.wait(5) for x in listeners)

        def add(session: Session) -> None:
            session.add(OutboxRow(kind="card", target="C0INTAKE01", payload={}, priority=5,
                                  state="pending", attempts=0, created_utc=NOW,
                                  next_attempt_utc=NOW))

        # A, B, A, B: one listener's notifications arrive in commit order, so once A's
        # listener heard B's second commit it has seen all four (two its own), and B's
        # has seen the first three (one its own). No sleep: a bounded poll each time.
        for n, (writer, other) in enumerate(((a, "b"), (b, "a"), (a, "b"), (b, "a"))):
            writer.run(add)
            until = time.monotonic() + 10
            while heard[other] < n // 2 + 1:
                assert time.monotonic() < until, f"{other} never heard commit {n + 1}"
                time.sleep(0.02)
        assert committed == {"a": 2, "b": 2}
        assert heard == {"a": 2, "b": 2}
    finally:
        for x in listeners:
            x.stop()


def test_a_connection_never_opened_is_not_said_to_be_lost(caplog):
    """At start with the database unreachable, the log says the connection could not be
    opened (it said "lost", which sends an operator looking for an outage that ended)."""
    engine = make_engine("postgresql+psycopg://postgres@127.0.0.1:1/nowhere")
    listener = wakeups.Listener(engine, lambda: None, backoff=(5.0, 5.0))
    try:
        with caplog.at_level(logging.WARNING, logger="bot.store.wakeups"):
            listener.start()
            until = time.monotonic() + 10
            while not caplog.records:  # a bounded poll for the first attempt to fail
                assert time.monotonic() < until, "nothing was said"
                time.sleep(0.02)
    finally:
        listener.stop()
        engine.dispose()
    [said] = caplog.records
    assert said.getMessage().startswith(
        "could not open the connection that listens for wake-ups (")


def test_sqlite_has_no_process_number(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'bot.db'}")
    try:
        live = Liveness(engine)
        assert live.holder is None and not live.enabled and live.start()
        live.stop()
    finally:
        engine.dispose()
