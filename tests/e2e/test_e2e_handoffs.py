"""End to end, flow 5 (shifts): handoff DMs, the handoff note in the team channel,
reminders, and re-paging at a handoff, driven by the manual clock (`advance` runs one
reconciler tick, as the scheduled job would) on the wired app with the Slack stand-in.
Nothing sleeps for a deadline.

Team: schedules/example/safety-escalations.yaml on Wed 2026-07-01 (summer: Dublin IST, Chicago
CDT). At 14:00 UTC Omar (U0EU00009, emea-ar-fr 06:00-14:00 UTC) hands the ar/fr queue
to Karim (U0AM00011, amer-ar-fr 14:00-22:00 UTC, America/Chicago), and João
(emea-es-pt) hands es/pt to Rafael (U0AM00007, amer-es-pt). The team channel is the
intake channel.
"""

from __future__ import annotations

import pytest

from bot.slack import ids
from tests.slack_harness import INTAKE, ToolHarness, has_action, page_id_of, utc

OMAR, KARIM, RAFAEL, JOAO = "U0EU00009", "U0AM00011", "U0AM00007", "U0EU00005"
HANDOFF = utc(2026, 7, 1, 14, 0)
ARABIC = "sev3 lang:ar بث مباشر لشخص يهدد بالانتحار الآن"


@pytest.fixture
def slack(tmp_path):
    h = ToolHarness(tmp_path, utc(2026, 7, 1, 13, 0))
    h.advance(0)  # the first pass only sets the cursors: no flood of past notices
    yield h
    h.quiet_close()


def to_time(h: ToolHarness, when) -> None:
    h.advance((when - h.clock.now()).total_seconds())


def texts(h: ToolHarness, channel: str, contains: str) -> list[str]:
    return [c.params["text"] for c in h.posts(channel) if contains in c.params["text"]]


def handoff_dms(h: ToolHarness, user: str) -> list[str]:
    return texts(h, user, "You are on call for")


def reminders(h: ToolHarness, user: str) -> list[str]:
    return texts(h, user, "Reminder: your on-call shift")


def notes(h: ToolHarness) -> list[str]:
    return texts(h, INTAKE, "Handoff at")


def test_reminder_then_handoff_dm_and_channel_note_once(slack):
    assert slack.posts() == []
    to_time(slack, utc(2026, 7, 1, 13, 29))
    assert reminders(slack, KARIM) == []
    to_time(slack, utc(2026, 7, 1, 13, 30))  # 30 minutes before
    [reminder] = reminders(slack, KARIM)
    assert reminder == ("Reminder: your on-call shift for amer-ar-fr (primary) starts in 30 min, "
                        "at Wed 1 Jul 09:00 CDT, until Wed 1 Jul 17:00 CDT (America/Chicago); "
                        "languages: ar, en, fr.")
    assert len(reminders(slack, RAFAEL)) == 1
    assert handoff_dms(slack, KARIM) == [] and notes(slack) == []

    to_time(slack, utc(2026, 7, 1, 13, 59, 59))
    assert handoff_dms(slack, KARIM) == []
    to_time(slack, HANDOFF)  # at a handoff instant the incoming person is on call
    [dm] = handoff_dms(slack, KARIM)
    assert dm == ("You are on call for amer-ar-fr (primary) from Wed 1 Jul 09:00 CDT until "
                  "Wed 1 Jul 17:00 CDT (America/Chicago); languages: ar, en, fr; taking over "
                  f"from <@{OMAR}>; open requests you inherit: none.")
    assert len(handoff_dms(slack, RAFAEL)) == 1
    [note] = notes(slack)
    assert note.startswith("Handoff at <!date^1782914400^")
    assert f"- amer-ar-fr (primary): <@{OMAR}> -> <@{KARIM}>, reads ar/en/fr, until " in note
    assert f"- amer-es-pt (primary): <@{JOAO}> -> <@{RAFAEL}>, reads pt/es/en, until " in note
    assert handoff_dms(slack, OMAR) == []  # the outgoing person gets no handoff DM

    # Later passes (and the rest of the shift) send nothing again.
    for _ in range(3):
        slack.advance(20 * 60)
    assert len(handoff_dms(slack, KARIM)) == 1 and len(reminders(slack, KARIM)) == 1
    assert len(notes(slack)) == 1


def test_restart_between_the_handoff_and_the_tick_sends_once(slack):
    to_time(slack, utc(2026, 7, 1, 13, 59))
    assert len(reminders(slack, KARIM)) == 1
    slack.clock.advance(90)  # 14:00:30: due, but the process dies before its tick
    slack.restart()
    slack.advance(0)
    [dm] = handoff_dms(slack, KARIM)
    assert "You are on call for amer-ar-fr (primary)" in dm
    assert len(notes(slack)) == 1
    slack.restart()  # and again after sending: nothing more
    slack.advance(60)
    slack.advance(60)
    assert len(handoff_dms(slack, KARIM)) == 1 and len(notes(slack)) == 1
    assert len(reminders(slack, KARIM)) == 1


def test_open_request_paged_to_the_outgoing_specialist_is_repaged_to_the_incoming(slack):
    to_time(slack, utc(2026, 7, 1, 13, 50))
    r = slack.command("/emergency", ARABIC)
    assert r.status == 200 and "T-1" in r.json()["text"]
    slack.wait_for_page(OMAR)  # the only Arabic reader on call at 13:50
    slack.settle()
    assert slack.paged_users() == [OMAR]

    to_time(slack, utc(2026, 7, 1, 14, 0, 30))  # sev3 waits 15 min: no escalation yet
    [dm] = handoff_dms(slack, KARIM)
    assert dm.endswith(f"open requests you inherit: T-1 (ar, open, paged <@{OMAR}>).")
    [note] = notes(slack)
    assert "Open requests: T-1 (ar)" in note
    # Karim reads Arabic and is on call now; Omar is not: T-1 is paged to Karim at once.
    assert slack.paged_users() == [OMAR, KARIM]
    assert len(handoff_dms(slack, RAFAEL)) == 1
    assert "open requests you inherit: none." in handoff_dms(slack, RAFAEL)[0]
    [page] = slack.page_posts(KARIM)
    assert "T-1" in page.params["text"]
    assert has_action(page.params["blocks"], ids.ACK)
    pages = slack.db_pages(1)
    assert [(p[0], p[4]) for p in pages][-1] == (KARIM, "pending")

    # Not re-paged again on later passes; Karim's acknowledgement stops it.
    slack.advance(60)
    assert slack.paged_users() == [OMAR, KARIM]
    slack.click(ids.ACK, page_id_of(page.params), KARIM)
    slack.wait_posted("U0REQ0001", "acknowledged")
    [req] = slack.requests()
    assert (req.status, req.assignee) == ("acknowledged", KARIM)

