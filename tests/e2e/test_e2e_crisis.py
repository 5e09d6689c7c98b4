"""End to end, crisis mode (PRODUCT.md "Crisis mode"): signed requests to the running
app, the Web API answered by the Slack stand-in, a manual clock.

Team: tests/fixtures/teams/category-desk.yaml (en, ar, fr; manager U0MGR0001; Arabic
readers on shift all day). Requests default to sev2 there, so a crisis at sev1 shows.
"""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.charts.child import PNG_MAGIC
from bot.store.crisis_tables import CrisisRequestRow, CrisisRow
from bot.store.paging_tables import PageRow, RequestRow
from bot.store.wellbeing_tables import ExposureRow
from tests.slack_harness import FIXTURE_TEAMS, ToolHarness, utc

AMAL = "U0CD00001"
MANAGER = "U0MGR0001"
REQUESTER = "U0REQ0001"
START = utc(2026, 7, 1, 12, 0)


@pytest.fixture
def desk(tmp_path, db_url):
    h = ToolHarness(tmp_path, START, database_url=db_url,
                    schedules=FIXTURE_TEAMS / "category-desk.yaml")
    yield h
    h.quiet_close()


def oncall(h: ToolHarness, text: str, user: str) -> str:
    r = h.command("/oncall", text, user=user)
    assert r.status == 200, r.text
    body = r.json()
    return body.get("text", "") + json.dumps(body.get("blocks") or [], ensure_ascii=False)


def crises(h: ToolHarness) -> list[CrisisRow]:
    with h.runtime.sessions() as session:
        return list(session.scalars(select(CrisisRow).order_by(CrisisRow.id)))


def links(h: ToolHarness) -> list[tuple[int, int]]:
    with h.runtime.sessions() as session:
        return sorted((c, r) for c, r in session.execute(select(
            CrisisRequestRow.crisis_id, CrisisRequestRow.request_id)))


def wait_for(check, what: str):
    """Wait for the sending thread (not for a deadline: the clock does not move)."""
    until = time.monotonic() + 5
    while time.monotonic() < until:
        found = check()
        if found:
            return found
        time.sleep(0.01)
    raise AssertionError(f"never happened: {what}")


def file(h: ToolHarness, text: str) -> None:
    r = h.command("/emergency", text, user=REQUESTER)
    assert r.status == 200, r.text
    h.settle()


def test_a_matching_request_joins_the_crisis_and_is_raised(desk):
    said = oncall(desk, "crisis start beirut-port languages=ar severity=sev1 match=port",
                  MANAGER)
    assert "Crisis *beirut-port* started" in said and "Arabic" in said, said
    [crisis] = crises(desk)
    assert (crisis.status, crisis.languages, crisis.match_words, crisis.severity) == (
        "active", ["ar"], ["port"], "sev1")
    assert crisis.remind_due_utc == START + timedelta(minutes=30)

    file(desk, "lang:ar بث مباشر من PORT الآن")  # matches: Arabic, "port" in any case
    file(desk, "lang:ar بث مباشر من الميناء")  # Arabic, no match word
    file(desk, "lang:en live stream from the port")  # the word, another language
    first, second, third = desk.requests()
    assert links(desk) == [(crisis.id, first.id)]
    assert (first.severity, second.severity, third.severity) == ("sev1", "sev2", "sev2")
    assert "crisis_linked" in desk.audit_actions(first.id)
    assert "crisis_linked" not in desk.audit_actions(second.id)

    status = oncall(desk, "crisis status", AMAL)  # anyone of the team may look
    assert "Arabic: 1 open, 0 acknowledged, 0 resolved" in status, status


def test_a_specialist_may_not_start_or_end_one_and_bad_input_writes_nothing(desk):
    said = oncall(desk, "crisis start flood", AMAL)
    assert "only managers" in said and "crisis status" in said, said
    said = oncall(desk, "crisis start flood languages=de", MANAGER)
    assert "does not serve de" in said and "/oncall crisis start" in said, said
    said = oncall(desk, "crisis start flood severity=sev9", MANAGER)
    assert "sev1, sev2 or sev3" in said and "/oncall crisis start" in said, said
    said = oncall(desk, "crisis start languages=ar", MANAGER)
    assert "Missing the crisis name" in said, said
    assert crises(desk) == []
    oncall(desk, "crisis start flood", MANAGER)
    said = oncall(desk, "crisis start flood", MANAGER)
    assert "already running" in said, said
    oncall(desk, "crisis start quake", MANAGER)
    said = oncall(desk, "crisis end", MANAGER)
    assert "2 crises are running" in said and "flood" in said and "quake" in said, said
    said = oncall(desk, "crisis end quake", AMAL)
    assert "only managers" in said, said
    assert [c.status for c in crises(desk)] == ["active", "active"]


def test_a_request_joins_every_crisis_it_matches_and_a_sev1_stays_sev1(desk):
    oncall(desk, "crisis start flood severity=sev3", MANAGER)
    oncall(desk, "crisis start quake languages=ar,fr severity=sev2", MANAGER)
    file(desk, "sev1 lang:ar عاجل بث مباشر")
    file(desk, "lang:fr vidéo en direct")
    first, second = desk.requests()
    flood, quake = crises(desk)
    assert links(desk) == sorted([(flood.id, first.id), (quake.id, first.id),
                                  (flood.id, second.id), (quake.id, second.id)])
    assert (first.severity, second.severity) == ("sev1", "sev2")


ZONES = {"U0CD00001": "Asia/Amman", "U0CD00002": "Asia/Amman", "U0CD00003": "Asia/Amman",
         "U0CD00004": "Asia/Amman", "U0CD00005": "Europe/London", "U0CD00006": "Asia/Amman",
         "U0CD00007": "Europe/Paris"}  # tests/fixtures/teams/category-desk.yaml


def linear(values: list[float], q: float) -> float | None:
    """Percentile by linear interpolation between closest ranks (docs/design.md), here."""
    if not values:
        return None
    data = sorted(values)
    pos = q * (len(data) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(data) - 1)
    return data[lo] + (data[hi] - data[lo]) * (pos - lo)


def bucket(instant, tz: str) -> str:
    local = instant.astimezone(ZoneInfo(tz))
    if local.weekday() >= 5:
        return "sleep"
    return ("business" if 9 <= local.hour < 18 else
            "evening" if 18 <= local.hour < 23 else "sleep")


def test_end_keeps_a_summary_that_equals_the_database(desk):
    oncall(desk, "crisis start flood", MANAGER)
    desk.advance(1)
    crisis = wait_for(lambda: [c for c in crises(desk) if c.card_ts], "the card")[0]
    for n, lang in enumerate(("ar", "ar", "ar", "fr")):
        file(desk, f"lang:{lang} بث مباشر رقم {n}" if lang == "ar" else "lang:fr vidéo en direct")
        desk.advance(60)
    file(desk, "lang:ar فيديو مباشر لإطلاق نار")  # no languages= or match=: it joins
    with desk.runtime.sessions() as session, session.begin():
        rows = list(session.scalars(select(RequestRow).order_by(RequestRow.id)))
        for minutes, row in zip((2, 5, 11), rows, strict=False):  # three acknowledged
            row.status, row.assignee = "acknowledged", AMAL
            row.acknowledged_utc = row.created_utc + timedelta(minutes=minutes)
        rows[0].status, rows[0].resolved_utc = "resolved", rows[0].created_utc + timedelta(
            minutes=20)
        session.add(ExposureRow(team="category-desk", user=AMAL, request_id=rows[0].id,
                                weight=3, kind="acknowledged", at_utc=rows[0].created_utc))
    responses = desk.capture_responses()
    r = desk.command("/oncall", "crisis end", user=MANAGER,
                     response_url=f"{desk.standin.origin}/response/end")
    said = r.json()["text"]
    assert "Crisis *flood* ended" in said and "5 requests" in said, said
    assert "The chart follows in the crisis channel" in said
    [crisis] = crises(desk)
    assert crisis.status == "ended" and crisis.ended_by == MANAGER
    with desk.runtime.sessions() as session:
        linked = {rid for _, rid in links(desk)}
        rows = [r for r in session.scalars(select(RequestRow)) if r.id in linked]
        pages = [p for p in session.scalars(select(PageRow)) if p.request_id in linked]
    ack = [(r.acknowledged_utc - r.created_utc).total_seconds() for r in rows
           if r.acknowledged_utc]
    fix = [(r.resolved_utc - r.created_utc).total_seconds() for r in rows if r.resolved_utc]
    s = crisis.summary
    assert s["requests"] == len(rows) == 5
    assert s["by_language"] == {"ar": 4, "fr": 1} == dict(Counter(r.language for r in rows))
    assert s["by_category"] == dict(Counter(r.category for r in rows))
    assert s["ack_p50"] == pytest.approx(linear(ack, 0.5)) == 300.0
    assert s["ack_p95"] == pytest.approx(linear(ack, 0.95)) == pytest.approx(300 + 0.9 * 360)
    assert s["resolve_p50"] == s["resolve_p95"] == linear(fix, 0.5) == 1200.0
    assert s["per_person"] == {AMAL: 3}
    assert s["pages"] == len(pages) and s["declines"] == 0
    # Pages per person, split by the hour on each person's own clock.
    mine: dict[str, Counter] = {}
    for p in pages:
        mine.setdefault(p.user, Counter())[bucket(p.sent_utc, ZONES[p.user])] += 1
    people = {p["user"]: p for p in s["people"]}
    assert set(people) == set(mine) | {AMAL}
    for user, counts in mine.items():
        assert people[user]["pages"] == sum(counts.values())
        for b in ("business", "evening", "sleep"):
            assert people[user][f"{b}_pages"] == counts[b], (user, b)
    assert people[AMAL]["exposure_points"] == 3 and people[AMAL]["requests"] == 3
    # The same numbers as the report by language for the same requests.
    assert {r["key"]: r["requests"] for r in s["languages"]} == {"ar": 4, "fr": 1}
    # Posted to the crisis channel (text through the outbox, the chart uploaded).
    desk.settle()
    assert any("Crisis *flood* ended" in (m.get("text") or "")
               and "Pages per person" in (m.get("text") or "")
               for m in desk.standin.messages_to(crisis.channel))
    [done] = desk.standin.wait_for(lambda c: c.method == "files.completeUploadExternal",
                                   timeout=60, description="the chart uploaded")
    assert done.ok and done.params["channel_id"] == crisis.channel
    png = desk.standin.file(done.params["files"][0]["id"])["content"]
    assert png.startswith(PNG_MAGIC) and len(png) > 10_000
    assert done.params["files"][0]["title"] == "Crisis flood: time to acknowledge by language"
    assert responses == []  # no "no chart" note
    assert "matplotlib" not in sys.modules
    assert "no crisis is running" in oncall(desk, "crisis status", MANAGER)


def test_a_chart_that_cannot_be_uploaded_leaves_the_summary_and_says_why(desk):
    oncall(desk, "crisis start flood", MANAGER)  # no channel yet: the chart goes to the DM
    file(desk, "lang:ar فيديو مباشر لإطلاق نار")
    desk.standin.fail_next("files.completeUploadExternal", status=200, error="not_allowed")
    desk.capture_responses()
    r = desk.command("/oncall", "crisis end", user=MANAGER,
                     response_url=f"{desk.standin.origin}/response/end")
    assert "Crisis *flood* ended" in r.json()["text"] and "direct messages" in r.json()["text"]
    note = desk.wait_response("No chart of the crisis summary", timeout=60)
    assert "Slack did not accept the picture (it answered not_allowed)" in note["text"]
    [crisis] = crises(desk)
    assert crisis.status == "ended" and crisis.summary["requests"] == 1


INTAKE = "C0INTAKE01"


def posted(h: ToolHarness, contains: str, channel: str = INTAKE) -> list[str]:
    return [m.get("text") or "" for m in h.standin.messages_to(channel)
            if contains in (m.get("text") or "")]


def reminders(h: ToolHarness) -> list[str]:
    """Reminders go to the crisis channel once it exists (the intake channel before)."""
    [crisis] = crises(h)
    return (posted(h, "No update on crisis *flood*")
            + (posted(h, "No update on crisis *flood*", crisis.channel) if crisis.channel
               else []))


def test_the_update_reminder_fires_once_after_the_interval_and_once_after_a_restart(desk):
    oncall(desk, "crisis start flood", MANAGER)
    desk.advance(1)
    wait_for(lambda: [c for c in crises(desk) if c.card_ts], "the channel and card")
    desk.advance(29 * 60 - 1)
    assert reminders(desk) == []
    desk.advance(60)  # 30 minutes without an update
    desk.advance(5)
    desk.advance(60)
    assert len(reminders(desk)) == 1
    # An update moves the reminder on by 30 minutes from now.
    said = oncall(desk, "crisis update the port video is down on every site", MANAGER)
    assert "Update posted" in said, said
    desk.settle()
    assert len(posted(desk, "the port video is down on every site")) == 1  # intake
    assert len(posted(desk, "the port video is down on every site", crises(desk)[0].channel)) == 1
    [crisis] = crises(desk)
    assert crisis.remind_due_utc == desk.clock.now() + timedelta(minutes=30)
    desk.restart()
    desk.advance(29 * 60)
    assert len(reminders(desk)) == 1
    desk.advance(61)
    desk.restart()
    desk.advance(1)
    assert len(reminders(desk)) == 2
    oncall(desk, "crisis end", MANAGER)
    desk.advance(3600)
    assert len(reminders(desk)) == 2  # ended: no more reminders


def test_update_names_the_crisis_when_several_run(desk):
    oncall(desk, "crisis start flood", MANAGER)
    oncall(desk, "crisis start quake", MANAGER)
    said = oncall(desk, "crisis update roads are closed", MANAGER)
    assert "2 crises are running" in said and "/oncall crisis update flood" in said, said
    said = oncall(desk, "crisis update quake roads are closed", MANAGER)
    assert "Update posted for crisis *quake*" in said, said
    said = oncall(desk, "crisis update quake roads are closed", AMAL)
    assert "only managers" in said, said
    desk.settle()
    assert len(posted(desk, "roads are closed")) == 1


def test_start_creates_the_channel_invites_and_pins_the_card(desk):
    oncall(desk, "crisis start Beirut-Port languages=fr", MANAGER)
    desk.advance(1)
    made = wait_for(lambda: [c for c in desk.standin.calls_to("conversations.create")
                             if c.ok], "the channel")
    assert made[0].params.get("name") == "crisis-beirut-port"
    crisis = wait_for(lambda: [c for c in crises(desk) if c.card_ts], "the card")[0]
    ws = desk.standin.workspace
    # Who is on call for French now, and the managers.
    roster = desk.runtime.rosters.get("category-desk")
    expected = {a.user for a in roster.on_call_for("fr", desk.clock.now())} | {MANAGER}
    assert ws.channel_members(crisis.channel) == expected
    assert wait_for(lambda: ws.pinned(crisis.channel), "the pin") == {crisis.card_ts}
    card = [m for m in desk.standin.messages_to(crisis.channel) if m["ts"] == crisis.card_ts]
    assert "Crisis *Beirut-Port*" in card[0]["text"]
    desk.advance(1)  # done: nothing is created, invited or pinned again
    assert len(desk.standin.calls_to("conversations.create")) == 1
    assert len(desk.standin.calls_to("pins.add")) == 1
    # A linked request now gets a line in the crisis channel.
    file(desk, "lang:fr vidéo en direct")
    desk.settle()
    assert any("New request T-1" in (m.get("text") or "")
               for m in desk.standin.messages_to(crisis.channel))


def test_a_taken_channel_name_means_no_crisis_and_a_clear_message(desk):
    desk.standin.workspace.add_channel("crisis-flood")
    oncall(desk, "crisis start flood", MANAGER)
    desk.advance(1)
    wait_for(lambda: crises(desk) == [], "the crisis undone")
    desk.settle()
    said = wait_for(lambda: [m.get("text") or "" for m in desk.dms(MANAGER)
                             if "was not started" in (m.get("text") or "")], "the DM")
    assert "#crisis-flood already exists" in said[0] and "/oncall crisis start" in said[0]


def test_the_status_card_is_refreshed_every_few_minutes(desk):
    oncall(desk, "crisis start flood languages=ar", MANAGER)
    desk.advance(1)
    crisis = wait_for(lambda: [c for c in crises(desk) if c.card_ts], "the card")[0]
    file(desk, "lang:ar بث مباشر لعملية إطلاق نار الآن")
    desk.advance(3 * 60)

    def card_text() -> str:
        return next(m["text"] for m in desk.standin.messages_to(crisis.channel)
                    if m["ts"] == crisis.card_ts)

    assert "Arabic: 1 open" in wait_for(lambda: "Arabic: 1 open" in card_text() and card_text(),
                                        "the refreshed card")
