"""The response target on the card, the page and the manager alert (issue 11): counted
from when the message is rendered, flagged once passed, never once resolved; the
category's label and fields shown in words."""

from __future__ import annotations

from datetime import timedelta

from bot.slack import render
from bot.slack.render import pages
from tests.slack.test_render import FILED, make_page, make_request
from tests.slack_harness import blocks_text

DUE = FILED + timedelta(minutes=30)
LE = {"category": "le-emergency", "category_label": "Law-enforcement emergency request",
      "due": DUE, "fields": (("agency", "Metropolitan Police Service"),
                             ("callback_number", "+44 20 7946 0958"))}


def _shown(message) -> str:
    text, blocks = message
    return blocks_text({"text": text, "blocks": blocks})


def test_due_words_count_from_the_render_time():
    assert pages.due_words(DUE, FILED + timedelta(minutes=6)) == "due in 24 min"
    assert pages.due_words(DUE, DUE + timedelta(minutes=3)) == "overdue by 3 min"
    assert pages.due_words(DUE, FILED - timedelta(hours=2)) == "due in 2.5 h"


def test_card_counts_down_then_flags_overdue_but_not_once_resolved():
    req = make_request(**LE)
    before = _shown(render.ticket_card(req, FILED + timedelta(minutes=6)))
    assert "Response due in 24 min" in before and "OVERDUE" not in before
    assert "Law-enforcement emergency request" in before
    assert "Requesting agency" in before and "Metropolitan Police Service" in before
    assert "Callback number" in before and "callback_number" not in before
    text, _ = render.ticket_card(req, DUE + timedelta(minutes=3))
    assert "OVERDUE" in text
    assert "Overdue by 3 min" in _shown(render.ticket_card(req, DUE + timedelta(minutes=3)))
    done = _shown(render.ticket_card(make_request(**LE, status="resolved", assignee="U1",
                                                  outcome="done"), DUE + timedelta(hours=1)))
    assert "OVERDUE" not in done and "Overdue" not in done and "due in" not in done


def test_page_shows_target_in_the_readers_zone_and_fields_after_the_text():
    page = make_page(**LE)
    shown = _shown(render.page_message(page, "Asia/Tokyo", FILED + timedelta(minutes=6)))
    assert "Response due in 24 min" in shown
    assert "|17:30> your time" in shown  # 08:30 UTC in Tokyo, as the token's fallback
    assert shown.index(page.request.text) < shown.index("Requesting agency")
    assert "Law-enforcement emergency request" in shown


def test_manager_alert_flags_an_overdue_request():
    req = make_request(**LE)
    late = _shown(render.manager_alert(req, DUE + timedelta(minutes=3)))
    assert "OVERDUE" in late and "overdue by 3 min" in late
    early = _shown(render.manager_alert(req, FILED + timedelta(minutes=3)))
    assert "OVERDUE" not in early and "Response due in 27 min" in early


def test_the_plain_default_category_is_not_shown():
    shown = _shown(render.ticket_card(make_request(), FILED))
    assert "Category" not in shown and "Response due" not in shown
