"""End to end, routing with categories and capacity (PRODUCT.md "Categories"): signed
requests to /slack/events of the running app, the Web API answered by the local Slack
stand-in, a manual clock. Nothing here sleeps for a deadline.

Team: tests/fixtures/teams/category-desk.yaml, with its categories, skills and capacity
added to the stored team (see `with_categories`). At 2026-07-01 12:00 UTC: Amal, Chadi
and Dina (Arabic first) and Basma (Arabic second, the only one trained for child
safety) read Arabic on call; Emil (English only) is on call; Farah is the off-shift
Arabic backup, trained for law-enforcement requests.
"""

from __future__ import annotations

import dataclasses
import threading
from collections import Counter

import pytest

from bot.core.model import Category
from bot.slack import ids
from bot.store import teams as team_store
from tests.slack_harness import (
    FIXTURE_TEAMS,
    INTAKE,
    ToolHarness,
    blocks_text,
    handover_values,
    page_id_of,
    resolve_values,
    utc,
)

AMAL, BASMA, CHADI, DINA, EMIL, FARAH, GHADA = (f"U0CD0000{i}" for i in range(1, 8))
ARABIC_READERS = (AMAL, BASMA, CHADI, DINA)
MANAGER = "U0MGR0001"
REQUESTER = "U0REQ0001"
START = utc(2026, 7, 1, 12, 0)
CAPACITY = 3

CHILD_SAFETY = Category("child-safety", "Child safety", severity="sev1",
                        skills=("child_safety",), sensitive=True)
LE_EMERGENCY = Category("le-emergency", "Law-enforcement emergency request",
                        severity="sev1", skills=("le_requests",))
SKILLS = {BASMA: ("child_safety",), FARAH: ("le_requests",)}


def with_categories(h: ToolHarness) -> None:
    """The stored team gains its categories, the people their skills, and the capacity:
    what the schedule file's `categories`, `skills` and `routing` keys say."""
    with h.runtime.sessions() as session, session.begin():
        team = team_store.load_team(session, "category-desk")
        people = tuple(dataclasses.replace(s, skills=SKILLS.get(s.id, ()))
                       for s in team.specialists)
        team_store.save_team(session, dataclasses.replace(
            team, specialists=people, categories=(CHILD_SAFETY, LE_EMERGENCY),
            default_category="other", max_open_per_person=CAPACITY))


def harness(tmp_path, database_url=None) -> ToolHarness:
    h = ToolHarness(tmp_path, START, database_url=database_url,
                    schedules=FIXTURE_TEAMS / "category-desk.yaml")
    with_categories(h)
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


def file(h: ToolHarness, text: str) -> dict:
    r = h.command("/emergency", text, user=REQUESTER)
    assert r.status == 200, r.text
    return r.json()


def thread_lines(h: ToolHarness, ticket: str) -> list[str]:
    """The timeline under the ticket's card, a line each (a post may hold several)."""
    h.wait_posted(INTAKE, f" {ticket} ")
    h.settle()
    return [ln for m in h.thread(h.card(ticket)["ts"]) for ln in m["text"].splitlines()]


def oncall(h: ToolHarness, text: str, user: str = REQUESTER) -> dict:
    r = h.command("/oncall", text, user=user)
    assert r.status == 200, r.text
    return r.json()


# -- skills -----------------------------------------------------------------------------


def test_child_safety_pages_only_a_trained_reader_never_a_stronger_untrained_one(desk):
    filed = file(desk, "cat:child-safety lang:ar بث مباشر يعرض طفلا للخطر الآن")
    assert "T-1" in filed["text"], filed
    [page] = desk.wait_for_page(BASMA)
    desk.settle()
    # Amal, Chadi and Dina read Arabic better, but are not trained for child safety.
    assert desk.paged_users() == [BASMA]
    [req] = desk.requests()
    assert (req.category, req.severity, req.skills) == ("child-safety", "sev1",
                                                          ("child_safety",))

    # Basma passes it on: nobody else trained reads Arabic on shift or on backup, so
    # the steps that page readers find nobody and the managers are told, at once.
    desk.click(ids.DECLINE, page_id_of(page), BASMA)
    desk.standin.wait_for(lambda c: c.method == "chat.postMessage"
                          and c.params.get("channel") == MANAGER,
                          description="the managers' alert")
    desk.settle()
    assert desk.paged_users() == [BASMA]  # still nobody untrained
    lines = thread_lines(desk, "T-1")
    assert any("nobody left to page who is trained for Child safety" in ln
               for ln in lines), lines
    assert any("Alerted the managers" in ln for ln in lines), lines


def test_a_category_nobody_on_shift_is_trained_for_goes_to_a_trained_backup_then_managers(
        desk):
    file(desk, "cat:le-emergency lang:ar طلب طارئ من الشرطة: حياة شخص في خطر")
    [page] = desk.wait_for_page(FARAH)
    desk.settle()
    assert desk.paged_users() == [FARAH]  # off shift, opted in for Arabic, trained
    lines = thread_lines(desk, "T-1")
    assert any("Nobody on shift who handles Law-enforcement emergency request reads "
               "Arabic: paging an off-shift backup" in ln for ln in lines), lines
    assert "needs translation" not in blocks_text(desk.card("T-1")).lower()

    # Nobody acknowledges: the next steps find nobody else trained (Emil, on call and
    # holding nothing, is never paged), and the managers are alerted.
    desk.advance(121)  # the sev1 policy's second step: every reader (Farah again)
    desk.advance(121)  # its third: the managers
    desk.standin.wait_for(lambda c: c.method == "chat.postMessage"
                          and c.params.get("channel") == MANAGER,
                          description="the managers' alert")
    desk.settle()
    assert set(desk.paged_or_pinged()) == {FARAH}
    assert page is not None


def test_an_unknown_category_is_refused_with_the_list_and_files_nothing(desk):
    reply = file(desk, "cat:bogus lang:ar بث مباشر لشخص يهدد بالانتحار الآن")
    text = reply["text"]
    assert "cat:bogus" in text and "is not one of this team's categories" in text, text
    for name in ("cat:child-safety", "cat:le-emergency", "cat:other"):
        assert name in text, text
    assert "/emergency cat:child-safety" in text  # a correct example
    desk.settle()
    assert desk.requests() == [] and desk.paged_users() == []


# -- capacity -----------------------------------------------------------------------------


@pytest.mark.parametrize("burst", [20])
def test_a_burst_of_arabic_requests_is_spread_by_capacity(desk_any_db, burst):
    h = desk_any_db
    for n in range(1, 13):
        file(h, f"sev2 lang:ar طلب رقم {n}: شخص يهدد بإيذاء نفسه")
    h.settle()
    first = Counter(h.paged_users())
    # Four readers, three requests each at most while anyone is free: Basma (Arabic
    # second) only once the three stronger readers are full.
    assert first == {AMAL: CAPACITY, CHADI: CAPACITY, DINA: CAPACITY, BASMA: CAPACITY}
    assert "busy" not in blocks_text(h.card("T-12"))

    for n in range(13, burst + 1):
        file(h, f"sev2 lang:ar طلب رقم {n}: شخص يهدد بإيذاء نفسه")
    h.settle()
    counts = Counter(h.paged_users())
    assert sum(counts.values()) == burst and set(counts) == set(ARABIC_READERS)
    assert max(counts.values()) - min(counts.values()) <= 1  # the least loaded each time
    assert counts == {AMAL: 5, CHADI: 5, DINA: 5, BASMA: 5}

    # T-13 found everyone at capacity: its timeline and card say so, in words.
    said = (f"Every Arabic reader on call is busy ({CAPACITY} open each); paged the least "
            f"loaded: <@{AMAL}>")
    assert any(ln.endswith("bot: " + said) for ln in thread_lines(h, "T-13"))
    assert said in blocks_text(h.card("T-13"))


def test_requests_filed_at_once_still_respect_capacity(desk_any_db):
    """Twelve Arabic requests posted at the same moment, from twelve threads: however
    their routing interleaves (inline, or on the router thread; on PostgreSQL in
    concurrent transactions), nobody gets a fourth while another reader has fewer
    than three."""
    h = desk_any_db
    answers: list = []
    texts = [f"sev2 lang:ar طلب متزامن رقم {n}: شخص يهدد بإيذاء نفسه" for n in range(12)]
    posts = [threading.Thread(target=lambda t=t: answers.append(
        h.command("/emergency", t, user=REQUESTER))) for t in texts]
    for t in posts:
        t.start()
    for t in posts:
        t.join()
    assert [a.status for a in answers] == [200] * 12
    h.settle()
    assert Counter(h.paged_users()) == {u: CAPACITY for u in ARABIC_READERS}


def test_requests_routed_together_respect_capacity(tmp_path, db_url):
    """Twelve Arabic requests left to the router (the process was busy) and routed in
    one transaction: each decision counts the pages the ones before it wrote as open
    load, so Basma (Arabic second) is paged only once the three stronger readers are
    full, as when they are filed one at a time."""
    h = ToolHarness(tmp_path, START, database_url=db_url, inline_limit=0,
                    schedules=FIXTURE_TEAMS / "category-desk.yaml")
    try:
        with_categories(h)
        h.runtime.router.stop()  # hold routing while they pile up
        for n in range(12):
            file(h, f"sev2 lang:ar طلب رقم {n}: شخص يهدد بإيذاء نفسه")
        routed = h.runtime.intake.route_batch(12)
        assert len(routed) == 12
        paged = Counter(u for f in routed for u in f.request.paged)
        assert paged == {u: CAPACITY for u in ARABIC_READERS}
    finally:
        h.quiet_close()


def test_an_acknowledged_request_counts_until_it_is_resolved(desk):
    for n in range(1, 10):
        file(desk, f"sev2 lang:ar طلب رقم {n}: شخص يهدد بإيذاء نفسه")
    desk.settle()
    assert Counter(desk.paged_users()) == {AMAL: 3, CHADI: 3, DINA: 3}
    # Amal acknowledges T-1 and keeps it: still three open (two pages, one of hers).
    [req] = [r for r in desk.requests() if r.ticket == "T-1"]
    assert req.paged == (AMAL,)
    [amal_t1] = [c for c in desk.page_posts(AMAL) if "· T-1 ·" in c.params["text"]]
    desk.click(ids.ACK, page_id_of(amal_t1.params), AMAL)
    desk.wait_updated(amal_t1.response["ts"], "You acknowledged this")
    desk.settle()
    file(desk, "sev2 lang:ar طلب رقم 10: شخص يهدد بإيذاء نفسه")
    desk.settle()
    assert desk.paged_users()[-1] == BASMA  # not Amal: hers is not resolved yet

    # Resolved, it no longer counts: Amal (Arabic first) is free again and first.
    desk.click(ids.RESOLVE, str(req.id), AMAL)
    [opened] = desk.wait_view_opened(ids.RESOLVE_MODAL)
    r = desk.submit_view(ids.RESOLVE_MODAL, resolve_values("Stream taken down"), AMAL,
                         str(req.id), opened.response["view"]["id"])
    assert r.status == 200, r.text
    assert desk.requests()[0].status == "resolved"
    file(desk, "sev2 lang:ar طلب رقم 11: شخص يهدد بإيذاء نفسه")
    desk.settle()
    assert desk.paged_users()[-1] == AMAL


# -- /oncall who --------------------------------------------------------------------------


def test_oncall_who_answers_what_routing_would_do(desk):
    doc = oncall(desk, "who ar cat:child-safety")
    text = doc["text"]
    assert "On call for Arabic · Child safety" in text
    assert f"1. <@{BASMA}>" in text and f"<@{AMAL}>" not in text

    everyone = oncall(desk, "who ar")
    lines = [ln for ln in everyone["text"].splitlines() if ln[:1].isdigit()]
    assert [ln.split()[1] for ln in lines] == [f"<@{u}>" for u in (AMAL, CHADI, DINA, BASMA)]

    # Without a language: a line per language, only people trained for it.
    per_language = oncall(desk, "who cat:child-safety")["text"].splitlines()
    assert per_language[0] == "*On call for Child safety*"
    assert f"• *Arabic* (ar): <@{BASMA}>" in per_language
    assert f"• *English* (en): <@{BASMA}>" in per_language  # English first for her
    assert f"• *French* (fr): <@{BASMA}> (needs translation)" in per_language

    trained = oncall(desk, "who ar cat:le-emergency")["text"]
    assert "off-shift backups" in trained and f"1. <@{FARAH}>" in trained

    # After three requests each for the stronger readers, `who` says they are busy and
    # Basma is first, as routing would page her.
    for n in range(1, 10):
        file(desk, f"sev2 lang:ar طلب رقم {n}: شخص يهدد بإيذاء نفسه")
    desk.settle()
    busy = oncall(desk, "who ar")["text"]
    lines = [ln for ln in busy.splitlines() if ln[:1].isdigit()]
    assert lines[0].startswith(f"1. <@{BASMA}>") and "0 open" in lines[0]
    assert all("*busy* (at the limit of 3)" in ln and "3 open" in ln for ln in lines[1:])

    refused = oncall(desk, "who ar cat:bogus")["text"]
    assert "cat:bogus" in refused and "cat:child-safety" in refused
    assert "/oncall who ar cat:child-safety" in refused


# -- people's picks keep the category's skills too ---------------------------------------


def test_hand_over_and_page_someone_offer_only_trained_people(desk):
    """Routing never pages an untrained specialist for a skilled category; neither do
    the pickers, and a pick of an untrained person (a stale form) is refused."""
    file(desk, "cat:child-safety lang:ar بث مباشر يعرض طفلا للخطر الآن")
    [page] = desk.wait_for_page(BASMA)
    desk.click(ids.ACK, page_id_of(page), BASMA)
    desk.wait_posted(REQUESTER, "acknowledged")

    desk.click(ids.HANDOVER, "1", BASMA)
    [opened] = desk.wait_view_opened(ids.HANDOVER_MODAL)
    view = opened.response["view"]
    offered = {o["value"] for b in view["blocks"]
               if b.get("block_id") == ids.HANDOVER_TARGET_BLOCK
               for g in b["element"].get("option_groups", [b["element"]])
               for o in g["options"]}
    # Amal, Chadi and Dina read Arabic on call but are not trained for child safety.
    assert not offered & {AMAL, CHADI, DINA, EMIL}, offered

    r = desk.submit_view(ids.HANDOVER_MODAL, handover_values(AMAL), BASMA, "1", view["id"])
    assert r.status == 200
    assert "not trained for Child safety" in r.text, r.text
    desk.settle()
    [req] = desk.requests()
    assert (req.status, req.assignee) == ("acknowledged", BASMA)  # nothing changed
    assert desk.paged_users() == [BASMA]
