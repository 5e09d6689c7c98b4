"""End to end: a signed request replayed inside Slack's 5-minute window acts once, and
what people type in a resolve note never becomes a mention.

A replay is the same body with the same signature headers, sent again (Slack signs
`v0:{timestamp}:{body}`; anyone who captured a request can resend it until the
timestamp is 5 minutes old). Team: schedules/example/safety-escalations.yaml; at 2026-07-01
12:00 UTC Omar (U0EU00009) is the one on-call reader of Arabic.
"""

from __future__ import annotations

import re
import threading

import pytest

from bot.demo.simulate import FORM
from bot.slack import ids
from bot.store.paging_tables import AuditRow, SeenEventRow
from bot.store.shift_tables import CalendarFeedRow
from tests.slack_harness import (
    INTAKE,
    REQUESTER,
    ToolHarness,
    blocks_text,
    page_id_of,
    resolve_values,
    sign,
    utc,
)

OMAR = "U0EU00009"
MGR = "U0MGR0001"
START = utc(2026, 7, 1, 12, 0)
URL = re.compile(r"http://127\.0\.0\.1:\d+/calendar/[A-Za-z0-9_-]+\.ics")


@pytest.fixture
def feeds(tmp_path, db_url):
    h = ToolHarness(tmp_path, START, database_url=db_url, public_url=True)
    yield h
    h.quiet_close()


def _export_body(h: ToolHarness, text: str, user: str) -> bytes:
    return h.command_body("/oncall", text, user=user, trigger_id=h.trigger_id())


def test_a_replayed_oncall_export_acts_once(feeds):
    body = _export_body(feeds, "export emea-ar-fr", MGR)
    headers = sign(body)
    first = feeds.post_raw(body, FORM, headers)
    assert first.status == 200, first.text
    [url] = URL.findall(first.json()["text"])

    replay = feeds.post_raw(body, FORM, headers)
    assert (replay.status, replay.body) == (200, b"")
    assert feeds.count_rows(CalendarFeedRow) == 1
    assert feeds.get(url).status == 200  # not revoked by the replay

    # The same command typed again is another signed request: it acts (and replaces
    # the link, as exporting again does).
    again = feeds.post(_export_body(feeds, "export emea-ar-fr", MGR), FORM)
    [new] = URL.findall(again.json()["text"])
    assert new != url and feeds.get(url).status == 404 and feeds.get(new).status == 200
    assert feeds.count_rows(CalendarFeedRow) == 2


def test_the_same_signed_request_arriving_twice_at_once_acts_once(feeds):
    """Two processes (here: two server threads) take the same signed request at the
    same moment: the database's unique key lets exactly one of them act."""
    body = _export_body(feeds, "export", OMAR)
    headers = sign(body)
    answers: list = []
    start = threading.Barrier(2)

    def send() -> None:
        start.wait()
        answers.append(feeds.post_raw(body, FORM, headers))

    threads = [threading.Thread(target=send) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(a.status for a in answers) == [200, 200]
    acted = [a for a in answers if a.body]
    assert len(acted) == 1 and URL.search(acted[0].json()["text"])
    assert feeds.count_rows(CalendarFeedRow) == 1
    assert feeds.count_rows(SeenEventRow) == 1  # the signature, recorded once


def test_a_replayed_button_click_acknowledges_once(tmp_path):
    h = ToolHarness(tmp_path, START)
    try:
        r = h.command("/emergency", "sev1 lang:ar بث مباشر لشخص يهدد بالانتحار الآن")
        assert r.status == 200 and "T-1" in r.json()["text"]
        [page] = h.wait_for_page(OMAR)
        h.capture_responses()
        body = h.sim.click_body(ids.ACK, page_id_of(page), OMAR)
        headers = sign(body)
        assert h.post_raw(body, FORM, headers).status == 200
        h.wait_posted(REQUESTER, "acknowledged")
        replay = h.post_raw(body, FORM, headers)
        assert (replay.status, replay.body) == (200, b"")
        h.settle()

        assert h.audit_actions(1).count("acknowledged") == 1
        assert len(h.wait_posted(REQUESTER, "acknowledged")) == 1
        # The replay was not even told "already yours": no listener ran for it.
        assert [c for c in h.standin.calls if c.method.startswith("/response/")] == []
        assert h.count_rows(AuditRow) == len(h.audit_actions(1))
    finally:
        h.quiet_close()


# -- typed notes ------------------------------------------------------------------------

# Every kind of Slack markup a person could type, a typed reference, and a bare user id.
NOTE = ("Done. Told <@U123> and <!channel>, see <#C1> and <https://x|y>; "
        "{@U0MGR0002} U0MGR0002 & co")
LIVE = ("<@U123", "<!channel", "<#C1", "<https://x", "<@U0MGR0002", "<!here", "<!everyone")


def test_mentions_typed_in_a_resolve_note_stay_text_everywhere_it_is_shown(tmp_path):
    h = ToolHarness(tmp_path, START)
    try:
        assert h.command("/emergency", "sev1 lang:ar تهديد بتفجير مدرسة").status == 200
        [page] = h.wait_for_page(OMAR)
        assert h.click(ids.ACK, page_id_of(page), OMAR).status == 200
        h.wait_posted(REQUESTER, "acknowledged")
        r = h.submit_view(ids.RESOLVE_MODAL, resolve_values(NOTE), OMAR, "1")
        assert (r.status, r.body) == (200, b""), r.text

        card = h.card("T-1")["ts"]
        [line] = h.wait_posted(INTAKE, "resolved:")
        assert line.params["thread_ts"] == card
        [told] = h.wait_posted(REQUESTER, "was resolved")
        h.wait_updated(card, "Resolved by")
        h.settle()
        shown = {"thread line": blocks_text(line.params),
                 "card": blocks_text(h.standin.message(card)),
                 "requester note": blocks_text(told.params)}
        for where, text in shown.items():
            assert not [m for m in LIVE if m in text], (where, text)
            # Shown as typed: Slack displays &lt; &gt; &amp; as < > &.
            assert "Told &lt;@U123&gt; and &lt;!channel&gt;, see &lt;#C1&gt; and " \
                   "&lt;https://x|y&gt;; {@U0MGR0002} U0MGR0002 &amp; co" in text, where
        # The resolver is still mentioned: only what was typed is inert.
        assert f"<@{OMAR}> resolved: Done." in blocks_text(line.params)
    finally:
        h.quiet_close()
