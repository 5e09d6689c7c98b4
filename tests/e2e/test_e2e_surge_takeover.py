"""A process dies mid-digest (bot.core.surge): it posted a digest card, or updated its
open digest in place to list one more request, and was killed before settling. The
survivor takes the rows over (back to pending, unsure) and each listed request's card
row goes through its own delivery, which looks it up first. Regression for the chaos
bench's "timeline lines doubled" after a SIGKILL: the request must appear in the
channel once (in the digest, which becomes its card), and its thread lines once, in the
digest's thread, naming its ticket.

Two runtimes on one database (SQLite and PostgreSQL), one injected clock, the Slack
stand-in with Slack's limits on (so the intake channel is in a surge). Runtime A serves
the signed requests and dies (no more requests, routing or lease renewals) while Slack
holds the answer of its digest call, which took effect; B is the survivor.
"""

from __future__ import annotations

import json
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select

from bot.app.runtime import Runtime
from bot.core.messages import CARD, TIMELINE
from bot.store.paging import LEASE
from bot.store.paging_tables import OutboxRow, RequestRow
from tests.e2e.test_e2e_surge import (
    TICKET,
    LimitedHarness,
    file_one,
    listed_in_intake,
    step_until,
    surge_desk,
)
from tests.slack_harness import INTAKE, Held, ToolHarness, utc

T0 = utc(2026, 7, 1, 12, 0)
WAIT = 15.0  # wall seconds to wait for an effect (not a deadline)
DIGEST_TEXT = "new emergency request"


@pytest.fixture
def two(tmp_path, db_url):
    h = LimitedHarness(tmp_path, T0, database_url=db_url,
                       schedules=surge_desk(tmp_path / "teams"))
    survivor = Runtime(h.settings, clock=h.clock)
    yield h, survivor
    survivor.close()
    h.quiet_close()


def step_until_held(h: ToolHarness, held: Held, seconds: int = 30) -> None:
    """A's passes, a second of the injected clock at a time, until the held call came
    (A's sending thread then waits on it: no waiting for A to be idle)."""
    for _ in range(seconds):
        if held.arrived.wait(0.5):
            return
        h.clock.advance(1)
        h.runtime.tick(wait=False)
    assert held.arrived.wait(WAIT), "the digest call never came"


def kill(h: ToolHarness) -> Runtime:
    """A dies: no more requests, routing or renewals; nothing it holds is settled."""
    a = h.runtime
    h.server.stop()
    a.router.stop(timeout=2.0)
    a.leases.stop()
    return a


def take_over(h: ToolHarness, b: Runtime) -> None:
    """B takes A's rows over once their lease ran out, and sends until nothing is left
    (B's own passes, a second of the injected clock at a time)."""
    h.clock.advance(LEASE.total_seconds() + 1)
    assert b.outbox.take_over() > 0
    for _ in range(60):
        if not unsent(h):
            return
        b.tick()
        h.clock.advance(1)
    assert not unsent(h), "B left rows unsent"


def unsent(h: ToolHarness) -> int:
    with h.runtime.sessions() as s:
        return len(s.scalars(select(OutboxRow.id).where(OutboxRow.state != "sent")).all())


def bury(h: ToolHarness, a: Runtime, held: Held) -> None:
    """A's thread that made the held call lives on in this test process (a dead
    process's would not): its later calls can no longer reach Slack."""
    a.slack_sender.client.token = "xoxb-dead-process"
    held.release()
    a.dispatch.wait_idle(5.0)


def metadata_rows(message: dict) -> list[str]:
    meta = message.get("metadata") or {}
    meta = json.loads(meta) if isinstance(meta, str) else meta
    return [r for r in str((meta.get("event_payload") or {}).get("rows", "")).split(",") if r]


def assert_listed_once_in_the_digest(h: ToolHarness, digest_ts: str, tickets: set[str]):
    """Each request appears once at the top of the channel (in the digest, its card);
    each of its thread lines once, in the digest's thread, naming its ticket."""
    top = [m for m in h.standin.messages_to(INTAKE) if not m.get("thread_ts")]
    shown = Counter(f"T-{n}" for m in top for n in set(TICKET.findall(m.get("text") or "")))
    assert {t: shown[t] for t in tickets} == dict.fromkeys(tickets, 1), \
        "a request listed in the digest got a card of its own too"
    ids = {int(t[2:]) for t in tickets}
    with h.runtime.sessions() as s:
        reqs = s.scalars(select(RequestRow).where(RequestRow.id.in_(ids))).all()
        assert {(r.card_ts, r.card_digest) for r in reqs} == {(digest_ts, True)}
        lines = {str(o.id): o.request_id for o in s.scalars(
            select(OutboxRow).where(OutboxRow.request_id.in_(ids),
                                    OutboxRow.kind == TIMELINE))}
    assert lines
    posted: Counter = Counter()
    for m in h.standin.messages_to(INTAKE):
        for row in metadata_rows(m):
            if row in lines:
                posted[row] += 1
                assert m.get("thread_ts") == digest_ts, "a line outside the digest's thread"
                assert f"T-{lines[row]}" in (m.get("text") or ""), "a line not naming its ticket"
    assert posted == dict.fromkeys(lines, 1), f"thread lines missing or doubled: {posted}"


def open_digest(h: ToolHarness) -> tuple[str, set[str]]:
    """A surge on the intake channel and its digest, settled: (its ts, tickets listed)."""
    with ThreadPoolExecutor(8) as pool:
        filed = dict(pool.map(lambda i: file_one(h, i), range(1, 13)))
    assert step_until(h, lambda: listed_in_intake(h) == set(filed))
    digests = [m for m in h.standin.messages_to(INTAKE) if DIGEST_TEXT in (m.get("text") or "")]
    assert len(digests) == 1
    # Its listed requests' lines through (the channel still in its surge, the digest open).
    assert step_until(h, lambda: unsent(h) == 0, seconds=20)
    return digests[0]["ts"], set(TICKET.findall(digests[0]["text"]))


def test_a_digest_updated_in_place_by_a_process_that_died_lists_its_request_once(two):
    h, b = two
    ts, _ = open_digest(h)
    late = file_one(h, 50)[0]
    # An update Slack took (one answered 429 changed nothing).
    held = Held(h, lambda c: c.method == "chat.update" and (c.response or {}).get("ok")
                and c.params.get("ts") == ts and late in (c.params.get("text") or ""))
    a = h.runtime
    try:
        step_until_held(h, held)  # A's pass updated the digest to list `late`, and dies
        kill(h)
        assert late in h.standin.message(ts)["text"]
        take_over(h, b)
        assert_listed_once_in_the_digest(h, ts, {late})
        # The update's metadata lists the card row of every request the digest holds
        # (the earlier ones too), and says it is a digest.
        meta = h.standin.message(ts)["metadata"]
        with h.runtime.sessions() as s:
            listed = s.scalars(select(RequestRow.id).where(RequestRow.card_ts == ts)).all()
            cards = {str(i) for i in s.scalars(select(OutboxRow.id).where(
                OutboxRow.kind == CARD, OutboxRow.request_id.in_(listed)))}
        assert len(listed) > 1 and set(metadata_rows({"metadata": meta})) == cards
        assert meta["event_payload"]["digest"] is True
    finally:
        bury(h, a, held)


def test_a_digest_whose_lines_a_dead_process_posted_gets_none_twice(two):
    """A updated its digest to list a request and posted that request's lines in the
    digest's thread, and died before settling any of it: nothing is posted again."""
    h, b = two
    ts, _ = open_digest(h)
    late = file_one(h, 50)[0]
    held = Held(h, lambda c: c.method == "chat.postMessage" and (c.response or {}).get("ok")
                and c.params.get("thread_ts") == ts and late in (c.params.get("text") or ""))
    a = h.runtime
    try:
        step_until_held(h, held)
        kill(h)
        take_over(h, b)
        assert_listed_once_in_the_digest(h, ts, {late})
    finally:
        bury(h, a, held)


def test_a_digest_posted_by_a_process_that_died_becomes_its_requests_card(two):
    """A posted a new digest and died before settling: each request it lists is found
    there, and the digest is its card (its lines name its ticket, in the digest's
    thread), as if A had settled it."""
    h, b = two
    # A post Slack took: one answered 429 (the channel's rate) posted nothing.
    held = Held(h, lambda c: c.method == "chat.postMessage" and (c.response or {}).get("ok")
                and c.params.get("channel") == INTAKE and not c.params.get("thread_ts")
                and DIGEST_TEXT in (c.params.get("text") or ""))
    a = h.runtime
    try:
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda i: file_one(h, i), range(1, 13)))
        step_until_held(h, held)
        kill(h)
        digest = next(m for m in h.standin.messages_to(INTAKE)
                      if DIGEST_TEXT in (m.get("text") or ""))
        take_over(h, b)
        assert_listed_once_in_the_digest(
            h, digest["ts"], {f"T-{n}" for n in TICKET.findall(digest["text"])})
    finally:
        bury(h, a, held)


def test_a_digest_update_whose_answer_was_lost_keeps_its_request_listed(two):
    """The open digest's update reached Slack but its answer was lost (unsure): the
    request it added is found there by its card row, and the digest becomes its card.
    The next requests go in a new digest: an update of this one from the pass's memory
    (which never learnt the lost update listed it) would drop that request from it."""
    h, _ = two
    ts, _ = open_digest(h)
    h.standin.drop_next("chat.update", done=True)
    late = file_one(h, 50)[0]
    assert step_until(h, lambda: unsent(h) == 0, seconds=30)
    lost = [c for c in h.standin.calls_to("chat.update") if c.fault == "lost"]
    assert [c.params["ts"] for c in lost] == [ts] and late in lost[0].params["text"]
    assert_listed_once_in_the_digest(h, ts, {late})

    later = file_one(h, 51)[0]
    assert step_until(h, lambda: unsent(h) == 0, seconds=30)
    with h.runtime.sessions() as s:
        assert s.get(RequestRow, int(later[2:])).card_digest  # still in the surge
    assert late in h.standin.message(ts)["text"]
    assert_listed_once_in_the_digest(h, ts, {late})
