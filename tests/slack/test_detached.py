"""Listeners answer Slack the moment they acknowledge (bot.slack.detached), with a real
Bolt app processing before responding and signed request bodies."""

from __future__ import annotations

import json
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode

import pytest
from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.authorization import AuthorizeResult

from bot.demo.simulate import sign
from bot.slack.detached import detach

SECRET = "test-signing-secret"


@pytest.fixture
def pool():
    executor = ThreadPoolExecutor(max_workers=4)
    yield executor
    executor.shutdown(wait=True)


def app_with(register, errors: list | None = None) -> App:
    app = App(signing_secret=SECRET, process_before_response=True,
              authorize=lambda **_: AuthorizeResult(enterprise_id=None, team_id="T1",
                                                    bot_token="xoxb-test", bot_user_id="UBOT"))
    if errors is not None:
        @app.error
        def handle(error, response):
            errors.append((error, response))
            return BoltResponse(status=200, body="not saved")
    register(app)
    return app


def command(app: App, text: str = "hello") -> BoltResponse:
    body = urlencode({"command": "/emergency", "text": text, "user_id": "U1",
                      "channel_id": "C1", "team_id": "T1", "trigger_id": "1.2.3"}).encode()
    headers = {k.lower(): [v] for k, v in sign(body, SECRET).items()}
    headers["content-type"] = ["application/x-www-form-urlencoded"]
    return app.dispatch(BoltRequest(body=body.decode(), headers=headers))


def test_the_answer_goes_once_acknowledged_while_the_listener_goes_on(pool):
    release, finished = threading.Event(), threading.Event()

    def emergency(ack, command):
        ack(text=f"filed: {command['text']}")
        release.wait(10)  # what a listener does after its answer (hand over the pages)
        finished.set()

    app = app_with(lambda app: app.command("/emergency")(detach(emergency, pool)))
    response = command(app)
    assert not finished.is_set()  # answered while the listener still runs
    assert response.status == 200 and response.body == "filed: hello"
    release.set()
    assert finished.wait(10)


def test_a_failure_before_acknowledging_goes_to_bolts_error_handler(pool):
    errors: list = []

    def emergency(ack):
        raise RuntimeError("database unreachable")

    app = app_with(lambda app: app.command("/emergency")(detach(emergency, pool)), errors)
    response = command(app)
    assert response.status == 200 and response.body == "not saved"
    [(error, bolt_response)] = errors
    assert str(error) == "database unreachable" and bolt_response is not None


def test_a_failure_after_acknowledging_is_logged_and_slack_has_its_answer(pool, caplog):
    errors: list = []
    failed = threading.Event()

    def emergency(ack):
        ack(text="filed")
        try:
            raise RuntimeError("the page pool is gone")
        finally:
            failed.set()

    app = app_with(lambda app: app.command("/emergency")(detach(emergency, pool)), errors)
    with caplog.at_level(logging.ERROR, logger="bot.slack.detached"):
        response = command(app)
        assert failed.wait(10)
        pool.shutdown(wait=True)  # the listener's thread has logged
    assert response.body == "filed"
    assert errors == []
    [record] = caplog.records
    assert "failed after acknowledging" in record.getMessage()
    assert "the page pool is gone" in record.getMessage()


def test_a_listener_that_never_acknowledges_is_given_up_after_the_wait(pool):
    release = threading.Event()

    def emergency(ack):
        release.wait(10)

    app = app_with(lambda app: app.command("/emergency")(
        detach(emergency, pool, ack_wait=0.05)))
    response = command(app)
    release.set()
    # What Bolt answers for any listener that never acknowledged (as when it waited
    # for the acknowledgement itself).
    assert response.status == 404


def test_an_event_listener_is_answered_at_once_and_runs_meanwhile(pool):
    release, ran = threading.Event(), threading.Event()

    def home_opened(event):
        release.wait(10)
        ran.set()

    app = app_with(lambda app: app.event("app_home_opened")(detach(home_opened, pool)))
    body = json.dumps({"type": "event_callback", "team_id": "T1", "event_id": "Ev1",
                       "event": {"type": "app_home_opened", "user": "U1", "tab": "home"}})
    headers = {k.lower(): [v] for k, v in sign(body.encode(), SECRET).items()}
    headers["content-type"] = ["application/json"]
    response = app.dispatch(BoltRequest(body=body, headers=headers))
    assert response.status == 200 and not ran.is_set()
    release.set()
    assert ran.wait(10)
