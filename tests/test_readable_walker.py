"""The walker that checks every message a test's stand-in recorded
(tests/fixtures_readable.py): what it flags, and what it lets through."""

from __future__ import annotations

import pytest

from tests.fixtures_readable import problems, texts


@pytest.mark.parametrize("text", [
    "step 2/5 (language_oncall_all): paged <@U1>",
    "Escalation: step 1 of 5, round 1 of 3 (language_backup)",
    "paged <@U0AM00011> (on_call)",
    "filed via command: sev1",
    "<@U0EU00009> <@U0EU00009> acknowledged",
    "Paging <@U1>, <@U1>",
    "12:00 · *<@U0EU00009>* <@U0EU00009> acknowledged (2 min after filing)",
    "Assignee: None",
    "details {'a': 1}",
])
def test_internal_words_repeated_names_and_reprs_are_flagged(text):
    assert problems(text), text


@pytest.mark.parametrize("text", [
    "*Acknowledge within 2 min* (by <!date^1773151620^{time}|09:07> your time), or every "
    "Arabic reader on call is paged, then the off-shift Arabic backup.",
    "Second round: paged <@U1>, Arabic reader on call",
    "Filed with /emergency: SEV1, Arabic, set by the requester",
    "<@U1> and <@U2> were paged; needs translation",
    "*Open requests for you*\nNone: nothing is assigned to you or paging you.",
])
def test_plain_words_pass(text):
    assert problems(text) == [], problems(text)


def test_texts_are_found_in_blocks_views_and_fallbacks():
    params = {"text": "top", "blocks": [
        {"type": "section", "text": {"type": "mrkdwn", "text": "a"},
         "fields": [{"type": "mrkdwn", "text": "b"}]},
        {"type": "actions", "elements": [{"type": "button", "value": "language_oncall",
                                          "text": {"type": "plain_text", "text": "c"}}]}],
        "view": {"title": {"type": "plain_text", "text": "d"}}}
    assert sorted(texts(params)) == ["a", "b", "c", "d", "top"]  # ids are not read
