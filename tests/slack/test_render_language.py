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


def options(answer) -> list[str]:
    groups = answer.get("option_groups") or [{"options": answer["options"]}]
    return [o["value"] for g in groups for o in g["options"]]


def test_the_card_and_the_page_carry_a_menu_whose_options_the_app_lists():
    for _text, blocks in (check_message(render.ticket_card(make_request(), None)),
                          check_message(render.page_message(make_page(), None, None))):
        block_id, select = select_of(blocks)
        assert block_id == f"{ids.SET_LANGUAGE_BLOCK}:42"
        assert select["type"] == "external_select" and select["min_query_length"] == 0
        assert "options" not in select and "option_groups" not in select
        assert select["initial_option"] == {
            "text": {"type": "plain_text", "text": "Arabic", "emoji": True}, "value": "ar"}
        # The menu no longer carries a hundred options in every message.
        assert len(json.dumps(blocks)) < 4000


def test_an_unknown_language_shows_no_choice_yet():
    _, blocks = check_message(render.ticket_card(make_request(language="und"), None))
    assert "initial_option" not in select_of(blocks)[1]


def test_the_options_list_the_team_first_then_the_request_s_own_then_the_rest():
    answer = render.language_options(TEAM, "tlh")
    [team, others] = answer["option_groups"]
    assert options({"options": team["options"]}) == list(TEAM)
    assert others["options"][0]["value"] == "tlh"  # the request's, though not a name we know
    values = options(answer)
    assert len(values) == 100 and len(set(values)) == 100
    check_message(("menu", [{"type": "actions", "block_id": "b", "elements": [
        {"type": "static_select", "action_id": "a", **answer}]}]))


def test_a_team_with_many_languages_stays_under_the_limit():
    many = tuple(sorted({"en", "es", "ar", "pt", "fr", "de", "it", "ru", "zh", "hi", "bn",
                         "ur", "tr", "fa", "ja", "ko", "sw", "ha", "yo", "so"}))
    values = options(render.language_options(many, "tlh"))
    assert values[:len(many)] == list(many) and len(values) == 100


def test_typing_narrows_to_any_known_language_by_a_word_of_its_name_or_its_code():
    assert options(render.language_options(TEAM, "it", "port")) == ["pt"]
    assert options(render.language_options(TEAM, "it", "PORT ")) == ["pt"]
    assert options(render.language_options((), None, "faro")) == ["fo"]  # beyond any 100
    assert options(render.language_options((), None, "haitian")) == ["ht"]  # Haitian Creole
    assert options(render.language_options(TEAM, None, "ar"))[:3] == ["ar", "hy", "an"]
    assert options(render.language_options(TEAM, None, "xyzzy")) == []
    # Without a team: one plain list, every language reachable.
    assert "option_groups" not in render.language_options((), None, "")


def test_a_resolved_request_has_no_set_language():
    for _text, blocks in (render.ticket_card(make_request(status="resolved"), None),
                          render.page_message(make_page(status="resolved"), None, None)):
        assert ids.SET_LANGUAGE not in json.dumps(blocks)


def test_an_unserved_language_is_named_as_such_and_the_page_says_why_this_reader():
    page = PageView(7, "U0ME", "pending", "on_call", True,
                    make_request(language="it", served=False), read_as="es")
    text, blocks = check_message(render.page_message(page, None, None))
    dumped = json.dumps(blocks, ensure_ascii=False)
    assert "Italian (not served by this team)" in dumped
    assert "Written in Italian; you were chosen as a Spanish reader" in dumped
    assert "NEEDS TRANSLATION" in text
    _, card = check_message(render.ticket_card(make_request(language="it", served=False),
                                               None))
    assert "which nobody on this team reads" in json.dumps(card, ensure_ascii=False)


def test_an_unknown_language_reads_as_such():
    page = PageView(7, "U0ME", "pending", "on_call", True,
                    make_request(language="und", served=False), read_as="en")
    _, blocks = check_message(render.page_message(page, None, None))
    dumped = json.dumps(blocks)
    assert blocks[0]["text"]["text"].endswith("· T-42 · Unknown language")
    assert "Its language was not recognised; you were chosen as an English reader" in dumped
