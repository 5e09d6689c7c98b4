"""End to end, issue 13: graphic content. Signed requests to /slack/events of the running
app, the Web API answered by the local Slack stand-in, a manual clock.

A sensitive request's text and link reach Slack only inside the details modal that
someone handling it chose to open: every recorded call (every method, its `text` and
its blocks, forms included) and every answer posted to a `response_url` is searched
for a marker word of the text and for the link. The search is shown to find the marker
where it is (the details modal, a non-sensitive card), so it cannot pass by looking
nowhere.

Team: tests/fixtures/teams/category-desk.yaml, with a sensitive category (child safety,
only Basma trained). At 2026-07-01 12:00 UTC Basma is the first English reader on call
(Emil and the Arabic readers who read English come next); Ghada (a French backup, off
shift) is never paged for an English request; the manager is U0MGR0001.
"""

from __future__ import annotations

import dataclasses
import json

import pytest
from sqlalchemy import select

from bot.core.model import Category
from bot.slack import ids
from bot.store import teams as team_store
from bot.store.paging_tables import AuditRow
from bot.store.wellbeing_tables import ExposureRow
from tests.slack_harness import (
    ESCALATION,
    FIXTURE_TEAMS,
    INTAKE,
    ToolHarness,
    blocks_text,
    emergency_values,
    page_id_of,
    resolve_values,
    utc,
)

BASMA, GHADA = "U0CD00002", "U0CD00007"
READER = BASMA  # English first and listed first: paged first for English
MANAGER = "U0MGR0001"
REQUESTER = "U0REQ0001"
START = utc(2026, 7, 1, 12, 0)
MARKER = "Quetzalmarker"  # a word of the request text found nowhere else
LINK = "https://evidence.example/clip/XQ42ZT"
LINK_WORD = "XQ42ZT"
NOTE_MARKER = "Pangolinnote"  # a word of the resolve note
TEXT = f"A livestream shows {MARKER} harming someone right now, see {LINK}"
TYPED = TEXT.replace(LINK, f"<{LINK}>")  # as Slack sends a link typed after /emergency
CHILD_SAFETY = Category("child-safety", "Child safety", severity="sev1",
                        skills=("child_safety",), sensitive=True)


def with_categories(h: ToolHarness) -> None:
    with h.runtime.sessions() as session, session.begin():
        team = team_store.load_team(session, "category-desk")
        people = tuple(dataclasses.replace(
            s, skills=("child_safety",) if s.id == BASMA else ()) for s in team.specialists)
        team_store.save_team(session, dataclasses.replace(
            team, specialists=people, categories=(CHILD_SAFETY,), default_category="other"))


def make(tmp_path, database_url=None) -> ToolHarness:
    h = ToolHarness(tmp_path, START, database_url=database_url,
                    schedules=FIXTURE_TEAMS / "category-desk.yaml")
    with_categories(h)
    h.capture_responses()
    return h


@pytest.fixture
def desk(tmp_path):
    h = make(tmp_path)
    yield h
    h.quiet_close()


@pytest.fixture
def desk_any_db(tmp_path, db_url):
    h = make(tmp_path, db_url)
    yield h
    h.quiet_close()


# -- looking for the text --------------------------------------------------------------


def _is_details(call) -> bool:
    return (call.method == "views.open"
            and (call.params.get("view") or {}).get("callback_id") == ids.DETAILS_MODAL)


def everything(h: ToolHarness, since: int = 0) -> list[tuple[str, str]]:
    """(where, what) of every call the stand-in recorded from `since` on (all methods,
    all parameters: text, blocks, views) and every response_url answer captured."""
    out = [(f"{i}:{c.method}:{c.params.get('channel') or ''}",
            json.dumps(c.params, ensure_ascii=False))
           for i, c in enumerate(h.standin.calls) if i >= since]
    out += [(f"response_url:{i}", json.dumps(doc, ensure_ascii=False))
            for i, doc in enumerate(h._responses)]
    return out


def leaks(h: ToolHarness, words: tuple[str, ...] = (MARKER, LINK_WORD), since: int = 0
          ) -> list[str]:
    """Where any of `words` reached Slack outside the details modal."""
    details = {f"{i}:{c.method}:{c.params.get('channel') or ''}"
               for i, c in enumerate(h.standin.calls) if _is_details(c)}
    return [where for where, what in everything(h, since)
            if where not in details and any(w.lower() in what.lower() for w in words)]


def details_views(h: ToolHarness) -> list[dict]:
    return [c.params["view"] for c in h.standin.calls if _is_details(c) and c.ok]


def audit(h: ToolHarness, request_id: int = 1) -> list[tuple[str, str]]:
    with h.runtime.sessions() as session:
        return [(a.actor, a.action) for a in session.scalars(
            select(AuditRow).where(AuditRow.request_id == request_id).order_by(AuditRow.id))]


def exposure(h: ToolHarness) -> list[tuple[str, int, int, str]]:
    with h.runtime.sessions() as session:
        return [(e.user, e.request_id, e.weight, e.kind)
                for e in session.scalars(select(ExposureRow).order_by(ExposureRow.id))]


def thread_text(h: ToolHarness, ticket: str = "T-1") -> str:
    h.settle()
    return "\n".join(m["text"] for m in h.thread(h.card(ticket)["ts"]))


def click(h: ToolHarness, action: str, value: str, user: str, channel: str | None = None
          ) -> None:
    r = h.click(action, value, user, channel=channel)
    assert r.status == 200, r.text


def buttons(message: dict) -> list[str]:
    return [e.get("action_id") for b in message.get("blocks") or []
            for e in b.get("elements") or [] if e.get("type") == "button"]


def file_graphic(h: ToolHarness, text: str = TYPED) -> dict:
    r = h.command("/emergency", f"graphic sev1 lang:en {text}", channel=INTAKE)
    assert r.status == 200, r.text
    h.wait_for_page(READER)
    h.settle()
    return r.json()


# -- the whole life of a graphic request -------------------------------------------------


def test_a_graphic_request_shows_its_text_only_in_the_details_modal(desk_any_db):
    h = desk_any_db
    reply = file_graphic(h)
    assert "T-1" in reply["text"] and MARKER not in json.dumps(reply)
    assert "Marked as graphic content: the channel sees no text or link." in reply["text"]
    [req] = h.requests()
    assert req.sensitive and req.link == LINK and MARKER in req.text  # kept in the database

    # Nobody answers: paged again, the manager is alerted, then the escalation channel.
    h.advance(120)
    h.advance(120)
    h.wait_posted(MANAGER)
    h.advance(180)
    h.wait_posted(ESCALATION)
    h.settle()

    # The card, the page and the alerts say what it is and who has it, not what it says.
    card = h.card("T-1")
    assert "Graphic content" in blocks_text(card)
    assert ids.MARK_SENSITIVE not in buttons(card)  # marked already
    assert ids.UNMARK_SENSITIVE in buttons(card)  # by the requester: a manager may unmark
    page = h.pages_to(READER)[-1]
    assert ("Graphic content: this request was marked sensitive. Its text opens only when "
            "you choose.") in blocks_text(page)
    assert ids.SHOW_DETAILS in buttons(page)

    # Emil acknowledges, opens the details: the modal has the text and the link.
    click(h, ids.ACK, page_id_of(page), READER)
    h.wait_updated(h.page_posts(READER)[0].response["ts"], "You acknowledged this")
    click(h, ids.SHOW_DETAILS, "1", READER)
    h.wait_view_opened(ids.DETAILS_MODAL)
    [modal] = details_views(h)
    assert MARKER in json.dumps(modal) and LINK in json.dumps(modal)
    assert leaks(h) == []  # ...and the search does look: it finds the modal if allowed
    assert [w for w, what in everything(h) if MARKER in what] != []

    # Audited, on the timeline (no text there), and counted toward Emil's exposure once:
    # when he acknowledged it (opening the details after counts nothing more).
    h.settle()
    assert (READER, "details_viewed") in audit(h)
    lines = thread_text(h)
    assert f"Details viewed by <@{READER}>" in lines, lines
    assert exposure(h) == [(READER, 1, 1, "acknowledged")]

    # The resolve form shows no text; the note stays off the thread and the requester's DM.
    click(h, ids.RESOLVE, "1", READER)
    h.wait_view_opened(ids.RESOLVE_MODAL)
    r = h.submit_view(ids.RESOLVE_MODAL, resolve_values(f"Reported; {NOTE_MARKER} removed"),
                      READER, private_metadata="1")
    assert r.status == 200, r.text
    h.wait_posted(REQUESTER, "was resolved")
    h.settle()
    assert h.requests()[0].outcome == f"Reported; {NOTE_MARKER} removed"  # kept
    assert "the note is kept with the request" in thread_text(h)
    assert leaks(h, (MARKER, LINK_WORD, NOTE_MARKER)) == []

    # Opened again after resolving: the note is there too; a second view is audited,
    # counted once.
    click(h, ids.SHOW_DETAILS, "1", READER)
    h.wait_view_opened(ids.DETAILS_MODAL, count=2)
    assert NOTE_MARKER in json.dumps(details_views(h)[-1])
    h.settle()
    assert audit(h).count((READER, "details_viewed")) == 2
    assert exposure(h) == [(READER, 1, 1, "acknowledged")]

    # Every message went out without link previews.
    posts = h.standin.calls_to("chat.postMessage")
    assert posts and all(c.params.get("unfurl_links") is False
                         and c.params.get("unfurl_media") is False for c in posts), [
        (c.params.get("channel"), c.params.get("unfurl_links"), c.params.get("unfurl_media"))
        for c in posts]
    assert all(doc.get("unfurl_links") is False for doc in h._responses), h._responses


def test_someone_not_handling_it_is_refused_the_details(desk):
    file_graphic(desk)
    before = len(desk.standin.calls)
    click(desk, ids.SHOW_DETAILS, "1", GHADA)
    answer = desk.wait_response("open only for the people paged for it")
    assert answer["response_type"] == "ephemeral"
    desk.settle()
    assert details_views(desk) == []
    assert (GHADA, "details_viewed") not in audit(desk)
    assert exposure(desk) == []
    assert leaks(desk, since=before) == []

    # The manager may, though never paged: viewing counts toward her exposure.
    click(desk, ids.SHOW_DETAILS, "1", MANAGER)
    desk.wait_view_opened(ids.DETAILS_MODAL)
    desk.settle()
    assert (MANAGER, "details_viewed") in audit(desk)
    assert exposure(desk) == [(MANAGER, 1, 1, "viewed")]


def test_a_button_value_that_names_nothing_is_answered_not_crashed(desk):
    file_graphic(desk)
    click(desk, ids.SHOW_DETAILS, "999", READER)
    desk.wait_response("does not exist")
    click(desk, ids.MARK_SENSITIVE, "nonsense", READER)
    desk.wait_response("not one this app sent")
    assert details_views(desk) == []


# -- the form's checkbox, a sensitive category -------------------------------------------


def test_the_form_checkbox_files_it_sensitive_and_unticked_shows_the_text(desk):
    values = emergency_values(TEXT, language="en", severity="sev1", link=LINK)
    values[ids.GRAPHIC_BLOCK] = {ids.GRAPHIC_ACTION: {
        "type": "checkboxes", "selected_options": [
            {"text": {"type": "plain_text", "text": "Graphic content"}, "value": ids.GRAPHIC}]}}
    r = desk.submit_view(ids.EMERGENCY_MODAL, values, REQUESTER,
                         private_metadata=json.dumps({"channel": INTAKE}), view_id="V0FORM1")
    assert r.status == 200, r.text
    desk.wait_for_page(READER)
    desk.wait_posted(REQUESTER, "is filed")
    desk.settle()
    [req] = desk.requests()
    assert req.sensitive
    assert leaks(desk) == []

    # The same form unticked: the text shows on the card, as it always did (and the
    # search finds it there).
    values.pop(ids.GRAPHIC_BLOCK)
    desk.submit_view(ids.EMERGENCY_MODAL, values, REQUESTER,
                     private_metadata=json.dumps({"channel": INTAKE}), view_id="V0FORM2")
    desk.wait_posted(INTAKE, " T-2 ")
    desk.settle()
    assert not desk.requests()[1].sensitive
    card = desk.card("T-2")
    assert MARKER in blocks_text(card) and LINK in blocks_text(card)
    assert ids.MARK_SENSITIVE in buttons(card)
    assert MARKER not in blocks_text(desk.card("T-1"))


def test_a_sensitive_category_is_redacted_and_cannot_be_unmarked(desk):
    r = desk.command("/emergency", f"cat:child-safety lang:en {TYPED}", channel=INTAKE)
    assert r.status == 200, r.text
    desk.wait_for_page(BASMA)
    desk.settle()
    assert desk.requests()[0].sensitive
    assert leaks(desk) == []
    card = desk.card("T-1")
    assert ids.UNMARK_SENSITIVE not in buttons(card)  # its category makes it so
    click(desk, ids.UNMARK_SENSITIVE, "1", MANAGER, channel=INTAKE)
    desk.wait_response("every request of that kind is graphic content")
    assert desk.requests()[0].sensitive
    assert (MANAGER, "unmarked_sensitive") not in audit(desk)


# -- marking after filing -------------------------------------------------------------------


def test_marking_takes_the_text_off_the_card_and_page_and_only_a_manager_unmarks(desk):
    r = desk.command("/emergency", f"sev1 lang:en {TYPED}", channel=INTAKE)
    assert r.status == 200, r.text
    [page] = desk.wait_for_page(READER)
    desk.settle()
    assert MARKER in blocks_text(desk.card("T-1"))  # not sensitive: shown as today
    assert MARKER in blocks_text(page) and ids.MARK_SENSITIVE in buttons(page)

    # Anyone in the desk channel may mark it.
    before = len(desk.standin.calls)
    click(desk, ids.MARK_SENSITIVE, "1", REQUESTER, channel=INTAKE)
    card_ts = desk.card("T-1")["ts"]
    desk.wait_updated(card_ts, "Graphic content")
    desk.wait_updated(desk.page_posts(READER)[0].response["ts"], "Show details")
    desk.wait_response("is marked as graphic content")
    desk.settle()
    assert desk.requests()[0].sensitive
    assert MARKER not in blocks_text(desk.card("T-1"))
    assert MARKER not in blocks_text(desk.pages_to(READER)[-1])
    assert leaks(desk, since=before) == []
    assert (REQUESTER, "marked_sensitive") in audit(desk)
    assert f"Marked sensitive by <@{REQUESTER}>" in thread_text(desk)
    assert ids.UNMARK_SENSITIVE in buttons(desk.card("T-1"))

    # Marking again changes nothing.
    click(desk, ids.MARK_SENSITIVE, "1", READER, channel=INTAKE)
    desk.wait_response("already marked")
    assert audit(desk).count((REQUESTER, "marked_sensitive")) == 1
    assert (READER, "marked_sensitive") not in audit(desk)

    # Emil (not a manager) cannot unmark it: refused, nothing changes.
    updates = len(desk.standin.calls_to("chat.update"))
    click(desk, ids.UNMARK_SENSITIVE, "1", READER, channel=INTAKE)
    desk.wait_response("only a manager of team category-desk can unmark T-1")
    desk.settle()
    assert desk.requests()[0].sensitive
    assert (READER, "unmarked_sensitive") not in audit(desk)
    assert len(desk.standin.calls_to("chat.update")) == updates

    # The manager can: the text is back on the card.
    click(desk, ids.UNMARK_SENSITIVE, "1", MANAGER, channel=INTAKE)
    desk.wait_updated(card_ts, MARKER)
    desk.settle()
    assert not desk.requests()[0].sensitive
    assert (MANAGER, "unmarked_sensitive") in audit(desk)


# -- two-person verification ----------------------------------------------------------------


def test_the_second_person_asked_to_verify_may_open_the_details(tmp_path):
    """A graphic law-enforcement request needing two people: the DM asking Emil to verify
    shows no text either, and Emil, asked though never paged, may open the details."""
    h = make(tmp_path)
    try:
        graphic_le = Category("le-graphic", "Law-enforcement emergency request",
                              severity="sev1", skills=("le_requests",), sensitive=True,
                              verification="two_person")
        emil = "U0CD00005"
        with h.runtime.sessions() as session, session.begin():
            team = team_store.load_team(session, "category-desk")
            people = tuple(dataclasses.replace(
                s, skills=("le_requests",) if s.id in (BASMA, emil) else ())
                for s in team.specialists)
            team_store.save_team(session, dataclasses.replace(
                team, specialists=people, categories=(graphic_le,)))
        r = h.command("/emergency", f"cat:le-graphic lang:en {TYPED}", channel=INTAKE)
        assert r.status == 200, r.text
        [page] = h.wait_for_page(BASMA)
        click(h, ids.ACK, page_id_of(page), BASMA)
        h.wait_updated(h.page_posts(BASMA)[0].response["ts"], "Ask for verification")
        click(h, ids.ASK_VERIFY, "1", BASMA)
        [ask] = h.wait_posted(emil, "asks you to verify")
        assert ids.SHOW_DETAILS in buttons(ask.params)
        click(h, ids.SHOW_DETAILS, "1", emil)
        h.wait_view_opened(ids.DETAILS_MODAL)
        h.settle()
        assert MARKER in json.dumps(details_views(h))
        assert (emil, "details_viewed") in audit(h)
        assert leaks(h) == []
    finally:
        h.quiet_close()


def test_show_details_of_a_purged_request_says_the_text_was_removed(desk):
    file_graphic(desk)
    from bot.store.paging_tables import RequestRow

    with desk.runtime.sessions() as session, session.begin():  # what retention leaves
        row = session.get(RequestRow, 1)
        row.text, row.link, row.purged_utc = "", None, START
    click(desk, ids.SHOW_DETAILS, "1", READER)
    desk.wait_view_opened(ids.DETAILS_MODAL)
    desk.settle()
    [modal] = details_views(desk)
    assert "removed after the team's retention period" in json.dumps(modal)
    assert (READER, "details_viewed") not in audit(desk)  # nothing was shown
    assert exposure(desk) == []


def test_the_home_tab_shows_no_graphic_text(desk):
    """The reader's Home tab lists the page waiting for them, without its text."""
    file_graphic(desk)
    r = desk.event({"type": "app_home_opened", "user": READER, "channel": f"D{READER}",
                    "tab": "home"}, "EvHomeSensitive1")
    assert r.status == 200, r.text
    desk.standin.wait_for_calls("views.publish", count=1)
    home = json.dumps(desk.standin.home_view(READER), ensure_ascii=False)
    assert "T-1" in home and "graphic content, text hidden" in home
    assert MARKER not in home and LINK_WORD not in home
    assert leaks(desk) == []
