"""End to end, the request's path: one team chosen one way, and what one /emergency costs.

Team: schedules/example/safety-escalations.yaml (intake channel C0INTAKE01). At 2026-07-01
12:00 UTC Omar (U0EU00009) is the one on-call reader of Arabic.
"""

from __future__ import annotations

import shutil
import time

import pytest

from bench.sqlcount import count_sql
from tests.slack_harness import SCHEDULES, ToolHarness, utc

OMAR = "U0EU00009"
REQUESTER = "U0REQ0001"
START = utc(2026, 7, 1, 12, 0)
INTAKE = "C0INTAKE01"
SECOND_INTAKE = "C0SECOND1"
MAX_STATEMENTS, MAX_TRANSACTIONS = 15, 4  # issue 8's budget for one /emergency


@pytest.fixture
def two_teams(tmp_path):
    """The example team and a copy named to sort first, with its own intake channel."""
    folder = tmp_path / "schedules"
    folder.mkdir()
    source = SCHEDULES / "safety-escalations.yaml"
    shutil.copy(source, folder / "safety-escalations.yaml")
    text = source.read_text(encoding="utf-8")
    (folder / "a-second-desk.yaml").write_text(
        text.replace("team: safety-escalations", "team: a-second-desk")
        .replace(f"intake_channel: {INTAKE}", f"intake_channel: {SECOND_INTAKE}"),
        encoding="utf-8")
    h = ToolHarness(tmp_path, START, schedules=folder)
    yield h
    h.quiet_close()


def test_with_two_teams_the_reply_and_the_routing_agree(two_teams):
    """Filed from the example team's intake channel: the reply points there and the
    request is that team's, although another team sorts first."""
    slack = two_teams
    assert slack.runtime.requests.teams()[0] == "a-second-desk"
    r = slack.command("/emergency", "sev1 lang:ar بث مباشر لتهديد مدرسة", user=REQUESTER,
                      channel=INTAKE)
    assert r.status == 200, r.text
    assert f"<#{INTAKE}>" in r.json()["text"]
    slack.wait_posted(INTAKE, "T-1")
    [req] = slack.requests()
    assert req.team == "safety-escalations"
    assert not slack.posts(SECOND_INTAKE)


@pytest.fixture
def slack(tmp_path):
    h = ToolHarness(tmp_path, START)
    yield h
    h.quiet_close()


def _quiet(counted, still: float = 0.3, timeout: float = 5.0) -> None:
    """Wait until nothing has run on the database for `still` seconds (the delivery
    threads are done), without running anything there ourselves."""
    deadline = time.monotonic() + timeout
    last, since = counted.statements, time.monotonic()
    while time.monotonic() - since < still:
        assert time.monotonic() < deadline, "the app kept running SQL"
        time.sleep(0.02)
        if counted.statements != last:
            last, since = counted.statements, time.monotonic()


def test_one_emergency_stays_within_its_sql_budget(slack):
    """File, route, page DM, card, thread: at most 15 statements in 4 transactions."""
    slack.command("/emergency", "sev1 lang:ar بث مباشر أولا", user=REQUESTER)  # warm the caches
    slack.wait_for_page(OMAR)
    slack.settle()  # the jobs are not started: nothing else runs SQL meanwhile

    with count_sql(slack.runtime.engine) as counted:
        r = slack.command("/emergency", "sev1 lang:ar بث مباشر ثانيا", user=REQUESTER)
        assert r.status == 200, r.text
        slack.wait_for_page(OMAR, count=2)
        slack.wait_posted(INTAKE, "T-2")
        card = slack.card("T-2")
        deadline = time.monotonic() + 5
        while not slack.thread(card["ts"]) and time.monotonic() < deadline:
            time.sleep(0.01)
        _quiet(counted)
    slack.settle()

    assert slack.thread(card["ts"]), "the thread lines went out"
    assert counted.statements <= MAX_STATEMENTS, "\n".join(counted.sql)
    assert counted.transactions <= MAX_TRANSACTIONS, "\n".join(counted.sql)
