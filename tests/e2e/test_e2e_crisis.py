"""End to end, crisis mode (PRODUCT.md "Crisis mode"): signed requests to the running
app, the Web API answered by the Slack stand-in, a manual clock.

Team: tests/fixtures/teams/category-desk.yaml (en, ar, fr; manager U0MGR0001; Arabic
readers on shift all day). Requests default to sev2 there, so a crisis at sev1 shows.
"""

from __future__ import annotations

import sys
from collections import Counter
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bench.sqlcount import count_sql
from bot.charts.child import PNG_MAGIC
from bot.store.crisis_tables import CrisisRequestRow
from bot.store.paging_tables import PageRow, RequestRow
from bot.store.wellbeing_tables import ExposureRow
from tests.fixtures_crisis import MANAGER, REQUESTER, START, crises, oncall, wait_for
from tests.slack_harness import FIXTURE_TEAMS, ToolHarness

AMAL = "U0CD00001"


def links(h: ToolHarness) -> list[tuple[int, int]]:
    with h.runtime.sessions() as session:
        return sorted((c, r) for c, r in session.execute(select(
            CrisisRequestRow.crisis_id, CrisisRequestRow.request_id)))


def file(h: ToolHarness, text: str) -> None:
    r = h.command("/emergency", text, user=REQUESTER)
    assert r.status == 200, r.text
    h.settle()


def test_a_matching_request_joins_the_crisis_and_is_raised(crisis_desk):
    said = oncall(crisis_desk, "crisis start beirut-port languages=ar severity=sev1 match=port",
                  MANAGER)
    assert "Crisis *beirut-port* started" in said and "Arabic" in said, said
    [crisis] = crises(crisis_desk)
    assert (crisis.status, crisis.languages, crisis.match_words, crisis.severity) == (
        "active", ["ar"], ["port"], "sev1")
    assert crisis.remind_due_utc == START + timedelta(minutes=30)

    file(crisis_desk, "lang:ar بث مباشر من PORT الآن")  # matches: Arabic, "port" in any case
    file(crisis_desk, "lang:ar بث مباشر من الميناء")  # Arabic, no match word
    file(crisis_desk, "lang:en live stream from the port")  # the word, another language
    first, second, third = crisis_desk.requests()
    assert links(crisis_desk) == [(crisis.id, first.id)]
    assert (first.severity, second.severity, third.severity) == ("sev1", "sev2", "sev2")
    assert "crisis_linked" in crisis_desk.audit_actions(first.id)
    assert "crisis_linked" not in crisis_desk.audit_actions(second.id)

    status = oncall(crisis_desk, "crisis status", AMAL)  # anyone of the team may look
    assert "Arabic: 1 open, 0 acknowledged, 0 resolved" in status, status


def test_requests_routed_together_join_the_crisis_as_one_at_a_time(tmp_path, db_url):
    """Requests left to the router (the process was busy) are routed several to a
    transaction: the team's crises are read once for the batch, and each request joins
    (or not) as one filed on its own would."""
    h = ToolHarness(tmp_path, START, database_url=db_url, inline_limit=0,
                    schedules=FIXTURE_TEAMS / "category-desk.yaml")
    try:
        oncall(h, "crisis start beirut-port languages=ar severity=sev1 match=port", MANAGER)
        [crisis] = crises(h)
        h.runtime.router.stop()  # hold routing while they pile up
        for text in ("lang:ar بث مباشر من PORT الآن", "lang:ar بث مباشر من الميناء",
                     "lang:en live stream from the port", "lang:ar الميناء port مرة أخرى"):
            assert h.command("/emergency", text, user=REQUESTER).status == 200
        with count_sql(h.runtime.engine) as counted:
            routed = h.runtime.intake.route_batch(10)
        assert len(routed) == 4
        assert sum("FROM crises" in sql for sql in counted.sql) == 1, counted.sql
        first, second, third, fourth = h.requests()
        assert links(h) == [(crisis.id, first.id), (crisis.id, fourth.id)]
        assert [r.severity for r in (first, second, third, fourth)] == [
            "sev1", "sev2", "sev2", "sev1"]
        assert {r.status for r in (first, second, third, fourth)} == {"open"}
    finally:
        h.quiet_close()


def test_a_specialist_may_not_start_or_end_one_and_bad_input_writes_nothing(crisis_desk):
    said = oncall(crisis_desk, "crisis start flood", AMAL)
    assert "only managers" in said and "crisis status" in said, said
    said = oncall(crisis_desk, "crisis start flood languages=de", MANAGER)
    assert "does not serve de" in said and "/oncall crisis start" in said, said
    said = oncall(crisis_desk, "crisis start flood severity=sev9", MANAGER)
    assert "sev1, sev2 or sev3" in said and "/oncall crisis start" in said, said
    said = oncall(crisis_desk, "crisis start languages=ar", MANAGER)
    assert "Missing the crisis name" in said, said
    assert crises(crisis_desk) == []
    oncall(crisis_desk, "crisis start flood", MANAGER)
    said = oncall(crisis_desk, "crisis start flood", MANAGER)
    assert "already running" in said, said
    oncall(crisis_desk, "crisis start quake", MANAGER)
    said = oncall(crisis_desk, "crisis end", MANAGER)
    assert "2 crises are running" in said and "flood" in said and "quake" in said, said
    said = oncall(crisis_desk, "crisis end quake", AMAL)
    assert "only managers" in said, said
    assert [c.status for c in crises(crisis_desk)] == ["active", "active"]


def test_a_request_joins_every_crisis_it_matches_and_a_sev1_stays_sev1(crisis_desk):
    oncall(crisis_desk, "crisis start flood severity=sev3", MANAGER)
    oncall(crisis_desk, "crisis start quake languages=ar,fr severity=sev2", MANAGER)
    file(crisis_desk, "sev1 lang:ar عاجل بث مباشر")
    file(crisis_desk, "lang:fr vidéo en direct")
    first, second = crisis_desk.requests()
    flood, quake = crises(crisis_desk)
    assert links(crisis_desk) == sorted([(flood.id, first.id), (quake.id, first.id),
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


def test_end_keeps_a_summary_that_equals_the_database(crisis_desk):
    oncall(crisis_desk, "crisis start flood", MANAGER)
    crisis_desk.advance(1)
    crisis = wait_for(lambda: [c for c in crises(crisis_desk) if c.card_ts], "the card")[0]
    for n, lang in enumerate(("ar", "ar", "ar", "fr")):
        file(crisis_desk,
             f"lang:{lang} بث مباشر رقم {n}" if lang == "ar" else "lang:fr vidéo en direct")
        crisis_desk.advance(60)
    file(crisis_desk, "lang:ar فيديو مباشر لإطلاق نار")  # no languages= or match=: it joins
    with crisis_desk.runtime.sessions() as session, session.begin():
        rows = list(session.scalars(select(RequestRow).order_by(RequestRow.id)))
        for minutes, row in zip((2, 5, 11), rows, strict=False):  # three acknowledged
            row.status, row.assignee = "acknowledged", AMAL
            row.acknowledged_utc = row.created_utc + timedelta(minutes=minutes)
        rows[0].status, rows[0].resolved_utc = "resolved", rows[0].created_utc + timedelta(
            minutes=20)
        # As the services do: a request out of "open" has no page still pending.
        for page in session.scalars(select(PageRow).where(
                PageRow.request_id.in_([r.id for r in rows[:3]]), PageRow.state == "pending")):
            page.state = "closed"
        session.add(ExposureRow(team="category-desk", user=AMAL, request_id=rows[0].id,
                                weight=3, kind="acknowledged", at_utc=rows[0].created_utc))
    responses = crisis_desk.capture_responses()
    r = crisis_desk.command("/oncall", "crisis end", user=MANAGER,
                     response_url=f"{crisis_desk.standin.origin}/response/end")
    said = r.json()["text"]
    assert "Crisis *flood* ended" in said and "5 requests" in said, said
    assert "The chart follows in the crisis channel" in said
    [crisis] = crises(crisis_desk)
    assert crisis.status == "ended" and crisis.ended_by == MANAGER
    with crisis_desk.runtime.sessions() as session:
        linked = {rid for _, rid in links(crisis_desk)}
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
    crisis_desk.settle()
    assert any("Crisis *flood* ended" in (m.get("text") or "")
               and "Pages per person" in (m.get("text") or "")
               for m in crisis_desk.standin.messages_to(crisis.channel))
    [done] = crisis_desk.standin.wait_for(lambda c: c.method == "files.completeUploadExternal",
                                   timeout=60, description="the chart uploaded")
    assert done.ok and done.params["channel_id"] == crisis.channel
    png = crisis_desk.standin.file(done.params["files"][0]["id"])["content"]
    assert png.startswith(PNG_MAGIC) and len(png) > 10_000
    assert done.params["files"][0]["title"] == "Crisis flood: time to acknowledge by language"
    assert responses == []  # no "no chart" note
    assert "matplotlib" not in sys.modules
    assert "no crisis is running" in oncall(crisis_desk, "crisis status", MANAGER)


def test_a_chart_that_cannot_be_uploaded_leaves_the_summary_and_says_why(crisis_desk):
    oncall(crisis_desk, "crisis start flood", MANAGER)  # no channel yet: the chart goes to the DM
    file(crisis_desk, "lang:ar فيديو مباشر لإطلاق نار")
    crisis_desk.standin.fail_next("files.completeUploadExternal", status=200, error="not_allowed")
    crisis_desk.capture_responses()
    r = crisis_desk.command("/oncall", "crisis end", user=MANAGER,
                     response_url=f"{crisis_desk.standin.origin}/response/end")
    assert "Crisis *flood* ended" in r.json()["text"] and "direct messages" in r.json()["text"]
    note = crisis_desk.wait_response("No chart of the crisis summary", timeout=60)
    assert "Slack did not accept the picture (it answered not_allowed)" in note["text"]
    [crisis] = crises(crisis_desk)
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


def test_the_update_reminder_fires_once_after_the_interval_and_once_after_a_restart(crisis_desk):
    oncall(crisis_desk, "crisis start flood", MANAGER)
    crisis_desk.advance(1)
    wait_for(lambda: [c for c in crises(crisis_desk) if c.card_ts], "the channel and card")
    crisis_desk.advance(29 * 60 - 1)
    assert reminders(crisis_desk) == []
    crisis_desk.advance(60)  # 30 minutes without an update
    crisis_desk.advance(5)
    crisis_desk.advance(60)
    assert len(reminders(crisis_desk)) == 1
    # An update moves the reminder on by 30 minutes from now.
    said = oncall(crisis_desk, "crisis update the port video is down on every site", MANAGER)
    assert "Update posted" in said, said
    crisis_desk.settle()
    assert len(posted(crisis_desk, "the port video is down on every site")) == 1  # intake
    assert len(posted(crisis_desk, "the port video is down on every site",
                      crises(crisis_desk)[0].channel)) == 1
    [crisis] = crises(crisis_desk)
    assert crisis.remind_due_utc == crisis_desk.clock.now() + timedelta(minutes=30)
    crisis_desk.restart()
    crisis_desk.advance(29 * 60)
    assert len(reminders(crisis_desk)) == 1
    crisis_desk.advance(61)
    crisis_desk.restart()
    crisis_desk.advance(1)
    assert len(reminders(crisis_desk)) == 2
    oncall(crisis_desk, "crisis end", MANAGER)
    crisis_desk.advance(3600)
    assert len(reminders(crisis_desk)) == 2  # ended: no more reminders


def test_update_names_the_crisis_when_several_run(crisis_desk):
    oncall(crisis_desk, "crisis start flood", MANAGER)
    oncall(crisis_desk, "crisis start quake", MANAGER)
    said = oncall(crisis_desk, "crisis update roads are closed", MANAGER)
    assert "2 crises are running" in said and "/oncall crisis update flood" in said, said
    said = oncall(crisis_desk, "crisis update quake roads are closed", MANAGER)
    assert "Update posted for crisis *quake*" in said, said
    said = oncall(crisis_desk, "crisis update quake roads are closed", AMAL)
    assert "only managers" in said, said
    crisis_desk.settle()
    assert len(posted(crisis_desk, "roads are closed")) == 1


def test_start_creates_the_channel_invites_and_pins_the_card(crisis_desk):
    oncall(crisis_desk, "crisis start Beirut-Port languages=fr", MANAGER)
    crisis_desk.advance(1)
    made = wait_for(lambda: [c for c in crisis_desk.standin.calls_to("conversations.create")
                             if c.ok], "the channel")
    assert made[0].params.get("name") == "crisis-beirut-port"
    crisis = wait_for(lambda: [c for c in crises(crisis_desk) if c.card_ts], "the card")[0]
    ws = crisis_desk.standin.workspace
    # Who is on call for French now, and the managers.
    roster = crisis_desk.runtime.rosters.get("category-desk")
    expected = {a.user for a in roster.on_call_for("fr", crisis_desk.clock.now())} | {MANAGER}
    assert ws.channel_members(crisis.channel) == expected
    assert wait_for(lambda: ws.pinned(crisis.channel), "the pin") == {crisis.card_ts}
    card = [m for m in crisis_desk.standin.messages_to(crisis.channel) if m["ts"] == crisis.card_ts]
    assert "Crisis *Beirut-Port*" in card[0]["text"]
    crisis_desk.advance(1)  # done: nothing is created, invited or pinned again
    assert len(crisis_desk.standin.calls_to("conversations.create")) == 1
    assert len(crisis_desk.standin.calls_to("pins.add")) == 1
    # A linked request now gets a line in the crisis channel.
    file(crisis_desk, "lang:fr vidéo en direct")
    crisis_desk.settle()
    assert any("New request T-1" in (m.get("text") or "")
               for m in crisis_desk.standin.messages_to(crisis.channel))


def test_a_taken_channel_name_means_no_crisis_and_a_clear_message(crisis_desk):
    crisis_desk.standin.workspace.add_channel("crisis-flood")
    oncall(crisis_desk, "crisis start flood", MANAGER)
    crisis_desk.advance(1)
    wait_for(lambda: crises(crisis_desk) == [], "the crisis undone")
    crisis_desk.settle()
    said = wait_for(lambda: [m.get("text") or "" for m in crisis_desk.dms(MANAGER)
                             if "was not started" in (m.get("text") or "")], "the DM")
    assert "#crisis-flood already exists" in said[0] and "/oncall crisis start" in said[0]


def test_the_status_card_is_refreshed_every_few_minutes(crisis_desk):
    oncall(crisis_desk, "crisis start flood languages=ar", MANAGER)
    crisis_desk.advance(1)
    crisis = wait_for(lambda: [c for c in crises(crisis_desk) if c.card_ts], "the card")[0]
    file(crisis_desk, "lang:ar بث مباشر لعملية إطلاق نار الآن")
    crisis_desk.advance(3 * 60)

    def card_text() -> str:
        return next(m["text"] for m in crisis_desk.standin.messages_to(crisis.channel)
                    if m["ts"] == crisis.card_ts)

    assert "Arabic: 1 open" in wait_for(lambda: "Arabic: 1 open" in card_text() and card_text(),
                                        "the refreshed card")
