"""Several teams in one workspace: /emergency picks the team by the channel it was filed
in (the team's intake_channel or one of its `intake_channels`), or asks with a team
select in the form; the confirmation and the routing name the same team. And a person
who writes to the bot gets a short help reply (the manifest's `message.im`).

Teams: the example (safety-escalations, intake C0INTAKE01) and desk-two below (intake
C0DESK2IN, also C0DESK2ALT; one emea rotation). At Wed 2026-07-01 12:00 UTC (13:00 in
Dublin) desk-two's emea shift is on and it is week 25 since 2026-01-05, so Ana Ruiz
(U0ES00002, the second member) is on call; the example's Spanish reader on call then
is in emea-es-pt.
"""

from __future__ import annotations

import shutil

import pytest

from bot.slack import ids
from bot.slack.direct_help import HELP
from tests.slack_harness import (
    INTAKE,
    REQUESTER,
    SCHEDULES,
    ToolHarness,
    emergency_values,
    utc,
)

START = utc(2026, 7, 1, 12, 0)
ANA = "U0ES00002"
DESK_TWO = """\
team: desk-two
languages: [es, en, ar]
intake_channel: C0DESK2IN
intake_channels: [C0DESK2ALT]
escalation_channel: C0DESK2ESC
managers: [U0DESKMGR1]

specialists:
  - {id: U0AR00001, name: Layla Haddad, timezone: Asia/Dubai, languages: [ar, en]}
  - {id: U0ES00002, name: Ana Ruiz, timezone: Europe/Madrid, languages: [es, en]}

rotations:
  - name: emea
    timezone: Europe/Dublin
    shift: "08:00-16:00"
    days: [mon, tue, wed, thu, fri]
    handoff: weekly
    start: 2026-01-05
    members: [U0AR00001, U0ES00002]

escalation:
  default_severity: sev2
  policies:
    sev1: {steps: [{notify: language_oncall, wait: 5m}, {notify: managers}]}
    sev2: {steps: [{notify: language_oncall, wait: 5m}, {notify: managers}]}
"""
SPANISH = "Hay un video en vivo de un chico amenazando con quitarse la vida esta noche"


@pytest.fixture
def two(tmp_path):
    folder = tmp_path / "schedules"
    folder.mkdir()
    shutil.copy(SCHEDULES / "safety-escalations.yaml", folder)
    (folder / "desk-two.yaml").write_text(DESK_TWO)
    h = ToolHarness(tmp_path, START, schedules=folder)
    yield h
    h.close()


def _team_select(view: dict) -> dict | None:
    for block in view["blocks"]:
        if block.get("block_id") == ids.TEAM_BLOCK:
            return block
    return None


def _element(view: dict, block_id: str) -> dict:
    return next(b for b in view["blocks"] if b.get("block_id") == block_id)["element"]


def team_values(team: str | None, text: str, language: str = "detect") -> dict:
    values = emergency_values(text, language=language)
    values[ids.TEAM_BLOCK] = {ids.TEAM_ACTION: {
        "type": "static_select",
        "selected_option": ({"text": {"type": "plain_text", "text": team}, "value": team}
                            if team else None)}}
    return values


def test_intake_channels_route_to_their_team_and_the_confirmation_names_it(two):
    r = two.command("/emergency", f"sev1 lang:es {SPANISH}", channel="C0DESK2ALT")
    assert r.status == 200, r.text
    reply = r.json()["text"]
    assert reply.startswith("Filed T-1 for *desk-two* (sev1, Spanish"), reply
    assert "<#C0DESK2IN>" in reply  # updates in desk-two's own intake channel
    [req] = two.requests()
    assert req.team == "desk-two"
    two.wait_for_page(ANA)
    two.wait_posted("C0DESK2IN", "T-1")
    two.settle()
    assert two.posts(INTAKE) == []  # nothing in the other team's channel


def test_the_teams_own_intake_channel_still_picks_it(two):
    r = two.command("/emergency", f"sev2 lang:es {SPANISH}", channel=INTAKE)
    assert r.status == 200, r.text
    assert r.json()["text"].startswith("Filed T-1 for *safety-escalations* (sev2"), r.text
    [req] = two.requests()
    assert req.team == "safety-escalations"
    two.wait_posted(INTAKE, "T-1")
    two.settle()
    assert ANA not in two.paged_users()


def test_an_unknown_channel_asks_which_team_and_files_for_the_one_chosen(two):
    r = two.command("/emergency", f"sev1 lang:es {SPANISH}", channel="C0ELSEWHERE")
    assert r.status == 200, r.text
    assert "pick the team in the form" in r.json()["text"]
    [opened] = two.wait_view_opened(ids.EMERGENCY_MODAL)
    view = opened.params["view"]
    select = _team_select(view)
    assert select is not None and view["blocks"][0] is select
    assert [o["value"] for o in select["element"]["options"]] == ["desk-two",
                                                                  "safety-escalations"]
    # What was typed is kept: the text, the severity and the language.
    assert _element(view, ids.TEXT_BLOCK)["initial_value"] == SPANISH
    assert _element(view, ids.LANGUAGE_BLOCK)["initial_option"]["value"] == "es"
    assert _element(view, ids.SEVERITY_BLOCK)["initial_option"]["value"] == "sev1"
    assert two.requests() == []  # nothing filed until the form is sent

    r = two.submit_view(ids.EMERGENCY_MODAL, team_values("desk-two", SPANISH, "es"),
                        REQUESTER, private_metadata=view["private_metadata"])
    assert r.status == 200 and not r.text, r.text
    [req] = two.requests()
    assert req.team == "desk-two" and req.language == "es"
    two.wait_for_page(ANA)
    two.wait_posted("C0DESK2IN", "T-1")
    two.settle()
    assert two.posts(INTAKE) == []


def test_the_form_refuses_a_team_that_does_not_read_the_language(two):
    two.command("/emergency", "", channel="C0ELSEWHERE")
    [opened] = two.wait_view_opened(ids.EMERGENCY_MODAL)
    view = opened.params["view"]
    assert _team_select(view) is not None
    # desk-two does not read Portuguese.
    r = two.submit_view(ids.EMERGENCY_MODAL, team_values("desk-two", SPANISH, "pt"),
                        REQUESTER, private_metadata=view["private_metadata"])
    assert r.status == 200
    errors = r.json()["errors"]
    assert errors[ids.LANGUAGE_BLOCK].startswith("desk-two does not read Portuguese; pick "
                                                 "one of Spanish, English, Arabic")
    r = two.submit_view(ids.EMERGENCY_MODAL, team_values(None, SPANISH), REQUESTER,
                        private_metadata=view["private_metadata"], view_id="V0VIEW0002")
    assert r.json()["errors"] == {ids.TEAM_BLOCK: "Pick the team that handles it"}
    assert two.requests() == []


def test_one_team_needs_no_choice(tmp_path):
    h = ToolHarness(tmp_path, START)
    try:
        r = h.command("/emergency", f"sev2 lang:es {SPANISH}", channel="C0ELSEWHERE")
        # The only team takes it, and the reply does not name it (there is no other).
        assert r.json()["text"].startswith("Filed T-1 (sev2, Spanish"), r.text
        h.settle()
        assert h.views_opened() == []
    finally:
        h.close()


def test_a_direct_message_to_the_bot_gets_the_help_reply(two):
    event = {"type": "message", "channel_type": "im", "channel": "D0OMAR", "user": "U0EU00009",
             "text": "hello? is anyone there", "ts": "1782907200.000100"}
    assert two.event(event, "Ev0DM1").status == 200
    [call] = two.wait_posted("D0OMAR", "I don't read messages here")
    assert call.params["text"] == HELP
    assert "/emergency" in HELP and "/oncall help" in HELP
    # Slack's retry of the same event, the bot's own reply coming back as an event, and
    # an edit: no second reply.
    assert two.event(event, "Ev0DM1").status == 200
    assert two.event({**event, "bot_id": "B0STANDBOT", "user": None, "text": HELP},
                     "Ev0DM2").status == 200
    assert two.event({**event, "subtype": "message_changed"}, "Ev0DM3").status == 200
    # A message in a channel is not for the help either.
    assert two.event({**event, "channel_type": "channel", "channel": "C0ELSEWHERE"},
                     "Ev0DM4").status == 200
    two.settle()
    assert len(two.posts("D0OMAR")) == 1
    assert two.posts("C0ELSEWHERE") == []
    assert "<" not in HELP  # no markup Slack would read as a link


def test_the_message_shortcut_asks_too_and_keeps_the_message(two):
    ts = two.post_as_someone("C0ELSEWHERE", SPANISH)
    r = two.message_shortcut(REQUESTER, "C0ELSEWHERE", ts, SPANISH)
    assert r.status == 200
    [opened] = two.wait_view_opened(ids.EMERGENCY_MODAL)
    view = opened.params["view"]
    assert _team_select(view) is not None
    assert _element(view, ids.TEXT_BLOCK)["initial_value"] == SPANISH
    assert _element(view, ids.LINK_BLOCK)["initial_value"].startswith("http")
    two.settle()
    assert two.requests() == []
