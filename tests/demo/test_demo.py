"""`oncall-bot demo` shows what the people saw: the page, the card and an alert of each
story as readable text (names, not `<@U...>` markup; times in the reader's own zone),
and ends each story with its outcome. It exits 0."""

from __future__ import annotations

import io
import re

import pytest

from bot.demo.run import run_demo
from tests.slack_harness import SCHEDULES


@pytest.fixture(scope="module")
def output() -> str:
    out = io.StringIO()
    assert run_demo(SCHEDULES, out=out) == 0, out.getvalue()
    return out.getvalue()


def _stories(text: str) -> list[str]:
    body = text.split("\nTimeline")[0]
    return re.split(r"\n(?=\d\. )", body)[1:]


def test_no_raw_slack_markup(output):
    for raw in ("<@U", "<#C", "<!date", "<!subteam", "&lt;", "&gt;", "&amp;"):
        assert raw not in output, raw
    assert "@João Ferreira" in output and "@Alex Kim" in output


def test_each_story_shows_the_page_the_card_and_an_alert_and_ends_with_its_outcome(output):
    stories = _stories(output)
    assert len(stories) == 4
    for story in stories:
        assert "  The page " in story
        assert "  The ticket card in #intake" in story
        assert "  The last alert in " in story
        assert "[Acknowledge]" in story  # the page's buttons, shown as buttons
        assert story.rstrip().splitlines()[-1].startswith("  Outcome: T-")
    one, two, three, four = stories
    assert one.rstrip().endswith("Stream removed; local emergency services alerted with the "
                                 "user's location")
    # A menu reads as its name and what it shows chosen, not as an internal id.
    assert "[Set language: Spanish v]" in one and "request_set_language" not in output
    assert "Outcome: T-1 resolved by João Ferreira, 12 min 40 s after it was filed" in one
    assert "Outcome: T-2 acknowledged by Rami Khoury, 1 min 20 s after it was filed" in two
    assert "Outcome: T-3 is still open" in three
    assert "The last alert in Ines Duarte's DM" in three
    assert "The last alert in #escalations" in three
    # A graphic request: the page warns and offers the details; the card hides the text.
    assert "Outcome: T-4 acknowledged by" in four
    assert "Its text opens only when you choose." in four and "[Show details]" in four
    assert "the text, link and details of this request are hidden here" in four
    assert "car park" not in four


def _section(story: str, title: str) -> str:
    """The lines shown under `title` (up to the next heading of the story)."""
    start = story.index(title)
    rest = story[start:].splitlines()
    lines = [rest[0]]
    for line in rest[1:]:
        if not line.startswith("    |"):
            break
        lines.append(line)
    return "\n".join(lines)


def test_times_are_in_each_readers_zone(output):
    one, two, *_ = _stories(output)
    # Filed at 12:00 UTC: João reads Lisbon time (13:00 WEST), the requester London
    # time (13:00 BST); Omar (Cairo) got the second request, filed at 12:12 UTC.
    page = _section(one, "The page João Ferreira got")
    assert "(times in Europe/Lisbon):" in page and " 13:00 WEST" in page
    card = _section(one, "The ticket card in #intake")
    assert "(times in Europe/London):" in card and " 13:00 BST" in card
    page = _section(two, "The page Omar Farouk got")
    assert "(times in Africa/Cairo):" in page and " 15:12 EEST" in page
