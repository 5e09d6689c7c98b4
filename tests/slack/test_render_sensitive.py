"""Graphic content as people read it (issue 13): a sensitive or purged request's text,
link, field values and resolve note appear in no message and no form but the details
modal; the page shows a content warning and "Show details"; the card and page offer
"Mark sensitive", the card "Unmark sensitive" for a request a person marked. A request
that is not sensitive renders as it always did."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from bot.core.roster import Roster
from bot.schedules.reader import load_schedules
from bot.slack import ids, render, team_choice
from bot.slack.render import content, pages, verify
from tests.slack.test_render import FILED, check_message, check_view, make_page, make_request

MARKER = "Quetzalmarker"
LINK = "https://evidence.example/clip/XQ42ZT"
NOTE = "Pangolinnote"
FIELDS = (("agency", "Ocelotagency police"), ("callback_number", "+44 20 7946 0958"))
WORDS = (MARKER, "XQ42ZT", NOTE, "Ocelotagency", "7946")
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "teams"


def _request(**changes):
    base = dict(text=f"A livestream shows {MARKER} now", link=LINK, fields=FIELDS,
                category="le-emergency", category_label="Law-enforcement emergency request")
    return make_request(**{**base, **changes})


def _all(obj) -> str:
    return json.dumps(obj, ensure_ascii=False)


def _renderings(req):
    """Every message and form a request is shown in, but the details modal."""
    resolved = {**req.__dict__, "status": "resolved", "assignee": "U0ME00001",
                "outcome": f"Reported; {NOTE}", "resolved": FILED + timedelta(hours=1)}
    done = type(req)(**resolved)
    out = {
        "page": render.page_message(make_page(**req.__dict__)),
        "page resolved": render.page_message(make_page("acknowledged", **resolved)),
        "card": render.ticket_card(req, FILED),
        "card resolved": render.ticket_card(done, FILED),
        "manager alert": render.manager_alert(req, FILED),
        "channel alert": render.channel_alert(req, "S0MGRS", FILED),
        "confirmation": render.ephemeral_confirmation(req, "C0INTAKE01"),
        "verify ask": verify.verify_ask(type(req)(**{**req.__dict__, "two_person": True}),
                                        "U0ME00001"),
        "ping": pages.ping(make_page(**req.__dict__)),
        "resolve form": render.resolve_modal(req),
        "hand-over form": render.handover_modal(req, [("U0X", "X")]),
        "page-someone form": render.page_someone_modal(req, []),
        "full text": render.full_text_modal(req),
    }
    for kind in render.NOTE_KINDS:
        out[f"requester note {kind}"] = render.requester_note(done if kind == "resolved"
                                                              else req, kind, "C0INTAKE01")
    return out


@pytest.mark.parametrize("marked", [{"sensitive": True},
                                    {"sensitive": True, "sensitive_category": True},
                                    {"purged": FILED + timedelta(days=30)}])
def test_a_redacted_request_shows_nothing_of_its_content_anywhere(marked):
    req = _request(**marked)
    assert req.redacted
    for name, shown in _renderings(req).items():
        found = [w for w in WORDS if w in _all(shown)]
        assert not found, f"{name} shows {found}"
    # What it still says: ticket, category, language, severity, people.
    card = _all(render.ticket_card(req, FILED))
    assert "T-42" in card and "Law-enforcement emergency request" in card
    assert "Arabic" in card and "SEV1" in card and "<@U0REQ0001>" in card


def test_the_search_finds_the_content_of_a_request_that_is_not_sensitive():
    req = _request()
    assert not req.redacted
    shown = _renderings(req)
    for name in ("page", "card", "manager alert", "channel alert", "resolve form",
                 "full text", "requester note filed"):
        assert MARKER in _all(shown[name]), name
    assert "XQ42ZT" in _all(shown["card"]) and "Ocelotagency" in _all(shown["card"])
    assert NOTE in _all(shown["card resolved"]) and NOTE in _all(
        shown["requester note resolved"])


def test_the_details_modal_has_all_of_it():
    req = _request(sensitive=True, outcome=f"Reported; {NOTE}", status="resolved")
    view = check_view(content.details_modal(req))
    assert view["callback_id"] == ids.DETAILS_MODAL
    for word in WORDS:
        assert word in _all(view), word
    purged = check_view(content.details_modal(_request(sensitive=True, text="",
                                                       link=None, fields=(),
                                                       purged=FILED)))
    assert "removed after the team's retention period" in _all(purged)


def test_huge_text_in_the_details_modal_stays_in_block_kit_limits():
    check_view(content.details_modal(_request(sensitive=True, text="<&>" * 20000)))


def _buttons(blocks) -> list[str]:
    return [e["action_id"] for b in blocks if b["type"] == "actions"
            for e in b["elements"] if e["type"] == "button"]


def test_the_page_of_a_sensitive_request_warns_and_offers_show_details():
    text, blocks = check_message(render.page_message(make_page(**_request(
        sensitive=True).__dict__)))
    assert "graphic content, text hidden" in text and MARKER not in text
    assert ("Graphic content: this request was marked sensitive. Its text opens only "
            "when you choose.") in _all(blocks)
    assert _buttons(blocks) == [ids.SHOW_DETAILS, ids.ACK, ids.DECLINE]


def test_mark_and_unmark_where_they_belong():
    plain = _request()
    assert ids.MARK_SENSITIVE in _buttons(check_message(render.ticket_card(plain))[1])
    page = check_message(render.page_message(make_page(**plain.__dict__)))[1]
    assert _buttons(page) == [ids.ACK, ids.DECLINE, ids.MARK_SENSITIVE]
    marked = _request(sensitive=True)
    card = check_message(render.ticket_card(marked))[1]
    assert ids.UNMARK_SENSITIVE in _buttons(card) and ids.MARK_SENSITIVE not in _buttons(card)
    by_category = _request(sensitive=True, sensitive_category=True)
    card = _buttons(check_message(render.ticket_card(by_category))[1])
    assert ids.UNMARK_SENSITIVE not in card and ids.MARK_SENSITIVE not in card
    purged = _request(purged=FILED)
    page = _buttons(check_message(render.page_message(make_page(**purged.__dict__)))[1])
    assert ids.SHOW_DETAILS not in page and ids.MARK_SENSITIVE not in page


def test_the_resolve_form_says_where_a_sensitive_note_goes():
    assert "not in the channel" in _all(render.resolve_modal(_request(sensitive=True)))
    assert "The requester and the intake channel see this note" in _all(
        render.resolve_modal(_request()))


# -- the /emergency form ------------------------------------------------------------------


def _graphic(view) -> dict:
    [block] = [b for b in view["blocks"] if b.get("block_id") == ids.GRAPHIC_BLOCK]
    return block


def test_the_form_has_the_graphic_checkbox_and_reads_it_back():
    view = check_view(render.emergency_modal(["en"], "sev2"))
    block = _graphic(view)
    assert block["optional"] is True and "initial_options" not in block["element"]
    assert "graphic" in block["hint"]["text"]  # says the /emergency token too
    option = block["element"]["options"][0]
    assert option["text"]["text"] == "Graphic content (hide the text from the channel)"
    ticked = {ids.GRAPHIC_BLOCK: {ids.GRAPHIC_ACTION: {"type": "checkboxes",
                                                       "selected_options": [option]}}}
    from bot.slack import intake_form

    assert intake_form.read(ticked).sensitive is True
    assert intake_form.read({}).sensitive is False
    odd = {ids.GRAPHIC_BLOCK: {ids.GRAPHIC_ACTION: {"selected_options": "yes"}}}
    assert intake_form.read(odd).sensitive is False


def test_the_team_choice_form_keeps_graphic_ticked():
    teams = load_schedules(FIXTURES / "category-desk.yaml")
    rosters = [Roster(t) for t in teams]
    view = check_view(team_choice.team_form(rosters, "C0ELSEWHERE",
                                            f"graphic sev1 A livestream shows {MARKER}"))
    assert _graphic(view)["element"]["initial_options"][0]["value"] == ids.GRAPHIC
    text = [b for b in view["blocks"] if b.get("block_id") == ids.TEXT_BLOCK][0]
    assert text["element"]["initial_value"] == f"A livestream shows {MARKER}"
    plain = check_view(team_choice.team_form(rosters, "C0ELSEWHERE", "sev1 a fire"))
    assert "initial_options" not in _graphic(plain)["element"]
