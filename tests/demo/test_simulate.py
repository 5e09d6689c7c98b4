"""bot.demo.simulate: the requests it builds are the ones Slack sends, signed so that
Slack's own verifier accepts them."""

from __future__ import annotations

import json
import urllib.parse

from slack_sdk.signature import SignatureVerifier

from bot.demo.local_server import LocalServer
from bot.demo.simulate import SlackSimulator

SECRET = "simulator-secret"


def recording_app(seen: list[dict]):
    def app(environ, start_response):
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        seen.append({"path": environ["PATH_INFO"], "body": body,
                     "timestamp": environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP"),
                     "signature": environ.get("HTTP_X_SLACK_SIGNATURE"),
                     "type": environ.get("CONTENT_TYPE")})
        start_response("200 OK", [("Content-Type", "application/json")])
        return [b'{"ok": true}']

    return app


def payload(request: dict) -> dict:
    return json.loads(urllib.parse.parse_qs(request["body"].decode())["payload"][0])


def test_every_kind_is_signed_and_shaped_as_slack_sends_it():
    seen: list[dict] = []
    with LocalServer(recording_app(seen)) as server:
        sim = SlackSimulator(server.url, SECRET, response_origin="http://slack.test")
        assert sim.command("/emergency", "sev1 help", "U1", "C1").json() == {"ok": True}
        sim.click("page_ack", "7", "U1")
        sim.submit_view("emergency_modal", {"b": {}}, "U1", view_id="V1")
        sim.message_shortcut("escalate_message", "U1", "C1", "1.000100", "help")
        sim.event({"type": "app_home_opened", "user": "U1"}, "Ev1")
    verifier = SignatureVerifier(SECRET)
    for request in seen:
        assert request["path"] == "/slack/events"
        assert verifier.is_valid(request["body"], request["timestamp"], request["signature"])
    command = urllib.parse.parse_qs(seen[0]["body"].decode())
    assert (command["command"], command["text"], command["trigger_id"]) == (
        ["/emergency"], ["sev1 help"], ["1.1111.trigger000001"])
    click, view, shortcut = (payload(r) for r in seen[1:4])
    assert (click["type"], click["actions"][0]["value"], click["channel"]["id"]) == (
        "block_actions", "7", "DU1")
    assert click["response_url"] == "http://slack.test/response/2"
    assert (view["type"], view["view"]["id"], view["view"]["callback_id"]) == (
        "view_submission", "V1", "emergency_modal")
    assert (shortcut["type"], shortcut["message"]["text"]) == ("message_action", "help")
    assert json.loads(seen[4]["body"])["event_id"] == "Ev1"
    assert seen[4]["type"] == "application/json"
    assert sim.last_trigger_id == "4.1111.trigger000004"


def test_post_raw_sends_the_headers_given_and_no_signature():
    seen: list[dict] = []
    with LocalServer(recording_app(seen)) as server:
        sim = SlackSimulator(server.url, SECRET)
        body = sim.command_body("/oncall", "help", "U1", "C1", trigger_id="9.9")
        assert sim.post_raw(body, "application/x-www-form-urlencoded", {}).status == 200
    assert seen[0]["signature"] is None and seen[0]["body"] == body


def test_url_verification_body_is_slacks_check_of_the_events_url():
    body = SlackSimulator("http://127.0.0.1:9", SECRET).url_verification_body("c0ffee")
    assert json.loads(body) == {"token": "legacy", "challenge": "c0ffee",
                                "type": "url_verification"}
