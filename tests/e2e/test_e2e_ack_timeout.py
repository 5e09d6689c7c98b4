"""End to end, a policy's `ack_timeout` (issue 14, "Acknowledged but not resolved"):
signed requests to the running app, the Slack stand-in, a manual clock moved with
`advance` (one reconciler pass each). Nothing sleeps for a deadline. On SQLite and
PostgreSQL.

The example team with `ack_timeout: 15m` on sev1. On 2026-03-10 at 14:35 UTC Omar
(U0EU00009, Dublin, on shift until 15:00 UTC) and Karim (U0AM00011, Chicago, on shift
from 14:00 UTC) both read Arabic on call; Omar is listed first, so he is paged and
acknowledges. At 15:05, when the request re-opens, Omar is off shift and Karim is the
Arabic reader on call.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.core import ack_timeout
from bot.slack import ids
from bot.store import teams as team_store
from bot.store.paging_tables import DeadlineRow, RequestRow
from tests.slack_harness import (
    ToolHarness,
    blocks_text,
    handover_values,
    has_action,
    is_page_ping,
    page_id_of,
    resolve_values,
    utc,
)

OMAR, KARIM = "U0EU00009", "U0AM00011"
MANAGER = "U0MGR0001"
ARABIC = "sev1 lang:ar بث مباشر لشخص يهدد بالانتحار الآن"
T = 15 * 60  # the timeout, in seconds


@pytest.fixture
def h(tmp_path, db_url):
    h = ToolHarness(tmp_path, utc(2026, 3, 10, 14, 35), database_url=db_url)
    with h.runtime.sessions() as session, session.begin():
        team = team_store.load_team(session, "safety-escalations")
        policies = tuple((sev, dataclasses.replace(p, ack_timeout=timedelta(seconds=T))
                          if sev == "sev1" else p) for sev, p in team.policies)
        team_store.save_team(session, dataclasses.replace(team, policies=policies))
    yield h
    h.quiet_close()


def acknowledged_by_omar(h: ToolHarness) -> str:
    """File the sev1, Omar acknowledges it; the ts of his page DM."""
    r = h.command("/emergency", ARABIC)
    assert r.status == 200 and "T-1" in r.json()["text"], r.text
    [page] = h.wait_for_page(OMAR)
    r = h.click(ids.ACK, page_id_of(page), OMAR)
    assert r.status == 200, r.text
    dm_ts = h.page_posts(OMAR)[0].response["ts"]
    h.wait_updated(dm_ts, "You acknowledged this")
    h.settle()
    [req] = h.requests()
    assert (req.status, req.assignee) == ("acknowledged", OMAR)
    with h.runtime.sessions() as session:  # frozen with the policy when it was filed
        assert session.get(RequestRow, req.id).policy["ack_timeout"] == T
    return dm_ts


def reminders(h: ToolHarness, dm_ts: str) -> list:
    return [c for c in h.standin.calls if c.ok and c.method == "chat.postMessage"
            and c.params.get("thread_ts") == dm_ts
            and "is still open and yours" in (c.params.get("text") or "")]


def reopened(h: ToolHarness) -> bool:
    return any(a == "reopened" for a in h.audit_actions(1))


def thread_text(h: ToolHarness) -> str:
    h.settle()
    return "\n".join(m["text"] for m in h.thread(h.card("T-1")["ts"]))


def test_reminder_at_the_timeout_then_reopen_and_repage_at_twice_it(h):
    dm_ts = acknowledged_by_omar(h)

    h.advance(T - 1)
    assert reminders(h, dm_ts) == []
    h.advance(2)
    h.settle()
    [reminder] = reminders(h, dm_ts)
    text = reminder.params["text"]
    assert "T-1 is still open and yours (acknowledged 15 min ago)" in text
    assert "snooze for 30 min" in text
    assert has_action(reminder.params["blocks"], ids.ACK_SNOOZE)
    assert reminder.params.get("reply_broadcast") is True  # it notifies
    assert "Reminded <@U0EU00009>: acknowledged 15 min ago" in thread_text(h)
    h.advance(60)
    assert len(reminders(h, dm_ts)) == 1  # once
    assert h.requests()[0].status == "acknowledged"

    h.advance(T - 62)
    assert not reopened(h)
    pings_before = [c for c in h.standin.calls if is_page_ping(c)]
    h.advance(2)
    h.settle()
    [req] = h.requests()
    assert (req.status, req.assignee) == ("open", None)
    # The policy's first step pages the Arabic reader on call now: Karim, a new DM.
    [karim_page] = h.wait_for_page(KARIM)
    assert "T-1" in karim_page["text"]
    # Omar, who had it, is paged again in the DM he has: updated, and pinged.
    pings = [c for c in h.standin.calls if is_page_ping(c)][len(pings_before):]
    assert [c.params["thread_ts"] for c in pings] == [dm_ts]
    assert h.standin.message(dm_ts) and has_action(h.standin.message(dm_ts)["blocks"],
                                                     ids.ACK)
    lines = thread_text(h)
    assert "Re-opened: acknowledged by <@U0EU00009> 30 min ago and not resolved" in lines
    h.wait_updated(h.card("T-1")["ts"], "Re-opened")
    assert "Re-opened" in blocks_text(h.standin.message(h.card("T-1")["ts"]))

    # Nothing fires twice; Omar can take it back from his page.
    h.advance(30)
    assert len(h.pages_to(KARIM)) == 1 and len(reminders(h, dm_ts)) == 1
    assert sum(a == "reopened" for a in h.audit_actions(1)) == 1
    r = h.click(ids.ACK, page_id_of(h.standin.message(dm_ts)), OMAR)
    assert r.status == 200
    h.settle()
    assert (h.requests()[0].status, h.requests()[0].assignee) == ("acknowledged", OMAR)
    with h.runtime.sessions() as session:  # the card's re-open note is old news now
        assert session.get(RequestRow, 1).busy_note is None


def test_snooze_postpones_the_reminder_and_the_reopen(h):
    dm_ts = acknowledged_by_omar(h)
    h.advance(T + 1)
    h.settle()
    assert len(reminders(h, dm_ts)) == 1

    # Someone else (not a manager) cannot snooze it.
    r = h.click(ids.ACK_SNOOZE, "1", KARIM)
    assert r.status == 200
    h.settle()
    assert "ack_snoozed" not in h.audit_actions(1)

    h.advance(60)  # 16 min after the ack
    r = h.click(ids.ACK_SNOOZE, "1", OMAR)
    assert r.status == 200
    h.settle()
    assert "<@U0EU00009> snoozed the reminder" in thread_text(h)

    h.advance(T)  # past the re-open it had (30 min after the ack): nothing
    assert h.requests()[0].status == "acknowledged" and not reopened(h)
    assert len(reminders(h, dm_ts)) == 1
    h.advance(30 * 60 - T)  # 30 min after the snooze: the next reminder
    h.settle()
    assert len(reminders(h, dm_ts)) == 2
    assert not reopened(h)
    h.advance(T)  # a timeout after that reminder, still not resolved: re-opened
    h.settle()
    assert reopened(h) and h.requests()[0].status == "open"


def test_a_manager_may_snooze(h):
    dm_ts = acknowledged_by_omar(h)
    h.advance(T + 1)
    h.settle()
    r = h.click(ids.ACK_SNOOZE, "1", MANAGER)
    assert r.status == 200
    h.settle()
    assert (f"<@{MANAGER}> snoozed the reminder for <@U0EU00009>" in thread_text(h))
    h.advance(T)
    assert not reopened(h) and len(reminders(h, dm_ts)) == 1


def test_resolve_cancels_both(h):
    dm_ts = acknowledged_by_omar(h)
    h.advance(60)
    r = h.click(ids.RESOLVE, "1", OMAR)
    assert r.status == 200
    [opened] = h.wait_view_opened(ids.RESOLVE_MODAL)
    view = opened.response["view"]
    r = h.submit_view(ids.RESOLVE_MODAL, resolve_values("Stream taken down"), OMAR, "1",
                      view["id"])
    assert r.status == 200, r.text
    h.advance(2 * T + 60)
    h.settle()
    assert reminders(h, dm_ts) == [] and not reopened(h)
    assert h.requests()[0].status == "resolved"
    with h.runtime.sessions() as session:
        states = {d.reason: d.state for d in session.scalars(select(DeadlineRow))
                  if d.reason in ack_timeout.REASONS}
    assert states == {ack_timeout.REMIND: "cancelled"}  # stale: the token moved on


def test_restarts_in_between_lose_nothing_and_double_nothing(h):
    dm_ts = acknowledged_by_omar(h)
    h.restart()
    h.advance(T + 1)
    h.settle()
    assert len(reminders(h, dm_ts)) == 1
    h.restart()
    h.advance(1)
    h.settle()
    assert len(reminders(h, dm_ts)) == 1
    h.advance(T)
    h.settle()
    h.restart()
    h.advance(5)
    h.settle()
    assert len(reminders(h, dm_ts)) == 1
    assert sum(a == "reopened" for a in h.audit_actions(1)) == 1
    assert len(h.pages_to(KARIM)) == 1
    assert h.requests()[0].status == "open"


def test_hand_over_restarts_the_clock_for_whoever_accepts_it(h):
    omar_dm = acknowledged_by_omar(h)
    h.advance(10 * 60)
    r = h.click(ids.HANDOVER, "1", OMAR)
    assert r.status == 200
    [opened] = h.wait_view_opened(ids.HANDOVER_MODAL)
    r = h.submit_view(ids.HANDOVER_MODAL, handover_values(KARIM), OMAR, "1",
                      opened.response["view"]["id"])
    assert r.status == 200 and r.body == b"", r.text
    [page] = h.wait_for_page(KARIM)
    h.advance(60)
    assert h.click(ids.ACK, page_id_of(page), KARIM).status == 200  # 11 min after Omar's
    h.settle()
    assert h.requests()[0].assignee == KARIM
    karim_dm = h.page_posts(KARIM)[0].response["ts"]

    h.advance(T - 11 * 60 + 1)  # Omar's reminder would have been due: it is stale
    assert reminders(h, omar_dm) == [] and reminders(h, karim_dm) == []
    h.advance(11 * 60)  # a timeout after Karim's acknowledgement: his reminder
    h.settle()
    assert len(reminders(h, karim_dm)) == 1 and reminders(h, omar_dm) == []
    assert "(acknowledged 15 min ago)" in reminders(h, karim_dm)[0].params["text"]


def test_taken_from_an_alert_the_reminder_is_a_dm_of_its_own(h):
    r = h.command("/emergency", ARABIC)
    assert r.status == 200
    h.wait_for_page(OMAR)
    for _ in range(4):  # 2 + 2 + 3 min: the managers step
        h.advance(181)
    h.wait_posted(MANAGER, "T-1")
    r = h.click(ids.TAKE, "1", MANAGER)
    assert r.status == 200
    h.settle()
    assert h.requests()[0].assignee == MANAGER
    h.advance(T + 1)
    h.settle()
    [reminder] = [c for c in h.posts(MANAGER) if "is still open and yours" in
                  (c.params.get("text") or "")]
    assert not reminder.params.get("thread_ts")
    assert has_action(reminder.params["blocks"], ids.ACK_SNOOZE)


def test_no_ack_timeout_no_reminder(tmp_path):
    h = ToolHarness(tmp_path, utc(2026, 3, 10, 14, 35))
    try:
        r = h.command("/emergency", ARABIC)
        assert r.status == 200
        [page] = h.wait_for_page(OMAR)
        h.click(ids.ACK, page_id_of(page), OMAR)
        h.settle()
        h.advance(3 * 3600)
        h.settle()
        assert not any("is still open and yours" in (c.params.get("text") or "")
                       for c in h.standin.calls)
        assert h.requests()[0].status == "acknowledged"
    finally:
        h.quiet_close()

