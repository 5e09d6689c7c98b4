"""End to end, intake when the process is busy: the request is committed as `received`
and acknowledged at once; the router thread routes it and sends the page.

`inline_limit=0` makes every request take that path (in production it is taken when
two requests are already being routed inline, or routing is behind: see
bot/jobs/router.py). Signed requests to /slack/events, the stand-in, a manual clock.
"""

from __future__ import annotations

import threading

import pytest

from bot.store.db import session_factory
from bot.store.paging_tables import AuditRow
from tests.slack_harness import INTAKE, ToolHarness, blocks_text, emergency_values, utc
from tests.waits import to_block, writer_gate_held

OMAR = "U0EU00009"  # ar, en, fr: emea-ar-fr
JOAO = "U0EU00005"  # pt, es, en: emea-es-pt
REQUESTER = "U0REQ0001"
START = utc(2026, 7, 1, 12, 0)


@pytest.fixture
def slack(tmp_path):
    h = ToolHarness(tmp_path, START, inline_limit=0)
    yield h
    h.quiet_close()


def test_busy_intake_acknowledges_then_routes_and_pages(slack):
    text = "بث مباشر لشخص يهدد بالانتحار الآن"
    r = slack.command("/emergency", f"sev1 lang:ar {text}", user=REQUESTER)

    assert r.status == 200, r.text
    reply = r.json()["text"]
    assert "Filed T-1" in reply and "finding the on-call reader now" in reply
    assert "Arabic" in reply  # given with lang:, so known before routing

    [page] = slack.wait_for_page(OMAR)
    assert text in blocks_text(page)
    # The acknowledgement could not say who was paged: the requester gets a DM that does.
    note = slack.standin.wait_for(
        lambda c: c.method == "chat.postMessage" and c.params.get("channel") == REQUESTER,
        description="the requester's note")[0]
    assert "T-1" in note.params["text"]
    slack.wait_posted(INTAKE, "T-1")
    slack.settle()
    [req] = slack.requests()
    assert (req.status, req.language, req.language_source) == ("open", "ar", "explicit")
    assert slack.paged_users() == [OMAR]
    lines = [m["text"] for m in slack.thread(slack.card("T-1")["ts"])]
    assert any("Filed with /emergency" in line for line in lines), lines


def test_busy_intake_detects_the_language_when_routing(slack):
    text = "Hay un hombre transmitiendo en vivo que amenaza con matarse, por favor ayuden"
    r = slack.command("/emergency", f"sev2 {text}", user=REQUESTER)
    assert r.status == 200
    reply = r.json()["text"]
    assert "Filed T-1 (sev2)" in reply  # no language claimed before it is detected

    slack.wait_for_page(JOAO)
    slack.settle()
    [req] = slack.requests()
    assert (req.language, req.language_source) == ("es", "detected")
    assert req.confidence and req.confidence >= 0.7


def test_busy_intake_modal_routes_and_confirms_once(slack):
    r = slack.submit_view("emergency_modal", emergency_values(
        "amenaza de bomba en la escuela, transmisión en vivo", language="es"), REQUESTER)
    assert r.status == 200
    slack.wait_for_page(JOAO)
    slack.settle()
    notes = [c for c in slack.standin.calls
             if c.method == "chat.postMessage" and c.params.get("channel") == REQUESTER]
    assert len(notes) == 1, [n.params.get("text") for n in notes]


def test_busy_intake_retried_delivery_files_once(slack):
    trigger = "77.1111.retried"
    threat = "sev1 lang:ar تهديد بتفجير مدرسة"
    first = slack.command("/emergency", threat, user=REQUESTER, trigger_id=trigger)
    again = slack.command("/emergency", threat, user=REQUESTER, trigger_id=trigger)
    assert first.status == again.status == 200
    assert "T-1" in first.json()["text"] and "T-1" in again.json()["text"]
    slack.wait_for_page(OMAR)
    slack.settle()
    assert len(slack.requests()) == 1
    assert len(slack.pages_to(OMAR)) == 1


def test_busy_intake_survives_a_restart_before_routing(tmp_path):
    """Committed and acknowledged, then the process stops before routing: the next
    process routes it (the router sweeps the database on start)."""
    h = ToolHarness(tmp_path, START, inline_limit=0)
    try:
        router = h.runtime.router
        router.stop()  # this process will never route: as if it died after the 200
        r = h.command("/emergency", "sev1 lang:ar تهديد مباشر لمدرسة", user=REQUESTER)
        assert r.status == 200 and "T-1" in r.json()["text"]
        [req] = h.requests()
        assert req.status == "received" and not h.standin.calls_to("chat.postMessage")

        h.restart()
        h.wait_for_page(OMAR)
        h.settle()
        [req] = h.requests()
        assert req.status == "open"
        assert h.paged_users() == [OMAR]
    finally:
        h.quiet_close()


def test_routing_order_is_most_severe_then_oldest(slack):
    """Requests waiting to be routed go sev1 first, then in the order they came."""
    slack.runtime.router.stop()  # hold routing while they pile up
    for text in ("sev3 lang:ar بث مباشر أولا", "sev2 lang:ar بث مباشر ثانيا",
                 "sev1 lang:ar بث مباشر ثالثا", "sev1 lang:es amenaza en directo"):
        assert slack.command("/emergency", text, user=REQUESTER).status == 200
    order = []
    while (filed := slack.runtime.intake.route_next()) is not None:
        order.append((filed.request.ticket, filed.request.severity))
    assert order == [("T-3", "sev1"), ("T-4", "sev1"), ("T-2", "sev2"), ("T-1", "sev3")]


def test_a_batch_routes_as_one_at_a_time_would(tmp_path, db_url):
    """The router routes received requests several to a transaction. Most severe then
    oldest, as one at a time; and each request routed later in a batch weighs the pages
    the earlier ones wrote (the whole batch is `open` in the database before its first
    decision), so the same requests page the same people either way. One at a time on
    SQLite is the reference for both databases."""
    texts = [f"sev{1 + n % 3} lang:ar بث مباشر رقم {n}" for n in range(7)]

    def pile_up(h) -> None:
        h.runtime.router.stop()
        for text in texts:
            assert h.command("/emergency", text, user=REQUESTER).status == 200

    slack = ToolHarness(tmp_path / "batched", START, database_url=db_url, inline_limit=0)
    try:
        pile_up(slack)
        first = slack.runtime.intake.route_batch(4)
        rest = slack.runtime.intake.route_batch(10)
        assert len(first) == 4 and slack.runtime.intake.route_batch(10) == []
        batched = [(f.request.ticket, f.request.severity, f.request.paged)
                   for f in first + rest]
        assert [t for t, _, _ in batched] == ["T-1", "T-4", "T-7", "T-2", "T-5", "T-3", "T-6"]
        assert {r.status for r in slack.requests()} == {"open"}
    finally:
        slack.quiet_close()

    one_by_one = ToolHarness(tmp_path / "one", START, inline_limit=0)
    try:
        pile_up(one_by_one)
        single = []
        while (filed := one_by_one.runtime.intake.route_next()) is not None:
            single.append((filed.request.ticket, filed.request.severity, filed.request.paged))
    finally:
        one_by_one.quiet_close()
    assert batched == single


def test_urgent_writers_go_before_background_writers(tmp_path):
    """On SQLite this process's writers take turns at a gate; intake (urgent) waiting
    goes before background work waiting, whichever came first."""
    from bot.store.db import make_engine, migrate

    engine = make_engine(f"sqlite:///{tmp_path / 'gate.db'}")
    migrate(engine)
    background = session_factory(engine, immediate=True)
    urgent = session_factory(engine, immediate=True, urgent=True)
    order: list[str] = []

    def write(name: str, factory) -> None:
        with factory() as s, s.begin():
            s.add(AuditRow(team="t", request_id=None, actor=name, action="gate",
                           detail={}, at_utc=START))
            s.flush()  # BEGIN IMMEDIATE: through the gate
            order.append(name)

    waiting = [threading.Thread(target=write, args=("background", background)),
               threading.Thread(target=write, args=("urgent", urgent))]
    with writer_gate_held(background):
        for t in waiting:
            t.start()
            to_block()
    for t in waiting:
        t.join(5)
    assert order == ["urgent", "background"]
    engine.dispose()


def test_while_requests_wait_for_a_thread_a_request_is_received_not_filed_inline(tmp_path):
    # Inline filing is on (the default), but requests wait in the HTTP server's queue
    # for a thread (bot.jobs.acks_first.watch_queue: waitress's queue in production):
    # a filing costs several receipts' CPU, taken from them, so the request is only
    # committed and acknowledged, and the router pages.
    h = ToolHarness(tmp_path, START)
    try:
        text = "بث مباشر لشخص يهدد بالانتحار الآن"
        r = h.command("/emergency", f"sev1 lang:ar {text} (first)", user=REQUESTER)
        assert f"paging <@{OMAR}>" in r.json()["text"], r.text  # no queue: inline

        h.runtime.acks_first.watch_queue(lambda: 1)
        r = h.command("/emergency", f"sev1 lang:ar {text} (second)", user=REQUESTER)
        assert r.status == 200, r.text
        reply = r.json()["text"]
        assert "Filed T-2" in reply and "finding the on-call reader now" in reply, reply
        h.runtime.acks_first.watch_queue(lambda: 0)
        pages = h.wait_for_page(OMAR, 2)
        assert any("(second)" in blocks_text(p) for p in pages)
    finally:
        h.quiet_close()
