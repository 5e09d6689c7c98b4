"""The App Home tab: on call now / off shift / manager / stranger, requests, limits, and a
publish through the Slack stand-in."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.core.messages import RequestView
from bot.core.model import Rotation, Specialist, Team
from bot.core.roster import Roster
from bot.demo.slack_standin import SlackStandIn
from bot.slack import ids
from bot.slack.client import make_web_client
from bot.slack.home import home_view

ALL_DAYS = frozenset(range(7))
AMIRA, BRUNO, CELINE = "U0HM00001", "U0HM00002", "U0HM00003"
MANAGER, STRANGER, REQUESTER = "U0HMMGR01", "U0HMSTR01", "U0HMREQ01"
GROUP = "S0HMGRP01"
# Wednesday 4 March 2026, 10:00 UTC: Amira (early rotation, week 1) is on call until 12:00.
NOW = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)


def make_team(**changes: Any) -> Team:
    """early 00:00-12:00 UTC (Amira, then Celine, weekly); late 12:00-23:00 UTC (Bruno).
    So every language is uncovered 23:00-24:00 UTC daily, Arabic also 12:00-23:00."""
    team = Team(
        name="home-desk",
        languages=("en", "ar", "fr"),
        intake_channel="C0INTAKE01",
        escalation_channel="C0ESCAL01",
        managers=(MANAGER,),
        manager_group=GROUP,
        specialists=(
            Specialist(AMIRA, "Amira", "Asia/Singapore", ("ar", "en")),
            Specialist(BRUNO, "Bruno", "Europe/Paris", ("fr", "en")),
            Specialist(CELINE, "Céline", "America/Chicago", ("ar", "fr", "en")),
        ),
        rotations=(
            Rotation("early", "UTC", time(0), time(12), ALL_DAYS, 7, date(2026, 3, 2),
                     "primary", (AMIRA, CELINE)),
            Rotation("late", "UTC", time(12), time(23), ALL_DAYS, 7, date(2026, 3, 2),
                     "primary", (BRUNO,)),
        ),
    )
    return replace(team, **changes)


def make_request(id: int, **changes: Any) -> RequestView:
    base = RequestView(
        id=id, ticket=f"T-{id}", team="home-desk", requester=REQUESTER,
        text="Someone <is> in danger & needs help", link=None, severity="sev1",
        language="ar", language_source="detected", detected="ar", confidence=0.9,
        status="open", assignee=None, outcome=None, created=NOW - timedelta(minutes=5),
        acknowledged=None, resolved=None, paged=(), needs_translation=False,
        escalation="step 1 of 3", exhausted=False, origin_channel=None, via="command",
    )
    return replace(base, **changes)


# --- checks ------------------------------------------------------------------------

TOKEN = re.compile(r"<([^<>]*)>")
ALLOWED_TOKEN = re.compile(
    r"@[UW][A-Z0-9]+|#[CGD][A-Z0-9]+|!subteam\^S[A-Z0-9]+"
    r"|!date\^\d+\^\{date_short_pretty\} \{time\}\|[^|]+"
)


def units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def check_home(view: dict[str, Any]) -> list[dict[str, Any]]:
    assert view["type"] == "home"
    blocks = view["blocks"]
    assert 1 <= len(blocks) <= 100
    block_ids = [b["block_id"] for b in blocks if "block_id" in b]
    assert len(block_ids) == len(set(block_ids))
    for b in blocks:
        texts = []
        if b["type"] == "section":
            texts.append(b["text"])
            assert units(b["text"]["text"]) <= 3000
        elif b["type"] == "context":
            texts += b["elements"]
        for t in texts:
            if t["type"] == "mrkdwn":
                for m in TOKEN.finditer(t["text"]):
                    assert ALLOWED_TOKEN.fullmatch(m.group(1)), m.group(0)
                assert "<" not in TOKEN.sub("", t["text"])
        Block.parse(b).validate_json()
    View(**view).validate_json()
    return blocks


def text_of(blocks: list[dict[str, Any]]) -> str:
    out = []
    for b in blocks:
        if b["type"] in ("section", "header"):
            out.append(b["text"]["text"])
        elif b["type"] == "context":
            out += [e["text"] for e in b["elements"]]
    return "\n".join(out)


def actions(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The action rows, but the break buttons' (bot/slack/breaks.py)."""
    return [b for b in blocks if b["type"] == "actions" and b.get("block_id") != "home_break"]


# --- the views -----------------------------------------------------------------------


def test_on_call_specialist_sees_until_when_in_own_zone_and_next_shifts():
    view = home_view(AMIRA, Roster(make_team()), NOW, [], is_manager=False)
    blocks = check_home(view)
    text = text_of(blocks)
    # 12:00 UTC is 20:00 in Singapore, the same local day.
    assert "You're on call now" in text and "*early*" in text
    assert "20:00 UTC+08 today" in text
    hand_off = int(datetime(2026, 3, 4, 12, tzinfo=UTC).timestamp())
    assert f"<!date^{hand_off}^" in text  # the hand-off as a Slack date token too
    assert "Asia/Singapore" in text
    # Next shifts: the rest of week 1 (5-8 March), then week 3 from 16 March; Celine has
    # week 2. Times in Singapore: 08:00-20:00.
    assert "Thu 5 Mar 08:00-20:00 UTC+08 (12 h)" in text
    assert "Sun 8 Mar 08:00-20:00 UTC+08" in text
    assert "Mon 9 Mar" not in text
    assert "Mon 16 Mar 08:00-20:00 UTC+08" in text
    assert "Coverage gaps" not in text  # not a manager


def test_until_joins_back_to_back_pieces():
    # Amira also covers "late" today by override: on call 00:00-23:00 UTC without a break.
    from bot.core.model import Override
    team = make_team(overrides=(Override("late", AMIRA, datetime(2026, 3, 4, 12, tzinfo=UTC),
                                         datetime(2026, 3, 4, 23, tzinfo=UTC)),))
    text = text_of(check_home(home_view(AMIRA, Roster(team), NOW, [], False)))
    assert "07:00 UTC+08 tomorrow" in text  # 23:00 UTC


def test_off_shift_specialist_sees_next_shift():
    view = home_view(BRUNO, Roster(make_team()), NOW, [], is_manager=False)
    text = text_of(check_home(view))
    assert "You're not on call right now" in text
    assert "13:00 CET today" in text  # late starts at 12:00 UTC, Paris is UTC+1 in March
    assert "Europe/Paris" in text
    assert "Wed 4 Mar 13:00-00:00 CET" not in text  # ends at midnight: shown as 24:00
    assert "Wed 4 Mar 13:00-24:00 CET (11 h)" in text
    assert "Coverage gaps" not in text


def test_specialist_with_no_shifts_in_the_horizon():
    team = make_team(rotations=make_team().rotations[:1])  # Bruno on no rotation now
    team = replace(team, specialists=team.specialists)
    view = home_view(BRUNO, Roster(team), NOW, [], False, horizon_days=14)
    # Bruno is a specialist, so he is on the team even without a rotation.
    text = text_of(check_home(view))
    assert "No shifts in the next 14 days" in text


def test_manager_sees_gaps_grouped_daily():
    view = home_view(MANAGER, Roster(make_team()), NOW, [], is_manager=True)
    text = text_of(check_home(view))
    assert "You manage *home-desk*" in text
    assert "Coverage gaps, next 14 days" in text
    # 4 March 10:00 to 18 March 10:00: Arabic 12:00-24:00 every day (14 days),
    # English and French 23:00-24:00 every day.
    assert "*Arabic* (ar)" in text and "daily 12:00-00:00 UTC, 4-17 Mar" in text
    assert "*English* (en)" in text and "daily 23:00-00:00 UTC, 4-17 Mar" in text
    assert "You can edit this team's rotations" in text


def test_manager_who_is_a_specialist_sees_gaps_in_own_zone():
    view = home_view(CELINE, Roster(make_team()), NOW, [], is_manager=True)
    text = text_of(check_home(view))
    assert "You're not on call right now" in text
    assert "times in America/Chicago" in text
    # 23:00 UTC is 17:00 CST until 8 March, 18:00 CDT from 8 March (US DST): two runs.
    assert "daily 17:00-18:00 CST" in text
    assert "daily 18:00-19:00 CDT" in text


def test_who_covers_each_language_now_primary_first():
    team = make_team(rotations=make_team().rotations + (
        Rotation("backup", "UTC", time(0), time(0), ALL_DAYS, 7, date(2026, 3, 2),
                 "secondary", (CELINE,)),
    ))
    text = text_of(check_home(home_view(BRUNO, Roster(team), NOW, [], False)))
    line = next(x for x in text.split("\n") if x.startswith("• *Arabic*"))
    assert line.index(f"<@{AMIRA}> (early)") < line.index(f"<@{CELINE}> (backup, secondary)")
    # at 23:30 nobody is on call for French
    late = text_of(home_view(BRUNO, Roster(make_team()), NOW.replace(hour=23, minute=30), [],
                             False)["blocks"])
    assert "*French*: :warning: nobody on call reads it right now" in late


def test_stranger_gets_a_friendly_explanation():
    view = home_view(STRANGER, Roster(make_team()), NOW, [make_request(1, paged=(AMIRA,))],
                     is_manager=False)
    blocks = check_home(view)
    text = text_of(blocks)
    assert "You're not on the *home-desk* on-call team" in text
    assert "/oncall help" in text and "/emergency" in text
    assert f"<@{MANAGER}> or members of <!subteam^{GROUP}>" in text
    assert "Coverage gaps" not in text and "Your next shifts" not in text
    assert not actions(blocks)


def test_open_requests_buttons_and_page_pointer():
    requests = [
        make_request(1, status="acknowledged", assignee=AMIRA, acknowledged=NOW),
        make_request(2, paged=(AMIRA, CELINE), needs_translation=True),
        make_request(3, status="resolved", assignee=AMIRA, resolved=NOW),
        make_request(4, status="acknowledged", assignee=CELINE),
        make_request(5, paged=(BRUNO,)),
    ]
    blocks = check_home(home_view(AMIRA, Roster(make_team()), NOW, requests, False))
    text = text_of(blocks)
    assert "*What needs you now* (2)" in text  # was "Open requests for you" (issue 10)
    assert "T-1" in text and "T-2" in text
    assert "T-3" not in text and "T-4" not in text and "T-5" not in text
    assert "Someone &lt;is&gt; in danger &amp; needs help" in text  # escaped
    [row] = actions(blocks)  # only the acknowledged one has buttons
    assert row["block_id"] == f"{ids.HOME_REQUEST_BLOCK}:1"
    assert [(e["action_id"], e["value"]) for e in row["elements"]] == [
        (ids.RESOLVE, "1"), (ids.HANDOVER, "1")]
    assert ids.ACK not in str(blocks) and ids.DECLINE not in str(blocks)
    assert "Paging you: acknowledge or decline it from the page in your DMs" in text
    assert "needs translation" in text
    # the one waiting for an answer comes first
    assert text.index("T-2") < text.index("T-1")


def test_limits_hold_with_many_requests_and_languages():
    langs = tuple(f"l{i}" for i in range(60))
    team = make_team(languages=langs)
    requests = [make_request(i, status="acknowledged", assignee=AMIRA, text="x" * 5000)
                for i in range(1, 80)]
    blocks = check_home(home_view(AMIRA, Roster(team), NOW, requests, True, horizon_days=90))
    assert len(blocks) <= 100
    text = text_of(blocks)
    assert "more open requests" in text
    assert "more" in text  # shifts over 90 days are cut at 10


def test_naive_now_is_utc():
    a = home_view(AMIRA, Roster(make_team()), NOW.replace(tzinfo=None), [], False)
    b = home_view(AMIRA, Roster(make_team()), NOW, [], False)
    assert a == b


def test_publish_through_the_standin():
    view = home_view(MANAGER, Roster(make_team()), NOW, [], is_manager=True)
    with SlackStandIn() as slack:
        client = make_web_client("xoxb-test", base_url=slack.url)
        client.views_publish(user_id=MANAGER, view=view)
        published = slack.home_view(MANAGER)
    assert published is not None
    assert published["type"] == "home"
    assert published["blocks"] == view["blocks"]


@pytest.mark.parametrize("user", [AMIRA, BRUNO, CELINE, MANAGER, STRANGER])
@pytest.mark.parametrize("hour", [0, 11, 12, 22, 23])
def test_every_view_is_valid(user, hour):
    now = NOW.replace(hour=hour, minute=59)
    check_home(home_view(user, Roster(make_team()), now, [make_request(9, paged=(user,))],
                         is_manager=user in (MANAGER, CELINE)))


def test_what_needs_you_comes_first_pages_then_alerts_then_yours():
    """Issue 10: pages waiting for you (Acknowledge, Decline), alerts you got as a
    manager (Take it, Page someone), then what you have (Resolve, Hand over); then
    whether you are on call, then your next shifts."""
    from bot.core.messages import PageView

    paging = make_request(2, paged=(AMIRA,))
    alerted = make_request(3)
    taken = make_request(1, status="acknowledged", assignee=AMIRA, acknowledged=NOW)
    page = PageView(77, AMIRA, "pending", "on_call", False, paging)
    blocks = check_home(home_view(AMIRA, Roster(make_team()), NOW, [taken, paging], False,
                                  waiting=[page], alerts=[alerted, paging]))
    text = text_of(blocks)
    assert "*What needs you now* (3)" in text
    assert text.index("T-2") < text.index("T-3") < text.index("T-1")
    assert text.index("T-1") < text.index("You're on call now") < text.index("Your next shifts")
    rows = [(b["block_id"], [(e["action_id"], e["value"]) for e in b["elements"]])
            for b in actions(blocks)]
    assert rows == [
        (f"{ids.HOME_PAGE_BLOCK}:77", [(ids.ACK, "77"), (ids.DECLINE, "77")]),
        (f"{ids.HOME_ALERT_BLOCK}:3", [(ids.TAKE, "3"), (ids.PAGE_SOMEONE, "3")]),
        (f"{ids.HOME_REQUEST_BLOCK}:1", [(ids.RESOLVE, "1"), (ids.HANDOVER, "1")]),
    ]
    assert "Paging you: acknowledge or decline it from the page" not in text


def test_nothing_needs_you():
    text = text_of(check_home(home_view(BRUNO, Roster(make_team()), NOW, [], False)))
    assert "*What needs you now*\nNothing" in text
    assert text.index("What needs you now") < text.index("You're not on call right now")
