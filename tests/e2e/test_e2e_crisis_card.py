"""End to end, a crisis's pinned status card kept current, and the crisis named on the
requests that joined it (PRODUCT.md "Crisis mode"): signed requests to the running app,
the Web API answered by the Slack stand-in, a manual clock.

Team: tests/fixtures/teams/category-desk.yaml (Arabic readers Amal, Basma, Chadi and
Dina in Asia/Amman, on shift all day; Emil reads English, in Europe/London; manager
U0MGR0001). In July, Amman is UTC+3 and London UTC+1.
"""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from sqlalchemy import select

from bot.app.runtime import Runtime
from bot.store.crisis_tables import CrisisRow
from tests.fixtures_crisis import MANAGER, REQUESTER, crises, oncall, wait_for
from tests.slack_harness import ToolHarness, page_id_of, utc

AMAL, DINA, EMIL = "U0CD00001", "U0CD00004", "U0CD00005"


def crisis(h: ToolHarness) -> CrisisRow:
    with h.runtime.sessions() as session:
        return session.scalars(select(CrisisRow).order_by(CrisisRow.id)).first()


def date_token(at) -> str:
    return f"<!date^{int(at.timestamp())}^"


def card_edits(h: ToolHarness, ts: str) -> list[str]:
    return [c.params.get("text") or "" for c in h.standin.calls_to("chat.update")
            if c.ok and c.params.get("ts") == ts]


def card_now(h: ToolHarness, row: CrisisRow) -> str:
    edits = card_edits(h, row.card_ts)
    if edits:
        return edits[-1]
    return next(m["text"] for m in h.standin.messages_to(row.channel) if m["ts"] == row.card_ts)


def test_the_card_says_who_is_on_call_the_gaps_and_follows_each_change(crisis_desk):
    # Dina, the one French reader on shift, away today: no French reader until her
    # next shift starts (00:00 UTC).
    said = oncall(crisis_desk, f"away <@{DINA}|dina> 2026-07-01 2026-07-01", MANAGER)
    assert "away" in said.lower(), said
    oncall(crisis_desk, "crisis start flood languages=ar,en,fr", MANAGER)
    crisis_desk.advance(1)
    row = wait_for(lambda: (c := crisis(crisis_desk)) and c.card_ts and c, "the card")
    card = card_now(crisis_desk, row)
    # Who is on call now, with their local time (12:00 UTC: 15:00 in Amman, 13:00 London).
    assert f"<@{AMAL}> (15:00 their time)" in card, card
    assert f"<@{EMIL}> (13:00 their time)" in card, card
    # The gap in the next 12 hours, as date tokens (each reader sees their own zone).
    assert "French: nobody on call reads it right now" in card, card
    assert f"French: no reader now, until {date_token(utc(2026, 7, 2, 0, 0))}" in card, card
    assert "Arabic: no reader" not in card and "English: no reader" not in card
    assert "No update posted yet (started less than a minute ago)" in card, card
    assert card_edits(crisis_desk, row.card_ts) == []

    # A linked request filed: the card is edited within seconds, not minutes.
    r = crisis_desk.command("/emergency", "lang:ar بث مباشر من الميناء", user=REQUESTER)
    assert r.status == 200, r.text
    crisis_desk.settle()
    crisis_desk.advance(5)
    assert "Arabic: 1 open, 0 acknowledged, 0 resolved" in wait_for(
        lambda: card_edits(crisis_desk, row.card_ts) and card_edits(crisis_desk, row.card_ts)[-1],
        "the card edited after the filing")
    assert len(card_edits(crisis_desk, row.card_ts)) == 1

    # A change the card does not show (a decline: still open): marked, rendered, and
    # not sent again since the text is the same.
    [page] = crisis_desk.wait_for_page(AMAL)
    before = crisis(crisis_desk).card_version
    assert crisis_desk.click("page_decline", page_id_of(page), AMAL).status == 200
    crisis_desk.settle()
    assert crisis(crisis_desk).card_version > before
    crisis_desk.advance(5)
    wait_for(lambda: (c := crisis(crisis_desk)).card_shown == c.card_version, "the decline seen")
    assert len(card_edits(crisis_desk, row.card_ts)) == 1

    # Acknowledged by the next reader paged: edited again.
    nxt = next(u for u in crisis_desk.paged_users() if u != AMAL)
    [page] = crisis_desk.wait_for_page(nxt)
    assert crisis_desk.click("page_ack", page_id_of(page), nxt).status == 200
    crisis_desk.settle()
    crisis_desk.advance(5)
    assert "Arabic: 0 open, 1 acknowledged, 0 resolved" in wait_for(
        lambda: len(card_edits(crisis_desk, row.card_ts)) == 2
        and card_edits(crisis_desk, row.card_ts)[-1],
        "the card edited after the acknowledgement")

    # An update: "last update ... ago", then the periodic refresh moves the minutes on.
    oncall(crisis_desk, "crisis update roads are closed", MANAGER)
    crisis_desk.advance(5)
    at = crisis_desk.clock.now() - timedelta(seconds=5)
    wait_for(lambda: len(card_edits(crisis_desk, row.card_ts)) == 3, "the card after the update")
    assert "Last update less than a minute ago, at " + date_token(at) in card_now(crisis_desk, row)
    crisis_desk.advance(3 * 60)
    wait_for(lambda: "Last update 3 min ago" in card_now(crisis_desk, row), "the periodic refresh")
    assert crisis(crisis_desk).card_shown == crisis(crisis_desk).card_version
    # Nothing changed, in the same minute: nothing is sent.
    edits = len(card_edits(crisis_desk, row.card_ts))
    crisis_desk.advance(5)
    crisis_desk.advance(5)
    assert len(card_edits(crisis_desk, row.card_ts)) == edits


def test_status_answers_privately_with_the_cards_text(crisis_desk):
    oncall(crisis_desk, "crisis start flood languages=fr", MANAGER)
    said = oncall(crisis_desk, "crisis status", "U0CD00002")
    assert "Crisis *flood*" in said and "On call now" in said, said
    assert "French: <@U0CD00004> (15:00 their time)" in said, said
    assert "None: every language has a reader on call." in said, said


def test_the_card_and_the_page_dm_name_the_crisis(crisis_desk):
    oncall(crisis_desk, "crisis start beirut-port languages=ar match=port", MANAGER)
    oncall(crisis_desk, "crisis start quake languages=ar", MANAGER)
    r = crisis_desk.command("/emergency", "lang:ar بث مباشر من PORT الآن", user=REQUESTER)
    assert r.status == 200, r.text
    crisis_desk.settle()
    r = crisis_desk.command("/emergency", "lang:en nothing to do with it", user=REQUESTER)
    assert r.status == 200, r.text
    crisis_desk.settle()
    first, second = crisis_desk.cards()[:2]
    names = "Part of crises *beirut-port* and *quake*"
    assert names in json.dumps(first.get("blocks"), ensure_ascii=False)
    assert "Part of crisis" not in json.dumps(second.get("blocks"), ensure_ascii=False)
    [page] = crisis_desk.wait_for_page(AMAL)
    assert names in json.dumps(page.get("blocks"), ensure_ascii=False)
    # Still named once the card is edited (acknowledged).
    assert crisis_desk.click("page_ack", page_id_of(page), AMAL).status == 200
    crisis_desk.settle()
    updated = wait_for(lambda: crisis_desk.updates(first["ts"]), "the card edited")
    assert names in json.dumps(updated[-1].params.get("blocks"), ensure_ascii=False)


def not_started_dms(h: ToolHarness) -> list[str]:
    return [m.get("text") or "" for m in h.dms(MANAGER)
            if "was not started" in (m.get("text") or "")]


def test_a_channel_created_whose_id_was_never_recorded_is_found_and_used(crisis_desk):
    # Slack creates the channel, and the answer never reaches the bot: as if the process
    # had died between the create and the commit of the channel's id.
    crisis_desk.standin.drop_next("conversations.create", done=True)
    oncall(crisis_desk, "crisis start flood languages=ar", MANAGER)
    crisis_desk.advance(1)
    [lost] = wait_for(lambda: crisis_desk.standin.calls_to("conversations.create"), "the create")
    made = lost.response["channel"]["id"]
    assert crises(crisis_desk)[0].channel is None
    # The next pass meets name_taken, finds the channel the bot made, and carries on.
    crisis_desk.advance(1)
    row = wait_for(lambda: [c for c in crises(crisis_desk) if c.card_ts], "the card")[0]
    assert row.channel == made and row.status == "active"
    assert wait_for(lambda: crisis_desk.standin.workspace.pinned(made), "the pin") == {row.card_ts}
    assert AMAL in crisis_desk.standin.workspace.channel_members(made)
    assert [c.params.get("types") for c in crisis_desk.standin.calls_to("conversations.list")] == [
        "public_channel"]
    crisis_desk.settle()
    assert not_started_dms(crisis_desk) == []


def test_a_taken_name_from_a_person_or_an_earlier_crisis_still_refuses(crisis_desk):
    # The bot made #crisis-flood for an earlier crisis, now ended: not reused.
    oncall(crisis_desk, "crisis start flood", MANAGER)
    crisis_desk.advance(1)
    wait_for(lambda: [c for c in crises(crisis_desk) if c.card_ts], "the first crisis's card")
    oncall(crisis_desk, "crisis end flood", MANAGER)
    oncall(crisis_desk, "crisis start flood", MANAGER)
    crisis_desk.advance(1)
    wait_for(lambda: len(crises(crisis_desk)) == 1, "the second crisis undone")
    crisis_desk.settle()
    assert len(wait_for(lambda: not_started_dms(crisis_desk), "the DM")) == 1
    # A channel a person made: not the bot's.
    crisis_desk.standin.workspace.add_channel("crisis-quake")
    oncall(crisis_desk, "crisis start quake", MANAGER)
    crisis_desk.advance(1)
    wait_for(lambda: len(crises(crisis_desk)) == 1, "the quake crisis undone")
    crisis_desk.settle()
    assert len(wait_for(
        lambda: len(not_started_dms(crisis_desk)) == 2 and not_started_dms(crisis_desk),
        "the second DM")) == 2


def reminders(h: ToolHarness, channel: str) -> list[str]:
    return [m.get("text") or "" for m in h.standin.messages_to(channel)
            if "No update on crisis *flood*" in (m.get("text") or "")]


def test_two_workers_on_one_database_send_the_reminder_once(crisis_desk):
    oncall(crisis_desk, "crisis start flood", MANAGER)
    crisis_desk.advance(1)
    row = wait_for(lambda: [c for c in crises(crisis_desk) if c.card_ts], "the card")[0]
    other = Runtime(crisis_desk.settings, clock=crisis_desk.clock, migrate_schema=False)
    try:
        crisis_desk.clock.advance(30 * 60)  # due now; neither worker has passed yet
        barrier = threading.Barrier(2)

        def remind(runtime: Runtime) -> int:
            barrier.wait()
            return runtime.crises.remind()

        with ThreadPoolExecutor(2) as pool:
            sent = list(pool.map(remind, [crisis_desk.runtime, other]))
        assert sorted(sent) == [0, 1]
        other.tick()  # whole passes of both, after: nothing more
        crisis_desk.advance(1)
        crisis_desk.settle()
        assert len(reminders(crisis_desk, row.channel)) == 1
    finally:
        other.close()


def test_a_reminder_due_while_down_or_written_before_a_crash_goes_once(crisis_desk):
    oncall(crisis_desk, "crisis start flood", MANAGER)
    crisis_desk.advance(1)
    row = wait_for(lambda: [c for c in crises(crisis_desk) if c.card_ts], "the card")[0]
    # Written (the deadline claimed, its outbox row committed), then the process dies
    # before sending it: the next process sends it, once.
    crisis_desk.clock.advance(30 * 60)
    assert crisis_desk.runtime.crises.remind() == 1
    assert reminders(crisis_desk, row.channel) == []
    crisis_desk.restart()
    crisis_desk.advance(1)
    crisis_desk.settle()
    assert len(reminders(crisis_desk, row.channel)) == 1
    # Down while the next one comes due: sent once when the bot is back.
    crisis_desk.clock.advance(31 * 60)
    crisis_desk.restart()
    crisis_desk.advance(1)
    crisis_desk.advance(1)
    crisis_desk.settle()
    assert len(reminders(crisis_desk, row.channel)) == 2


def test_an_ended_crisis_card_says_so_once_and_is_left_alone(crisis_desk):
    oncall(crisis_desk, "crisis start flood languages=ar", MANAGER)
    crisis_desk.advance(1)
    row = wait_for(lambda: [c for c in crises(crisis_desk) if c.card_ts], "the card")[0]
    r = crisis_desk.command("/emergency", "lang:ar بث مباشر من الميناء", user=REQUESTER)
    assert r.status == 200, r.text
    crisis_desk.settle()
    crisis_desk.advance(5)
    wait_for(lambda: card_edits(crisis_desk, row.card_ts), "the card after the filing")
    oncall(crisis_desk, "crisis end", MANAGER)
    crisis_desk.advance(1)
    last = wait_for(lambda: len(card_edits(crisis_desk, row.card_ts)) == 2
                    and card_edits(crisis_desk, row.card_ts)[-1], "the last edit")
    assert f"ended at {date_token(crisis_desk.clock.now() - timedelta(seconds=1))}" in last, last
    assert f"by <@{MANAGER}>" in last and "Arabic: 1 open" in last, last
    assert "This crisis has ended" in last and "On call now" not in last, last
    crisis_desk.advance(3 * 60)  # the periodic refresh leaves it alone
    crisis_desk.advance(5)
    assert len(card_edits(crisis_desk, row.card_ts)) == 2
