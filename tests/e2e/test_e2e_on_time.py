"""On time and exactly once while Slack is slow or refuses: deadlines fire without
waiting on Slack, acknowledgements never wait on a Slack call, a 429 pauses only its
lane, and an unsure send is looked up before it is sent again.

Signed requests to the running app; the Web API is the Slack stand-in, made slow (its
`on_call` hook holds the answer until the test lets it go), rate-limited (429 with
Retry-After) or failing (5xx) on purpose; a manual clock. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from slack_sdk import WebClient
from sqlalchemy import select

from bot.slack import ids
from bot.slack.client import make_web_client
from bot.store.paging_tables import DeadlineRow, OutboxRow, PageRow
from tests.slack_harness import (
    INTAKE,
    REQUESTER,
    TOKEN,
    ToolHarness,
    page_deliveries,
    page_id_of,
    utc,
)

OMAR = "U0EU00009"  # the only Arabic reader on call at 2026-07-01 12:00
ARABIC = "sev1 lang:ar بث مباشر لشخص يهدد بالانتحار الآن"
STEP = timedelta(minutes=2, seconds=1)  # sev1 step 1 waits 2 minutes


@pytest.fixture
def slack(tmp_path, db_url):
    h = ToolHarness(tmp_path, utc(2026, 7, 1, 12, 0), database_url=db_url)
    yield h
    h.quiet_close()


def page_dms(h: ToolHarness) -> Counter:
    """Pages that reached their person, by page id (a page sent twice counts 2): a page
    DM posted, or one updated in place with a ping (its person paged again)."""
    return page_deliveries(h.standin.calls)


class HeldSlack:
    """The stand-in takes each chat.postMessage at once but holds its answer until
    `release()`: a Slack as slow as the test wants, without the test sleeping."""

    def __init__(self, h: ToolHarness):
        self._gate = threading.Event()
        self.held = 0
        h.standin.on_call = self._hold

    def _hold(self, call) -> None:
        if call.method == "chat.postMessage":
            self.held += 1
            self._gate.wait(30)

    def release(self) -> None:
        self._gate.set()


def test_deadlines_fire_while_slack_holds_every_answer(slack):
    for _ in range(5):
        assert slack.command("/emergency", ARABIC).status == 200
    slack.advance(0)
    assert sum(page_dms(slack).values()) == 5

    held = HeldSlack(slack)
    try:
        slack.clock.advance(STEP.total_seconds())
        slack.runtime.tick(wait=False)  # what the scheduled job runs: it must not wait
        with slack.runtime.sessions() as s:
            states = Counter(d.state for d in s.scalars(select(DeadlineRow)))
            step2 = s.scalars(select(PageRow).where(PageRow.step == 1)).all()
        # Every step fired and its pages were written while no answer has come back.
        assert states["fired"] == 5 and len(step2) == 5
        # Acknowledging a new request never waits on Slack either.
        r = slack.command("/emergency", ARABIC)
        assert r.status == 200 and "T-6" in r.text
    finally:
        held.release()
    slack.runtime.dispatch.wait_idle()
    slack.advance(0)
    sent = page_dms(slack)
    assert max(sent.values()) == 1, "a page DM went out twice"
    assert {str(p.id) for p in step2} <= set(sent)


def test_a_429_on_channel_posts_holds_back_only_channel_posts(slack):
    slack.standin.fail_next("chat.postMessage", status=429, retry_after=300, count=10_000,
                            where={"channel": INTAKE})
    r = slack.command("/emergency", ARABIC)
    assert r.status == 200
    slack.advance(0)
    assert len(page_dms(slack)) == 1  # the page went; the card is turned away
    turned_away = len(slack.posts(INTAKE, ok=False))
    slack.advance(STEP.total_seconds())  # step 2 fires while the channel is paused
    assert len(page_dms(slack)) == 2
    # The paused lane made no call during its Retry-After (one 429, not a storm).
    assert len(slack.posts(INTAKE, ok=False)) == turned_away
    slack.standin.clear_faults()
    slack.advance(300)
    assert len(slack.posts(INTAKE)) >= 2  # the card and its thread, once the pause ends
    with slack.runtime.sessions() as s:
        assert {o.state for o in s.scalars(select(OutboxRow))} == {"sent"}
        # 429s are not failures: no attempt was spent on them.
        assert max(o.attempts for o in s.scalars(select(OutboxRow))) == 1


def test_acknowledgements_in_time_under_a_full_429_window(slack):
    for method in ("chat.postMessage", "chat.update", "views.open", "conversations.open"):
        slack.standin.fail_next(method, status=429, retry_after=1, count=10_000)
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda i: slack.command("/emergency", f"{ARABIC} {i}"),
                                range(24)))
    assert [a.status for a in answers] == [200] * 24
    assert all("T-" in a.text for a in answers)
    slack.standin.clear_faults()
    # A page turned away waits at most 4 s before its next try (by the injected clock);
    # how many tries each had depends on how busy the machine was, so step past that
    # wait twice (the second for a try the first pass's sweep left for later).
    slack.advance(5)
    slack.advance(5)
    sent = page_dms(slack)
    assert len(sent) == 24 and max(sent.values()) == 1


def test_an_unsure_send_is_looked_up_not_sent_again(slack):
    """A 5xx after Slack took the message (the answer is lost): the retry finds it by
    its metadata and posts nothing."""
    slack.standin.fail_next("chat.postMessage", status=500, count=1,
                            where={"channel": OMAR})
    assert slack.command("/emergency", ARABIC).status == 200
    slack.advance(0)
    with slack.runtime.sessions() as s:
        page = s.scalars(select(OutboxRow).where(OutboxRow.kind == "page")).one()
        assert page.state == "pending" and page.unsure
    # The stand-in turned the first post away; a real Slack may have posted it before
    # failing. Post it as that Slack would have, with the row's metadata.
    client = make_web_client(TOKEN, slack.standin.url)
    client.chat_postMessage(channel=OMAR, text="(the lost page)", metadata={
        "event_type": "oncall_outbox", "event_payload": {"rows": str(page.id)}})
    slack.advance(5)
    assert sum(page_dms(slack).values()) == 0  # found, not posted again
    with slack.runtime.sessions() as s:
        row = s.get(OutboxRow, page.id)
        assert row.state == "sent" and not row.unsure
        assert s.get(PageRow, row.page_id).dm_ts is not None  # updates find it


def test_no_listener_thread_makes_a_slack_call(tmp_path, monkeypatch):
    """Every Web API call, by whichever client (Bolt builds one per request), is
    recorded with the thread that made it; none may be one of Bolt's listener threads
    (they must stay free to acknowledge)."""
    seen: list[tuple[str, str]] = []
    api_call = WebClient.api_call

    def recording(self, api_method, *args, **kwargs):
        seen.append((api_method, threading.current_thread().name))
        return api_call(self, api_method, *args, **kwargs)

    monkeypatch.setattr(WebClient, "api_call", recording)
    h = ToolHarness(tmp_path, utc(2026, 7, 1, 12, 0))
    try:
        assert h.command("/emergency", ARABIC).status == 200
        assert h.command("/emergency", "").status == 200  # the form
        h.advance(0)
        page = str(page_id_of(h.pages_to(OMAR)[0]))
        for action in (ids.ACK, ids.RESOLVE, ids.HANDOVER):
            assert h.click(action, page, OMAR).status == 200
        assert h.click(ids.ACK, "999999", OMAR).status == 200  # an error answer
        assert h.message_shortcut(REQUESTER, "C0SAFETY1", "1767225600.000200",
                                  "threat to life").status == 200
        assert h.event({"type": "app_home_opened", "user": OMAR, "tab": "home"},
                       "Ev1").status == 200
        h.standin.wait_for_calls("views.open", count=3)
        h.standin.wait_for_calls("chat.getPermalink")
        h.standin.wait_for_calls("views.publish")
        h.advance(0)
    finally:
        h.quiet_close()
    methods = {m for m, _ in seen}
    assert {"chat.postMessage", "views.open", "chat.getPermalink", "views.publish"} <= methods
    on_listeners = [(m, t) for m, t in seen if t.startswith("bolt")]
    assert not on_listeners, on_listeners


def test_seen_event_ids_are_forgotten_after_a_day(slack):
    assert slack.runtime.seen_event("Ev0OLD") is False
    assert slack.runtime.seen_event("Ev0OLD") is True  # a retry within the day: seen
    slack.advance(timedelta(days=1, minutes=11).total_seconds())
    assert slack.runtime.seen_event("Ev0OLD") is False  # pruned by the reconciler
