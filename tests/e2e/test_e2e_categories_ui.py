"""End to end, issue 11's intake UI: the /emergency form's category select (Slack sends
block_actions for it, the app answers with views.update), the category's fields checked
and shown, the message shortcut asking through the same form, and the response target
counted down on the card and page, flagged once when it passes (a durable deadline).

Team: schedules/example with two categories added. At 2026-07-01 12:00 UTC Omar
(U0EU00009) is the one on-call reader of Arabic.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.core.model import Category
from bot.slack import ids
from bot.store.paging_tables import DeadlineRow, OutboxRow
from bot.store.teams import save_team
from tests.slack_harness import (
    ToolHarness,
    blocks_text,
    emergency_values,
    page_id_of,
    utc,
)

OMAR = "U0EU00009"
REQUESTER = "U0REQ0001"
START = utc(2026, 7, 1, 12, 0)
ARABIC = "ضابط شرطة يطلب بيانات حساب لشخص مفقود في خطر الآن"
LE = Category("le-emergency", "Law-enforcement emergency request", severity="sev1",
              due=timedelta(minutes=30),
              fields=("agency", "officer", "callback_number", "case_reference"))
CHILD = Category("child-safety", "Child safety", severity="sev1")
FIELDS = {"agency": "Metropolitan Police Service", "officer": "DC Jane Smith, 123456",
          "callback_number": "+44 20 7946 0958", "case_reference": "CAD 4521"}


@pytest.fixture
def desk(tmp_path):
    h = ToolHarness(tmp_path, START)
    team = h.runtime.rosters.all()[0].team
    with h.runtime.sessions() as session, session.begin():
        save_team(session, dataclasses.replace(team, categories=(LE, CHILD)))
    yield h
    h.quiet_close()


def _blocks(view: dict) -> dict[str, dict]:
    return {b.get("block_id"): b for b in view["blocks"]}


def _open_form(h) -> dict:
    assert h.command("/emergency", "").status == 200
    [opened] = h.wait_view_opened(ids.EMERGENCY_MODAL)
    return opened.response["view"]


def _pick(h, view: dict, category: str, values: dict, count: int = 1) -> dict:
    """Pick a category in the open form; the views.update it brings, as recorded."""
    r = h.view_select(view, ids.CATEGORY_BLOCK, ids.CATEGORY_ACTION, category, REQUESTER,
                      values)
    assert r.status == 200 and r.body == b"", r.text
    calls = h.standin.wait_for(lambda c: c.method == "views.update", count=count,
                               description="views.update of the form")
    assert calls[-1].ok, calls[-1].response
    return calls[-1]


def test_form_offers_the_categories_and_picking_one_shows_its_fields(desk):
    view = _open_form(desk)
    blocks = _blocks(view)
    select = blocks[ids.CATEGORY_BLOCK]
    assert select["dispatch_action"] is True
    labels = {o["value"]: o["text"]["text"] for o in select["element"]["options"]}
    assert labels == {"le-emergency": "Law-enforcement emergency request",
                      "child-safety": "Child safety", "other": "Other"}
    assert select["element"]["initial_option"]["value"] == "other"  # the team's default
    assert not any(k.startswith(ids.FIELD_BLOCK) for k in blocks)
    assert blocks[ids.SEVERITY_BLOCK]["element"]["initial_option"]["value"] == "sev2"

    typed = emergency_values("officer on the phone, missing person", severity="sev2")
    update = _pick(desk, view, "le-emergency", typed)
    assert (update.params["view_id"], update.params["hash"]) == (view["id"], view["hash"])
    new = update.params["view"]
    blocks = _blocks(new)
    fields = [k.split(":", 1)[1] for k in blocks if k.startswith(ids.FIELD_BLOCK + ":")]
    assert fields == ["agency", "officer", "callback_number", "case_reference"]
    shown = blocks_text(new)
    for label in ("Requesting agency", "Requesting officer", "Callback number",
                  "Case reference", "publicly listed number is checked separately"):
        assert label in shown, label
    assert "callback_number" not in json.dumps([b.get("label") for b in new["blocks"]])
    assert blocks[ids.TEXT_BLOCK]["element"]["initial_value"] == (
        "officer on the phone, missing person")  # what was typed is kept
    # The requester had not picked a severity: the category's is preselected, under a
    # new block id (Slack keeps what a block id shows across an update).
    [sev_block] = [k for k in blocks if k.startswith(ids.SEVERITY_BLOCK)]
    assert sev_block != ids.SEVERITY_BLOCK
    assert blocks[sev_block]["element"]["initial_option"]["value"] == "sev1"
    assert blocks[ids.CATEGORY_BLOCK]["element"]["initial_option"]["value"] == "le-emergency"
    assert desk.requests() == []

    # A severity the requester picked stays when they pick another category.
    current = desk.standin.view(view["id"])
    chosen = emergency_values("officer on the phone", severity="sev3",
                              severity_block=sev_block)
    again = _pick(desk, current, "child-safety", chosen, count=2).params["view"]
    blocks = _blocks(again)
    assert sev_block in blocks
    assert blocks[sev_block]["element"]["initial_option"]["value"] == "sev3"
    assert not any(k.startswith(ids.FIELD_BLOCK) for k in blocks)  # Child safety asks none


def test_submitting_files_with_the_fields_label_and_due_time(desk):
    view = _open_form(desk)
    update = _pick(desk, view, "le-emergency", emergency_values("", severity="sev2"))
    current = desk.standin.view(view["id"])
    [sev_block] = [k for k in _blocks(update.params["view"]) if k.startswith(ids.SEVERITY_BLOCK)]
    values = emergency_values(ARABIC, language="ar", category="le-emergency", fields=FIELDS,
                              severity="sev1", severity_block=sev_block)
    r = desk.submit_view(ids.EMERGENCY_MODAL, values, REQUESTER,
                         private_metadata=current["private_metadata"], view_id=current["id"])
    assert r.status == 200 and r.body == b"", r.text

    [page] = desk.wait_for_page(OMAR)
    shown = blocks_text(page)
    assert "Law-enforcement emergency request" in shown
    assert "Response due in 30 min" in shown and "your time" in shown
    assert shown.index("ضابط شرطة") < shown.index("Requesting agency")
    for value in FIELDS.values():
        assert value in shown, value
    [req] = desk.requests()
    assert (req.category, req.severity, req.via) == ("le-emergency", "sev1", "modal")
    assert dict(req.fields) == FIELDS
    assert req.due == START + timedelta(minutes=30)
    desk.wait_posted("C0INTAKE01", "T-1")
    card = blocks_text(desk.card("T-1"))
    assert "Law-enforcement emergency request" in card and "Response due in 30 min" in card
    assert "Metropolitan Police Service" in card


def test_a_bad_callback_number_is_refused_on_its_field_and_nothing_is_filed(desk):
    view = _open_form(desk)
    _pick(desk, view, "le-emergency", emergency_values("", severity="sev2"))
    current = desk.standin.view(view["id"])
    bad = {**FIELDS, "callback_number": "call the front desk"}
    r = desk.submit_view(ids.EMERGENCY_MODAL,
                         emergency_values(ARABIC, category="le-emergency", fields=bad),
                         REQUESTER, private_metadata=current["private_metadata"],
                         view_id=current["id"])
    answer = r.json()
    assert answer["response_action"] == "errors"
    assert list(answer["errors"]) == [f"{ids.FIELD_BLOCK}:callback_number"]
    assert "phone number" in answer["errors"][f"{ids.FIELD_BLOCK}:callback_number"]
    desk.settle()
    assert desk.requests() == [] and desk.count_rows(OutboxRow) == 0
    assert desk.posts() == []


def test_the_message_shortcut_opens_the_form_with_the_category_select(desk):
    text = "An officer phoned about a kidnapping, caller is waiting"
    ts = desk.post_as_someone("C0GENERAL1", text)
    assert desk.message_shortcut(REQUESTER, "C0GENERAL1", ts, text).status == 200
    [opened] = desk.wait_view_opened(ids.EMERGENCY_MODAL)
    view = opened.response["view"]
    assert _blocks(view)[ids.CATEGORY_BLOCK]["dispatch_action"] is True
    desk.settle()
    assert desk.requests() == []  # filed only when the form is sent

    link = _blocks(view)[ids.LINK_BLOCK]["element"]["initial_value"]
    new = _pick(desk, view, "le-emergency",
                emergency_values(text, severity="sev2", link=link)).params["view"]
    assert _blocks(new)[ids.TEXT_BLOCK]["element"]["initial_value"] == text
    assert _blocks(new)[ids.LINK_BLOCK]["element"]["initial_value"] == link
    current = desk.standin.view(view["id"])
    r = desk.submit_view(ids.EMERGENCY_MODAL,
                         emergency_values(text, language="en", category="le-emergency",
                                          fields={"agency": "FBI Chicago"}, link=link),
                         REQUESTER, private_metadata=current["private_metadata"],
                         view_id=current["id"])
    assert r.status == 200 and r.body == b"", r.text
    desk.wait_posted("C0INTAKE01", "T-1")
    [req] = desk.requests()
    assert (req.via, req.category, req.link, req.origin_channel) == (
        "shortcut", "le-emergency", link, "C0GENERAL1")
    assert dict(req.fields) == {"agency": "FBI Chicago"}


def _overdue_lines(h, card_ts: str) -> list[str]:
    return [m["text"] for m in h.thread(card_ts) if "Overdue" in (m.get("text") or "")]


def test_the_card_turns_overdue_once_and_after_a_restart(desk):
    # Typed with the category and no severity: the category's severity (sev1).
    r = desk.command("/emergency", f"cat:le-emergency lang:ar {ARABIC}")
    assert "T-1" in r.json()["text"] and "sev1" in r.json()["text"]
    [page] = desk.wait_for_page(OMAR)
    assert "Response due in 30 min" in blocks_text(page)
    [card_post] = desk.wait_posted("C0INTAKE01", "T-1")
    card_ts = card_post.response["ts"]
    assert "Response due in 30 min" in blocks_text(desk.card("T-1"))
    # Acknowledged, not resolved: the target still counts; no escalation step moves
    # the card meanwhile, so what updates it at the target is the target alone.
    assert desk.click(ids.ACK, page_id_of(page), OMAR).status == 200
    desk.wait_updated(card_ts, "Acknowledged")
    desk.settle()
    desk.advance(10 * 60)
    desk.settle()
    assert "OVERDUE" not in blocks_text(desk.card("T-1"))

    desk.restart()  # the target is a row in the database, not a timer in the process
    before = len(desk.updates(card_ts))
    desk.advance(21 * 60)  # 31 min after filing
    desk.settle()
    card = blocks_text(desk.card("T-1"))
    assert "OVERDUE" in card and "Overdue by 1 min" in card
    assert len(desk.updates(card_ts)) == before + 1
    assert len(_overdue_lines(desk, card_ts)) == 1
    for _ in range(3):
        desk.advance(5 * 60)
    desk.settle()
    assert len(desk.updates(card_ts)) == before + 1  # fired once
    assert len(_overdue_lines(desk, card_ts)) == 1
    with desk.runtime.sessions() as session:
        states = session.scalars(select(DeadlineRow.state)
                                 .where(DeadlineRow.reason == "due")).all()
    assert states == ["fired"]


def test_a_request_resolved_in_time_is_not_flagged(desk):
    r = desk.command("/emergency", f"cat:le-emergency lang:ar {ARABIC}")
    assert r.status == 200
    [page] = desk.wait_for_page(OMAR)
    [card_post] = desk.wait_posted("C0INTAKE01", "T-1")
    assert desk.click(ids.ACK, page_id_of(page), OMAR).status == 200
    desk.wait_updated(card_post.response["ts"], "Acknowledged")
    desk.settle()
    [req] = desk.requests()
    r = desk.submit_view(ids.RESOLVE_MODAL,
                         {ids.OUTCOME_BLOCK: {ids.OUTCOME_ACTION: {
                             "type": "plain_text_input", "value": "Agency verified, sent"}}},
                         OMAR, private_metadata=str(req.id))
    assert r.status == 200
    desk.wait_updated(card_post.response["ts"], "Resolved")
    desk.settle()
    desk.advance(40 * 60)
    desk.settle()
    card = blocks_text(desk.card("T-1"))
    assert "OVERDUE" not in card and "Overdue" not in card
    assert _overdue_lines(desk, card_post.response["ts"]) == []
    with desk.runtime.sessions() as session:
        states = session.scalars(select(DeadlineRow.state)
                                 .where(DeadlineRow.reason == "due")).all()
    assert states == ["cancelled"]


def test_write_more_keeps_the_typed_category(desk):
    r = desk.command("/emergency", "cat:le-emergency help")
    reply = r.json()
    [value] = [el["value"] for b in reply["blocks"] for el in b.get("elements", [])
               if isinstance(el, dict) and el.get("action_id") == ids.EMERGENCY_WRITE_MORE]
    assert desk.click(ids.EMERGENCY_WRITE_MORE, value, REQUESTER).status == 200
    [opened] = desk.wait_view_opened(ids.EMERGENCY_MODAL)
    blocks = _blocks(opened.params["view"])
    assert blocks[ids.CATEGORY_BLOCK]["element"]["initial_option"]["value"] == "le-emergency"
    assert blocks[ids.SEVERITY_BLOCK]["element"]["initial_option"]["value"] == "sev1"
    assert f"{ids.FIELD_BLOCK}:callback_number" in blocks
    assert blocks[ids.TEXT_BLOCK]["element"]["initial_value"] == "help"
    desk.settle()
    assert desk.requests() == []


def test_several_teams_the_typed_category_is_preselected_and_the_team_pick_updates(
        tmp_path):
    import shutil

    from tests.e2e.test_e2e_teams import DESK_TWO
    from tests.slack_harness import SCHEDULES

    folder = tmp_path / "schedules"
    folder.mkdir()
    shutil.copy(SCHEDULES / "safety-escalations.yaml", folder)
    (folder / "desk-two.yaml").write_text(DESK_TWO)
    h = ToolHarness(tmp_path, START, schedules=folder)
    try:
        rosters = {r.team.name: r for r in h.runtime.rosters.all()}
        first = rosters["safety-escalations"].team
        with h.runtime.sessions() as session, session.begin():
            save_team(session, dataclasses.replace(first, categories=(LE,)))
        assert h.command("/emergency", "cat:le-emergency " + ARABIC,
                         channel="C0ELSEWHERE").status == 200
        [opened] = h.wait_view_opened(ids.EMERGENCY_MODAL)
        view = opened.response["view"]
        blocks = _blocks(view)
        assert blocks[ids.TEAM_BLOCK]["dispatch_action"] is True
        assert blocks[ids.CATEGORY_BLOCK]["element"]["initial_option"]["value"] == (
            "le-emergency")
        assert f"{ids.FIELD_BLOCK}:agency" in blocks
        # Picking the team without the category: its own categories (none listed: no
        # select), what was typed kept.
        [other] = [name for name in rosters if name != first.name]
        values = emergency_values(ARABIC, category="le-emergency")
        r = h.sim.view_select(view, ids.TEAM_BLOCK, ids.TEAM_ACTION, other, REQUESTER,
                              values)
        assert r.status == 200
        [update] = h.standin.wait_for(lambda c: c.method == "views.update",
                                      description="views.update of the form")
        new = _blocks(update.params["view"])
        assert new[ids.TEAM_BLOCK]["element"]["initial_option"]["value"] == other
        assert not any(k.startswith(ids.CATEGORY_BLOCK) for k in new)
        assert new[ids.TEXT_BLOCK]["element"]["initial_value"] == ARABIC
    finally:
        h.quiet_close()


def test_a_form_pick_with_odd_state_changes_nothing_and_crashes_nothing(desk):
    view = _open_form(desk)
    odd = {**view, "state": {"values": {ids.TEXT_BLOCK: "not a dict"}},
           "private_metadata": "not json"}
    r = desk.view_select(odd, ids.CATEGORY_BLOCK, ids.CATEGORY_ACTION, "nope", REQUESTER,
                         {ids.TEXT_BLOCK: ["odd"]})
    assert r.status == 200
    desk.settle()
    # An unknown category picked: the form still updates to something sensible (the
    # team's default), and submitting that unknown category files nothing.
    r = desk.submit_view(ids.EMERGENCY_MODAL, emergency_values(ARABIC, category="nope"),
                         REQUESTER, private_metadata="{}", view_id=view["id"])
    answer = r.json()
    assert answer["response_action"] == "errors" and ids.CATEGORY_BLOCK in answer["errors"]
    assert desk.requests() == []
