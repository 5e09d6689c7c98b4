"""The stand-in's model of Slack's rate limits (`bot.demo.slack_standin.limits`): off by
default; when on, chat.postMessage per channel after a burst, the other methods' tiers
per workspace, 429 with Retry-After and no side effect, each such answer recorded. On an
injected clock, so nothing here sleeps."""

from __future__ import annotations

import pytest
from slack_sdk.errors import SlackApiError

from bot.demo.slack_standin import RATE_LIMITED, RateLimits, SlackStandIn
from bot.slack.client import make_web_client


@pytest.fixture
def clock():
    return [1000.0]


@pytest.fixture
def slack(clock):
    with SlackStandIn(clock=lambda: clock[0]) as standin:
        yield standin


def post(client, channel: str) -> int | str:
    """200, or the Retry-After of a 429."""
    try:
        client.chat_postMessage(channel=channel, text="hello")
        return 200
    except SlackApiError as err:
        assert err.response.status_code == 429 and err.response["error"] == "ratelimited"
        return err.response.headers["Retry-After"]


def test_off_by_default(slack):
    client = make_web_client("xoxb-t", base_url=slack.url, retries=False)
    assert [post(client, "C1") for _ in range(20)] == [200] * 20
    assert slack.rate_limited() == []


def test_one_post_a_second_per_channel_after_a_burst(slack, clock):
    slack.limit_rates(RateLimits(post_rate=1.0, post_burst=3))
    client = make_web_client("xoxb-t", base_url=slack.url, retries=False)
    assert [post(client, "C1") for _ in range(5)] == [200, 200, 200, "1", "1"]
    # Another channel, and a person's DM (a user id is its DM channel), have their own.
    assert [post(client, "C2") for _ in range(3)] == [200] * 3
    assert [post(client, "U1") for _ in range(3)] + [post(client, "DU1")] == [200] * 3 + ["1"]
    clock[0] += 1.0
    assert [post(client, "C1"), post(client, "C1")] == [200, "1"]
    clock[0] += 10.0  # refills up to the burst, no further
    assert [post(client, "C1") for _ in range(4)] == [200, 200, 200, "1"]
    # Turned away: no side effect, and recorded as Slack's own limit.
    assert len(slack.messages_to("C1")) == 3 + 1 + 3
    limited = slack.rate_limited()
    assert len(limited) == 5 and {c.fault for c in limited} == {RATE_LIMITED}
    assert all(c.status == 429 for c in limited)


def test_other_methods_have_per_minute_tiers_for_the_workspace(slack, clock):
    slack.limit_rates()
    client = make_web_client("xoxb-t", base_url=slack.url, retries=False)
    ts = client.chat_postMessage(channel="C1", text="x")["ts"]
    answers = []
    for _ in range(52):  # chat.update is Tier 3: 50 a minute, whichever channel
        try:
            client.chat_update(channel="C1", ts=ts, text="y")
            answers.append(200)
        except SlackApiError as err:
            answers.append(err.response.headers["Retry-After"])
    assert answers[:50] == [200] * 50 and answers[50:] == ["2", "2"]  # 60/50 s, rounded up
    clock[0] += 1.2
    client.chat_update(channel="C1", ts=ts, text="z")
    # A method with no tier listed (auth.test) is not limited here.
    assert all(client.auth_test()["ok"] for _ in range(30))
