"""End to end, flows 2-4 (routing, paging buttons, escalation), duplicates, Slack
failures and restarts: signed requests to /slack/events of the running app, the Web API
answered by the local Slack stand-in, a manual clock moved with `advance` (which runs
one reconciler tick, as the scheduled job would). Nothing here sleeps for a deadline.

Teams:
- schedules/example/safety-escalations.yaml. On 2026-03-10 (US on summer time, Dublin not yet)
  amer-ar-fr and emea-ar-fr overlap from 14:00 to 15:00 UTC: at 14:05 Karim (U0AM00011)
  and Omar (U0EU00009) both read Arabic on call, both primary, both with Arabic first
  (the `overlap` fixture lists Karim first in the team, so he is paged first: the
  team's order is routing's last tie-break); Rami (U0AM00010) is the off-shift Arabic
  backup. At 2026-07-01 12:00 Omar alone.
- tests/fixtures/teams/routing-desk.yaml: one-member, 24-hour rotations (see the file).
"""

from __future__ import annotations

import threading

import pytest
import yaml
from sqlalchemy import select

from bot.schedules.reader import load_schedules
from bot.services.schedules import import_teams
from bot.slack import ids
from bot.store.paging_tables import DeadlineRow, OutboxRow, SeenEventRow
from tests.slack_harness import (
    ESCALATION,
    FIXTURE_TEAMS,
    INTAKE,
    SCHEDULES,
    ToolHarness,
    blocks_text,
    handover_values,
    has_action,
    list_first,
    page_id_of,
    resolve_values,
    utc,
)
from tests.waits import until

OMAR = "U0EU00009"
KARIM = "U0AM00011"
RAMI = "U0AM00010"
MANAGERS = ("U0MGR0001", "U0MGR0002")
REQUESTER = "U0REQ0001"
ARABIC = "sev1 lang:ar بث مباشر لشخص يهدد بالانتحار الآن"

# routing-desk.yaml
ALBA, BRUNO, CLARA, DARIO, ELENA, FARID, GINA = (f"U0RT0000{i}" for i in range(1, 8))


@pytest.fixture
def slack(tmp_path):
    """Omar is the only Arabic reader on call."""
    h = ToolHarness(tmp_path, utc(2026, 7, 1, 12, 0))
    yield h
    h.quiet_close()


@pytest.fixture
def overlap(tmp_path):
    """Karim, then Omar, read Arabic on call; Rami is the Arabic backup."""
    h = ToolHarness(tmp_path, utc(2026, 3, 10, 14, 5))
    list_first(h)  # Karim, then Omar: the order the team lists them
    yield h
    h.quiet_close()


@pytest.fixture
def desk(tmp_path):
    h = ToolHarness(tmp_path, utc(2026, 7, 1, 12, 0),
                    schedules=FIXTURE_TEAMS / "routing-desk.yaml")
    yield h
    h.quiet_close()


def wait_page(slack, user: str, count: int = 1, ticket: str = "T-1") -> str:
    """Wait for the `count`-th page DM to `user`; the page id of the latest one for
    `ticket`."""
    slack.standin.wait_for(
        lambda c: c.method == "chat.postMessage" and c.ok and c.params.get("channel") == user
        and has_action(c.params.get("blocks"), ids.ACK),
        count=count, description=f"{count} page DM(s) to {user}")
    for call in reversed(slack.page_posts(user)):
        if f"· {ticket} ·" in call.params["text"]:
            return page_id_of(call.params)
    raise AssertionError(f"no page for {ticket} to {user}")


def file(slack, text: str = ARABIC, user: str = REQUESTER) -> dict:
    r = slack.command("/emergency", text, user=user)
    assert r.status == 200, r.text
    assert "T-" in r.json()["text"], r.json()
    return r.json()


def click(slack, action: str, value: str, user: str) -> None:
    r = slack.click(action, value, user)
    assert r.status == 200 and r.body == b"", r.text  # acknowledged to Slack at once


def card_ts(slack, ticket: str = "T-1") -> str:
    slack.wait_posted(INTAKE, f" {ticket} ")
    return slack.card(ticket)["ts"]


# -- routing ----------------------------------------------------------------------------


def test_routing_order_primary_stronger_language_fewest_pages_never_away(desk):
    file(desk, "sev2 lang:es primera amenaza en directo")
    # Alba is primary with Spanish first too, but away: Bruno is the best match.
    wait_page(desk, BRUNO, ticket="T-1")
    file(desk, "sev2 lang:es segunda amenaza en directo")
    # Bruno has had one page today, Clara none: the load is spread.
    wait_page(desk, CLARA, ticket="T-2")
    assert desk.paged_users() == [BRUNO, CLARA]

    # Declines walk T-1 down the order, each at once, with no clock advance.
    click(desk, ids.DECLINE, wait_page(desk, BRUNO, ticket="T-1"), BRUNO)
    clara_t1 = wait_page(desk, CLARA, count=2, ticket="T-1")
    click(desk, ids.DECLINE, clara_t1, CLARA)
    # Primary before secondary, even when the secondary reads Spanish better.
    dario_t1 = wait_page(desk, DARIO, ticket="T-1")
    click(desk, ids.DECLINE, dario_t1, DARIO)
    elena_t1 = wait_page(desk, ELENA, ticket="T-1")
    click(desk, ids.DECLINE, elena_t1, ELENA)
    # Nobody left to page for Spanish: the next step (managers) fires at once.
    for m in MANAGERS:
        desk.wait_posted(m, "T-1")

    assert desk.paged_users() == [BRUNO, CLARA, CLARA, DARIO, ELENA]
    assert ALBA not in desk.paged_users()
    assert [p[0] for p in desk.db_pages(1)] == [BRUNO, CLARA, DARIO, ELENA]
    assert all(p[4] == "declined" for p in desk.db_pages(1))
    assert desk.clock.now() == utc(2026, 7, 1, 12, 0)


def test_fallback_opted_in_backup_when_nobody_on_shift_reads_it(desk):
    file(desk, "sev2 lang:fr menace de bombe contre une école")
    wait_page(desk, FARID)
    [page] = desk.pages_to(FARID)
    assert "off-shift backup for French" in blocks_text(page)
    assert "NEEDS TRANSLATION" not in blocks_text(page)
    assert desk.paged_users() == [FARID]  # Gina opted in too, but she is away
    assert GINA not in desk.paged_users()
    assert desk.db_pages(1) == [(FARID, 0, 0, "backup", "pending", False)]


def test_fallback_translation_flag_when_nobody_reads_it(desk):
    reply = file(desk, "sev2 lang:ar تهديد بتفجير مدرسة")
    assert "needs translation" in reply["text"]
    wait_page(desk, BRUNO)  # primary, fewest pages, on call; reads no Arabic
    [page] = desk.pages_to(BRUNO)
    assert "NEEDS TRANSLATION" in blocks_text(page)
    assert desk.db_pages(1) == [(BRUNO, 0, 0, "translation", "pending", True)]
    desk.wait_posted(INTAKE, " T-1 ")
    assert "NEEDS TRANSLATION" in blocks_text(desk.card("T-1"))


# -- paging buttons -------------------------------------------------------------------


def test_acknowledge_updates_card_and_page_and_tells_requester(slack):
    file(slack)
    page_id = wait_page(slack, OMAR)
    card = card_ts(slack)

    click(slack, ids.ACK, page_id, OMAR)

    slack.wait_updated(card, "Acknowledged")
    shown = blocks_text(slack.standin.message(card))
    assert "*Assignee*\\n<@U0EU00009>" in shown
    [note] = slack.wait_posted(REQUESTER, "acknowledged")
    assert f"<@{OMAR}> acknowledged *T-1*" in note.params["text"]
    dm_ts = slack.page_posts(OMAR)[0].response["ts"]
    slack.wait_updated(dm_ts, "You acknowledged this")  # the page DM, in place
    dm = slack.standin.message(dm_ts)
    assert has_action(dm["blocks"], ids.RESOLVE) and has_action(dm["blocks"], ids.HANDOVER)
    assert not has_action(dm["blocks"], ids.ACK)
    slack.settle()
    assert any("acknowledged" in m["text"] for m in slack.thread(card))
    [req] = slack.requests()
    assert (req.status, req.assignee) == ("acknowledged", OMAR)


def test_decline_moves_to_next_candidate_then_next_step_at_once(overlap):
    file(overlap)
    karim_page = wait_page(overlap, KARIM)  # Karim and Omar tie; Karim sorts first
    click(overlap, ids.DECLINE, karim_page, KARIM)
    omar_page = wait_page(overlap, OMAR)  # the next candidate, no clock advance
    click(overlap, ids.DECLINE, omar_page, OMAR)
    # Nobody else on call reads Arabic: language_oncall_all finds nobody who has not
    # declined, so language_backup fires at once.
    wait_page(overlap, RAMI)
    [rami] = overlap.pages_to(RAMI)
    assert "off-shift backup for Arabic" in blocks_text(rami)
    assert overlap.paged_users() == [KARIM, OMAR, RAMI]
    assert overlap.clock.now() == utc(2026, 3, 10, 14, 5)
    # Karim's page now says it was passed on; no buttons left.
    karim_dm = overlap.standin.messages_to(KARIM)[0]
    overlap.wait_updated(karim_dm["ts"], "You declined")


def test_decline_while_others_are_paged_keeps_the_escalation_going(overlap):
    file(overlap)
    wait_page(overlap, KARIM)
    overlap.settle()
    overlap.advance(120)  # language_oncall_all: Karim again, and Omar
    wait_page(overlap, OMAR)
    overlap.settle()
    # Karim's one page DM now shows his step-2 page (updated in place, and pinged).
    [dm] = (c.response["ts"] for c in overlap.page_posts(KARIM))
    karim_all = page_id_of(overlap.standin.message(dm))
    assert len(overlap.page_pings(KARIM)) == 1
    card = card_ts(overlap)
    click(overlap, ids.DECLINE, karim_all, KARIM)
    overlap.wait_updated(dm, "You declined")
    # The card says that only Omar is being paged now.
    overlap.wait_updated(card, '*Paging*\\n<@U0EU00009>"')
    assert sorted(overlap.paged_or_pinged()) == [KARIM, KARIM, OMAR]  # Omar may still answer
    assert sorted((p[0], p[2], p[4]) for p in overlap.db_pages(1)) == sorted(
        [(KARIM, 0, "closed"), (KARIM, 1, "declined"), (OMAR, 1, "pending")])

    overlap.advance(120)  # the step's wait runs out: language_backup
    wait_page(overlap, RAMI)
    assert overlap.paged_or_pinged()[3:] == [RAMI]


def test_resolve_opens_a_modal_and_the_submission_closes_the_request(slack):
    file(slack)
    click(slack, ids.ACK, wait_page(slack, OMAR), OMAR)
    card = card_ts(slack)
    dm_ts = slack.page_posts(OMAR)[0].response["ts"]
    slack.wait_updated(dm_ts, "You acknowledged this")

    r = slack.click(ids.RESOLVE, "1", OMAR)
    assert r.status == 200
    trigger = slack.last_trigger_id()  # the click's
    [opened] = slack.wait_view_opened(ids.RESOLVE_MODAL)
    assert opened.params["trigger_id"] == trigger
    view = opened.response["view"]
    assert view["private_metadata"] == "1"
    assert ids.OUTCOME_BLOCK in {b.get("block_id") for b in view["blocks"]}

    # An empty outcome is refused in the modal.
    r = slack.submit_view(ids.RESOLVE_MODAL, resolve_values("  "), OMAR, "1", view["id"])
    assert r.json()["response_action"] == "errors" and ids.OUTCOME_BLOCK in r.json()["errors"]
    assert slack.requests()[0].status == "acknowledged"

    note = "Stream taken down; police in Cairo notified"
    r = slack.submit_view(ids.RESOLVE_MODAL, resolve_values(note), OMAR, "1", view["id"])
    assert r.status == 200 and r.body == b"", r.text

    [req] = slack.requests()
    assert (req.status, req.outcome, req.assignee) == ("resolved", note, OMAR)
    [told] = slack.wait_posted(REQUESTER, "was resolved")
    assert note in blocks_text(told.params) and f"<@{OMAR}>" in told.params["text"]
    slack.wait_updated(card, "Resolved")
    assert note in blocks_text(slack.standin.message(card))
    slack.wait_updated(dm_ts, "Resolved by")
    blocks = slack.standin.message(dm_ts)["blocks"]
    assert not any(has_action(blocks, a) for a in ids.BUTTON_ACTIONS)  # no buttons left
    slack.settle()
    assert "resolved" in slack.audit_actions(1)


def test_hand_over_pages_the_chosen_reader_who_then_owns_it(overlap):
    file(overlap)
    click(overlap, ids.ACK, wait_page(overlap, KARIM), KARIM)
    card = card_ts(overlap)
    overlap.wait_posted(REQUESTER, "acknowledged")

    r = overlap.click(ids.HANDOVER, "1", KARIM)
    assert r.status == 200
    [opened] = overlap.wait_view_opened(ids.HANDOVER_MODAL)
    view = opened.response["view"]
    [target] = [b for b in view["blocks"] if b.get("block_id") == ids.HANDOVER_TARGET_BLOCK]
    # Readers only (issue 10): Omar on call, then Rami, the off-shift backup; not Karim
    # himself. Non-readers are only under "Needs translation".
    [readers, _] = target["element"]["option_groups"]
    assert [o["value"] for o in readers["options"]] == [OMAR, RAMI]
    assert view["private_metadata"] == "1"

    r = overlap.submit_view(ids.HANDOVER_MODAL, handover_values(OMAR), KARIM, "1", view["id"])
    assert r.status == 200 and r.body == b"", r.text
    omar_page = wait_page(overlap, OMAR)
    assert "Handed over to you" in blocks_text(overlap.pages_to(OMAR)[0])
    [req] = overlap.requests()
    assert (req.status, req.assignee) == ("open", None)
    karim_dm = overlap.page_posts(KARIM)[0].response["ts"]
    overlap.wait_updated(karim_dm, "You handed this over")  # his buttons are gone

    click(overlap, ids.ACK, omar_page, OMAR)
    [_, second] = overlap.wait_posted(REQUESTER, "acknowledged", count=2)
    assert f"<@{OMAR}> acknowledged" in second.params["text"]
    overlap.wait_updated(card, "<@U0EU00009>")
    overlap.wait_updated(karim_dm, f"now with <@{OMAR}>")
    [req] = overlap.requests()
    assert (req.status, req.assignee) == ("acknowledged", OMAR)
    overlap.advance(1800)  # nothing left to escalate (the whole sev1 chain is 30 min)
    assert overlap.paged_users() == [KARIM, OMAR]


def test_hand_over_nobody_takes_resumes_the_escalation(overlap):
    file(overlap)
    click(overlap, ids.ACK, wait_page(overlap, KARIM), KARIM)
    overlap.wait_posted(REQUESTER, "acknowledged")
    overlap.click(ids.HANDOVER, "1", KARIM)
    [opened] = overlap.wait_view_opened(ids.HANDOVER_MODAL)
    overlap.submit_view(ids.HANDOVER_MODAL, handover_values(OMAR), KARIM, "1",
                        opened.response["view"]["id"])
    wait_page(overlap, OMAR)

    overlap.advance(119)
    assert overlap.paged_users() == [KARIM, OMAR]
    overlap.advance(1)  # the wait of the step it was at (2m) ran out: the next step
    # Both have a page DM for T-1 already: each is updated in place and pinged.
    assert sorted(overlap.paged_or_pinged()[2:]) == [KARIM, OMAR]
    assert overlap.paged_users() == [KARIM, OMAR]
    assert "paging every Arabic reader on call" in overlap.requests()[0].escalation


# -- escalation -------------------------------------------------------------------------


def _new_posts(slack, seen: int) -> list:
    """(channel, text) of what escalation sent after the first `seen` posts: pages,
    manager and channel alerts, notes to the requester. (The card's thread, and any
    shift-handoff notes, are not escalation.)"""
    return [(c.params["channel"], c.params["text"]) for c in slack.posts()[seen:]
            if has_action(c.params.get("blocks"), ids.ACK)
            or "Unacknowledged: " in c.params["text"]
            or c.params["channel"] == REQUESTER]


def test_sev1_policy_step_by_step_then_stops_and_tells_the_requester(overlap):
    file(overlap)
    wait_page(overlap, KARIM)
    overlap.settle()

    for round_no in range(3):
        if round_no:
            # The channel step has no wait: the next round's first page went with it.
            assert len(overlap.paged_or_pinged()) == 4 * round_no + 1
        else:
            assert overlap.paged_users() == [KARIM]
        paged_before = len(overlap.paged_or_pinged())

        overlap.advance(119)  # just before the deadline nothing happens
        assert len(overlap.paged_or_pinged()) == paged_before
        overlap.advance(1)  # 2m: language_oncall_all, every on-call reader
        assert sorted(overlap.paged_or_pinged()[paged_before:]) == [KARIM, OMAR]

        overlap.advance(120)  # 2m: language_backup
        assert overlap.paged_or_pinged()[paged_before + 2:] == [RAMI]

        seen = len(overlap.posts())
        overlap.advance(180)  # 3m: each manager gets a DM
        new = _new_posts(overlap, seen)
        assert sorted(ch for ch, _ in new) == sorted(MANAGERS), new
        assert all("T-1" in text for _, text in new)

        seen = len(overlap.posts())
        overlap.advance(180)  # 3m: the escalation channel, managers' group mentioned
        alerts = overlap.posts(ESCALATION)
        assert len(alerts) == round_no + 1
        assert "<!subteam^S0MGRGRP1>" in alerts[-1].params["text"]
        assert "T-1" in alerts[-1].params["text"]

    # After the third round nothing is left to fire, and the requester is told.
    overlap.wait_posted(REQUESTER, "Nobody has acknowledged")
    total = len(overlap.posts())
    for _ in range(2):  # 14:35 -> 14:55: Karim and Omar are still on call
        overlap.advance(600)
    assert _new_posts(overlap, total) == []
    told = [c for c in overlap.posts(REQUESTER) if "Nobody has acknowledged" in c.params["text"]]
    assert len(told) == 1
    assert len(overlap.paged_or_pinged()) == 12
    # One page DM per person for the request; every later page was a ping on it.
    assert sorted(overlap.paged_users()) == sorted([KARIM, OMAR, RAMI])
    assert len(overlap.posts(ESCALATION)) == 3
    assert all(len(overlap.posts(m)) == 3 for m in MANAGERS)
    [req] = overlap.requests()
    assert req.status == "open" and req.exhausted
    assert "Nobody has acknowledged" in blocks_text(overlap.card("T-1"))


def test_acknowledging_stops_the_escalation(overlap):
    file(overlap)
    click(overlap, ids.ACK, wait_page(overlap, KARIM), KARIM)
    overlap.wait_posted(REQUESTER, "acknowledged")
    overlap.settle()
    seen = len(overlap.posts())
    for _ in range(5):  # 50 minutes: longer than the whole sev1 chain
        overlap.advance(600)
    assert _new_posts(overlap, seen) == []
    assert overlap.paged_users() == [KARIM]
    with overlap.runtime.sessions() as session:
        states = session.scalars(select(DeadlineRow.state)).all()
    assert "pending" not in states


def test_running_request_keeps_the_policy_it_started_with(overlap, tmp_path):
    file(overlap)
    wait_page(overlap, KARIM)

    # A manager rewrites the sev1 policy: managers first, then the channel.
    doc = yaml.safe_load((SCHEDULES / "safety-escalations.yaml").read_text())
    doc["escalation"]["policies"]["sev1"] = {
        "steps": [{"notify": "managers", "wait": "30m"}, {"notify": "channel"}], "repeat": 0}
    edited = tmp_path / "edited" / "safety-escalations.yaml"
    edited.parent.mkdir()
    edited.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False))
    [result] = import_teams(overlap.runtime.sessions, load_schedules(edited))
    assert result.applied and result.changes

    overlap.advance(120)  # T-1 still follows its own step 2: language_oncall_all
    assert sorted(overlap.paged_or_pinged()[1:]) == [KARIM, OMAR]
    assert all(overlap.posts(m) == [] for m in MANAGERS)
    overlap.advance(120)
    assert overlap.paged_or_pinged()[3:] == [RAMI]

    # A request filed now starts with the new policy: the managers at once.
    file(overlap, ARABIC.replace("الآن", "فورا"))
    for m in MANAGERS:
        overlap.wait_posted(m, "T-2")
    assert overlap.db_pages(2) == []


# -- duplicates -------------------------------------------------------------------------


def test_double_click_on_acknowledge_acknowledges_once(slack):
    file(slack)
    page_id = wait_page(slack, OMAR)
    card_ts(slack)
    results = []
    clicks = [threading.Thread(target=lambda: results.append(
        slack.click(ids.ACK, page_id, OMAR))) for _ in range(2)]
    for t in clicks:
        t.start()
    for t in clicks:
        t.join()
    assert [r.status for r in results] == [200, 200]

    # The second click is told privately (response_url) that it is already theirs.
    slack.standin.wait_for(lambda c: c.method.startswith("/response/"),
                           description="the reply to the second click")
    slack.wait_posted(REQUESTER, "acknowledged")
    slack.settle()
    assert len(slack.posts(REQUESTER)) == 1
    assert slack.audit_actions(1).count("acknowledged") == 1
    assert [p[4] for p in slack.db_pages(1)] == ["acknowledged"]


def test_retried_event_is_handled_once(slack):
    handled, checked = [], []
    both_checked = threading.Event()
    deps = slack.runtime.listeners.d
    seen_event = deps.seen_event

    order = threading.Lock()  # check and record as one step: the two run on two threads

    def counting_seen(event_id):
        with order:
            answer = seen_event(event_id)
            checked.append((event_id, answer))
        if len(checked) == 2:
            both_checked.set()
        return answer

    deps.seen_event = counting_seen
    deps.publish_home = handled.append
    event = {"type": "app_home_opened", "user": OMAR, "channel": "DU0EU00009", "tab": "home",
             "event_ts": "1782907200.000100"}

    first = slack.event(event, "Ev0HOME00001")
    retry = slack.event(event, "Ev0HOME00001",
                        headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"})

    assert (first.status, retry.status) == (200, 200)
    assert both_checked.wait(5), checked
    assert checked == [("Ev0HOME00001", False), ("Ev0HOME00001", True)]
    # The first is handled on its listener's thread after its check: wait for it (only
    # the unseen check goes on to handle, so no second can follow).
    assert until(lambda: handled), checked
    assert handled == [OMAR]
    assert slack.count_rows(SeenEventRow) == 1


# -- Slack failures ---------------------------------------------------------------------


@pytest.mark.parametrize("status", [429, 500])
def test_page_arrives_through_rate_limits_and_server_errors(slack, status):
    """The outbox retries, not the client on a sending thread: after the Retry-After
    (a 429) or a short delay with a look-up first (a 500, which may have posted)."""
    slack.standin.fail_next("chat.postMessage", status=status, retry_after=0)
    file(slack)
    slack.runtime.dispatch.wait_idle()  # the first attempt, refused
    slack.advance(2)
    wait_page(slack, OMAR)
    first = slack.standin.calls_to("chat.postMessage")[0]
    assert (first.params["channel"], first.status) == (OMAR, status)  # the page, refused
    assert len(slack.standin.messages_to(OMAR)) == 1  # then delivered once
    slack.wait_posted(INTAKE, " T-1 ")
    with slack.runtime.sessions() as session:
        failed = session.scalars(select(OutboxRow).where(OutboxRow.state == "failed")).all()
    assert failed == []


def test_card_failing_for_good_does_not_block_the_page(slack):
    slack.fail_posts_to(INTAKE, "channel_not_found")
    file(slack)
    page_id = wait_page(slack, OMAR)
    slack.settle()
    [refused] = [c for c in slack.standin.calls_to("chat.postMessage")
                 if c.params["channel"] == INTAKE]
    assert refused.response["error"] == "channel_not_found"
    with slack.runtime.sessions() as session:
        card = session.scalars(select(OutboxRow).where(OutboxRow.kind == "card")).one()
    assert card.state == "failed" and "channel_not_found" in card.error
    assert slack.cards() == []
    # Its thread lines had nowhere to go: failed with it, said so, never "sent".
    with slack.runtime.sessions() as session:
        lines = session.scalars(select(OutboxRow).where(OutboxRow.kind == "timeline")).all()
    assert lines and all(r.state == "failed" and "card was refused" in r.error
                         for r in lines), [(r.state, r.error) for r in lines]

    # The rest of the flow works without a card.
    click(slack, ids.ACK, page_id, OMAR)
    slack.wait_posted(REQUESTER, "acknowledged")
    slack.wait_updated(slack.page_posts(OMAR)[0].response["ts"], "You acknowledged this")
    slack.settle()
    assert [c for c in slack.standin.calls_to("chat.update")
            if c.params["channel"] == INTAKE] == []
    assert slack.runtime.outbox.pending() == 0


def test_transient_error_is_retried_by_the_outbox_across_a_restart(slack):
    # An ok:false answer that is not permanent: the client does not retry it, the
    # outbox does, later.
    slack.standin.fail_next("chat.postMessage", status=200, error="fatal_error")
    file(slack)
    slack.standin.wait_for(lambda c: c.response and c.response.get("error") == "fatal_error",
                           description="the refused page")
    assert slack.page_posts() == []
    slack.restart()  # the retry is a row in the database, not a timer in the process
    slack.advance(5)
    wait_page(slack, OMAR)
    slack.advance(60)
    assert slack.paged_users() == [OMAR]
    assert len(slack.standin.messages_to(OMAR)) == 1
    slack.wait_posted(INTAKE, " T-1 ")


# -- restarts ---------------------------------------------------------------------------


def _fired_deadlines(slack) -> int:
    with slack.runtime.sessions() as session:
        return len(session.scalars(select(DeadlineRow).where(DeadlineRow.state == "fired"))
                   .all())


def test_restart_before_the_deadline_fires_the_next_step_once(overlap):
    file(overlap)
    wait_page(overlap, KARIM)
    overlap.settle()
    overlap.restart()

    overlap.advance(60)
    assert overlap.paged_users() == [KARIM]
    overlap.advance(61)  # past the 2-minute deadline: language_oncall_all
    assert sorted(overlap.paged_or_pinged()) == [KARIM, KARIM, OMAR]
    overlap.advance(1)
    overlap.runtime.tick()
    assert len(overlap.paged_or_pinged()) == 3 and _fired_deadlines(overlap) == 1

    # The restarted app answers the buttons of pages the old one sent.
    click(overlap, ids.ACK, wait_page(overlap, OMAR), OMAR)
    overlap.wait_posted(REQUESTER, "acknowledged")


def test_restart_between_the_deadline_coming_due_and_the_tick_fires_once(overlap):
    file(overlap)
    wait_page(overlap, KARIM)
    overlap.settle()
    overlap.clock.advance(125)  # due, but no tick ran: the process dies here
    overlap.restart()
    overlap.runtime.tick()
    overlap.runtime.tick()
    assert sorted(overlap.paged_or_pinged()) == [KARIM, KARIM, OMAR]
    assert _fired_deadlines(overlap) == 1


def test_restart_after_firing_before_sending_sends_once(overlap):
    file(overlap)
    wait_page(overlap, KARIM)
    overlap.settle()
    overlap.clock.advance(125)
    old = overlap.runtime
    assert old.escalation.reconcile() == 1  # fired and committed; the pages not yet sent
    assert len(overlap.page_posts()) == 1
    overlap.restart()
    # A second process ticking at the same moment does not fire or send anything twice.
    workers = [threading.Thread(target=rt.tick) for rt in (old, overlap.runtime)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    overlap.runtime.tick()
    assert sorted(overlap.paged_or_pinged()) == [KARIM, KARIM, OMAR]
    assert _fired_deadlines(overlap) == 1
