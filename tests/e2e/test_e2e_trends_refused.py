"""End to end, a trend digest Slack refuses for good (PRODUCT.md "Trends"): the managers
are told once, by DM, what to do (invite the bot, or fix `trends_channel`), with no
request text; told again only after a digest got through and a later one is refused.
The scheduled digest goes through the outbox to the Slack stand-in, which is told to
refuse posts to the trends channel; a manual clock.

Team and data: tests/e2e/test_e2e_trends.py (category-desk, manager U0MGR0001, trends
channel C0TRENDS1, a planted rise with words of a sensitive and a purged request).
"""

from __future__ import annotations

import pytest

from tests.e2e.test_e2e_trends import (
    CHANNEL,
    MANAGER,
    PURGED_WORD,
    SECRET_WORD,
    flat_week,
    harness,
    planted_rise,
)
from tests.slack_harness import ToolHarness

SIX_HOURS = 6 * 3600


@pytest.fixture
def desk_any_db(tmp_path, db_url):
    h = harness(tmp_path, db_url)
    yield h
    h.quiet_close()


def told(h: ToolHarness) -> list[str]:
    return [m.get("text") or "" for m in h.dms(MANAGER)
            if "trend digest of team category-desk could not be posted" in (m.get("text") or "")]


def delivered(h: ToolHarness) -> int:
    return sum(1 for c in h.standin.calls_to("chat.postMessage")
               if c.ok and c.params.get("channel") == CHANNEL)


def period(h: ToolHarness) -> None:
    h.advance(SIX_HOURS)
    h.settle()
    h.advance(1)
    h.settle()


@pytest.mark.parametrize("code,words", [
    ("not_in_channel", "the bot is not a member of that channel"),
    ("channel_not_found", "Slack cannot find that channel"),
    ("is_archived", "that channel is archived"),
])
def test_a_refused_digest_is_told_to_the_managers_once(tmp_path, code, words):
    h = harness(tmp_path)
    try:
        flat_week(h)
        planted_rise(h)
        h.advance(1)  # the cursor starts
        h.fail_posts_to(CHANNEL, code, count=2)
        period(h)
        [text] = told(h)
        assert words in text and "/invite" in text and "trends_channel: C0TRENDS1" in text
        assert "/oncall trends" in text, text
        # No request text: neither the planted words nor the sensitive or purged ones.
        for word in ("bridge", "attack", SECRET_WORD, PURGED_WORD):
            assert word not in text
        h.restart()  # durable: a new process does not tell again
        period(h)  # refused again: nobody is told twice
        assert len(told(h)) == 1 and delivered(h) == 0
    finally:
        h.quiet_close()


def test_after_a_digest_gets_through_a_new_refusal_is_told_again(desk_any_db):
    h = desk_any_db
    planted_rise(h)
    h.advance(1)
    h.fail_posts_to(CHANNEL, "not_in_channel")
    period(h)
    assert len(told(h)) == 1
    period(h)  # the bot was invited: delivered
    assert delivered(h) == 1 and len(told(h)) == 1
    h.fail_posts_to(CHANNEL, "is_archived")
    period(h)
    assert len(told(h)) == 2 and "archived" in told(h)[-1]
    period(h)  # through again
    assert delivered(h) == 2
    # Another message refused in that channel (not a digest) says nothing.
    h.fail_posts_to(CHANNEL, "not_in_channel")
    h.runtime.outbox.enqueue_direct([(CHANNEL, {"text": "a note for the channel"})])
    h.advance(1)
    h.settle()
    assert any(not c.ok and c.params.get("channel") == CHANNEL
               and "a note" in (c.params.get("text") or "")
               for c in h.standin.calls_to("chat.postMessage"))
    assert len(told(h)) == 2
