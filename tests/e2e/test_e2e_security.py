"""End to end: requests that do not carry Slack's valid signature are refused with 401
before any listener runs. Nothing is stored, nothing reaches Slack.

Slack signs `v0:{timestamp}:{raw body}` with the app's signing secret (HMAC-SHA256) and
sends the result in X-Slack-Signature, the timestamp in X-Slack-Request-Timestamp; a
timestamp more than 5 minutes from now is refused, so a captured request cannot be
replayed later.
"""

from __future__ import annotations

import time

import pytest

from bot.demo.simulate import FORM
from bot.slack import ids
from bot.store.paging_tables import AuditRow, OutboxRow, RequestRow, SeenEventRow
from tests.slack_harness import SECRET, ToolHarness, sign, utc

OMAR = "U0EU00009"


@pytest.fixture
def slack(tmp_path):
    h = ToolHarness(tmp_path, utc(2026, 7, 1, 12, 0))
    yield h
    h.quiet_close()


def _emergency(slack) -> bytes:
    return slack.command_body("/emergency", "sev1 lang:ar تهديد بتفجير مدرسة",
                              trigger_id="13.1313.forged")


def _assert_nothing_happened(slack) -> None:
    for table in (RequestRow, OutboxRow, AuditRow, SeenEventRow):
        assert slack.count_rows(table) == 0, table.__tablename__
    # Only the Web API calls the app makes at start-up, if any; no message, no modal.
    assert [c.method for c in slack.standin.calls
            if c.method.startswith(("chat.", "views.", "/response/"))] == []


def _forged(body: bytes) -> dict[str, str]:
    headers = sign(body)
    headers["X-Slack-Signature"] = "v0=" + "0" * 64
    return headers


def _old(body: bytes) -> dict[str, str]:
    return sign(body, timestamp=int(time.time()) - 6 * 60)  # signed right, 6 minutes ago


def _wrong_secret(body: bytes) -> dict[str, str]:
    return sign(body, secret=SECRET + "-not-ours")


@pytest.mark.parametrize("headers_for", [_forged, _wrong_secret, _old],
                         ids=["forged-signature", "wrong-secret", "stale-timestamp"])
def test_unsigned_emergency_command_is_refused(slack, headers_for):
    body = _emergency(slack)
    r = slack.post_raw(body, FORM, headers_for(body))
    assert r.status == 401, r.text
    _assert_nothing_happened(slack)

    # The same body, signed properly and now, is accepted: the refusals above were
    # about the signature alone.
    r = slack.post(body, FORM)
    assert r.status == 200 and "T-1" in r.json()["text"]


def test_missing_signature_headers_are_refused(slack):
    body = _emergency(slack)
    r = slack.post_raw(body, FORM, {})
    assert r.status == 401
    _assert_nothing_happened(slack)


def test_signature_over_a_different_body_is_refused(slack):
    """A valid signature of one request replayed with another body (tampering)."""
    body = _emergency(slack)
    tampered = body.replace(b"sev1", b"sev3")
    r = slack.post_raw(tampered, FORM, sign(body))
    assert r.status == 401
    _assert_nothing_happened(slack)


@pytest.mark.parametrize("headers_for", [_forged, _wrong_secret, _old],
                         ids=["forged-signature", "wrong-secret", "stale-timestamp"])
def test_forged_button_click_does_not_acknowledge(slack, headers_for):
    slack.command("/emergency", "sev1 lang:ar تهديد بتفجير مدرسة")
    slack.wait_for_page(OMAR)
    slack.settle()
    before = len(slack.standin.calls)

    # Omar's Acknowledge click on the page DM in his DM with the bot, as Slack sends it.
    body = slack.sim.click_body(ids.ACK, "1", OMAR)
    r = slack.post_raw(body, FORM, headers_for(body))

    assert r.status == 401
    [req] = slack.requests()
    assert (req.status, req.assignee) == ("open", None)
    assert slack.audit_actions(req.id).count("acknowledged") == 0
    assert slack.standin.calls[before:] == []


@pytest.mark.parametrize("headers_for", [_forged, _wrong_secret, _old],
                         ids=["forged-signature", "wrong-secret", "stale-timestamp"])
def test_forged_event_is_refused(slack, headers_for):
    handled: list[str] = []
    slack.runtime.listeners.d.publish_home = handled.append
    body = slack.sim.event_body({"type": "app_home_opened", "user": OMAR,
                                 "channel": "DU0EU00009", "tab": "home",
                                 "event_ts": "1782907200.000100"}, "Ev0FORGED001")
    r = slack.post_raw(body, "application/json", headers_for(body))
    assert r.status == 401
    assert handled == []
    _assert_nothing_happened(slack)


def test_url_verification_needs_a_signature_too(slack):
    body = slack.sim.url_verification_body("c0ffee")
    assert slack.post_raw(body, "application/json", _forged(body)).status == 401
    r = slack.post(body, "application/json")
    assert r.status == 200 and r.json() == {"challenge": "c0ffee"}
