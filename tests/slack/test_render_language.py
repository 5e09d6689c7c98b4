"""The request's language on the card and the page, and "Set language" (issue 12):
rendered from plain views, checked against Block Kit's limits by test_render's
checker."""

from __future__ import annotations

import json

from bot.core.messages import PageView
from bot.slack import ids, render
from tests.slack.test_render import check_message, make_page, make_request

TEAM = ("en", "es", "ar", "pt", "fr")


def select_of(blocks):
    [(block_id, select)] = [(b["block_id"], e) for b in blocks if b["type"] == "actions"
                            for e in b["elements"] if e["action_id"] == ids.SET_LANGUAGE]
    return block_id, select


def options(select) -> list[str]:
    groups = select.get("option_groups") or [{"options": select["options"]}]
    return [o["value"] for g in groups for o in g["options"]]


def test_the_card_offers_the_team_languages_first_then_others_under_100_options():
    _, blocks = check_message(render.ticket_card(make_request(), None, TEAM))
    block_id, select = select_of(blocks)
    assert block_id == f"{ids.SET_LANGUAGE_BLOCK}:42"
    assert options(select)[:5] == list(TEAM)
    assert len(options(select)) <= 100 and len(set(options(select))) == len(options(select))
    assert select["initial_option"]["value"] == "ar"


def test_a_team_with_many_languages_stays_under_the_limit():
    many = tuple(sorted({"en", "es", "ar", "pt", "fr", "de", "it", "ru", "zh", "hi", "bn",
                         "ur", "tr", "fa", "ja", "ko", "sw", "ha", "yo", "so"}))
    _, blocks = check_message(render.ticket_card(make_request(language="tlh"), None, many))
    values = options(select_of(blocks)[1])
    assert values[:len(many)] == list(many) and len(values) <= 100


def test_a_resolved_request_has_no_set_language():
    for _text, blocks in (render.ticket_card(make_request(status="resolved"), None, TEAM),
                          render.page_message(make_page(status="resolved"), None, None, TEAM)):
        assert ids.SET_LANGUAGE not in json.dumps(blocks)


def test_an_unserved_language_is_named_as_such_and_the_page_says_why_this_reader():
    page = PageView(7, "U0ME", "pending", "on_call", True,
                    make_request(language="it", served=False), read_as="es")
    text, blocks = check_message(render.page_message(page, None, None, TEAM))
    dumped = json.dumps(blocks, ensure_ascii=False)
    assert "Italian (not served by this team)" in dumped
    assert "Written in Italian; you were chosen as a Spanish reader" in dumped
    assert "NEEDS TRANSLATION" in text
    _, card = check_message(render.ticket_card(make_request(language="it", served=False),
                                               None, TEAM))
    assert "which nobody on this team reads" in json.dumps(card, ensure_ascii=False)


def test_an_unknown_language_reads_as_such():
    page = PageView(7, "U0ME", "pending", "on_call", True,
                    make_request(language="und", served=False), read_as="en")
    _, blocks = check_message(render.page_message(page, None, None, TEAM))
    dumped = json.dumps(blocks)
    assert blocks[0]["text"]["text"].endswith("· T-42 · Unknown language")
    assert "Its language was not recognised; you were chosen as an English reader" in dumped
