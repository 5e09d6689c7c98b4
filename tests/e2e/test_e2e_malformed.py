"""End to end: requests correctly signed with the app's secret but of a shape Slack never
sends (a bug, a truncated replay, a test tool) get a 200 or 400 with a plain sentence:
never a 500, never a Python error text to the person, never a traceback in the log,
nothing stored; and the app goes on filing signed /emergency requests meanwhile.

Each malformed kind is its own test (the ids name them).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
import urllib.parse

import pytest

from bot.demo.simulate import FORM, interactive_body
from bot.slack import ids
from bot.store.paging_tables import AuditRow, OutboxRow, RequestRow
from tests.slack_harness import SECRET, ToolHarness, utc

OMAR = "U0EU00009"
PYTHON_WORDS = ("Traceback", "invalid literal", "KeyError", "IndexError", "Exception",
                "NoneType", "object has no attribute", "json.decoder", "Expecting value")


@pytest.fixture
def slack(tmp_path, caplog):
    caplog.set_level(logging.INFO)
    h = ToolHarness(tmp_path, utc(2026, 7, 1, 12, 0))
    yield h
    h.quiet_close()


def _payload(slack, kind: str, **fields) -> dict:
    """An interaction payload as SlackSimulator builds it, with fields replaced (None:
    removed)."""
    doc = json.loads(urllib.parse.parse_qs(
        slack.sim.click_body(ids.ACK, "1", OMAR).decode())["payload"][0])
    doc["type"] = kind
    for key, value in fields.items():
        if value is None:
            doc.pop(key, None)
        else:
            doc[key] = value
    return doc


def _signed(body: bytes) -> dict[str, str]:
    """Slack's signature headers over the raw bytes (slack_sdk's signer takes text only,
    and Slack signs bytes: a body that is not UTF-8 is still signed)."""
    ts = str(int(time.time()))
    mac = hmac.new(SECRET.encode(), b"v0:" + ts.encode() + b":" + body, hashlib.sha256)
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": "v0=" + mac.hexdigest()}


def _form(**fields: str) -> bytes:
    return urllib.parse.urlencode(fields).encode()


# Each kind: (body, content type) built from a harness.
MALFORMED = {
    "payload-not-json": lambda s: (_form(payload="{not json"), FORM),
    "payload-a-json-list": lambda s: (_form(payload=json.dumps([1, 2, 3])), FORM),
    "payload-a-json-string": lambda s: (_form(payload=json.dumps("block_actions")), FORM),
    "payload-without-type": lambda s: (interactive_body(_payload(s, "x", type=None)), FORM),
    "actions-empty": lambda s: (interactive_body(_payload(s, "block_actions", actions=[])),
                                FORM),
    "actions-not-a-list": lambda s: (interactive_body(
        _payload(s, "block_actions", actions={"action_id": ids.ACK})), FORM),
    "action-without-action-id": lambda s: (interactive_body(
        _payload(s, "block_actions", actions=[{"value": "1"}])), FORM),
    "no-user": lambda s: (interactive_body(_payload(s, "block_actions", user=None)), FORM),
    "user-without-id": lambda s: (interactive_body(
        _payload(s, "block_actions", user={"name": "x"})), FORM),
    "view-submission-without-view": lambda s: (interactive_body(
        _payload(s, "view_submission", actions=None)), FORM),
    "view-submission-without-values": lambda s: (interactive_body(
        _payload(s, "view_submission", view={"id": "V1", "callback_id": ids.RESOLVE_MODAL})),
        FORM),
    "invalid-utf8-body": lambda s: (b"payload=" + b"\xff\xfe\xfd", FORM),
    "invalid-utf8-in-a-field": lambda s: (b"payload=%FF%FE", FORM),
    "command-without-user": lambda s: (_form(command="/emergency", text="sev1 help",
                                             channel_id="C0SAFETY1", trigger_id="1.2.3"), FORM),
    "event-body-not-json": lambda s: (b"{\"type\": ", "application/json"),
    "event-body-a-json-list": lambda s: (b"[]", "application/json"),
    "event-callback-without-event": lambda s: (json.dumps(
        {"type": "event_callback", "event_id": "Ev1"}).encode(), "application/json"),
}


def _assert_plain(text: str) -> None:
    for word in PYTHON_WORDS:
        assert word not in text, text


def _assert_no_traceback(caplog) -> None:
    tracebacks = [r for r in caplog.records if r.exc_info or r.stack_info]
    assert not tracebacks, [r.getMessage() for r in tracebacks]
    for r in caplog.records:
        _assert_plain(r.getMessage()) if r.levelno >= logging.ERROR else None


def _assert_nothing_stored(slack) -> None:
    for table in (RequestRow, OutboxRow, AuditRow):
        assert slack.count_rows(table) == 0, table.__tablename__


def _emergency_still_filed(slack) -> None:
    r = slack.command("/emergency", "sev1 lang:ar تهديد بتفجير مدرسة")
    assert r.status == 200 and "Filed T-1" in r.json()["text"], r.text


@pytest.mark.parametrize("kind", sorted(MALFORMED))
def test_malformed_signed_payload_gets_a_plain_answer(slack, caplog, kind):
    body, content_type = MALFORMED[kind](slack)
    r = slack.post_raw(body, content_type, _signed(body))
    assert r.status in (200, 400), (r.status, r.text)
    assert r.status != 500
    _assert_plain(r.text)
    if r.status == 400:
        assert "could not be read" in r.text and "Nothing was changed" in r.text
    _assert_nothing_stored(slack)
    _emergency_still_filed(slack)
    _assert_no_traceback(caplog)


@pytest.mark.parametrize("value", ["abc", "", "1e3", "-4", "٣", "99999999999999999999",
                                   str(2**31), "1; DROP TABLE pages"],
                         ids=["letters", "empty", "exponent", "negative", "arabic-digit",
                              "out-of-range-huge", "out-of-range-int32", "sql"])
@pytest.mark.parametrize("action", [ids.ACK, ids.DECLINE, ids.RESOLVE, ids.HANDOVER])
def test_bad_button_value_is_answered_in_words(slack, caplog, action, value):
    """A page id or request id that is not one of ours: the person reads a sentence
    (not `invalid literal for int()`), nothing changes, nothing is logged as a crash."""
    responses = slack.capture_responses()
    r = slack.click(action, value, OMAR)
    assert r.status == 200, r.text
    said = slack.wait_response("not one this app sent")
    _assert_plain(said["text"])
    assert said.get("response_type") == "ephemeral"
    assert len(responses) == 1
    _assert_nothing_stored(slack)
    _emergency_still_filed(slack)
    _assert_no_traceback(caplog)


@pytest.mark.parametrize("metadata", ["", "abc", "99999999999999999999"],
                         ids=["empty", "letters", "out-of-range"])
def test_bad_request_id_in_a_resolve_form_stays_on_the_form(slack, caplog, metadata):
    values = {ids.OUTCOME_BLOCK: {ids.OUTCOME_ACTION: {"type": "plain_text_input",
                                                       "value": "handled"}}}
    r = slack.submit_view(ids.RESOLVE_MODAL, values, OMAR, private_metadata=metadata)
    assert r.status == 200
    doc = r.json()
    assert doc["response_action"] == "errors"
    _assert_plain(doc["errors"][ids.OUTCOME_BLOCK])
    _assert_nothing_stored(slack)
    _assert_no_traceback(caplog)


def test_wrong_secret_on_a_malformed_body_is_refused_before_parsing(slack, caplog):
    """Signature first: a stranger's malformed body gets 401, not a parse error."""
    body = b"payload=" + b"\xff" * 10
    headers = _signed(body)
    headers["X-Slack-Signature"] = "v0=" + "0" * 64
    r = slack.post_raw(body, FORM, headers)
    assert r.status == 401
    assert "not signed by Slack" in r.text
    _assert_nothing_stored(slack)
    _assert_no_traceback(caplog)
