"""The trend digest's blocks: plain words a person reads at 3 a.m., and what requesters
typed shown as text, never as markup or mentions."""

from __future__ import annotations

import json

from bot.slack.render.trends import digest_blocks


def _doc(words, rising=True):
    line = {"category": "Violent threat", "language": "Arabic", "region": "Asia",
            "count": 9, "expected": 1.3, "rising": rising, "words": words}
    return {"team": "desk", "hours": 6, "total": 12,
            "rising": [line] if rising else [], "busiest": [] if rising else [line]}


def test_a_rising_line_reads_plainly():
    text, blocks = digest_blocks(_doc([["bridge attack", 7], ["video", 3]]))
    assert text == "Trends for desk: 1 rising in the last 6 hours (12 requests in all)"
    shown = json.dumps(blocks, ensure_ascii=False)
    assert ("*Rising:* Violent threat · Arabic · Asia: 9 requests in the last 6 hours "
            "(usual: 1.3 for these hours); words: “bridge attack” (7), video (3)") in shown


def test_typed_words_are_escaped():
    _, blocks = digest_blocks(_doc([["<!channel>", 2], ["<@U123>", 2]]))
    shown = json.dumps(blocks)
    assert "<!channel>" not in shown and "<@U123>" not in shown
    assert "&lt;!channel&gt;" in shown


def test_a_quiet_digest_names_the_busiest_groups():
    text, blocks = digest_blocks(_doc([], rising=False))
    assert "nothing unusual in the last 6 hours" in text
    assert "Busiest:" in json.dumps(blocks) and "*Rising:*" not in json.dumps(blocks)
