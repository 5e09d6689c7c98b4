"""A request's card settled by one process while another reads the request's rows to
send: the reader saw no card on the request, then found the card row settled (on
PostgreSQL each statement reads what is committed then). Its thread lines must go under
the card, not be marked sent with nothing posted: one cause of the chaos bench's
"thread lines missing".

Two runtimes on one PostgreSQL database, one injected clock. Runtime A files the
request; Slack holds the answer of its card post (the card is in Slack). The requester's
acknowledgement goes to runtime B (its own server), which writes a thread line and
delivers it: B reads the request (no card yet), and just before B asks whether the
card row is still on its way, A gets Slack's answer and settles the card. PostgreSQL
only: SQLite reads a transaction's rows from one snapshot (and its writers take the
write lock at BEGIN), so the interleaving cannot happen there.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter

import pytest
from sqlalchemy import event, func, select

from bot.app.runtime import Runtime
from bot.core.messages import TIMELINE
from bot.demo.local_server import LocalServer
from bot.slack import ids
from bot.store.paging_tables import OutboxRow, RequestRow
from tests.slack_harness import INTAKE, ToolHarness, page_id_of, utc

pytestmark = pytest.mark.postgres
ARABIC = "sev1 lang:ar بث مباشر لشخص يهدد بالانتحار الآن"
WAIT = 15.0  # wall seconds to wait for an effect (not a deadline)


def poll(what: str, done, timeout: float = WAIT) -> None:
    start = time.monotonic()
    while not done():
        assert time.monotonic() - start < timeout, f"gave up waiting for {what}"
        time.sleep(0.02)


def card_ts(h: ToolHarness, rid: int) -> str | None:
    with h.runtime.sessions() as s:
        return s.get(RequestRow, rid).card_ts


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_lines_of_a_card_settled_meanwhile_go_under_it(tmp_path, db_url):
    h = ToolHarness(tmp_path, utc(2026, 7, 1, 12, 0), database_url=db_url)
    b = Runtime(h.settings, clock=h.clock)
    b_server = LocalServer(b.wsgi).start()
    gate, arrived = threading.Event(), threading.Event()

    def hold_card(call) -> None:  # the card is in Slack; its answer waits for the gate
        if (not arrived.is_set() and call.method == "chat.postMessage"
                and call.params.get("channel") == INTAKE and not call.params.get("thread_ts")):
            arrived.set()
            gate.wait(30)

    h.standin.on_call = hold_card
    fired = threading.Event()
    rid: list[int] = []

    def before(_conn, _cursor, statement, params, _context, _many) -> None:
        # B asks whether the card row is still on its way (bot.store.paging's
        # card_unsettled): first A gets Slack's answer and settles the card.
        if (fired.is_set() or "count(" not in statement or "FROM outbox" not in statement
                or not isinstance(params, dict) or params.get("kind_1") != "card"):
            return
        fired.set()
        gate.set()
        poll("A to settle the card", lambda: card_ts(h, rid[0]) is not None)

    try:
        r = h.command("/emergency", ARABIC)
        assert r.status == 200, r.text
        assert arrived.wait(WAIT)
        page = h.standin.wait_for(lambda c: c.ok and c.method == "chat.postMessage"
                                  and "page_ack" in str(c.params.get("blocks")),
                                  count=1, timeout=WAIT)[0]
        with h.runtime.sessions() as s:
            rid.append(s.scalar(select(func.max(RequestRow.id))))
        assert card_ts(h, rid[0]) is None
        event.listen(b.engine, "before_cursor_execute", before)
        h.sim.base_url = b_server.url  # the acknowledgement reaches B
        person = page.params["channel"]
        assert h.click(ids.ACK, page_id_of(page.params), person).status == 200
        poll("B to read the card row", fired.is_set)
        poll("B and A to finish", lambda: b.dispatch.idle() and h.runtime.dispatch.idle())
        event.remove(b.engine, "before_cursor_execute", before)
        for _ in range(5):  # what either left for later goes out
            h.clock.advance(1)
            b.tick()
        with h.runtime.sessions() as s:
            states = Counter(o.state for o in s.scalars(select(OutboxRow)))
            lines = {str(o.id) for o in s.scalars(select(OutboxRow).where(
                OutboxRow.request_id == rid[0], OutboxRow.kind == TIMELINE))}
        assert set(states) == {"sent"}, states
        card = card_ts(h, rid[0])
        posted: Counter = Counter()
        for c in h.standin.calls_to("chat.postMessage"):
            meta = c.params.get("metadata") or {}
            meta = json.loads(meta) if isinstance(meta, str) else meta
            for row in str((meta.get("event_payload") or {}).get("rows", "")).split(","):
                if c.ok and row in lines:
                    posted[row] += 1
                    assert c.params.get("thread_ts") == card
        assert posted == dict.fromkeys(lines, 1), f"thread lines missing or doubled: {posted}"
    finally:
        gate.set()
        b_server.stop()
        b.close()
        h.quiet_close()
