"""Several bot processes on one database: every due step fires once, none twice.

Each `Runtime` here has its own engine (its own connection pool), as separate web and
worker processes would; they share one database and one manual clock. The racing work
is released from threads at a barrier so that it really overlaps. PostgreSQL is the
backend where this matters (READ COMMITTED, row locks, `FOR UPDATE SKIP LOCKED`);
SQLite serialises writers with `BEGIN IMMEDIATE` and must pass the same checks.

What guards what; each protection was removed in a scratch copy of the bot to see
these tests fail (PostgreSQL unless said otherwise):
- the row lock in `claim_due_deadline` (`FOR UPDATE`; SKIP LOCKED only saves waiting):
  without it two reconcilers take the same deadline; the token check stops the second
  firing, but it overwrites `fired` with `cancelled` -> the reconciler, ack and
  stale-deadline tests. Without the token check as well, 6 reconcilers fired 30 due
  deadlines 180 times.
- the `esc_token` check in `reconcile`: a deadline made stale by a decline or a
  hand-over still fires and cuts the next wait short (managers alerted the instant the
  backup was paged) -> the stale-deadline test, on both backends. After an
  acknowledgement the `status` check alone already drops the deadline.
- the request row lock (`lock_request`): a page created after the acknowledgement.
- the `state == 'pending'` condition in `claim_outbox_rows`: rows sent twice.
- the IntegrityError fallback in `IntakeService.file`: UniqueViolation reaches the caller.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from itertools import cycle

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

import bot.store.crises as crisis_store
from bot.app.runtime import Runtime
from bot.clock import ManualClock
from bot.config import Settings
from bot.core.messages import (
    CARD,
    CHANNEL_ALERT,
    MANAGER_ALERT,
    PAGE,
    REQUESTER_NOTE,
    TIMELINE,
)
from bot.demo.slack_standin import SlackStandIn
from bot.services.intake import Intake
from bot.slack import render
from bot.store.db import make_engine
from bot.store.paging_tables import AuditRow, DeadlineRow, OutboxRow, PageRow, RequestRow
from tests.slack_harness import SCHEDULES, SECRET, TOKEN, utc

T0 = utc(2026, 7, 1, 12, 0)  # a Wednesday: Omar is the only Arabic reader on call
OMAR = "U0EU00009"
YASMINE = "U0EU00008"
REQUESTER = "U0REQ0001"
FIRST_WAIT = 120  # seconds: sev1 step 1 (language_oncall) waits 2 min, sev2 5 min
WHOLE_SEV1 = 35 * 60  # three rounds of 2+2+3+3 min, and some
POSTING_KINDS = (PAGE, CARD, TIMELINE, REQUESTER_NOTE, MANAGER_ALERT, CHANNEL_ALERT)
RACE_TIMEOUT = 60.0
ESCALATION_ACTIONS = ("paged", "managers_alerted", "channel_alerted", "note", "exhausted")


# -- a cluster of runtimes on one database ---------------------------------------------------

class Cluster:
    """`size` runtimes (no HTTP, no jobs) on one database, one manual clock."""

    def __init__(self, url: str, standin: SlackStandIn, size: int = 3):
        self.clock = ManualClock(T0)
        settings = Settings(slack_bot_token=TOKEN, slack_signing_secret=SECRET,
                            slack_api_url=standin.url, database_url=url)
        self.runtimes: list[Runtime] = []
        try:
            first = Runtime(settings, clock=self.clock, listener_threads=2)
            self.runtimes.append(first)
            first.bootstrap(SCHEDULES)
            for _ in range(size - 1):
                self.runtimes.append(Runtime(settings, clock=self.clock, listener_threads=2))
            self.engine = make_engine(url)
        except BaseException:
            self.close()
            raise
        self.dialect = self.engine.dialect.name

    def close(self) -> None:
        for rt in self.runtimes:
            rt.close()
        if hasattr(self, "engine"):
            self.engine.dispose()

    def file_many(self, count: int, prefix: str, severity: str = "sev1",
                  languages: tuple[str, ...] = ("ar",)) -> list[int]:
        """File `count` requests, spread over the runtimes and filed concurrently."""
        intakes = [Intake(key=f"{prefix}-{i}", requester=REQUESTER, text=f"help {prefix} {i}",
                          via="demo", severity=severity, language=lang)
                   for i, lang in zip(range(count), cycle(languages), strict=False)]
        slices = [intakes[k::len(self.runtimes)] for k in range(len(self.runtimes))]

        def filer(rt: Runtime, mine: list[Intake]) -> list[tuple[str, int]]:
            return [(i.key, rt.intake.file(i).request.id) for i in mine]

        done = race(*[_bind(filer, rt, s) for rt, s in zip(self.runtimes, slices, strict=True)])
        ids = dict(pair for part in done for pair in part)
        return [ids[i.key] for i in intakes]

    def reconcilers(self, per_runtime: int = 1) -> list[Callable[[], int]]:
        return [rt.escalation.reconcile for rt in self.runtimes for _ in range(per_runtime)]

    def run_out(self, seconds: int, step: int = 60) -> None:
        """Move the clock on `seconds` in `step`s, one reconciler pass per step."""
        for k, _ in enumerate(range(0, seconds, step)):
            self.clock.advance(step)
            self.runtimes[k % len(self.runtimes)].escalation.reconcile()

    def snapshot(self) -> State:
        with Session(self.engine) as s:
            return State(
                requests={r.id: r for r in s.scalars(select(RequestRow))},
                pages=list(s.scalars(select(PageRow).order_by(PageRow.id))),
                deadlines=list(s.scalars(select(DeadlineRow).order_by(DeadlineRow.id))),
                audit=list(s.scalars(select(AuditRow).order_by(AuditRow.id))),
                outbox=list(s.scalars(select(OutboxRow).order_by(OutboxRow.id))))

    def step0_page(self, request_id: int) -> PageRow:
        return next(p for p in self.snapshot().pages
                    if p.request_id == request_id and (p.round, p.step) == (0, 0))


@dataclass
class State:
    requests: dict[int, RequestRow]
    pages: list[PageRow]
    deadlines: list[DeadlineRow]
    audit: list[AuditRow]
    outbox: list[OutboxRow]

    def pages_of(self, rid: int) -> list[PageRow]:
        return [p for p in self.pages if p.request_id == rid]

    def deadlines_of(self, rid: int) -> list[DeadlineRow]:
        return [d for d in self.deadlines if d.request_id == rid]

    def trail(self, rid: int) -> list[AuditRow]:
        return [a for a in self.audit if a.request_id == rid]

    def positions(self, rid: int) -> set[tuple[int, int]]:
        return {(p.round, p.step) for p in self.pages_of(rid)}


def _bind(fn, *args):
    return lambda: fn(*args)


def race(*jobs: Callable[[], object], timeout: float = RACE_TIMEOUT) -> list:
    """Run every job in its own thread, released together; fail on any error or hang."""
    barrier = threading.Barrier(len(jobs))
    results: list = [None] * len(jobs)
    errors: list[tuple[int, BaseException]] = []

    def run(i: int, job: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=timeout)
            results[i] = job()
        except BaseException as exc:  # noqa: BLE001 - reported below, with all the others
            errors.append((i, exc))

    threads = [threading.Thread(target=run, args=(i, job), daemon=True, name=f"race-{i}")
               for i, job in enumerate(jobs)]
    for t in threads:
        t.start()
    end = time.monotonic() + timeout
    for t in threads:
        t.join(max(0.0, end - time.monotonic()))
    hung = [t.name for t in threads if t.is_alive()]
    assert not hung, f"still running after {timeout:.0f}s (deadlocked?): {hung}"
    if errors:
        listing = "; ".join(f"job {i}: {type(e).__name__}: {e}" for i, e in errors)
        raise AssertionError(f"{len(errors)} racing job(s) failed: {listing}") from errors[0][1]
    return results


@pytest.fixture
def standin():
    s = SlackStandIn(tokens=[TOKEN]).start()
    try:
        yield s
    finally:
        s.stop()


@pytest.fixture
def cluster(db_url: str, standin: SlackStandIn):
    c = Cluster(db_url, standin, size=3)
    try:
        yield c
    finally:
        c.close()


# -- invariants --------------------------------------------------------------------------------

def assert_each_step_paged_once(s: State) -> None:
    """No (request, round, step) paged anyone twice; audit 'paged' rows match the pages."""
    # Hand-overs (to a colleague) and shift hand-offs (to the incoming reader) page at
    # the current step on purpose; only escalation pages are counted.
    steps = [p for p in s.pages if p.source not in ("handover", "handoff")]
    counts = Counter((p.request_id, p.round, p.step, p.user) for p in steps)
    twice = sorted(k for k, n in counts.items() if n > 1)
    assert not twice, f"(request, round, step, user) paged more than once: {twice}"
    audited = Counter(a.detail["page"] for a in s.audit if a.action == "paged")
    assert audited == Counter(p.id for p in s.pages if p.source != "handover"), \
        "audit 'paged' rows != pages rows"


def assert_token_accounting(s: State) -> None:
    """Every `esc_token` bump is accounted for: filing, acknowledgements, hand-overs,
    resolutions (from the audit trail), deadlines that fired (rows in state 'fired') and
    declines while open (those that change nothing leave the token alone, so each
    counts 0 or 1). A deadline that fired but was then overwritten, or fired twice,
    breaks the count."""
    problems = []
    for rid, req in s.requests.items():
        token, maybe, status = 0, 0, "open"
        for a in s.trail(rid):
            if a.action == "filed":
                token += 1
            elif a.action == "declined":
                maybe += status == "open"  # a decline re-decides only while open
            elif a.action in ("acknowledged", "handed_over", "resolved"):
                token += 1
                status = {"acknowledged": "acknowledged", "handed_over": "open",
                          "resolved": "resolved"}[a.action]
        token += sum(d.state == "fired" for d in s.deadlines_of(rid))
        if not token <= req.esc_token <= token + maybe:
            want = f"{token}" if not maybe else f"{token}..{token + maybe}"
            problems.append(f"T-{rid}: {want} accounted decisions, esc_token "
                            f"{req.esc_token}; deadlines {_deadlines(s.deadlines_of(rid))}")
    assert not problems, "\n".join(problems)


def assert_live_deadlines(s: State) -> None:
    """An open request that can still escalate has exactly one deadline carrying its
    current token; an acknowledged, resolved or exhausted one has none."""
    wrong = []
    for rid, req in s.requests.items():
        live = [d for d in s.deadlines_of(rid)
                if d.state == "pending" and d.token == req.esc_token]
        want = 1 if req.status == "open" and not req.exhausted else 0
        if len(live) != want:
            wrong.append(f"T-{rid} ({req.status}, exhausted={req.exhausted}, "
                         f"token {req.esc_token}): {_deadlines(s.deadlines_of(rid))}")
    assert not wrong, "requests without exactly one live timer:\n" + "\n".join(wrong)


def assert_nothing_paged_after_acknowledgement(s: State, acked: list[int]) -> None:
    for rid in acked:
        trail = s.trail(rid)
        ack = [a.id for a in trail if a.action == "acknowledged"]
        assert len(ack) == 1, f"T-{rid}: {len(ack)} acknowledgements"
        late = [a for a in trail if a.id > ack[0] and a.action in ESCALATION_ACTIONS]
        assert not late, f"T-{rid}: escalated after it was acknowledged: " + \
            "; ".join(a.detail.get("text", a.action) for a in late)
        states = Counter(p.state for p in s.pages_of(rid))
        assert states["acknowledged"] == 1 and states["pending"] == 0, (rid, states)


def _trail(s: State, rid: int) -> list[str]:
    return [a.detail.get("text", a.action) for a in s.trail(rid)]


def _deadlines(rows: list[DeadlineRow]) -> str:
    return ", ".join(f"[token {d.token} due {d.due_utc:%H:%M:%S} {d.state}]" for d in rows)


# -- the tests -------------------------------------------------------------------------------

def test_concurrent_reconcilers_fire_each_due_deadline_once(cluster: Cluster):
    due = cluster.file_many(30, "due", "sev1", ("ar", "es", "fr", "pt", "en"))
    later = cluster.file_many(6, "later", "sev2", ("ar", "es"))  # 5 min: not due yet
    cluster.clock.advance(FIRST_WAIT + 1)

    fired = race(*cluster.reconcilers(per_runtime=2))

    assert sum(fired) == len(due), fired
    s = cluster.snapshot()
    for rid in due:
        states = Counter((d.token, d.state) for d in s.deadlines_of(rid))
        assert states == {(1, "fired"): 1, (2, "pending"): 1}, (rid, states)
        assert s.positions(rid) == {(0, 0), (0, 1)}, (rid, s.positions(rid))
        req = s.requests[rid]
        assert (req.esc_round, req.esc_step, req.esc_token) == (0, 1, 2), rid
    for rid in later:
        assert [(d.token, d.state) for d in s.deadlines_of(rid)] == [(1, "pending")], rid
        assert s.positions(rid) == {(0, 0)}, rid
    assert_each_step_paged_once(s)
    assert_token_accounting(s)
    assert_live_deadlines(s)
    assert sum(race(*cluster.reconcilers())) == 0  # nothing due is left over


def test_acknowledge_races_reconciler(cluster: Cluster):
    rids = cluster.file_many(30, "ack", "sev1", ("ar",))
    page_of = {rid: cluster.step0_page(rid).id for rid in rids}
    cluster.clock.advance(FIRST_WAIT + 1)
    before, during, never = rids[:5], rids[5:25], rids[25:]
    for rid in before:  # their due deadline is stale before any reconciler runs
        assert cluster.runtimes[0].escalation.acknowledge(page_of[rid], OMAR).changed

    def acker(rt: Runtime, mine: list[int]) -> list[bool]:
        return [rt.escalation.acknowledge(page_of[rid], OMAR).changed for rid in mine]

    backwards = during[::-1]  # meet the reconcilers, which go oldest first, half way
    outcomes = race(*cluster.reconcilers(),
                    _bind(acker, cluster.runtimes[0], backwards[0::2]),
                    _bind(acker, cluster.runtimes[1], backwards[1::2]))

    assert all(all(o) for o in outcomes[-2:]), outcomes[-2:]
    s = cluster.snapshot()
    acked = before + during
    assert_nothing_paged_after_acknowledgement(s, acked)
    assert_each_step_paged_once(s)
    assert_token_accounting(s)
    assert_live_deadlines(s)
    for rid in never:
        assert s.positions(rid) == {(0, 0), (0, 1)}, rid

    cluster.run_out(WHOLE_SEV1)  # let the rest escalate all the way
    s = cluster.snapshot()
    assert_nothing_paged_after_acknowledgement(s, acked)
    assert_each_step_paged_once(s)
    assert_token_accounting(s)
    assert_live_deadlines(s)
    for rid in never:
        assert s.requests[rid].exhausted, rid
        assert (0, 3) not in s.positions(rid)  # managers are alerted, not paged
        assert {(r, 0) for r in range(3)} <= s.positions(rid), s.positions(rid)


def test_stale_deadlines_dropped_when_decline_or_handover_races_reconciler(cluster: Cluster):
    rids = cluster.file_many(16, "stale", "sev1", ("ar",))
    page_of = {rid: cluster.step0_page(rid).id for rid in rids}
    declined, handed = rids[:8], rids[8:]
    cluster.clock.advance(60)
    for rid in handed:
        assert cluster.runtimes[0].escalation.acknowledge(page_of[rid], OMAR).changed
    cluster.clock.advance(FIRST_WAIT + 1 - 60)  # the first deadline of all is due now
    escalation = cluster.runtimes[0].escalation
    for rid in declined[:3]:  # deterministic: stale before any reconciler runs
        escalation.decline(page_of[rid], OMAR)
    for rid in handed[:3]:
        escalation.hand_over(rid, OMAR, YASMINE)

    def decliner(rt: Runtime, mine: list[int]) -> None:
        for rid in mine:
            rt.escalation.decline(page_of[rid], OMAR)

    def hander(rt: Runtime, mine: list[int]) -> None:
        for rid in mine:
            rt.escalation.hand_over(rid, OMAR, YASMINE)

    race(*cluster.reconcilers(),
         _bind(decliner, cluster.runtimes[1], declined[3:][::-1]),
         _bind(hander, cluster.runtimes[2], handed[3:][::-1]))

    s = cluster.snapshot()
    assert_token_accounting(s)
    assert_live_deadlines(s)
    assert_each_step_paged_once(s)
    for rid in declined:
        # Omar declined step 1; nobody else on shift reads Arabic, so the decline moved
        # on to the opted-in backup (step 3), who now has 3 minutes. Had the first
        # deadline (made stale by the decline) fired too, the managers (step 4) would
        # have been alerted at the same instant.
        req = s.requests[rid]
        assert (req.esc_round, req.esc_step) == (0, 2), (rid, _trail(s, rid))
        assert "managers_alerted" not in [a.action for a in s.trail(rid)], _trail(s, rid)
    for rid in handed:
        # The hand-over restarts step 1's wait for the new assignee: nothing more fires
        # at the instant of the hand-over, whoever got the request lock first.
        req = s.requests[rid]
        assert (req.esc_round, req.esc_step) == (0, 0), (rid, _trail(s, rid))
        trail = s.trail(rid)
        handover = next(a.id for a in trail if a.action == "handed_over")
        assert not [a for a in trail if a.id > handover and a.action in ESCALATION_ACTIONS]

    cluster.run_out(12 * 60)  # through the first round and into the second
    s = cluster.snapshot()
    assert_token_accounting(s)
    assert_live_deadlines(s)
    assert_each_step_paged_once(s)
    assert all(s.requests[rid].esc_round >= 1 for rid in rids), [
        (r.id, r.esc_round, r.esc_step) for r in s.requests.values()]


def test_same_idempotency_key_filed_concurrently_creates_one_request(
        cluster: Cluster, monkeypatch: pytest.MonkeyPatch):
    racers = len(cluster.runtimes)
    # PostgreSQL: hold every racer after its "is this key new?" check until all have
    # made it, so all of them insert and all but one hit the unique index (the
    # IntegrityError path). SQLite's BEGIN IMMEDIATE makes the racers take turns, so
    # there the later ones simply find the request.
    gate: dict[str, threading.Barrier | None] = {"barrier": None}
    passed_check = Counter()
    real = crisis_store.filing_reads

    def gated(session, key, team):
        found, crises = real(session, key, team)
        barrier = gate["barrier"]
        if found is None and barrier is not None:
            passed_check[key] += 1
            barrier.wait(timeout=10)
        return found, crises

    monkeypatch.setattr(crisis_store, "filing_reads", gated)
    keys = [f"same-{k}" for k in range(8)]
    for key in keys:
        if cluster.dialect == "postgresql":
            gate["barrier"] = threading.Barrier(racers)
        intake = Intake(key=key, requester=REQUESTER, text="same interaction twice",
                        via="command", severity="sev1", language="ar")
        filed = race(*[_bind(rt.intake.file, intake) for rt in cluster.runtimes])
        assert len({f.request.id for f in filed}) == 1, filed
        assert sorted(f.duplicate for f in filed) == [False] + [True] * (racers - 1)

    if cluster.dialect == "postgresql":
        assert passed_check == dict.fromkeys(keys, racers)  # every racer inserted
    s = cluster.snapshot()
    assert sorted(r.key for r in s.requests.values()) == sorted(keys)
    for rid in s.requests:
        assert [o.kind for o in s.outbox if o.request_id == rid].count(CARD) == 1
        assert len(s.pages_of(rid)) == 1
        assert [a.action for a in s.trail(rid)].count("filed") == 1
        assert len(s.deadlines_of(rid)) == 1


def _page_dms(standin: SlackStandIn) -> Counter:
    """Page DMs the stand-in accepted, by page id (the Acknowledge button's value)."""
    found = Counter()
    for c in standin.calls_to("chat.postMessage"):
        if not c.ok:
            continue
        for block in c.params.get("blocks") or []:
            for el in block.get("elements") or []:
                if el.get("action_id") == "page_ack":
                    found[int(el["value"])] += 1
    return found


def _deliver_with_two_workers(cluster: Cluster) -> int:
    """File requests, fire their first deadline, then let two processes (two threads
    each) deliver the outbox at once. Returns how many rows the workers reported sent."""
    cluster.file_many(20, "out", "sev1", ("ar", "es", "en", "fr"))
    cluster.clock.advance(FIRST_WAIT + 1)
    assert cluster.runtimes[0].escalation.reconcile() == 20  # step 2 pages too
    workers = cluster.runtimes[:2]

    def drain(rt: Runtime) -> int:
        sent = 0
        while n := rt.outbox.deliver(rt.sender):
            sent += n
        return sent

    sent = race(*[_bind(drain, rt) for rt in workers for _ in range(2)])
    # A worker skips thread lines while the card is out with the other; finish those.
    return sum(sent) + drain(workers[0])


def test_two_outbox_workers_send_each_row_once(cluster: Cluster, standin: SlackStandIn):
    sent = _deliver_with_two_workers(cluster)

    s = cluster.snapshot()
    assert sent == len(s.outbox)
    assert Counter(o.state for o in s.outbox) == {"sent": len(s.outbox)}
    assert Counter(o.attempts for o in s.outbox) == {1: len(s.outbox)}  # claimed once
    assert _page_dms(standin) == Counter(p.id for p in s.pages), "page DMs per page id"
    posts = [c for c in standin.calls_to("chat.postMessage") if c.ok]
    cards = Counter(c.params["channel"] for c in posts if not c.params.get("thread_ts")
                    and c.params["channel"] == "C0INTAKE01")
    assert cards == {"C0INTAKE01": len(s.requests)}, "one card per request"
    lines = Counter(c.params["thread_ts"] for c in posts if c.params.get("thread_ts"))
    for req in s.requests.values():
        rows = sum(o.kind == TIMELINE and o.request_id == req.id for o in s.outbox)
        assert lines[req.card_ts] <= rows, f"T-{req.id}: thread lines posted twice"
    assert len(posts) <= sum(o.kind in POSTING_KINDS for o in s.outbox)
    assert all(c.ok for c in standin.calls), [c.describe() for c in standin.calls if not c.ok]


def test_two_outbox_workers_drop_no_thread_line_or_card_update(
        cluster: Cluster, standin: SlackStandIn):
    _deliver_with_two_workers(cluster)

    s = cluster.snapshot()
    posts = [c for c in standin.calls_to("chat.postMessage") if c.ok]
    # Lines that come due together go out as one post (one context block per line), so
    # count blocks; every line must be under its card exactly once.
    line_blocks = Counter()
    for c in posts:
        if c.params.get("thread_ts"):
            line_blocks[c.params["thread_ts"]] += sum(
                b.get("type") == "context" for b in c.params.get("blocks") or [])
    lost = []
    for req in s.requests.values():
        want_lines = sum(o.kind == TIMELINE and o.request_id == req.id for o in s.outbox)
        if line_blocks[req.card_ts] != want_lines:
            lost.append(f"T-{req.id}: {line_blocks[req.card_ts]}/{want_lines} thread lines")
        # Card updates may be folded together, but the card must show the final state.
        shown = standin.message(req.card_ts)["text"]
        final, _ = render.ticket_card(cluster.runtimes[0].requests.request_view(req.id))
        if shown != final:
            lost.append(f"T-{req.id}: the card shows a stale state")
    # Regression: Outbox._claim once read the request (card_ts None) before
    # card_unsettled(); another worker's card commit landing in between made it claim the
    # row with card=None and mark it sent without posting.
    assert not lost, lost
    assert Counter(o.state for o in s.outbox) == {"sent": len(s.outbox)}


def test_page_update_waits_for_a_page_in_flight_in_another_process(
        cluster: Cluster, standin: SlackStandIn):
    [rid] = cluster.file_many(1, "inflight", "sev1", ("ar",))
    page = cluster.step0_page(rid)
    web, worker = cluster.runtimes[:2]
    standin.delay_next("chat.postMessage", 1.0)  # the page DM goes first; its answer is late
    sending = threading.Thread(target=web.deliver, args=(rid,), daemon=True)
    sending.start()
    try:
        standin.wait_for(lambda c: c.method == "chat.postMessage"
                         and c.params.get("channel") == OMAR, description="the page DM")
        assert web.escalation.acknowledge(page.id, OMAR).changed
        worker.deliver()  # the other process picks up the PAGE_UPDATE meanwhile
    finally:
        sending.join(10)
    web.deliver()
    worker.deliver()
    [dm] = standin.messages_to(OMAR)
    assert dm["edited"] is not None, "the page DM was never updated after the ack"


def test_racing_reconcilers_leave_deadlines_alone_until_due(cluster: Cluster):
    """A second early, nothing fires; a second late, each fires once."""
    rids = cluster.file_many(12, "clock", "sev1", ("ar",))
    cluster.clock.advance(FIRST_WAIT - 1)
    assert sum(race(*cluster.reconcilers(per_runtime=2))) == 0
    cluster.clock.advance(timedelta(seconds=2))
    assert sum(race(*cluster.reconcilers(per_runtime=2))) == len(rids)
    s = cluster.snapshot()
    assert_each_step_paged_once(s)
    assert_token_accounting(s)
    assert all(s.positions(rid) == {(0, 0), (0, 1)} for rid in rids)
