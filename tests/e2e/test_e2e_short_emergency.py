"""End to end: `/emergency` with a text too short to be an emergency asks before paging.

`/emergency ok` gets a private question ("That is very short for an emergency: file it
anyway?") with "File it" and "Write more"; nothing is stored and nobody is paged until
"File it", which files that text once however often it is clicked. Team:
schedules/safety-escalations.yaml at Wed 2026-07-01 12:00 UTC (Omar reads Arabic)."""

from __future__ import annotations

import json

import pytest

from bot.slack import ids
from bot.store.paging_tables import OutboxRow, RequestRow
from tests.slack_harness import INTAKE, ToolHarness, utc

OMAR = "U0EU00009"
REQUESTER = "U0REQ0001"


@pytest.fixture
def slack(tmp_path):
    h = ToolHarness(tmp_path, utc(2026, 7, 1, 12, 0))
    yield h
    h.quiet_close()


def _button(reply: dict, action_id: str) -> str:
    [value] = [el["value"] for b in reply["blocks"] if b["type"] == "actions"
               for el in b["elements"] if el["action_id"] == action_id]
    return value


def _ask(slack: ToolHarness, text: str) -> dict:
    r = slack.command("/emergency", text, user=REQUESTER, channel=INTAKE)
    assert r.status == 200, r.text
    reply = r.json()
    assert reply["response_type"] == "ephemeral"
    return reply


def test_a_too_short_text_asks_and_files_nothing_until_file_it_then_once(slack):
    reply = _ask(slack, "sev1 ok")
    assert reply["text"].startswith("That is very short for an emergency: file it anyway?")
    shown = json.dumps(reply["blocks"], ensure_ascii=False)
    assert "file it anyway?" in shown and "&gt; ok" not in shown and "> ok" in shown
    assert _button(reply, ids.EMERGENCY_WRITE_MORE)
    slack.settle()
    assert slack.count_rows(RequestRow) == 0 and slack.count_rows(OutboxRow) == 0
    assert slack.pages_to(OMAR) == []

    responses = slack.capture_responses()
    value = _button(reply, ids.EMERGENCY_FILE_SHORT)
    assert slack.click(ids.EMERGENCY_FILE_SHORT, value, REQUESTER).status == 200
    filed = slack.wait_response("Filed T-1")
    assert filed["replace_original"] is True  # the question (and its buttons) goes
    [page] = slack.wait_for_page(OMAR)
    assert "ok" in json.dumps(page["blocks"])
    # A second click (or a double click) files nothing more.
    assert slack.click(ids.EMERGENCY_FILE_SHORT, value, REQUESTER).status == 200
    # Its answer is the same confirmation again, posted after the ack: wait for it.
    slack.wait_response(filed["text"], count=2)
    slack.settle()
    [req] = slack.requests()
    assert (req.text, req.severity, req.requester) == ("ok", "sev1", REQUESTER)
    assert len(slack.pages_to(OMAR)) == 1
    assert [d["text"] for d in responses].count(filed["text"]) == 2


def test_write_more_opens_the_form_with_the_text_in_it_and_files_nothing(slack):
    reply = _ask(slack, "lang:ar help")
    responses = slack.capture_responses()
    slack.click(ids.EMERGENCY_WRITE_MORE, _button(reply, ids.EMERGENCY_WRITE_MORE), REQUESTER)
    [opened] = slack.wait_view_opened(ids.EMERGENCY_MODAL)
    view = opened.params["view"]
    [text_block] = [b for b in view["blocks"] if b.get("block_id") == ids.TEXT_BLOCK]
    assert text_block["element"]["initial_value"] == "help"
    slack.wait_response("nothing has been filed yet")
    assert responses[-1]["replace_original"] is True
    assert slack.count_rows(RequestRow) == 0


def test_three_words_or_twelve_characters_page_at_once(slack):
    for n, text in enumerate(("sev1 lang:ar تهديد بتفجير مدرسة",  # three words
                              "sev1 sextortion-livestream"), start=1):  # one long word
        reply = _ask(slack, text)
        assert f"Filed T-{n}" in reply["text"], reply


def test_a_forged_file_it_value_is_refused_plainly_and_files_nothing(slack):
    responses = slack.capture_responses()
    slack.click(ids.EMERGENCY_FILE_SHORT, "not json", REQUESTER)
    slack.wait_response("not one this app sent")
    assert "Nothing was filed" in responses[-1]["text"]
    assert slack.count_rows(RequestRow) == 0
