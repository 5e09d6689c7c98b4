"""Thread lines whose ticket card is not in Slack yet are not sent and not reported as
sent: the outbox tries them again (before, they were marked sent, never posted: the
chaos bench's "thread lines missing"). Against the stand-in over HTTP."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.core.messages import TIMELINE
from bot.demo.slack_standin import SlackStandIn
from bot.services.outbox_items import Delivery, NotSent
from bot.slack.client import make_web_client
from bot.slack.sender import SlackSender


def test_lines_without_their_card_wait_and_reach_nothing():
    standin = SlackStandIn(tokens=["xoxb-test"]).start()
    try:
        sender = SlackSender(make_web_client("xoxb-test", standin.url, retries=False),
                             manager_group=lambda team: None)
        line = {"at": datetime(2026, 7, 1, 12, tzinfo=UTC).isoformat(), "actor": "bot",
                "action": "paged", "text": "Paged <@U0EU00009>"}
        d = Delivery(TIMELINE, "C0INTAKE01", {"lines": [line]}, None, None, None, None,
                     ids=(7,))
        with pytest.raises(NotSent, match="card is not in Slack yet"):
            sender.send(d)
        assert [c for c in standin.calls if c.method == "chat.postMessage"] == []
        # With its card, the same lines go under it.
        posted = sender.send(Delivery(TIMELINE, "C0INTAKE01", {"lines": [line]}, None, None,
                                      ("C0INTAKE01", "1.000100"), None, ids=(7,)))
        assert posted is not None
        [call] = [c for c in standin.calls if c.method == "chat.postMessage"]
        assert call.params["thread_ts"] == "1.000100"
    finally:
        standin.stop()
