"""End to end, `oncall_groups`: Slack user groups kept equal to who is on call, driven
by the manual clock (`advance` runs one reconciler tick, as the scheduled job would) and
signed slash commands, on the wired app with the Slack stand-in recording every
`usergroups.users.update`. Nothing sleeps.

Team: the example team (schedules/example/safety-escalations.yaml) with
`oncall_groups: {ar: S0ONCALLAR, all: S0ONCALL1}`, on Wed 2026-07-01 (summer). At 14:00
UTC Omar (emea-ar-fr) hands the ar/fr queue to Karim (amer-ar-fr), and João (emea-es-pt)
hands es/pt to Rafael (amer-es-pt).
"""

from __future__ import annotations

import pytest

from tests.slack_harness import SCHEDULES, ToolHarness, utc

OMAR, KARIM, RAFAEL, JOAO = "U0EU00009", "U0AM00011", "U0AM00007", "U0EU00005"
YASMINE = "U0EU00008"
MGR, MGR2 = "U0MGR0001", "U0MGR0002"
AR, ALL = "S0ONCALLAR", "S0ONCALL1"
UPDATE = "usergroups.users.update"


def team_with_groups(folder, groups: str = f"  ar: {AR}\n  all: {ALL}\n"):
    folder.mkdir(parents=True, exist_ok=True)
    text = (SCHEDULES / "safety-escalations.yaml").read_text(encoding="utf-8")
    (folder / "safety-escalations.yaml").write_text(
        text + f"\noncall_groups:\n{groups}", encoding="utf-8")
    return folder


@pytest.fixture
def slack(tmp_path, db_url):
    """On SQLite and PostgreSQL (row locks and SKIP LOCKED claims are PostgreSQL's)."""
    h = ToolHarness(tmp_path, utc(2026, 7, 1, 13, 0), database_url=db_url,
                    schedules=team_with_groups(tmp_path / "schedules"))
    h.advance(0)  # the first pass
    yield h
    h.quiet_close()


def to_time(h: ToolHarness, when) -> None:
    h.advance((when - h.clock.now()).total_seconds())


def updates(h: ToolHarness, group: str | None = None, ok: bool = True) -> list[list[str]]:
    """The member lists sent for a group (successful calls unless ok=False), in order."""
    return [c.params["users"].split(",") for c in h.standin.calls_to(UPDATE)
            if (group is None or c.params["usergroup"] == group) and (c.ok or not ok)]


def manager_notes(h: ToolHarness, contains: str) -> list[str]:
    return [c.params["text"] for c in h.posts(MGR) if contains in c.params["text"]]


def test_the_arabic_group_follows_the_handoff_and_slack_is_called_only_on_change(slack):
    # The first pass sets both groups to who is on call now.
    assert updates(slack, AR) == [[OMAR]]
    assert updates(slack, ALL) == [sorted([OMAR, JOAO])]
    # Nothing changes until the handoff: no call, however many passes.
    for when in (utc(2026, 7, 1, 13, 30), utc(2026, 7, 1, 13, 59, 59)):
        to_time(slack, when)
    assert len(updates(slack, ok=False)) == 2
    to_time(slack, utc(2026, 7, 1, 14, 0))  # at the handoff the incoming person is on call
    assert updates(slack, AR) == [[OMAR], [KARIM]]
    assert updates(slack, ALL)[-1] == sorted([KARIM, RAFAEL])
    assert slack.standin.usergroup(AR) == [KARIM]
    slack.advance(60)
    slack.advance(3600)
    assert len(updates(slack, ok=False)) == 4  # the rest of the shift: nothing again


def test_an_override_filed_from_slack_moves_the_group_at_its_start(slack):
    # Yasmine covers the last half hour of Omar's shift (times in the rotation's zone,
    # Dublin IST: 14:30-15:00 IST = 13:30-14:00 UTC). The command runs on a listener
    # thread; the group follows on the pass at the override's start.
    r = slack.command("/oncall", f"override emea-ar-fr <@{YASMINE}|yasmine> "
                                 "2026-07-01T14:30 2026-07-01T15:00", user=MGR)
    assert r.status == 200 and r.json()["text"].startswith("Done:"), r.text
    slack.advance(0)  # the pass after the edit: not yet
    assert updates(slack, AR) == [[OMAR]]
    to_time(slack, utc(2026, 7, 1, 13, 30))
    assert updates(slack, AR) == [[OMAR], [YASMINE]]
    assert sorted(updates(slack, ALL)[-1]) == sorted([YASMINE, JOAO])
    to_time(slack, utc(2026, 7, 1, 14, 0))  # the override ends at the handoff
    assert updates(slack, AR)[-1] == [KARIM]


def test_an_override_from_now_changes_the_group_on_the_next_pass(slack):
    r = slack.command("/oncall", f"override emea-ar-fr <@{YASMINE}|yasmine> "
                                 "2026-07-01T14:00 2026-07-01T15:00", user=MGR)
    assert r.status == 200 and r.json()["text"].startswith("Done:"), r.text
    slack.advance(0)  # from now (14:00 IST = 13:00 UTC): the very next pass
    assert updates(slack, AR) == [[OMAR], [YASMINE]]
    assert sorted(updates(slack, ALL)[-1]) == sorted([YASMINE, JOAO])


def test_a_refused_update_reaches_the_managers_once_and_is_retried(slack):
    # The team file names a group Slack does not have (or the app lacks the scope).
    slack.standin.fail_next(UPDATE, status=200, error="missing_scope", count=50,
                            where={"usergroup": AR})
    to_time(slack, utc(2026, 7, 1, 14, 0))
    slack.settle()
    [note] = manager_notes(slack, "could not be updated")
    assert note.startswith(f"The on-call group <!subteam^{AR}> (Arabic) could not be "
                           "updated: the bot is not allowed to change user groups.")
    assert f"It should now hold <@{KARIM}>" in note and "usergroups:write" in note
    assert len(manager_notes(slack, "could not be updated")) == 1
    assert len([c.params["text"] for c in slack.posts(MGR2)
                if "could not be updated" in c.params["text"]]) == 1
    # Retried every 15 minutes, told again only after an hour.
    refused = len(updates(slack, AR, ok=False))
    slack.advance(15 * 60)
    slack.settle()
    assert len(updates(slack, AR, ok=False)) == refused + 1
    assert len(manager_notes(slack, "could not be updated")) == 1
    for _ in range(4):
        slack.advance(15 * 60)
    slack.settle()
    assert len(manager_notes(slack, "could not be updated")) == 2
    # Slack takes it once the scope is there: the group holds Karim, nothing more is said.
    slack.standin.clear_faults()
    slack.advance(15 * 60)
    assert updates(slack, AR)[-1] == [KARIM]
    assert slack.standin.usergroup(AR) == [KARIM]
    # The other group was never held up.
    assert updates(slack, ALL)[-1] == sorted([KARIM, RAFAEL])


def test_a_rate_limit_is_retried_after_its_retry_after_without_telling_anyone(slack):
    slack.standin.fail_next(UPDATE, status=429, retry_after=30, where={"usergroup": AR})
    to_time(slack, utc(2026, 7, 1, 14, 0))
    assert updates(slack, AR)[-1] == [OMAR]
    slack.advance(29)
    assert updates(slack, AR)[-1] == [OMAR]
    slack.advance(1)
    assert updates(slack, AR)[-1] == [KARIM]
    slack.settle()
    assert manager_notes(slack, "on-call group") == []


def test_nobody_reading_the_language_keeps_the_last_members_and_tells_the_managers(tmp_path):
    # The ar/fr queue's real gap: 22:00-23:00 UTC in mid-March (see the example team).
    h = ToolHarness(tmp_path, utc(2026, 3, 10, 21, 0),
                    schedules=team_with_groups(tmp_path / "schedules"))
    try:
        h.advance(0)
        [first] = updates(h, AR)
        to_time(h, utc(2026, 3, 10, 22, 0))
        h.settle()
        assert updates(h, AR) == [first]  # Slack refuses an empty group: not asked
        [note] = manager_notes(h, "Nobody on call now reads Arabic")
        assert f"keeps its last members (<@{first[0]}>)" in note
        h.advance(600)
        h.settle()
        assert len(manager_notes(h, "Nobody on call now reads Arabic")) == 1
        to_time(h, utc(2026, 3, 10, 23, 0))
        assert updates(h, AR)[-1] != first
    finally:
        h.quiet_close()


def test_a_restart_loses_nothing_and_sends_nothing_twice(slack):
    slack.standin.drop_next(UPDATE, count=1)  # the first attempt gets no answer
    to_time(slack, utc(2026, 7, 1, 14, 0))
    slack.restart()
    slack.advance(60)
    assert updates(slack, AR)[-1] == [KARIM]
    sent = len(updates(slack, ok=False))
    slack.restart()
    slack.advance(60)
    assert len(updates(slack, ok=False)) == sent  # applied already: not sent again


def test_time_off_taken_from_slack_moves_the_group_to_the_substitute(slack):
    r = slack.command("/oncall", "away 2026-07-01 2026-07-01", user=OMAR)
    assert r.status == 200 and r.json()["text"].startswith("Done:"), r.text
    slack.advance(0)
    now = slack.clock.now()
    readers = sorted(a.user for a in slack.runtime.rosters.get("safety-escalations")
                     .on_call_for("ar", now))
    assert OMAR not in readers and readers
    assert updates(slack, AR) == [[OMAR], readers]


def test_a_team_without_groups_never_touches_user_groups(tmp_path):
    h = ToolHarness(tmp_path, utc(2026, 7, 1, 13, 0))
    try:
        h.advance(0)
        to_time(h, utc(2026, 7, 1, 14, 0))
        assert h.standin.calls_to(UPDATE) == []
    finally:
        h.quiet_close()
