"""The local Slack Web API stand-in, driven through the bot's own WebClient factory.

Retry tests use the real slack_sdk retry handlers, so they pay slack_sdk's real
sleeps: a 429 with Retry-After 0 costs 0-1 s of jitter, a 500 or a dropped
connection 0.5-1.5 s of backoff. Fault windows run on a ManualClock and are read
through a client without retries, so they cost no sleeps.
"""

from __future__ import annotations

import http.client
import json
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from urllib.parse import urlencode, urlsplit

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot.clock import ManualClock
from bot.demo.slack_standin import (
    UPLOAD_METHOD,
    Call,
    SlackStandIn,
    channel_posts,
    direct_messages,
)
from bot.slack.client import make_web_client

TOKEN = "xoxb-test-token"
TS = re.compile(r"^\d{10}\.\d{6}$")

USERS = {
    "U0ADA": {
        "real_name": "Ada Lovelace",
        "tz": "Europe/London",
        "tz_label": "GMT",
        "tz_offset": 0,
    },
    "U0KENJI": {
        "real_name": "Kenji Sato",
        "tz": "Asia/Tokyo",
        "tz_label": "Japan Standard Time",
        "tz_offset": 32400,
    },
}


@pytest.fixture
def slack():
    with SlackStandIn(users=USERS, usergroups={"S0ONCALL": ["U0ADA", "U0KENJI"]}) as standin:
        yield standin
    assert not standin.running


@pytest.fixture
def client(slack: SlackStandIn) -> WebClient:
    return make_web_client(TOKEN, base_url=slack.url, timeout=5)


def test_post_message_is_recorded(slack: SlackStandIn, client: WebClient) -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*Page*"}}]
    first = client.chat_postMessage(channel="C0INCIDENT", text="Page: db down", blocks=blocks)
    second = client.chat_postMessage(channel="C0INCIDENT", text="second")

    assert first["ok"] and first["channel"] == "C0INCIDENT"
    assert TS.match(first["ts"]) and float(second["ts"]) > float(first["ts"])
    assert first["ts"] == "1767225600.000100"
    assert first["message"]["text"] == "Page: db down"

    [call, _] = slack.wait_for_calls("chat.postMessage", count=2)
    assert call.params["channel"] == "C0INCIDENT" and call.params["blocks"] == blocks
    assert call.token == TOKEN and not call.injected and call.ok
    assert isinstance(call, Call) and isinstance(call.at, float) and call.thread_id

    messages = slack.messages_to("C0INCIDENT")
    assert [m["text"] for m in messages] == ["Page: db down", "second"]
    assert messages[0]["blocks"] == blocks and messages[0]["ts"] == first["ts"]


def test_dm_to_user_id_goes_to_a_stable_d_channel(slack: SlackStandIn, client: WebClient) -> None:
    posted = client.chat_postMessage(channel="U0ADA", text="You are on call")
    opened = client.conversations_open(users="U0ADA")
    reply = client.chat_postMessage(
        channel=opened["channel"]["id"], text="ack?", thread_ts=posted["ts"]
    )

    dm = slack.dm_channel("U0ADA")
    assert dm.startswith("D")
    assert posted["channel"] == opened["channel"]["id"] == reply["channel"] == dm
    assert client.conversations_open(users="U0ADA")["channel"]["id"] == dm
    assert slack.dm_channel("U0KENJI") != dm

    by_user = slack.messages_to("U0ADA")
    assert by_user == slack.messages_to(dm)
    assert [(m["text"], m["thread_ts"]) for m in by_user] == [
        ("You are on call", None),
        ("ack?", posted["ts"]),
    ]
    assert reply["message"]["thread_ts"] == posted["ts"]
    assert slack.messages_to("U0KENJI") == []


def test_chat_update_changes_the_recorded_message(slack: SlackStandIn, client: WebClient) -> None:
    posted = client.chat_postMessage(channel="U0ADA", text="Paging Ada")
    updated = client.chat_update(
        channel=posted["channel"], ts=posted["ts"], text="Acknowledged by Ada"
    )

    assert updated["ts"] == posted["ts"] and updated["text"] == "Acknowledged by Ada"
    [message] = slack.messages_to("U0ADA")
    assert message["text"] == "Acknowledged by Ada" and message["edited"]
    assert slack.calls_to("chat.update")[0].params["ts"] == posted["ts"]

    with pytest.raises(SlackApiError) as missing:
        client.chat_update(channel=posted["channel"], ts="1.000000", text="nope")
    assert missing.value.response["error"] == "message_not_found"


def test_ephemeral_and_permalink(slack: SlackStandIn, client: WebClient) -> None:
    ephemeral = client.chat_postEphemeral(channel="C0OPS", user="U0ADA", text="only you")
    assert TS.match(ephemeral["message_ts"])
    assert slack.messages_to("C0OPS") == []  # ephemeral messages are not channel messages

    posted = client.chat_postMessage(channel="C0OPS", text="incident")
    link = client.chat_getPermalink(channel="C0OPS", message_ts=posted["ts"])
    assert link["permalink"].endswith("/archives/C0OPS/p" + posted["ts"].replace(".", ""))


def test_rate_limited_then_success(slack: SlackStandIn, client: WebClient) -> None:
    slack.fail_next("chat.postMessage", status=429, retry_after=0)

    started = time.monotonic()
    response = client.chat_postMessage(channel="C0OPS", text="page")
    elapsed = time.monotonic() - started

    assert response["ok"]
    limited, accepted = slack.calls_to("chat.postMessage")
    assert limited.injected and limited.status == 429 and limited.fault == "429"
    assert limited.response == {"ok": False, "error": "ratelimited"}
    assert not accepted.injected and accepted.ok
    # Retry-After 0 plus slack_sdk's 0-1 s jitter.
    assert accepted.at - limited.at < 1.5 and elapsed < 2
    assert len(slack.messages_to("C0OPS")) == 1  # the rejected attempt had no effect


def test_server_error_then_success(slack: SlackStandIn, client: WebClient) -> None:
    slack.fail_next("chat.postMessage", status=500)

    response = client.chat_postMessage(channel="C0OPS", text="page")

    assert response["ok"]
    failed, accepted = slack.calls_to("chat.postMessage")
    assert (failed.status, failed.fault, failed.injected) == (500, "500", True)
    assert accepted.ok
    # ServerErrorRetryHandler's first backoff: 0.5 s + 0-1 s jitter.
    assert 0.4 < accepted.at - failed.at < 2


def test_timeout_surfaces_without_retry(slack: SlackStandIn) -> None:
    """A read timeout is NOT retried: urllib raises a bare TimeoutError, which
    ConnectionErrorRetryHandler does not cover, so it reaches the caller after one
    attempt. The stand-in acted on the call anyway, as Slack may."""
    impatient = make_web_client(TOKEN, base_url=slack.url, timeout=0.3)
    slack.delay_next("chat.postMessage", 30)

    started = time.monotonic()
    with pytest.raises(TimeoutError):
        impatient.chat_postMessage(channel="U0ADA", text="page")
    assert time.monotonic() - started < 2

    [call] = slack.calls_to("chat.postMessage")
    assert call.fault == "delay" and call.injected and call.ok
    assert [m["text"] for m in slack.messages_to("U0ADA")] == ["page"]
    # The fixture's stop() must not wait out the 30 s delay.


def test_dropped_connection_is_retried(slack: SlackStandIn, client: WebClient) -> None:
    slack.drop_next("auth.test")

    assert client.auth_test()["ok"]

    dropped, answered = slack.calls_to("auth.test")
    assert (dropped.fault, dropped.status, dropped.response) == ("drop", 0, None)
    assert answered.ok


def test_files_upload_v2_end_to_end(slack: SlackStandIn, client: WebClient) -> None:
    data = b"date,primary\n2026-01-05,U0ADA\n"
    response = client.files_upload_v2(
        channel="C0OPS",
        content=data,
        filename="rota.csv",
        title="Rota",
        initial_comment="This week's rota",
    )

    assert response["ok"] and response["file"]["title"] == "Rota"
    file_id = response["file"]["id"]
    assert [c.method for c in slack.calls] == [
        "files.getUploadURLExternal",
        UPLOAD_METHOD,
        "files.completeUploadExternal",
    ]
    [url_call] = slack.calls_to("files.getUploadURLExternal")
    upload_url = url_call.response["upload_url"]
    assert upload_url == f"{slack.origin}/upload/{file_id}"
    assert urlsplit(upload_url).netloc == urlsplit(slack.url).netloc
    [upload] = slack.calls_to(UPLOAD_METHOD)
    assert upload.params == {"file_id": file_id, "length": len(data)}

    stored = slack.file(file_id)
    assert stored is not None and stored["content"] == data
    assert stored["channels"] == ["C0OPS"] and stored["initial_comment"] == "This week's rota"
    info = client.files_info(file=file_id)
    assert info["file"]["name"] == "rota.csv" and info["file"]["size"] == len(data)


def test_users_info_and_usergroup_members(slack: SlackStandIn, client: WebClient) -> None:
    user = client.users_info(user="U0KENJI")["user"]
    assert (user["real_name"], user["tz"], user["tz_label"], user["tz_offset"]) == (
        "Kenji Sato",
        "Asia/Tokyo",
        "Japan Standard Time",
        32400,
    )
    members = client.usergroups_users_list(usergroup="S0ONCALL")["users"]
    assert members == ["U0ADA", "U0KENJI"]

    with pytest.raises(SlackApiError) as unknown_user:
        client.users_info(user="U0NOBODY")
    assert unknown_user.value.response["error"] == "user_not_found"
    with pytest.raises(SlackApiError) as unknown_group:
        client.usergroups_users_list(usergroup="S0NONE")
    assert unknown_group.value.response["error"] == "no_such_subteam"

    slack.add_user("U0NEW", real_name="New Person", tz="UTC")
    assert client.users_info(user="U0NEW")["user"]["tz_offset"] == 0


def test_views(slack: SlackStandIn, client: WebClient) -> None:
    modal = {
        "type": "modal",
        "callback_id": "swap",
        "title": {"type": "plain_text", "text": "Swap"},
        "blocks": [],
    }
    opened = client.views_open(trigger_id="123.456.abc", view=modal)["view"]
    assert opened["id"] and opened["callback_id"] == "swap"
    pushed = client.views_push(trigger_id="123.456.abc", view=modal)["view"]
    assert pushed["id"] != opened["id"]
    updated = client.views_update(
        view_id=opened["id"], hash=opened["hash"], view={**modal, "private_metadata": "x"}
    )["view"]
    assert updated["id"] == opened["id"] and updated["private_metadata"] == "x"
    with pytest.raises(SlackApiError) as conflict:
        client.views_update(view_id=opened["id"], hash=opened["hash"], view=modal)
    assert conflict.value.response["error"] == "hash_conflict"

    home = {"type": "home", "blocks": []}
    first = client.views_publish(user_id="U0ADA", view=home)["view"]
    again = client.views_publish(user_id="U0ADA", view=home)["view"]
    assert first["id"] == again["id"]
    assert slack.home_view("U0ADA")["type"] == "home"


def test_wait_for_blocks_until_calls_arrive(slack: SlackStandIn, client: WebClient) -> None:
    def page_three() -> None:
        for i in range(3):
            client.chat_postMessage(channel="C0OPS", text=f"page {i}")

    worker = threading.Thread(target=page_three)
    worker.start()
    calls = slack.wait_for_calls("chat.postMessage", count=3, timeout=5)
    worker.join()
    assert [c.params["text"] for c in calls] == ["page 0", "page 1", "page 2"]
    [last] = slack.wait_for(lambda c: c.params.get("text") == "page 2", timeout=0)
    assert last is calls[2]


def test_wait_for_timeout_lists_what_was_recorded(slack: SlackStandIn, client: WebClient) -> None:
    client.chat_postMessage(channel="C0OPS", text="hello there")

    started = time.monotonic()
    with pytest.raises(AssertionError) as timed_out:
        slack.wait_for_calls("chat.update", count=1, timeout=0.2)
    assert 0.15 < time.monotonic() - started < 1.5

    message = str(timed_out.value)
    assert "timed out after 0.2s" in message and "method == 'chat.update'" in message
    assert "Recorded 1 call(s)" in message
    assert "chat.postMessage" in message and "hello there" in message


def test_bad_or_missing_token(client: WebClient, slack: SlackStandIn) -> None:
    with pytest.raises(SlackApiError) as bad:
        make_web_client("xoxp-not-a-bot-token", base_url=slack.url).auth_test()
    assert bad.value.response["error"] == "invalid_auth"
    with pytest.raises(SlackApiError) as missing:
        make_web_client(None, base_url=slack.url).auth_test()
    assert missing.value.response["error"] == "not_authed"
    assert [c.response["error"] for c in slack.calls_to("auth.test")] == [
        "invalid_auth",
        "not_authed",
    ]


def test_configured_tokens_only() -> None:
    with SlackStandIn(tokens={"xoxb-the-one"}) as slack:
        assert make_web_client("xoxb-the-one", base_url=slack.url).auth_test()["ok"]
        with pytest.raises(SlackApiError) as other:
            make_web_client("xoxb-another", base_url=slack.url).auth_test()
        assert other.value.response["error"] == "invalid_auth"


def test_raw_form_and_json_requests_on_one_keep_alive_connection(slack: SlackStandIn) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", slack.port, timeout=5)
    try:
        form = urlencode(
            {
                "token": TOKEN,
                "channel": "U0ADA",
                "text": "form-encoded",
                "blocks": json.dumps([{"type": "divider"}]),
            }
        )
        conn.request(
            "POST",
            "/api/chat.postMessage",
            body=form,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        first = conn.getresponse()
        assert first.status == 200 and json.loads(first.read())["channel"] == "DU0ADA"

        conn.request(
            "POST",
            "/api/chat.postMessage",
            body=json.dumps({"channel": "C1", "text": "j"}),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"},
        )
        assert json.loads(conn.getresponse().read())["ok"]

        conn.request(
            "POST", "/api/chat.doesNotExist", body=b"", headers={"Authorization": f"Bearer {TOKEN}"}
        )
        assert json.loads(conn.getresponse().read()) == {
            "ok": False,
            "error": "unknown_method",
            "req_method": "chat.doesNotExist",
        }
    finally:
        conn.close()

    form_call, json_call, unknown = slack.calls
    assert form_call.token == TOKEN and "token" not in form_call.params
    assert form_call.params["blocks"] == [{"type": "divider"}]
    assert json_call.ok and unknown.method == "chat.doesNotExist"
    assert form_call.thread_id == json_call.thread_id == unknown.thread_id  # same connection


def test_on_call_hook_sees_every_call_including_faults(
    slack: SlackStandIn, client: WebClient
) -> None:
    seen: list[tuple[str, bool]] = []
    slack.on_call = lambda call: seen.append((call.method, call.injected))
    slack.fail_next("*", status=200, error="channel_not_found")

    with pytest.raises(SlackApiError) as failed:
        client.chat_postMessage(channel="C0GONE", text="x")
    assert failed.value.response["error"] == "channel_not_found"
    client.auth_test()

    assert seen == [("chat.postMessage", True), ("auth.test", False)]
    assert not slack.errors


def test_clear_keeps_configuration_and_ts_order(slack: SlackStandIn, client: WebClient) -> None:
    before = client.chat_postMessage(channel="C0OPS", text="a")["ts"]
    slack.fail_next("auth.test", status=500)
    slack.clear()
    assert slack.calls == [] and slack.messages_to("C0OPS") == []
    assert client.auth_test()["ok"]  # the pending fault was cleared too
    assert float(client.chat_postMessage(channel="C0OPS", text="b")["ts"]) > float(before)
    assert client.users_info(user="U0ADA")["ok"]


def test_make_web_client_configuration() -> None:
    client = make_web_client(TOKEN, base_url="http://127.0.0.1:9/api", timeout=3)
    assert client.base_url == "http://127.0.0.1:9/api/" and client.timeout == 3
    by_type = {type(h): h.max_retry_count for h in client.retry_handlers}
    assert by_type == {
        ConnectionErrorRetryHandler: 2,
        RateLimitErrorRetryHandler: 3,
        ServerErrorRetryHandler: 3,
    }
    assert make_web_client(TOKEN).base_url == WebClient.BASE_URL
    other = make_web_client(TOKEN)
    assert all(a is not b for a, b in zip(client.retry_handlers, other.retry_handlers, strict=True))


def test_stop_is_clean_and_fast() -> None:
    slack = SlackStandIn().start()
    url = slack.url
    assert url.startswith("http://127.0.0.1:") and url.endswith("/api/") and slack.port != 0
    idle = http.client.HTTPConnection("127.0.0.1", slack.port, timeout=5)
    idle.connect()  # an idle keep-alive connection must not hold stop() up
    started = time.monotonic()
    slack.stop()
    slack.stop()  # idempotent
    idle.close()
    assert time.monotonic() - started < 1
    with pytest.raises(RuntimeError):
        _ = slack.url


def test_a_fault_can_aim_at_one_channel(slack: SlackStandIn, client: WebClient) -> None:
    slack.fail_next("chat.postMessage", status=200, error="channel_not_found",
                    where={"channel": "C0GONE"})
    client.chat_postMessage(channel="C0OTHER", text="passes the fault by")
    with pytest.raises(SlackApiError) as refused:
        client.chat_postMessage(channel="C0GONE", text="hit")
    assert refused.value.response["error"] == "channel_not_found"
    client.chat_postMessage(channel="C0GONE", text="used up")
    assert [m["text"] for m in slack.messages_to("C0GONE")] == ["used up"]
    assert [c.injected for c in slack.calls_to("chat.postMessage")] == [False, True, False]


def test_serve_path_answers_and_records_other_addresses(slack: SlackStandIn) -> None:
    def post(path: str, body: bytes) -> tuple[int, dict]:
        conn = http.client.HTTPConnection("127.0.0.1", slack.port, timeout=5)
        try:
            conn.request("POST", path, body=body, headers={"Content-Type": "application/json"})
            r = conn.getresponse()
            return r.status, json.loads(r.read())
        finally:
            conn.close()

    assert post("/response/1", b'{"text": "early"}') == (
        404, {"ok": False, "error": "unknown_path"})
    seen: list[bytes] = []
    slack.serve_path("/response/", lambda body: seen.append(body) or {"ok": True})
    assert post("/response/2", b'{"text": "hello"}') == (200, {"ok": True})
    assert seen == [b'{"text": "hello"}']
    assert [(c.method, c.status) for c in slack.calls] == [
        ("/response/1", 404), ("/response/2", 200)]


# -- answer latency ------------------------------------------------------------------------


def test_latency_delays_every_answer_and_concurrent_calls_overlap() -> None:
    with SlackStandIn(latency=0.25) as slack:
        client = make_web_client(TOKEN, base_url=slack.url, timeout=5)

        def post(i: int) -> float:
            started = time.monotonic()
            client.chat_postMessage(channel="C0OPS", text=f"page {i}")
            return time.monotonic() - started

        started = time.monotonic()
        with ThreadPoolExecutor(8) as pool:
            each = list(pool.map(post, range(8)))
        together = time.monotonic() - started

        assert min(each) >= 0.25
        # Eight calls one after another would take 2 s: the waits overlap.
        assert together < 1.0
        assert len(slack.messages_to("C0OPS")) == 8

        # A call takes effect when it arrives; only its answer waits.
        answered = threading.Event()
        poster = threading.Thread(target=lambda: (
            client.chat_postMessage(channel="C0LATE", text="late answer"), answered.set()))
        poster.start()
        slack.wait_for_calls("chat.postMessage", count=9)
        assert [m["text"] for m in slack.messages_to("C0LATE")] == ["late answer"]
        assert not answered.is_set()
        poster.join()

        slack.latency = 0  # at run time: the next call answers at once
        started = time.monotonic()
        client.auth_test()
        assert time.monotonic() - started < 0.2
        with pytest.raises(ValueError):
            slack.latency = -1


def test_latency_applies_to_errors_and_does_not_hold_up_stop() -> None:
    slack = SlackStandIn(latency=30).start()
    client = make_web_client(TOKEN, base_url=slack.url, timeout=0.3)
    slack.fail_next("auth.test", status=500)
    with pytest.raises(TimeoutError):
        client.auth_test()
    [call] = slack.calls
    assert call.status == 500 and call.fault == "500"
    started = time.monotonic()
    slack.stop()  # the 30 s answer is given up, not waited out
    assert time.monotonic() - started < 2


# -- fault windows ---------------------------------------------------------------------------


def manual_seconds() -> tuple[ManualClock, object]:
    clock = ManualClock(datetime(2026, 3, 1, 9, tzinfo=UTC))
    return clock, lambda: clock.now().timestamp()


def bare_client(slack: SlackStandIn) -> WebClient:
    """A client that does not retry: every answer the window gives is seen once."""
    return WebClient(token=TOKEN, base_url=slack.url, timeout=5, retry_handlers=[])


def outcomes(client: WebClient, count: int, channel: str = "C0OPS") -> list[int]:
    """The HTTP status of each of `count` chat.postMessage calls."""
    statuses = []
    for i in range(count):
        try:
            statuses.append(client.chat_postMessage(channel=channel, text=f"#{i}").status_code)
        except SlackApiError as e:
            statuses.append(e.response.status_code)
    return statuses


def test_fault_window_mixes_429_and_500_for_its_duration_then_ends() -> None:
    clock, seconds = manual_seconds()
    with SlackStandIn(clock=seconds) as slack:
        client = bare_client(slack)
        window = slack.fault_window(30, ratelimited=0.30, server_error=0.15, retry_after=2,
                                    methods=("chat.postMessage",), seed=7)
        statuses = outcomes(client, 400)
        assert client.auth_test()["ok"]  # another method passes the window by

        limited, errored = statuses.count(429), statuses.count(500)
        assert 0.22 * 400 < limited < 0.38 * 400 and 0.09 * 400 < errored < 0.21 * 400
        assert statuses.count(200) == 400 - limited - errored
        assert (window.matched, window.ratelimited_calls, window.server_error_calls) == (
            400, limited, errored)
        posts = slack.calls_to("chat.postMessage")
        assert [c.status for c in posts] == statuses
        assert {c.response["error"] for c in posts if c.status == 429} == {"ratelimited"}
        assert {c.response["error"] for c in posts if c.status == 500} == {"internal_error"}
        # A refused call has no side effect.
        assert len(slack.messages_to("C0OPS")) == statuses.count(200)
        retry_after = set()
        for _ in range(20):
            try:
                client.chat_postMessage(channel="C0OPS", text="until a 429")
            except SlackApiError as e:
                if e.response.status_code == 429:
                    retry_after.add(e.response.headers["Retry-After"])
        assert retry_after == {"2"}

        clock.advance(29.9)
        assert {429, 500} <= set(outcomes(client, 60))  # still open
        clock.advance(0.1)  # 30 s after it opened: the window is over
        assert outcomes(client, 50) == [200] * 50


def test_fault_window_draws_are_deterministic_with_a_seed() -> None:
    def run(seed: int) -> list[int]:
        _, seconds = manual_seconds()
        with SlackStandIn(clock=seconds) as slack:
            slack.fault_window(10, ratelimited=0.3, server_error=0.15, seed=seed)
            return outcomes(bare_client(slack), 60)

    assert run(3) == run(3)
    assert run(3) != run(4)


def test_fault_window_aims_at_channel_posts_or_dms_and_can_start_later() -> None:
    clock, seconds = manual_seconds()
    with SlackStandIn(clock=seconds) as slack:
        client = bare_client(slack)
        slack.fault_window(45, ratelimited=1.0, where=channel_posts, starts_in=10)
        assert outcomes(client, 3) == [200] * 3  # not open yet
        clock.advance(10)
        assert outcomes(client, 3) == [429] * 3
        assert outcomes(client, 3, channel="U0ADA") == [200] * 3
        assert outcomes(client, 2, channel="DU0ADA") == [200] * 2
        assert client.chat_update(channel="DU0ADA", ts=slack.messages_to("U0ADA")[0]["ts"],
                                  text="edited")["ok"]
        with pytest.raises(SlackApiError):  # any method aimed at a channel
            client.chat_getPermalink(channel="C0OPS", message_ts="1.0")

        slack.fault_window(45, server_error=1.0, where=direct_messages,
                           methods="chat.postMessage")
        assert outcomes(client, 2, channel="U0ADA") == [500] * 2
        assert client.auth_test()["ok"]  # no channel: neither window

        slack.end_fault_windows()
        assert outcomes(client, 2) + outcomes(client, 2, channel="U0ADA") == [200] * 4


def test_queued_faults_go_before_a_window_and_bad_windows_are_refused() -> None:
    _, seconds = manual_seconds()
    with SlackStandIn(clock=seconds) as slack:
        client = bare_client(slack)
        slack.fault_window(5, ratelimited=1.0)
        slack.fail_next("chat.postMessage", status=500)
        assert outcomes(client, 2) == [500, 429]
        slack.clear()  # clears windows too
        assert outcomes(client, 1) == [200]
        for bad in ({"ratelimited": 0.7, "server_error": 0.5}, {"ratelimited": -0.1},
                    {"retry_after": 1.5}):
            with pytest.raises(ValueError):
                slack.fault_window(5, **bad)
        with pytest.raises(ValueError):
            slack.fault_window(0, ratelimited=0.5)


# -- when a message reached Slack ------------------------------------------------------------


def test_each_message_and_call_records_its_wall_clock_arrival(
    slack: SlackStandIn, client: WebClient
) -> None:
    before = time.time()
    posted = client.chat_postMessage(channel="U0ADA", text="You are on call")
    after = time.time()
    slack.fail_next("chat.postMessage", status=200, error="channel_not_found")
    with pytest.raises(SlackApiError):
        client.chat_postMessage(channel="C0GONE", text="refused")

    [message] = slack.messages_to("U0ADA")
    assert before <= message["received"] <= after
    assert slack.received_at(posted["ts"]) == message["received"]
    assert slack.message(posted["ts"])["received"] == message["received"]
    sent, refused = slack.calls_to("chat.postMessage")
    assert sent.received == message["received"]
    assert after <= refused.received <= time.time()  # refused calls are stamped too
    assert slack.received_at("1.000000") is None
    client.chat_update(channel=posted["channel"], ts=posted["ts"], text="edited")
    assert slack.received_at(posted["ts"]) == message["received"]  # the post, not the edit


def test_channels_create_invite_and_pins(slack: SlackStandIn, client: WebClient) -> None:
    """Crisis mode's calls, answered as Slack does (errors included)."""
    made = client.conversations_create(name="crisis-flood")["channel"]
    assert made["name"] == "crisis-flood" and made["id"].startswith("C")
    for name, error in (("crisis-flood", "name_taken"), ("Crisis Flood", "invalid_name_specials")):
        with pytest.raises(SlackApiError) as refused:
            client.conversations_create(name=name)
        assert refused.value.response["error"] == error
    client.conversations_invite(channel=made["id"], users="U0ADA,U0KENJI")
    assert slack.workspace.channel_members(made["id"]) == {"U0ADA", "U0KENJI"}
    with pytest.raises(SlackApiError) as again:
        client.conversations_invite(channel=made["id"], users="U0ADA")
    assert again.value.response["error"] == "already_in_channel"
    ts = client.chat_postMessage(channel=made["id"], text="status")["ts"]
    client.pins_add(channel=made["id"], timestamp=ts)
    assert slack.workspace.pinned(made["id"]) == {ts}
    with pytest.raises(SlackApiError) as pinned:
        client.pins_add(channel=made["id"], timestamp=ts)
    assert pinned.value.response["error"] == "already_pinned"
    slack.workspace.add_channel("crisis-quake")  # someone made it already
    with pytest.raises(SlackApiError) as taken:
        client.conversations_create(name="crisis-quake")
    assert taken.value.response["error"] == "name_taken"
