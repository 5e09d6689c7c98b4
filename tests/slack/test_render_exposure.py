"""The page DM of a sensitive request sent past the reader's exposure limit says so, in
plain words, while it waits for an answer; other pages say nothing of the kind."""

from __future__ import annotations

import json
from dataclasses import replace

from bot.slack import render
from tests.slack.test_render import make_page

NOTE = ("You have handled 7 sensitive-request points in the last 8 hours (limit 6); "
        "nobody else who reads Arabic is free, so this one came to you. Tell a manager if "
        "you need a break.")


def rendered(page) -> str:
    text, blocks = render.page_message(page, "Asia/Amman")
    return json.dumps(blocks, ensure_ascii=False)


def test_a_page_past_the_limit_says_so_while_it_waits_and_once_taken():
    page = replace(make_page(sensitive=True), over_limit=(7, 6, 8 * 3600))
    assert NOTE in rendered(page)
    # Without a deadline (the last step) too.
    assert NOTE in rendered(replace(page, deadline=None))
    # Acknowledged: still said (the break is still due); declined or closed: not.
    assert ("You took this one past your exposure limit: 7 sensitive-request points in the "
            "last 8 hours (limit 6)") in rendered(replace(page, state="acknowledged"))
    for state in ("declined", "closed"):
        assert "sensitive-request points" not in rendered(replace(page, state=state))


def test_a_fallback_reader_is_named_by_the_language_they_read():
    page = replace(make_page(sensitive=True, language="it", served=False),
                   over_limit=(6, 6, 90 * 60), read_as="es")
    assert ("6 sensitive-request points in the last 90 minutes (limit 6); nobody else who "
            "reads Spanish is free") in rendered(page)


def test_other_pages_say_nothing_of_exposure():
    assert "sensitive-request points" not in rendered(make_page(sensitive=True))
