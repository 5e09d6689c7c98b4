"""`EscalationService.page_undeliverable` under concurrency, on SQLite and PostgreSQL.

Three runtimes (as separate processes would: each its own engine) on one database, the
racing calls released together from threads (`race`). What must hold:
- a burst of refusals of one cause, handled at once by every runtime, tells the managers
  once (the notice cursor row is locked, or created by exactly one of them);
- the same refusal reported twice (two processes' sends) moves the request on once;
- a refusal racing an acknowledgement: whichever comes first, nobody is paged after the
  request was acknowledged.
The hook that calls it (the outbox, through the runtime) is covered end to end in
tests/e2e/test_e2e_refused.py.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import make_url, select

from bot.app.runtime import Runtime
from bot.clock import ManualClock
from bot.config import Settings
from bot.core.messages import DIRECT
from bot.demo.slack_standin import SlackStandIn
from bot.services.intake import Intake
from bot.store.paging_tables import AuditRow, OutboxRow, PageRow, RequestRow
from bot.store.shift_tables import NoticeCursorRow
from tests.services.test_concurrency import race
from tests.slack_harness import SCHEDULES, SECRET, TOKEN, utc

OVERLAP = utc(2026, 3, 10, 14, 5)  # Karim and Omar read Arabic on call; Rami is backup
OMAR, KARIM = "U0EU00009", "U0AM00011"
MANAGERS = ("U0MGR0001", "U0MGR0002")
TEAM = "safety-escalations"


@pytest.fixture
def runtimes(db_url: str):
    standin = SlackStandIn(tokens=[TOKEN]).start()
    clock = ManualClock(OVERLAP)
    if db_url.startswith("postgresql"):
        # The races open a dozen connections at once; on a busy 2-core machine (CI) that
        # took longer than the product's 2 s connect limit. What is tested is who tells
        # the managers, not how fast PostgreSQL forks.
        db_url = make_url(db_url).update_query_dict({"connect_timeout": "15"}).render_as_string(
            hide_password=False)
    settings = Settings(slack_bot_token=TOKEN, slack_signing_secret=SECRET,
                        slack_api_url=standin.url, database_url=db_url)
    made: list[Runtime] = []
    try:
        made.append(Runtime(settings, clock=clock, listener_threads=2))
        made[0].bootstrap(SCHEDULES)
        made += [Runtime(settings, clock=clock, listener_threads=2) for _ in range(2)]
        yield made
    finally:
        for rt in made:
            rt.close()
        standin.stop()


def file(rt: Runtime, count: int) -> list[int]:
    """`count` sev1 Arabic requests (their messages left unsent: only the database
    matters here)."""
    return [rt.intake.file(Intake(key=f"k-{i}", requester="U0REQ0001", text=f"help {i}",
                                  via="demo", severity="sev1", language="ar")).request.id
            for i in range(count)]


def pages(rt: Runtime, request_id: int) -> list[tuple[str, int, str]]:
    with rt.sessions() as s:
        return [(p.user, p.step, p.state) for p in s.scalars(
            select(PageRow).where(PageRow.request_id == request_id).order_by(PageRow.id))]


def first_page(rt: Runtime, request_id: int) -> int:
    with rt.sessions() as s:
        return s.scalars(select(PageRow.id).where(PageRow.request_id == request_id)
                         .order_by(PageRow.id)).first()


def burst(runtimes: list[Runtime], page_ids: list[int]) -> int:
    """Every refusal reported twice, by different runtimes, all released together; how
    many moved a request on."""
    jobs = [(lambda rt=runtimes[k % 3], p=p: rt.escalation.page_undeliverable(
                p, "user_not_found").changed)
            for k, p in enumerate(page_ids + page_ids)]
    return sum(race(*jobs))


def test_a_burst_handled_by_every_runtime_at_once_tells_each_manager_once(runtimes):
    rt = runtimes[0]
    ids = file(rt, 16)
    first = [first_page(rt, r) for r in ids]
    # The first burst creates the team's notice row (one creator wins). The second
    # finds it an hour old (set back here: the clock cannot move an hour while both
    # readers stay on shift) and updates it: the row lock makes them take turns.
    assert burst(runtimes, first[:8]) == 8
    with rt.sessions() as s, s.begin():
        s.get(NoticeCursorRow, (TEAM, "refused:account")).through_utc -= timedelta(hours=1)
    assert burst(runtimes, first[8:]) == 8
    for rid in ids:
        [(gone, step, refused), (other, same_step, paged)] = pages(rt, rid)
        assert (step, same_step, refused, paged) == (0, 0, "undeliverable", "pending")
        assert {gone, other} == {KARIM, OMAR}  # the load spread: either went first
    with rt.sessions() as s:
        notices = s.scalars(select(AuditRow).where(AuditRow.action == "refusal_notice")).all()
        sent_to = Counter(s.scalars(select(OutboxRow.target).where(OutboxRow.kind == DIRECT)))
        cursor = s.get(NoticeCursorRow, (TEAM, "refused:account"))
    assert [n.at_utc for n in notices] == [OVERLAP, OVERLAP]
    assert sent_to == Counter(MANAGERS * 2)
    assert cursor is not None and cursor.through_utc == OVERLAP


def test_the_managers_hear_again_an_hour_later_and_of_another_cause_at_once(runtimes):
    rt = runtimes[0]
    ids = file(rt, 4)
    first = [first_page(rt, r) for r in ids]
    rt.escalation.page_undeliverable(first[0], "user_not_found")
    rt.clock.advance(3599)
    rt.escalation.page_undeliverable(first[1], "account_inactive")  # same cause: quiet
    rt.escalation.page_undeliverable(first[2], "msg_too_long")  # another cause: told
    rt.clock.advance(1)
    rt.escalation.page_undeliverable(first[3], "user_not_found")  # an hour on: told again
    with rt.sessions() as s:
        told = [a.detail["cause"] for a in s.scalars(
            select(AuditRow).where(AuditRow.action == "refusal_notice").order_by(AuditRow.id))]
    assert told == ["user_not_found", "msg_too_long", "user_not_found"]


def test_a_refusal_racing_an_acknowledgement_never_pages_after_it(runtimes):
    rt = runtimes[0]
    ids = file(rt, 6)
    rt.clock.advance(120)  # step 2 (language_oncall_all): Karim and Omar both paged
    for _ in ids:
        rt.escalation.reconcile()
    for rid in ids:
        step2 = [(u, state) for u, step, state in pages(rt, rid) if step == 1]
        assert sorted(step2) == [(KARIM, "pending"), (OMAR, "pending")]
    jobs = []
    for k, rid in enumerate(ids):
        with rt.sessions() as s:
            by_user = {p.user: p.id for p in s.scalars(
                select(PageRow).where(PageRow.request_id == rid, PageRow.step == 1))}
        jobs.append(lambda rt=runtimes[k % 3], p=by_user[KARIM]:
                    rt.escalation.page_undeliverable(p, "user_not_found"))
        jobs.append(lambda rt=runtimes[(k + 1) % 3], p=by_user[OMAR]:
                    rt.escalation.acknowledge(p, OMAR))
    race(*jobs)
    for rid in ids:
        with rt.sessions() as s:
            req = s.get(RequestRow, rid)
            assert (req.status, req.assignee) == ("acknowledged", OMAR)
            # Whichever came first, no page was written after the acknowledgement.
            assert all(p.sent_utc <= req.acknowledged_utc for p in s.scalars(
                select(PageRow).where(PageRow.request_id == rid)))
        assert len(pages(rt, rid)) == 3  # Karim at step 1, Karim and Omar at step 2


def test_a_shift_handoff_does_not_page_again_whom_slack_refused(runtimes):
    rt = runtimes[0]
    [rid] = file(rt, 1)
    [(first, _, _)] = pages(rt, rid)
    rt.escalation.page_undeliverable(first_page(rt, rid), "account_inactive")
    # The incoming reader of a handoff is the unreachable person: not paged again.
    assert rt.escalation.repage([(rid, first)]) == 0
    assert [state for user, _, state in pages(rt, rid) if user == first] == ["undeliverable"]
