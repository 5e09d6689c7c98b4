from __future__ import annotations

import pytest

from tests.slack_harness import Harness, page_id_of, utc

OMAR = "U0EU00009"  # reads ar; on call for emea-ar-fr at 2026-07-01 12:00Z


@pytest.fixture
def slack(tmp_path):
    h = Harness(tmp_path, utc(2026, 7, 1, 12, 0))
    yield h
    h.close()


def test_emergency_pages_arabic_reader_and_ack(slack):
    r = slack.command("/emergency", "sev1 lang:ar بث مباشر لتهديد بالانتحار")
    assert r.status == 200, r.text
    assert "T-1" in r.json()["text"]
    pages = slack.wait_for_page(OMAR)
    r = slack.click("page_ack", page_id_of(pages[0]), OMAR)
    assert r.status == 200
    # The requester is told, and the page DM changes to Resolve / Hand over.
    slack.standin.wait_for(lambda c: c.method == "chat.postMessage"
                           and c.params.get("channel") == "U0REQ0001"
                           and "acknowledged" in c.params.get("text", ""))
    slack.standin.wait_for(lambda c: c.method == "chat.update"
                           and c.params.get("channel") == f"D{OMAR}"
                           and "request_resolve" in str(c.params.get("blocks")))
