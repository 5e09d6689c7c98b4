"""A real SIGKILL, twice and more: nothing answered is lost, no step is paged twice.

The bot runs in child processes (`tests/crash_child.py`) on one database, with the Web
API pointed at a Slack stand-in in this process and a clock standing still at the
instant given on the command line. The story, on SQLite and on PostgreSQL:

A  (12:00:00) serves signed `/emergency` commands; SIGKILL right after the last 200s
   came back, while their outbox is being delivered.
B  (12:02:01, every first deadline due) recovers and runs the reconciler; SIGKILL as
   soon as the first deadline has been committed as fired, mid-reconcile. Until then
   Slack answers its step-2 page DMs 503, so that however late the kill comes, step 2
   is left for C.
C  (once B's leases ran out) goes on; SIGKILL from inside the stand-in the moment it
   receives the first page DM of step 2, before it answers: Slack has the DM, the bot
   never hears.
D  (once C's leases ran out, a Runtime in this process) takes over what C was sending
   and ticks until nothing is due and the outbox is empty.

Then: every request answered 200 exists; each fired exactly its first deadline, once;
each (request, round, step, user) has one page row and got exactly one page DM. The DM
C died on was claimed twice (by C, then by D once C's lease ran out) and sent once: D
found it in Slack by its metadata before sending it again.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import selectors
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.app.runtime import Runtime
from bot.clock import ManualClock
from bot.config import Settings
from bot.core.messages import PAGE, PAGE_SIDE
from bot.demo.simulate import FORM, SlackSimulator
from bot.demo.slack_standin import Call, SlackStandIn
from bot.store.db import make_engine
from bot.store.paging import LEASE
from bot.store.paging_tables import AuditRow, DeadlineRow, OutboxRow, PageRow, RequestRow
from tests.slack_harness import ROOT, SECRET, TOKEN, page_deliveries, utc

T0 = utc(2026, 7, 1, 12, 0)  # a Wednesday; sev1 step 1 waits 2 minutes
DUE = T0 + timedelta(minutes=2, seconds=1)
SEQUENTIAL, TOGETHER = 12, 4  # requests filed one after the other, then at once
START_TIMEOUT = 20.0
PHASE_TIMEOUT = 15.0


class Child:
    """`python -m tests.crash_child` on `url`, its clock at `now`; killed with SIGKILL.

    Started ahead of time: `ready()` waits for it to serve; with `jobs`, `go()` makes
    it recover and start the reconciler."""

    def __init__(self, database_url: str, slack_url: str, now, log: Path, jobs: bool,
                 inline_limit: int | None = None):
        cmd = [sys.executable, "-m", "tests.crash_child", "--database-url", database_url,
               "--slack-url", slack_url, "--now", now.isoformat()]
        if jobs:
            cmd.append("--jobs")
        if inline_limit is not None:
            cmd += ["--inline-limit", str(inline_limit)]
        self.log = log
        self.url: str | None = None
        self.slack: SlackSimulator | None = None  # signs and sends to this child, once ready
        with log.open("ab") as err:
            self.proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=err,
                                         stdin=subprocess.PIPE)
        self._pending = b""

    def ready(self) -> Child:
        if self.url is None:
            word, self.url = self._line().split()[:2]
            assert word == "READY", word
            self.slack = SlackSimulator(self.url, SECRET, team_domain="safety",
                                        channel_name="safety-desk")
        return self

    def go(self) -> Child:
        self.ready()
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"go\n")
        self.proc.stdin.flush()
        assert self._line() == "GO"
        return self

    def _line(self) -> str:
        assert self.proc.stdout is not None
        sel = selectors.DefaultSelector()
        sel.register(self.proc.stdout, selectors.EVENT_READ)
        end = time.monotonic() + START_TIMEOUT
        try:
            while b"\n" not in self._pending:
                left = end - time.monotonic()
                if left <= 0 or not sel.select(left):
                    raise AssertionError(f"child silent for {START_TIMEOUT:.0f}s; "
                                         f"its stderr:\n{self._stderr()}")
                chunk = os.read(self.proc.stdout.fileno(), 4096)
                if not chunk:
                    raise AssertionError(f"child exited ({self.proc.wait()}); "
                                         f"its stderr:\n{self._stderr()}")
                self._pending += chunk
        finally:
            sel.close()
        line, self._pending = self._pending.split(b"\n", 1)
        return line.decode().strip()

    def _stderr(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    def kill(self) -> None:
        """SIGKILL (no clean-up of any kind), then reap."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)
        for pipe in (self.proc.stdin, self.proc.stdout):
            if pipe is not None:
                with contextlib.suppress(OSError):
                    pipe.close()

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None


class Story:
    """The children, the stand-in and a database reader of one test."""

    def __init__(self, database_url: str, standin: SlackStandIn, tmp_path: Path):
        self.database_url = database_url
        self.standin = standin
        self.tmp_path = tmp_path
        self.children: list[Child] = []
        self.engine = make_engine(database_url)
        self._triggers = 0

    def start(self, now, jobs: bool, inline_limit: int | None = None) -> Child:
        child = Child(self.database_url, self.standin.url, now,
                      self.tmp_path / f"child{len(self.children)}.log", jobs, inline_limit)
        self.children.append(child)
        return child

    def close(self) -> None:
        for child in self.children:
            child.kill()
        self.engine.dispose()

    def emergency(self, child: Child, text: str) -> tuple[str, int | None, str]:
        """POST a signed `/emergency`; (trigger id, HTTP status or None, body)."""
        self._triggers += 1
        trigger = f"{self._triggers}.1111.crash{self._triggers:06d}"
        assert child.slack is not None, "the child is not ready"
        body = child.slack.command_body("/emergency", text, "U0REQ0001", "C0SAFETY1",
                                        trigger, "https://hooks.slack.test/commands/T0/1/x")
        try:
            r = child.slack.post(body, FORM)
        except (OSError, http.client.HTTPException) as err:  # the child died under it
            return trigger, None, repr(err)
        return trigger, r.status, r.text

    def session(self) -> Session:
        return Session(self.engine)

    def wait_until(self, what: str, done: Callable[[], bool], every: float = 0.002,
                   timeout: float = PHASE_TIMEOUT) -> None:
        end = time.monotonic() + timeout
        while not done():
            if time.monotonic() > end:
                raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
            time.sleep(every)


@pytest.fixture
def standin() -> Iterator[SlackStandIn]:
    s = SlackStandIn(tokens=[TOKEN]).start()
    try:
        yield s
    finally:
        s.on_call = None
        s.stop()


@pytest.fixture
def story(db_url: str, standin: SlackStandIn, tmp_path: Path) -> Iterator[Story]:
    s = Story(db_url, standin, tmp_path)
    try:
        yield s
    finally:
        s.close()


def _page_id(call: Call) -> int | None:
    """The page id on a page DM's Acknowledge button; None for any other call."""
    if call.method != "chat.postMessage" or not call.ok:
        return None
    return _acknowledge_value(call.params)


def _acknowledge_value(params: dict) -> int | None:
    """The page id on the Acknowledge button in a call's blocks, if it has one."""
    blocks = params.get("blocks") or []
    for block in blocks if isinstance(blocks, list) else []:
        for el in block.get("elements") or []:
            if el.get("action_id") == "page_ack":
                return int(el["value"])
    return None


def test_sigkill_after_200_and_mid_escalation_loses_and_doubles_nothing(story: Story):
    standin = story.standin
    texts = [f"sev1 lang:{lang} crash test {i}"
             for i, lang in zip(range(SEQUENTIAL + TOGETHER), ["ar", "es", "fr", "pt"] * 8,
                                strict=False)]

    # A: file requests; SIGKILL right after 200s came back, deliveries still running.
    # Every request is routed before its 200 here (the deferred path, where a busy
    # process only commits it, has its own story below).
    a = story.start(T0, jobs=False, inline_limit=TOGETHER + 4).ready()
    # B and C load meanwhile (a second or two each); each waits for its `go`.
    b = story.start(DUE, jobs=True)
    # C's clock is past B's leases: what B claimed before it died is C's to take over.
    c_now = DUE + LEASE + timedelta(seconds=1)
    c = story.start(c_now, jobs=True)
    answered: list[str] = []
    for text in texts[:SEQUENTIAL]:
        trigger, status, body = story.emergency(a, text)
        assert status == 200 and "T-" in body, (status, body)
        answered.append(trigger)
    together: list[tuple[str, int | None, str]] = []
    first_back = threading.Event()

    def post(text: str) -> None:
        together.append(found := story.emergency(a, text))
        if found[1] == 200:
            first_back.set()

    posters = [threading.Thread(target=post, args=(t,), daemon=True)
               for t in texts[SEQUENTIAL:]]
    for t in posters:
        t.start()
    assert first_back.wait(10), "no 200 from the concurrent /emergency commands"
    a.kill()
    for t in posters:
        t.join(15)
    answered += [trigger for trigger, status, _ in together if status == 200]
    with story.session() as s:
        step0_max = s.scalar(select(PageRow.id).order_by(PageRow.id.desc()).limit(1))
        for trigger in answered:  # committed before Slack was answered
            assert s.scalars(select(RequestRow).where(
                RequestRow.key == f"cmd:{trigger}")).one_or_none(), trigger

    # B: every first deadline is due; SIGKILL once the first one has been fired. Slack
    # answers B's step-2 page calls 503 (no effect) until it is dead: on a loaded machine
    # this process may see the first fired deadline late, and a B left running that long
    # would page every step 2 itself and leave C nothing to die on.
    refused: list[int] = []

    def step2_page(params: dict) -> bool:
        page = _acknowledge_value(params)
        if page is None or page <= step0_max:
            return False
        refused.append(page)
        return True

    def fired() -> int:
        with story.session() as s:
            return len(s.scalars(select(DeadlineRow.id).where(
                DeadlineRow.state == "fired")).all())

    standin.fail_next("*", status=503, count=1_000_000, where=step2_page)
    try:
        b.go()
        story.wait_until("the first fired deadline", lambda: fired() > 0)
        b.kill()
    finally:
        standin.clear_faults()
    fired_by_b = fired()
    with story.session() as s:  # the claims B made before it died
        claimed_by_b = dict(s.execute(select(OutboxRow.page_id, OutboxRow.attempts).where(
            OutboxRow.page_id.is_not(None))).all())

    # C: SIGKILL from inside the stand-in when the first step-2 page DM arrives, before
    # the answer goes back: Slack has the DM, the bot never learns it.
    killed_on: list[int] = []

    def kill_on_step2_page(call: Call) -> None:
        page = _page_id(call)
        if page is not None and page > step0_max and not killed_on and c.alive:
            killed_on.append(page)
            c.proc.kill()  # SIGKILL before the stand-in answers (reaped below)

    standin.on_call = kill_on_step2_page
    c.go()
    try:
        story.wait_until("C to die on a step-2 page DM", lambda: not c.alive)
    finally:
        standin.on_call = None
    c.kill()
    assert killed_on, "C died, but not on a page DM"

    # D, in this process, once C's leases ran out: take over, and tick until nothing is
    # due and nothing is unsent.
    d_now = c_now + LEASE + timedelta(seconds=1)
    settings = Settings(slack_bot_token=TOKEN, slack_signing_secret=SECRET,
                        slack_api_url=standin.url, database_url=story.database_url)
    d = Runtime(settings, clock=ManualClock(d_now))
    try:
        d.recover()
        for _ in range(20):
            d.tick()
            with story.session() as s:
                due = s.scalars(select(DeadlineRow.id).where(
                    DeadlineRow.state == "pending", DeadlineRow.due_utc <= d_now)).all()
                unsent = s.scalars(select(OutboxRow.id).where(
                    OutboxRow.state.in_(("pending", "sending")))).all()
            if not due and not unsent:
                break
        else:
            raise AssertionError(f"still due: {due}, unsent outbox rows: {unsent}")
    finally:
        d.close()

    # -- what is in the database ---------------------------------------------------------
    with story.session() as s:
        requests = {r.id: r for r in s.scalars(select(RequestRow))}
        pages = list(s.scalars(select(PageRow)))
        deadlines = list(s.scalars(select(DeadlineRow)))
        outbox = list(s.scalars(select(OutboxRow)))
    keys = {r.key for r in requests.values()}
    assert {f"cmd:{t}" for t in answered} <= keys, "a request answered 200 is missing"
    assert len(requests) <= len(texts)
    for rid, req in requests.items():
        states = Counter(d.state for d in deadlines if d.request_id == rid)
        assert states == {"fired": 1, "pending": 1}, (rid, states)
        assert (req.esc_round, req.esc_step, req.esc_token) == (0, 1, 2), rid
        live = [d for d in deadlines if d.request_id == rid and d.state == "pending"]
        assert live[0].token == req.esc_token, rid
        steps = {(p.round, p.step) for p in pages if p.request_id == rid}
        assert steps == {(0, 0), (0, 1)}, (rid, steps)
    per_step = Counter((p.request_id, p.round, p.step, p.user) for p in pages)
    assert max(per_step.values()) == 1, [k for k, n in per_step.items() if n > 1]
    assert Counter(o.state for o in outbox) == {"sent": len(outbox)}
    # A page is delivered by one row: a PAGE (a new DM), or a PAGE_AGAIN (its person's
    # DM for the request updated in place, and a ping).
    page_rows = {o.page_id: o for o in outbox if o.kind in PAGE_SIDE}
    assert sorted(page_rows) == sorted(p.id for p in pages), "one page row per page"
    assert len([o for o in outbox if o.kind in PAGE_SIDE]) == len(pages)

    # -- what reached Slack -----------------------------------------------------------------
    dms = Counter({int(k): n for k, n in page_deliveries(standin.calls).items()})
    assert set(dms) == {p.id for p in pages}, "page DMs for pages that do not exist, or none"
    twice = {pid: n for pid, n in dms.items() if n > 1}
    assert not twice, f"page DMs sent more than once: {twice}"
    page = killed_on[0]  # claimed by C, which died in the call, then by D: sent once
    attempts = page_rows[page].attempts - claimed_by_b.get(page, 0)  # B's were refused
    assert dms[page] == 1 and attempts == 2, (dms[page], attempts)
    print(f"\n{len(requests)} requests ({len(answered)} answered 200), "
          f"{len(pages)} pages; B fired {fired_by_b} deadline(s) before SIGKILL and had "
          f"{len(refused)} step-2 page call(s) refused; "
          f"page DMs sent twice after a crash mid-send: {sorted(twice)}; "
          f"children: {[json.dumps(c.proc.returncode) for c in story.children]}")


def test_sigkill_with_requests_received_but_not_routed(story: Story):
    """A process too busy to route commits a request as `received` and answers 200;
    killed before (or while) its router thread routes them, the next process routes
    each exactly once and pages each step-1 reader once."""
    standin = story.standin
    texts = [f"sev1 lang:{lang} received, not routed {i}"
             for i, lang in zip(range(10), ["ar", "es", "fr", "pt"] * 3, strict=False)]
    a = story.start(T0, jobs=False, inline_limit=0).ready()  # every request deferred
    # B's clock is past the leases of what A was sending when it died (A's router may
    # have been routing and paging): B takes them over.
    b = story.start(T0 + LEASE + timedelta(seconds=1), jobs=True)
    answered = []
    for text in texts:
        trigger, status, body = story.emergency(a, text)
        assert status == 200 and "Filed T-" in body, (status, body)
        answered.append(trigger)
    a.kill()
    with story.session() as s:
        left = s.scalars(select(RequestRow.id).where(RequestRow.status == "received")).all()

    b.go()

    def routed() -> bool:
        with story.session() as s:
            waiting = s.scalars(select(RequestRow.id).where(RequestRow.status == "received"))
            unsent = s.scalars(select(OutboxRow.id).where(
                OutboxRow.state.in_(("pending", "sending")), OutboxRow.kind == PAGE))
            return not waiting.all() and not unsent.all()

    story.wait_until("every received request routed and paged", routed)
    b.kill()

    with story.session() as s:
        requests = list(s.scalars(select(RequestRow)))
        pages = list(s.scalars(select(PageRow)))
        deadlines = list(s.scalars(select(DeadlineRow)))
        filed = Counter(a.request_id for a in s.scalars(
            select(AuditRow).where(AuditRow.action == "filed")))
    assert {r.key for r in requests} == {f"cmd:{t}" for t in answered}
    for req in requests:
        assert req.status == "open", req.id
        assert filed[req.id] == 1, (req.id, filed[req.id])
        assert [d.state for d in deadlines if d.request_id == req.id] == ["pending"], req.id
        assert {(p.round, p.step) for p in pages if p.request_id == req.id} == {(0, 0)}
    per_step = Counter((p.request_id, p.round, p.step, p.user) for p in pages)
    assert max(per_step.values()) == 1
    dms = Counter(pid for c in standin.calls if (pid := _page_id(c)) is not None)
    assert set(dms) == {p.id for p in pages}
    print(f"\n{len(requests)} requests, {len(left)} still received when A died; "
          f"{len(pages)} pages, page DMs per page: {sorted(set(dms.values()))}")
