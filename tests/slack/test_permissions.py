"""Managers: the team's list, or members of its Slack user group, cached per group,
against the local Slack stand-in."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator

import pytest

from bot.core.model import Team
from bot.demo.slack_standin import SlackStandIn
from bot.slack.client import make_web_client
from bot.slack.permissions import ManagerDirectory, describe_managers

GROUP, OTHER_GROUP = "S0PMGRP01", "S0PMGRP02"
LISTED, IN_GROUP, NOBODY = "U0PM00001", "U0PM00002", "U0PM00003"
METHOD = "usergroups.users.list"


def make_team(managers=(LISTED,), group: str | None = GROUP) -> Team:
    return Team(name="perm-desk", languages=("en",), intake_channel="C0INTAKE01",
                escalation_channel="C0ESCAL01", managers=managers, manager_group=group)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    with SlackStandIn() as standin:
        standin.set_usergroup(GROUP, [IN_GROUP])
        yield standin


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def directory(slack: SlackStandIn, clock: Clock) -> ManagerDirectory:
    client = make_web_client("xoxb-test", base_url=slack.url)
    return ManagerDirectory(client, clock_fn=clock, ttl=60.0)


def test_listed_managers_need_no_slack_call(slack, directory):
    assert directory.is_manager(make_team(), LISTED)
    assert directory.is_manager(make_team(group=None), LISTED)
    assert not directory.is_manager(make_team(group=None), IN_GROUP)
    assert not directory.is_manager(make_team(), "")
    assert slack.calls_to(METHOD) == []


def test_group_members_are_managers_and_cached_within_ttl(slack, directory, clock):
    team = make_team()
    for _ in range(20):
        assert directory.is_manager(team, IN_GROUP)
        assert not directory.is_manager(team, NOBODY)
        clock.now += 2.9  # 58 s in all: still within the ttl
    [call] = slack.calls_to(METHOD)
    assert call.params["usergroup"] == GROUP


def test_refreshed_after_ttl(slack, directory, clock):
    team = make_team()
    assert directory.is_manager(team, IN_GROUP)
    slack.set_usergroup(GROUP, [NOBODY])
    clock.now += 59.9
    assert directory.is_manager(team, IN_GROUP)  # cached
    assert len(slack.calls_to(METHOD)) == 1
    clock.now += 0.2
    assert not directory.is_manager(team, IN_GROUP)  # refreshed
    assert directory.is_manager(team, NOBODY)
    assert len(slack.calls_to(METHOD)) == 2


def test_cached_per_group(slack, directory):
    slack.set_usergroup(OTHER_GROUP, [NOBODY])
    assert directory.is_manager(make_team(group=GROUP), IN_GROUP)
    assert directory.is_manager(make_team(group=OTHER_GROUP), NOBODY)
    assert not directory.is_manager(make_team(group=OTHER_GROUP), IN_GROUP)
    assert directory.is_manager(make_team(group=GROUP), IN_GROUP)
    assert sorted(c.params["usergroup"] for c in slack.calls_to(METHOD)) == [GROUP, OTHER_GROUP]


def test_slack_error_falls_back_to_the_last_members(slack, directory, clock, caplog):
    team = make_team()
    assert directory.is_manager(team, IN_GROUP)
    clock.now += 61
    slack.fail_next(METHOD, status=200, error="ratelimited")
    with caplog.at_level(logging.WARNING, logger="bot.slack.permissions"):
        assert directory.is_manager(team, IN_GROUP)  # the stale answer
    assert "ratelimited" in caplog.text and GROUP in caplog.text
    assert directory.is_manager(team, LISTED)
    calls = slack.calls_to(METHOD)
    assert len(calls) == 2 and not calls[-1].ok
    # Not asked again on every check while failing; asked again after retry_after.
    assert directory.is_manager(team, IN_GROUP)
    assert len(slack.calls_to(METHOD)) == 2
    slack.set_usergroup(GROUP, [NOBODY])
    clock.now += directory.retry_after + 0.1
    assert not directory.is_manager(team, IN_GROUP)
    assert directory.is_manager(team, NOBODY)
    assert len(slack.calls_to(METHOD)) == 3


def test_slack_error_with_nothing_cached_falls_back_to_the_list(slack, directory, clock, caplog):
    team = make_team()
    slack.fail_next(METHOD, status=200, error="missing_scope")
    with caplog.at_level(logging.WARNING, logger="bot.slack.permissions"):
        assert not directory.is_manager(team, IN_GROUP)
    assert "missing_scope" in caplog.text and "managers list alone" in caplog.text
    assert directory.is_manager(team, LISTED)
    clock.now += directory.retry_after + 0.1
    assert directory.is_manager(team, IN_GROUP)  # Slack answers again


def test_unknown_group_counts_as_empty(slack, directory):
    team = make_team(group="S0NOSUCH1")
    assert not directory.is_manager(team, IN_GROUP)
    assert directory.is_manager(team, LISTED)


def test_connection_error_falls_back(clock, caplog):
    standin = SlackStandIn().start()
    url = standin.url
    client = make_web_client("xoxb-test", base_url=url, timeout=2)
    client.retry_handlers = []  # no retries: fail at once
    standin.stop()
    directory = ManagerDirectory(client, clock_fn=clock)
    with caplog.at_level(logging.WARNING, logger="bot.slack.permissions"):
        assert not directory.is_manager(make_team(), IN_GROUP)
        assert directory.is_manager(make_team(), LISTED)
    assert "failed" in caplog.text


def test_concurrent_checks_make_one_call(slack, directory):
    slack.delay_next(METHOD, 0.3)
    team = make_team()
    results: list[bool] = []
    lock = threading.Lock()

    def check() -> None:
        ok = directory.is_manager(team, IN_GROUP)
        with lock:
            results.append(ok)

    threads = [threading.Thread(target=check) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert results == [True] * 16
    assert len(slack.calls_to(METHOD)) == 1


def test_invalidate(slack, directory):
    team = make_team()
    assert directory.is_manager(team, IN_GROUP)
    slack.set_usergroup(GROUP, [])
    directory.invalidate(GROUP)
    assert not directory.is_manager(team, IN_GROUP)
    directory.invalidate()
    assert len(slack.calls_to(METHOD)) == 2


def test_describe_managers():
    assert describe_managers(make_team(managers=("U0PM00001", "U0PM00002"))) == \
        "<@U0PM00001>, <@U0PM00002> or members of <!subteam^S0PMGRP01>"
    assert describe_managers(make_team(managers=("U0PM00001", "U0PM00002"), group=None)) == \
        "<@U0PM00001> or <@U0PM00002>"
    assert describe_managers(make_team(managers=("U0PM00001",), group=None)) == "<@U0PM00001>"
    assert describe_managers(make_team(managers=(), group=GROUP)) == \
        "members of <!subteam^S0PMGRP01>"
    assert "no managers" in describe_managers(make_team(managers=(), group=None))
    assert describe_managers(make_team(managers=("<script>",), group="bad group")) == \
        "&lt;script&gt;"
