"""The pure part of `bench.many_machines` (bench/chaos/ledger.py) on a tiny hand-made
record: which outbox rows reached the stand-in once, twice or never, how late each
step's first message came, what the dead processes held and when it was taken over,
and how the acknowledgements are counted. No process, no database, no timing."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pytest

from bench.chaos import ledger
from bench.chaos.ledger import Deadline, Row
from bench.paging.load import Shot


def post(rows: str, at: float, ok: bool = True, method: str = "chat.postMessage"):
    """A recorded call as the stand-in keeps it (the fields the ledger reads)."""
    return SimpleNamespace(method=method, ok=ok, received=at, params={
        "channel": "U0SP00001",
        "metadata": {"event_type": "oncall_outbox", "event_payload": {"rows": rows}}})


ROWS = [
    Row(1, 10, "page", created=100.0, page_step=(0, 0)),
    Row(2, 11, "page", created=100.5, page_step=(0, 0)),
    Row(3, 10, "page", created=120.0, page_step=(0, 1)),  # fired by deadline 7
    Row(4, 10, "card", created=100.0),  # not a step's message: left out
    Row(5, 11, "page_again", created=121.0, page_step=(0, 1)),  # fired by deadline 8
    Row(6, 10, "channel_alert", created=140.0, sent=141.5),  # fired by deadline 9
]
DEADLINES = [
    Deadline(7, 10, due=119.8, fired=120.0),
    Deadline(8, 11, due=120.5, fired=121.0),
    Deadline(9, 10, due=139.9, fired=140.0),
    Deadline(10, 11, due=200.0, fired=None),  # still pending: no lateness
]
CALLS = [
    post("1", 100.2),
    post("2", 100.7, ok=False),  # refused (500): delivers nothing
    post("2,4", 101.0),  # one message carrying two rows
    post("3", 120.4),
    post("3", 128.0),  # row 3 again: a doubled page DM
    post("5", 121.3, method="chat.update"),  # updates carry no rows
    post("", 122.0),
    SimpleNamespace(method="chat.postMessage", ok=True, received=123.0, params={}),
]


def test_delivered_rows_reads_each_ok_post_s_metadata():
    got = ledger.delivered_rows(CALLS)
    assert got == {1: [100.2], 2: [101.0], 4: [101.0], 3: [120.4, 128.0]}


def test_tally_counts_once_doubled_and_missing_per_step():
    got = ledger.tally(ROWS, ledger.delivered_rows(CALLS))
    assert list(got) == ["channel alerts", "page DMs, round 1 step 1",
                         "page DMs, round 1 step 2"]
    first, second = got["page DMs, round 1 step 1"], got["page DMs, round 1 step 2"]
    assert (first.expected, first.once, first.doubled, first.missing) == (2, 2, 0, 0)
    # row 3 arrived twice, row 5 (the ping) never
    assert (second.expected, second.once, second.doubled, second.missing) == (2, 0, 1, 1)
    # the channel alert was sent by chat.postMessage but no call carried it: missing
    assert got["channel alerts"].missing == 1


def test_step_lateness_from_due_to_the_first_message_of_that_firing():
    got = ledger.step_lateness(DEADLINES, ROWS, ledger.delivered_rows(CALLS))
    assert set(got) == {7, 9}  # 8's ping never arrived; 10 never fired
    assert math.isclose(got[7], 120.4 - 119.8)
    # no call carried the alert: its sent_utc stands in for the arrival
    assert math.isclose(got[9], 141.5 - 139.9)
    assert ledger.fired_late(DEADLINES) == pytest.approx([0.2, 0.5, 0.1])


def test_orphans_are_rows_left_alone_until_their_lease_ended():
    at_kill = {1: 106.0, 2: 106.0, 3: 106.0, 4: 101.0}  # id -> lease end
    samples = [
        (101.0, {1: 106.0, 3: 106.0, 4: 101.0}),  # 2 sent by a live holder
        (103.0, {1: 106.0, 3: 108.0, 4: 107.0}),  # 3 renewed (live); 4 taken over
        (106.5, {3: 108.0, 1: 112.0}),  # 1 taken over once its lease ended
    ]
    assert ledger.orphans(at_kill, samples) == {1, 4}
    assert ledger.orphans(at_kill, []) == {1, 2, 3, 4}


def test_orphans_with_a_holder_are_the_rows_of_the_processes_whose_lock_went():
    """On PostgreSQL rows carry their process's number: the dead's are known at once,
    whatever their leases; a row without one still goes by the lease rule."""
    at_kill = {1: 106.0, 2: 106.0, 3: 106.0, 4: 101.0}
    holders = {1: 7, 2: 8, 3: 7, 4: None}
    samples = [(101.5, {1: 106.0, 2: 106.0})]  # 3 taken over at once (7 died); 4 expired
    assert ledger.orphans(at_kill, samples, holders, dead={7}) == {1, 3, 4}
    assert ledger.orphans(at_kill, samples, holders, dead=set()) == {4}


def test_takeover_first_and_last_delivery_after_the_kill():
    delivered = ledger.delivered_rows(CALLS)
    t = ledger.takeover(110.0, {3, 5}, ROWS, delivered, DEADLINES)
    assert t.orphaned == 2 and t.undelivered == 1  # 5 never arrived
    assert math.isclose(t.last_orphan, 10.4)
    # the first is deadline 7's page (row 3 itself) at 120.4: 10.4 s after the kill
    assert math.isclose(t.first, 10.4)
    none = ledger.takeover(300.0, set(), ROWS, delivered, DEADLINES)
    assert none.orphaned == 0 and math.isnan(none.first) and math.isnan(none.last_orphan)


def shot(n: int, port: int, start: float, end: float, status: int, ticket=None, error=None):
    s = Shot(n, "sev2 text", start=start, end=end, status=status, ticket=ticket, error=error)
    s.port = port
    return s


def test_acks_and_lost():
    shots = [
        shot(1, 8001, 0.0, 0.1, 200, ticket=1),
        shot(2, 8001, 0.0, 3.5, 200, ticket=2),  # answered late
        shot(3, 8002, 4.9, 5.3, 0, error="ConnectionResetError"),  # cut by the kill at 5
        shot(4, 8001, 6.0, 16.0, 0, error="timeout"),  # no answer from a live process
        shot(5, 8002, 7.0, 7.0, 0, error="ConnectionRefusedError"),
        shot(6, 8001, 8.0, 8.2, 404, error="HTTP 404"),
    ]
    a = ledger.acks(shots, [(8002, 5.0)])
    assert (a.sent, a.answered, a.over_3s, a.cut, a.refused, a.errors) == (6, 2, 2, 1, 1, 1)
    stored = {f"cmd:{shots[0].trigger_id}", "cmd:someone-else"}
    assert ledger.lost(shots, stored) == 1  # shot 2 was answered 200 and is not stored


def test_took_over_lines_and_idle_rate():
    log = ("2026-12-03 12:30:31,331 WARNING bot.services.outbox: took over 52 message(s) "
           "whose sender stopped (its lease ran out); each is looked up in Slack\n"
           "2026-12-03 12:30:32,000 INFO something else\n")
    [(at, n)] = ledger.took_over(log)
    assert n == 52 and math.isclose(at % 60, 31.331, abs_tol=1e-6)
    assert ledger.idle_per_process(1000, 1040, 10, 4) == 1.0


def test_cards_shown_in_a_digest_card_are_delivered_not_missing():
    """In a surge the intake channel's cards are combined into one digest card: posted
    listing some requests (its metadata carries their card rows), then updated in place
    to list more (an update carries no row ids). Those are in a digest, not missing."""
    rows = [Row(21, 30, "card", created=100.0), Row(22, 31, "card", created=100.2),
            Row(23, 32, "card", created=100.4), Row(24, 33, "card", created=100.6)]
    cards = {30: ledger.Card("C0INTAKE01", "1.000100", digest=True),
             31: ledger.Card("C0INTAKE01", "1.000100", digest=True),
             32: ledger.Card("C0INTAKE01", "1.000100", digest=True),
             33: ledger.Card("C0INTAKE01", "1.000900")}  # its own card, never posted

    def digest(method, at, text, rows="", ok=True):
        call = post(rows, at, ok=ok, method=method)
        call.params.update(channel="C0INTAKE01", text=text)
        if method == "chat.update":
            call.params["ts"] = "1.000100"
        call.response = {"ok": ok, "channel": "C0INTAKE01", "ts": "1.000100"}
        return call

    calls = [
        digest("chat.postMessage", 101.0, "1 new emergency request: T-30", rows="21"),
        digest("chat.update", 101.5, "3 new emergency requests: T-30, T-31, T-32",
               ok=False),  # refused: shows nothing
        digest("chat.update", 102.0, "2 new emergency requests: T-30, T-31"),
        digest("chat.update", 103.0, "3 new emergency requests: T-30, T-31, T-32"),
    ]
    shown = ledger.digest_shown(calls, cards)
    assert shown == {30: 101.0, 31: 102.0, 32: 103.0}
    got = ledger.tally(rows, ledger.delivered_rows(calls), ledger.OTHER_POSTS, shown)
    t = got["cards"]
    # 21 was carried by the digest's post; 22 and 23 were added in place; 24 never went
    assert (t.expected, t.once, t.in_digest, t.doubled, t.missing) == (4, 1, 2, 0, 1)
    # without the digests' record, the updated ones count as missing
    assert ledger.tally(rows, ledger.delivered_rows(calls), ledger.OTHER_POSTS)[
        "cards"].missing == 3
