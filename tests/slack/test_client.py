"""The bot's Web API client (``KeepAliveWebClient``) against the Slack stand-in.

The client takes some of slack_sdk's steps itself (kept-open connections, no wasted
debug formatting, one attempt without building urllib objects when it has no retry
handlers). These tests hold it to what slack_sdk's own ``WebClient`` does: the same
request reaches Slack, and Slack's answers come back as the same responses and errors.
"""

from __future__ import annotations

import http.client
import io
import json
import logging
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.demo.slack_standin import SlackStandIn
from bot.services.outbox_items import Busy
from bot.slack.client import KeepAliveWebClient, _read_answer, make_web_client
from bot.slack.sender import slack_error

TOKEN = "xoxb-client-test"
BLOCKS = [
    {"type": "header", "text": {"type": "plain_text", "text": "SEV1 · T-7 · العربية"}},
    {"type": "section", "text": {"type": "mrkdwn", "text": "*Acknowledge within 5 min*"}},
    {"type": "actions", "elements": [
        {"type": "button", "action_id": "ack", "text": {"type": "plain_text", "text": "Ack"},
         "value": "7"}]},
]


class SeeingStandIn(SlackStandIn):
    """The stand-in, also keeping each request's headers and raw body as they arrived,
    and able to close its open connections as a server closes idle ones."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.requests: list[tuple[str, dict[str, str], bytes]] = []

    def handle_request(self, path: str, headers: Any, body: bytes, *args: Any,
                       **kwargs: Any):
        self.requests.append((path, dict(headers.items()), body))
        return super().handle_request(path, headers, body, *args, **kwargs)

    def close_connections(self) -> None:
        assert self._server is not None
        self._server.cut_connections()


@pytest.fixture
def slack():
    with SeeingStandIn() as standin:
        yield standin


@pytest.fixture(params=[False, True], ids=["one-attempt", "with-retries"])
def client(request, slack: SeeingStandIn) -> WebClient:
    return make_web_client(TOKEN, base_url=slack.url, timeout=5, retries=request.param)


def stock(slack: SeeingStandIn) -> WebClient:
    """slack_sdk's own client, as the reference for what arrives."""
    return WebClient(token=TOKEN, base_url=slack.url, timeout=5, retry_handlers=[])


def post(client: WebClient, **extra: Any):
    return client.chat_postMessage(
        channel="C0OPS", text="SEV1 page", blocks=BLOCKS, unfurl_links=False,
        metadata={"event_type": "oncall_outbox", "event_payload": {"rows": "1,2"}}, **extra)


def arrived(slack: SeeingStandIn) -> tuple[str, dict[str, str], bytes]:
    path, headers, body = slack.requests[-1]
    wanted = ("authorization", "content-type", "user-agent", "content-length")
    return path, {k.lower(): v for k, v in headers.items() if k.lower() in wanted}, body


def test_the_client_is_the_keep_alive_one(client: WebClient) -> None:
    assert isinstance(client, KeepAliveWebClient)


def test_a_json_post_arrives_as_slack_sdk_sends_it(slack: SeeingStandIn,
                                                   client: WebClient) -> None:
    post(stock(slack))
    reference = arrived(slack)
    answer = post(client)
    path, headers, body = arrived(slack)

    # The same call, the same headers, the same JSON; written by orjson (bot.json_text),
    # so without slack_sdk's spaces and escapes, and its length told right.
    sdk_path, sdk_headers, sdk_body = reference
    assert path == sdk_path and json.loads(body) == json.loads(sdk_body)
    assert {**headers, "content-length": "-"} == {**sdk_headers, "content-length": "-"}
    assert headers["content-length"] == str(len(body))
    assert headers["authorization"] == f"Bearer {TOKEN}"
    assert headers["content-type"] == "application/json;charset=utf-8"
    assert headers["user-agent"].startswith("Python/") and "slackclient/" in headers[
        "user-agent"]
    assert json.loads(body)["blocks"] == BLOCKS
    assert answer["ok"] and answer["channel"] == "C0OPS"
    assert answer.status_code == 200 and answer.http_verb == "POST"
    assert answer.api_url == f"{slack.url}chat.postMessage"
    assert answer["message"]["blocks"] == BLOCKS
    [_, call] = slack.calls_to("chat.postMessage")
    assert call.token == TOKEN and call.params["metadata"]["event_payload"] == {"rows": "1,2"}


def test_a_form_call_arrives_as_slack_sdk_sends_it(slack: SeeingStandIn,
                                                   client: WebClient) -> None:
    stock(slack).conversations_history(channel="C0OPS", limit=200, inclusive=True)
    reference = arrived(slack)
    answer = client.conversations_history(channel="C0OPS", limit=200, inclusive=True)

    assert arrived(slack) == reference
    _, headers, body = reference
    assert headers["content-type"] == "application/x-www-form-urlencoded"
    assert body == b"channel=C0OPS&inclusive=1&limit=200"  # True as slack_sdk sends it
    assert answer["ok"] and answer.req_args["params"] == {
        "channel": "C0OPS", "inclusive": "1", "limit": 200}


def test_ok_false_raises_slack_api_error_with_slacks_code(slack: SeeingStandIn,
                                                          client: WebClient) -> None:
    slack.fail_next("chat.postMessage", status=200, error="channel_not_found")

    with pytest.raises(SlackApiError) as raised:
        post(client)

    response = raised.value.response
    assert response.status_code == 200 and response["error"] == "channel_not_found"
    assert response["ok"] is False
    assert "channel_not_found" in str(raised.value)
    assert len(slack.calls_to("chat.postMessage")) == 1  # an ok=false is never retried


def test_a_429_gives_the_sender_slacks_retry_after(slack: SeeingStandIn) -> None:
    one_attempt = make_web_client(TOKEN, base_url=slack.url, timeout=5, retries=False)
    slack.fail_next("chat.postMessage", status=429, retry_after=7)

    with pytest.raises(SlackApiError) as raised:
        post(one_attempt)

    response = raised.value.response
    assert response.status_code == 429 and response["error"] == "ratelimited"
    assert response.headers["Retry-After"] == response.headers["retry-after"] == "7"
    status, code, busy = slack_error(raised.value)
    assert (status, code) == (429, "ratelimited")
    assert isinstance(busy, Busy) and busy.seconds == 7.0
    assert len(slack.calls_to("chat.postMessage")) == 1  # no retry, no sleep


def test_a_5xx_answer_raises_with_its_status(slack: SeeingStandIn) -> None:
    one_attempt = make_web_client(TOKEN, base_url=slack.url, timeout=5, retries=False)
    slack.fail_next("chat.postMessage", status=503)

    with pytest.raises(SlackApiError) as raised:
        post(one_attempt)

    assert raised.value.response.status_code == 503
    assert raised.value.response["error"] == "internal_error"
    assert post(one_attempt)["ok"]  # the connection is still good for the next call


def test_an_idle_connection_the_server_closed_is_opened_again(
        slack: SeeingStandIn, client: WebClient) -> None:
    assert post(client)["ok"]
    slack.close_connections()  # as a server (or a proxy) drops an idle keep-alive one

    assert post(client)["ok"]  # no error and no retry: a new connection was opened

    assert [c.ok for c in slack.calls_to("chat.postMessage")] == [True, True]


def test_a_connection_dropped_mid_call_fails_that_call_only(slack: SeeingStandIn) -> None:
    one_attempt = make_web_client(TOKEN, base_url=slack.url, timeout=5, retries=False)
    assert post(one_attempt)["ok"]
    slack.drop_next("chat.postMessage")

    with pytest.raises(http.client.RemoteDisconnected):  # the sender's "unsure"
        post(one_attempt)
    assert post(one_attempt)["ok"]


def test_debug_logging_still_shows_requests_without_the_token(
        slack: SeeingStandIn, client: WebClient, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="slack_sdk.web.base_client"):
        post(client)

    [sent] = [r.getMessage() for r in caplog.records if "Sending a request" in r.getMessage()]
    assert f"url: {slack.url}chat.postMessage" in sent and "SEV1 page" in sent
    assert "(redacted)" in sent and TOKEN not in sent
    [answer] = [r.getMessage() for r in caplog.records if "Received the following" in
                r.getMessage()]
    assert "status: 200" in answer and '"ok":true' in answer


def test_nothing_is_logged_at_the_usual_level(slack: SeeingStandIn, client: WebClient,
                                              caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="slack_sdk.web.base_client"):
        post(client)
    assert caplog.records == []


# -- answers the stand-in does not send, read as http.client reads them --------------------


def answer_of(raw: bytes):
    return _read_answer(io.BufferedReader(io.BytesIO(raw)))


def test_a_chunked_answer_after_an_interim_one_is_read_whole() -> None:
    answer = answer_of(
        b"HTTP/1.1 100 Continue\r\n\r\n"
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=utf-8\r\n"
        b"Transfer-Encoding: chunked\r\nX-Folded: one\r\n  two\r\n\r\n"
        b"5;ext=1\r\n{\"ok\"\r\n6\r\n:true}\r\n0\r\nTrailer: x\r\n\r\n")

    assert (answer.status, answer.reason, answer.body) == (200, "OK", b'{"ok":true}')
    assert answer.headers["Content-Type"] == "application/json; charset=utf-8"
    assert answer.headers["X-Folded"] == "one two" and not answer.will_close
    assert answer.message().get_content_charset() == "utf-8"


def test_an_answer_without_a_length_runs_to_the_close() -> None:
    answer = answer_of(b"HTTP/1.0 503 Service Unavailable\r\nRetry-After: 3\r\n\r\ndown")

    assert (answer.status, answer.body, answer.will_close) == (503, b"down", True)
    assert answer.headers == {"Retry-After": "3"}


@pytest.mark.parametrize("raw, error", [
    (b"", http.client.RemoteDisconnected),
    (b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", http.client.IncompleteRead),
    (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab", http.client.IncompleteRead),
    (b"SMTP ready\r\n\r\n", http.client.BadStatusLine),
])
def test_a_broken_answer_fails_as_http_client_fails(raw: bytes, error: type) -> None:
    with pytest.raises(error):
        answer_of(raw)


def test_a_header_that_would_split_the_request_is_refused(slack: SeeingStandIn) -> None:
    client = make_web_client(TOKEN, base_url=slack.url, timeout=5, retries=False)
    with pytest.raises(ValueError):
        client.api_call("auth.test", headers={"X-Evil": "a\r\nX-Injected: 1"})
    assert client.auth_test()["ok"]  # nothing half-sent on the connection
