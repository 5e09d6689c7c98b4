"""End to end, exposure to graphic content in routing (PRODUCT.md "Graphic content and
the people who read it"): signed requests to /slack/events of the running app, the Web
API answered by the local Slack stand-in, a manual clock. Nothing here sleeps for a
deadline.

Team: tests/fixtures/teams/category-desk.yaml (see test_e2e_categories.py), given an
exposure limit of 6 points per 8 hours and a sensitive "Child safety" category worth 3
points, held by Amal (Arabic first) and Basma (Arabic second). A `graphic` request is
sensitive and worth 1 point, for any Arabic reader (Amal, Chadi, Dina first; Basma).
"""

from __future__ import annotations

import dataclasses
import json
import time
from datetime import timedelta

import pytest

from bot.core.model import Category, Wellbeing
from bot.slack import ids
from bot.store import teams as team_store
from bot.store.wellbeing_tables import PauseRow
from tests.slack_harness import FIXTURE_TEAMS, ToolHarness, blocks_text, page_id_of, utc

AMAL, BASMA, CHADI, DINA, EMIL, FARAH, GHADA = (f"U0CD0000{i}" for i in range(1, 8))
MANAGER = "U0MGR0001"
REQUESTER = "U0REQ0001"
START = utc(2026, 7, 1, 12, 0)
LIMIT = 6

CHILD_SAFETY = Category("child-safety", "Child safety", severity="sev2",
                        skills=("child_safety",), sensitive=True, exposure_weight=3)
SKILLS = {AMAL: ("child_safety",), BASMA: ("child_safety",)}


def with_wellbeing(h: ToolHarness) -> None:
    with h.runtime.sessions() as session, session.begin():
        team = team_store.load_team(session, "category-desk")
        people = tuple(dataclasses.replace(s, skills=SKILLS.get(s.id, ()))
                       for s in team.specialists)
        team_store.save_team(session, dataclasses.replace(
            team, specialists=people, categories=(CHILD_SAFETY,), default_category="other",
            max_open_per_person=10, wellbeing=Wellbeing(exposure_limit=LIMIT,
                                                        exposure_window=timedelta(hours=8))))


def harness(tmp_path, database_url=None) -> ToolHarness:
    h = ToolHarness(tmp_path, START, database_url=database_url,
                    schedules=FIXTURE_TEAMS / "category-desk.yaml")
    with_wellbeing(h)
    return h


@pytest.fixture
def desk(tmp_path):
    h = harness(tmp_path)
    yield h
    h.quiet_close()


@pytest.fixture
def desk_any_db(tmp_path, db_url):
    h = harness(tmp_path, db_url)
    yield h
    h.quiet_close()


def file(h: ToolHarness, text: str) -> str:
    """File a request; the user its first page went to."""
    before = len(h.paged_users())
    r = h.command("/emergency", text, user=REQUESTER)
    assert r.status == 200, r.text
    h.settle()
    paged = h.paged_users()
    assert len(paged) == before + 1, paged
    return paged[-1]


def acknowledge(h: ToolHarness, user: str) -> None:
    """`user` acknowledges their latest page; waits until the request is theirs."""
    page = h.pages_to(user)[-1]
    r = h.click(ids.ACK, page_id_of(page), user)
    assert r.status == 200, r.text
    deadline = time.monotonic() + 5
    while not any(q.assignee == user and q.status == "acknowledged"
                  for q in h.requests() if f"T-{q.id}" in blocks_text(page)):
        assert time.monotonic() < deadline, "the acknowledgement never landed"
        time.sleep(0.01)
    h.settle()


def file_and_ack(h: ToolHarness, text: str) -> str:
    user = file(h, text)
    acknowledge(h, user)
    return user


def oncall(h: ToolHarness, text: str, user: str) -> str:
    r = h.command("/oncall", text, user=user)
    assert r.status == 200, r.text
    body = r.json()
    return body.get("text", "") + json.dumps(body.get("blocks") or [], ensure_ascii=False)


def dms_to(h: ToolHarness, user: str) -> list[str]:
    return [c.params.get("text") or "" for c in h.standin.calls_to("chat.postMessage")
            if c.params.get("channel") == user]


# -- routing -----------------------------------------------------------------------------


def test_sensitive_requests_go_to_the_least_exposed_reader_plain_ones_do_not(desk_any_db):
    h = desk_any_db
    # Child safety (3 points): Amal, the stronger of its two trained readers.
    assert file_and_ack(h, "cat:child-safety lang:ar طفل في خطر الآن") == AMAL
    # Graphic (1 point each): not Amal (3 points) while Chadi and Dina have none.
    assert file_and_ack(h, "graphic lang:ar صور عنف مباشر الآن") == CHADI
    assert file_and_ack(h, "graphic lang:ar صور عنف مباشر مرة ثانية") == DINA
    # Amal, Chadi and Dina have one page each; by pages alone Amal would be next (paged
    # longest ago), but she has read 3 points and Chadi 1: Chadi.
    assert file_and_ack(h, "graphic lang:ar صور عنف مباشر مرة ثالثة") == CHADI
    # A request that is not sensitive goes by pages, as always: Amal (one page, the
    # longest ago), whatever she has read.
    assert file(h, "lang:ar شخص يهدد بإيذاء نفسه") == AMAL


def test_a_reader_at_the_limit_is_passed_over_then_paged_with_a_note_when_nobody_else_is(
        desk_any_db):
    h = desk_any_db
    # Child safety is read by Amal (Arabic first) and Basma (Arabic second) only.
    assert file_and_ack(h, "cat:child-safety lang:ar طفل في خطر 1") == AMAL  # 3 points
    assert file_and_ack(h, "cat:child-safety lang:ar طفل في خطر 2") == AMAL  # 6: the limit
    # Amal reads Arabic better, but is at the limit while Basma is free: Basma.
    assert file_and_ack(h, "cat:child-safety lang:ar طفل في خطر 3") == BASMA  # 3
    assert file_and_ack(h, "cat:child-safety lang:ar طفل في خطر 4") == BASMA  # 6
    assert not [t for t in dms_to(h, MANAGER) if "exposure limit" in t]

    # Both at the limit: the page still goes out (Amal, the stronger reader) and says so.
    assert file(h, "cat:child-safety lang:ar طفل في خطر 5") == AMAL
    page = h.pages_to(AMAL)[-1]
    said = blocks_text(page)
    assert ("You have handled 6 sensitive-request points in the last 8 hours (limit 6); "
            "nobody else who reads Arabic is free, so this one came to you. Tell a manager "
            "if you need a break.") in said, said
    # The managers are told, once for the request, without a word of its text.
    [told] = [t for t in dms_to(h, MANAGER) if "exposure limit" in t]
    assert f"<@{AMAL}>" in told and "T-5" in told and "Child safety" in told, told
    assert "6 sensitive-request points in the last 8 hours (limit 6)" in told, told
    assert "طفل" not in told
    lines = [m["text"] for m in h.thread(h.card("T-5")["ts"])]
    assert any("past their exposure limit" in ln for ln in lines), lines
    # The earlier pages said nothing of the kind.
    for post in h.page_posts(BASMA):
        assert "sensitive-request points" not in json.dumps(post.params.get("blocks"))
    # The note stays on the page once it is updated in place (acknowledged).
    acknowledge(h, AMAL)
    ts = h.page_posts(AMAL)[-1].response["ts"]
    [*_, update] = h.updates(ts)
    assert ("You took this one past your exposure limit: 6 sensitive-request points in the "
            "last 8 hours (limit 6)") in json.dumps(update.params.get("blocks"),
                                                  ensure_ascii=False)


def test_someone_on_a_break_is_never_paged_nor_listed_as_who_would_be(desk):
    h = desk
    with h.runtime.sessions() as session, session.begin():
        session.add(PauseRow(team="category-desk", user=AMAL, start_utc=START,
                             end_utc=START + timedelta(hours=1), reason="asked", by=AMAL))
    # Amal comes first for any Arabic request; on a break she is skipped, sensitive or not.
    assert file(h, "lang:ar شخص يهدد بإيذاء نفسه") == CHADI
    assert file(h, "graphic lang:ar صور عنف مباشر") == DINA
    who = oncall(h, "who ar", MANAGER)
    assert f"<@{AMAL}>" not in who and f"<@{CHADI}>" in who, who
    # The break over, she is paged again.
    h.advance(3601)
    assert file(h, "lang:ar شخص آخر يهدد بإيذاء نفسه") == AMAL


# -- /oncall exposure and the Home tab ---------------------------------------------------


def with_history(h: ToolHarness) -> None:
    """Amal takes two child-safety requests (6 points: the limit), Chadi a graphic one
    (1 point); Dina takes a break an hour long."""
    assert file_and_ack(h, "cat:child-safety lang:ar طفل في خطر 1") == AMAL
    assert file_and_ack(h, "cat:child-safety lang:ar طفل في خطر 2") == AMAL
    assert file_and_ack(h, "graphic lang:ar صور عنف مباشر الآن") == CHADI
    with h.runtime.sessions() as session, session.begin():
        session.add(PauseRow(team="category-desk", user=DINA, start_utc=START,
                             end_utc=START + timedelta(hours=1), reason="asked", by=DINA))


def person_line(text: str, user: str) -> str:
    [line] = [ln for ln in text.split("\\n") if f"<@{user}>" in ln]
    return line


def test_a_manager_sees_everyones_exposure_a_specialist_only_their_own(desk):
    h = desk
    with_history(h)
    said = oncall(h, "exposure", MANAGER)
    assert "Exposure, last 8 hours" in said, said
    amal = person_line(said, AMAL)
    assert "2 sensitive requests, 6 points" in amal and "reached the limit" in amal, amal
    assert "now 6/6 *(at the limit)*" in amal, amal
    chadi = person_line(said, CHADI)
    assert "1 sensitive request, 1 point" in chadi and "reached" not in chadi, chadi
    dina = person_line(said, DINA)
    assert "1 break" in dina and "on a break until" in dina, dina
    assert "13:00 UTC>" in dina  # the fallback: UTC for a manager with no roster zone

    # Chadi, a specialist, sees his own line only.
    own = oncall(h, "exposure", CHADI)
    assert "Your exposure, last 8 hours: 1 sensitive request, 1 point (limit 6)" in own, own
    assert f"<@{AMAL}>" not in own and f"<@{DINA}>" not in own

    # A week, later: the points have left the 8-hour window, the week still holds them.
    h.advance(9 * 3600)
    week = oncall(h, "exposure 7", MANAGER)
    amal = person_line(week, AMAL)
    assert "Exposure, last 7 days" in week
    assert "6 points" in amal and "reached the limit" in amal and "now 0/6" in amal, amal
    assert "now 0/6" in person_line(oncall(h, "exposure", MANAGER), AMAL)


def test_bad_exposure_arguments_get_what_was_wrong_and_an_example(desk):
    said = oncall(desk, "exposure lots", MANAGER)
    assert "Days 'lots' must be a whole number from 1 to 90" in said, said
    assert "/oncall exposure 7" in said
    said = oncall(desk, "help exposure", MANAGER)
    assert "/oncall exposure [days]" in said and "last 8 hours" in said, said


def open_home(h: ToolHarness, user: str, event_id: str) -> str:
    before = len(h.standin.calls_to("views.publish"))
    r = h.event({"type": "app_home_opened", "user": user, "channel": f"D{user}",
                 "tab": "home"}, event_id)
    assert r.status == 200, r.text
    h.standin.wait_for_calls("views.publish", count=before + 1)
    return json.dumps(h.standin.home_view(user), ensure_ascii=False)


def test_the_home_tab_shows_exposure_to_managers_and_each_specialist_their_own(desk):
    h = desk
    with_history(h)
    manager = open_home(h, MANAGER, "Ev0EXPO0001")
    assert "Exposure (last 8 hours)*, limit 6 points" in manager, manager
    assert f"<@{AMAL}>: now 6/6 *(at the limit)*" in manager
    assert f"<@{CHADI}>: now 1/6" in manager
    assert f"<@{DINA}>: now 0/6, on a break until" in manager
    chadi = open_home(h, CHADI, "Ev0EXPO0002")
    assert "Your exposure (last 8 hours)*: now 1/6 · 1 sensitive request" in chadi, chadi
    assert f"<@{AMAL}>: now" not in chadi
    # Someone who handled nothing sees a quiet line; Emil reads no Arabic at all.
    assert "Your exposure (last 8 hours)*: now 0/6" in open_home(h, EMIL, "Ev0EXPO0003")


def test_take_it_counts_exposure_and_who_shows_the_limit(desk):
    h = desk
    assert file_and_ack(h, "cat:child-safety lang:ar طفل في خطر 1") == AMAL  # 3 points
    # Basma takes the next one from an alert before Amal answers her page: it counts
    # toward Basma's exposure, not Amal's.
    assert file(h, "cat:child-safety lang:ar طفل في خطر 2") == AMAL
    [second] = [q for q in h.requests() if q.id == 2]
    r = h.click(ids.TAKE, str(second.id), BASMA)
    assert r.status == 200, r.text
    deadline = time.monotonic() + 5
    while [q.assignee for q in h.requests() if q.id == 2] != [BASMA]:
        assert time.monotonic() < deadline, "Take it never landed"
        time.sleep(0.01)
    h.settle()
    said = oncall(h, "exposure", MANAGER)
    assert "1 sensitive request, 3 points" in person_line(said, AMAL)
    assert "1 sensitive request, 3 points" in person_line(said, BASMA)

    assert file_and_ack(h, "cat:child-safety lang:ar طفل في خطر 3") == AMAL  # 6: the limit
    who = oncall(h, "who ar cat:child-safety", MANAGER)
    assert "at the exposure limit* (6/6 points)" in who, who
    assert who.index(f"<@{BASMA}>") < who.index(f"<@{AMAL}>")  # below the limit first
    # A request that is not sensitive: the limit is not shown and changes nothing.
    assert "exposure limit" not in oncall(h, "who ar", MANAGER)


def test_someone_on_a_break_is_not_offered_to_hand_over_to(desk):
    h = desk
    assert file_and_ack(h, "lang:ar شخص يهدد بإيذاء نفسه") == AMAL
    offered = {p.user for p in h.runtime.escalation.handover_candidates(1, AMAL)}
    assert CHADI in offered
    with h.runtime.sessions() as session, session.begin():
        session.add(PauseRow(team="category-desk", user=CHADI, start_utc=START,
                             end_utc=START + timedelta(hours=1), reason="asked", by=CHADI))
    offered = {p.user for p in h.runtime.escalation.handover_candidates(1, AMAL)}
    assert CHADI not in offered and DINA in offered


def test_a_shift_handoff_does_not_page_someone_on_a_break(desk):
    h = desk
    assert file(h, "lang:ar شخص يهدد بإيذاء نفسه") == AMAL
    with h.runtime.sessions() as session, session.begin():
        session.add(PauseRow(team="category-desk", user=CHADI, start_utc=START,
                             end_utc=START + timedelta(hours=1), reason="asked", by=CHADI))
    assert h.runtime.escalation.repage([(1, CHADI)]) == 0
    assert h.runtime.escalation.repage([(1, DINA)]) == 1
