"""End to end, flow 6 (rotation management): `/oncall` as Slack sends it (signed, mentions
escaped as `<@U…|name>`) to /slack/events of the running app, the Web API answered by the
local Slack stand-in, a manual clock. Nothing is called in-process except reads of the
database and the roster for the assertions.

The team is schedules/example/safety-escalations.yaml at Wed 2026-07-01 12:00 UTC (Dublin on
IST, Chicago on CDT) unless a test says otherwise:
- emea-ar-fr (Dublin 07:00-15:00 = 06:00-14:00 UTC, weeks from Tuesdays): Omar on call
  through Mon 07-06, Yasmine from Tue 07-07; nobody else reads Arabic then.
- emea-es-pt (same hours, weeks from Mondays): João this week, Lucía from Mon 07-06.
- Managers U0MGR0001 and U0MGR0002; manager group S0MGRGRP1 (empty on the stand-in
  unless a test fills it).
"""

from __future__ import annotations

import dataclasses
import json
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.core.roster import Roster
from bot.schedules.holidays import holiday_dates
from bot.schedules.reader import load_schedules
from bot.slack import ids
from bot.slack.ids import COVER_ACCEPT, SWAP_ACCEPT, SWAP_DECLINE
from bot.store.paging_tables import OutboxRow
from tests.slack_harness import FIXTURE_TEAMS, SCHEDULES, ToolHarness, blocks_text, utc

TEAM = "safety-escalations"
MGR, MGR2 = "U0MGR0001", "U0MGR0002"
OMAR, YASMINE, LUCIA, JOAO = "U0EU00009", "U0EU00008", "U0EU00004", "U0EU00005"
KARIM, RAMI, SAMI, HANA = "U0AM00011", "U0AM00010", "U0SG00012", "U0SG00013"
STRANGER = "U0STRANGE1"
VALERIA = "U0AM00006"
M_OMAR, M_YASMINE, M_LUCIA, M_VALERIA = (f"<@{OMAR}|omar>", f"<@{YASMINE}|yasmine>",
                                         f"<@{LUCIA}|lucia>", f"<@{VALERIA}|valeria>")
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def slack(tmp_path):
    h = ToolHarness(tmp_path, utc(2026, 7, 1, 12, 0))
    yield h
    h.quiet_close()


def oncall(h: ToolHarness, text: str, user: str = MGR) -> str:
    """Run `/oncall <text>` as `user`; the ephemeral reply's text (Slack got an answer
    within the request, as it must for a slash command)."""
    r = h.command("/oncall", text, user=user)
    assert r.status == 200, r.text
    if not r.body:
        return ""
    doc = r.json()
    assert doc.get("response_type") == "ephemeral", doc
    return doc["text"]


def revision(h: ToolHarness) -> int:
    return h.runtime.rotations.revision(TEAM)


def roster(h: ToolHarness, team: str = TEAM) -> Roster:
    return h.runtime.rosters.get(team)


def readers(h: ToolHarness, lang: str, at, team: str = TEAM) -> list[str]:
    return [a.user for a in roster(h, team).on_call_for(lang, at)]


def dm_texts(h: ToolHarness, user: str) -> list[str]:
    return [m["text"] for m in h.dms(user)]


# -- reading commands -------------------------------------------------------------------


def test_help_lists_every_command_and_details_one(slack):
    text = oncall(slack, "help", user=STRANGER)
    for usage in ("/oncall who [lang]", "/oncall me", "/oncall report [days]",
                  "/oncall shifts [rotation|@user] [days]", "/oncall coverage [days]",
                  "/oncall rotation list", "/oncall rotation add &lt;name&gt; @user",
                  "/oncall override &lt;rotation&gt; @user", "/oncall swap @user &lt;date&gt;",
                  "/oncall cover &lt;from&gt; &lt;to&gt;", "/oncall specialist @user",
                  "/oncall export [rotation|@user]"):
        assert usage in text, usage
    assert oncall(slack, "", user=STRANGER) == text  # `/oncall` alone is the help

    one = oncall(slack, "help rotation create", user=STRANGER)
    assert one.startswith("*/oncall rotation create*")
    assert "timezone and shift are required" in one
    assert "Example: `/oncall rotation create emea timezone=Europe/Dublin" in one
    assert "managers" in one
    swap = oncall(slack, "help swap")
    assert "Example: `/oncall swap @ana 2026-12-24`" in swap
    assert "/oncall who" not in swap


def test_who_and_who_for_one_language(slack):
    text = oncall(slack, "who", user=STRANGER)
    assert text.startswith("*On call now*")
    assert f"`emea-ar-fr` <@{OMAR}> (ar, en, fr)" in text
    assert f"`emea-es-pt` <@{JOAO}> (pt, es, en)" in text
    assert f"`ar` <@{OMAR}>" in text
    assert f"`es` <@{JOAO}>" in text
    # Times are Slack date tokens (each reader sees their own zone), UTC as the fallback.
    assert "|2026-07-01 06:00 UTC> → <!date^" in text

    # For a language: who a request would page now, in order, and how busy they are.
    ar = oncall(slack, "who ar", user=STRANGER)
    assert ar.startswith("*On call for Arabic*\n*Best first*\n")
    assert f"1. <@{OMAR}> · `emea-ar-fr` · reads ar, en, fr · 0 open" in ar
    assert f"<@{JOAO}>" not in ar
    assert oncall(slack, "who lang:ar", user=STRANGER) == ar


def test_me_shows_a_specialists_languages_rotations_and_next_shifts(slack):
    text = oncall(slack, "me", user=OMAR)
    assert f"*Omar Farouk* (<@{OMAR}>), team {TEAM}." in text
    assert "Zone Africa/Cairo; reads ar, en, fr (strongest first); backup for ar" in text
    assert "Rotations: emea-ar-fr (position 2 of 2)" in text
    # His own zone: 06:00 UTC is 09:00 in Cairo (EEST); Yasmine's week comes in between.
    assert "emea-ar-fr Wed 2026-07-01 09:00-17:00 EEST" in text
    assert "Tue 2026-07-07" not in text and "Tue 2026-07-14 09:00-17:00 EEST" in text

    assert "You are a manager of this team" in oncall(slack, "me", user=MGR)
    assert "not a specialist" in oncall(slack, "me", user=STRANGER)


def test_report_is_for_managers(slack):
    text = oncall(slack, "report 7")
    assert text.startswith(f"*Response report, {TEAM}*")
    assert "from 2026-06-24 to 2026-07-01" in text
    refused = oncall(slack, "report", user=OMAR)
    assert refused.startswith(":warning: only managers")
    assert f"<@{MGR}>" in refused and f"<@{MGR2}>" in refused


def test_shifts_own_of_a_rotation_and_of_a_person(slack):
    mine = oncall(slack, "shifts", user=OMAR)
    assert mine.startswith(f"*Shifts of <@{OMAR}>, next 7 day(s)*")
    assert mine.count("`emea-ar-fr`") == 6  # Wed 07-01 .. Mon 07-06, then Yasmine's week
    assert "emea-es-pt" not in mine
    everyone = oncall(slack, "shifts 1")  # a manager with no shifts: every rotation
    assert everyone.startswith("*Shifts of all rotations, next 1 day(s)*")
    assert "`amer-ar-fr`" in everyone and "`apac-es-pt`" in everyone

    rot = oncall(slack, "shifts emea-ar-fr 8", user=STRANGER)
    assert rot.startswith("*Shifts of `emea-ar-fr`, next 8 day(s)*")
    lines = [ln for ln in rot.splitlines() if ln.startswith("•")]
    assert len(lines) == 9  # the shift going on now, then every one starting in 8 days
    assert all(f"<@{OMAR}>" in ln for ln in lines[:6])
    assert all(f"<@{YASMINE}>" in ln for ln in lines[6:])
    assert "|2026-07-07 06:00 UTC>" in lines[6]

    person = oncall(slack, f"shifts {M_LUCIA} 14", user=STRANGER)
    assert person.startswith(f"*Shifts of <@{LUCIA}>, next 14 day(s)*")
    assert person.count("`emea-es-pt`") == 7  # her week, Mon 07-06 .. Sun 07-12
    assert "|2026-07-06 06:00 UTC>" in person


def test_coverage_uploads_a_png_chart_and_lists_the_gaps(tmp_path):
    # March 2026: Chicago is on CDT, Dublin still on GMT: ar/fr uncovered 22:00-23:00 UTC.
    h = ToolHarness(tmp_path, utc(2026, 3, 10, 14, 5))
    try:
        assert oncall(h, "coverage 7", user=OMAR) == "Drawing the coverage chart..."
        [done] = h.standin.wait_for(lambda c: c.method == "files.completeUploadExternal",
                                    description="files_upload_v2 completed")
        assert done.ok and done.params["channel_id"] == "C0SAFETY1"
        [entry] = done.params["files"]
        assert entry["title"] == "Coverage, next 7 days"
        content = h.standin.file(entry["id"])["content"]
        assert content.startswith(PNG) and len(content) > 1000
        comment = done.params["initial_comment"]
        assert comment.startswith("Coverage for the next 7 day(s):")
        assert "Arabic" in comment and "French" in comment
        # Omar reads the list in his zone: 22:00-23:00 UTC is 00:00-01:00 in Cairo.
        assert ":red_circle: *Arabic* (ar), 7 h uncovered: daily 00:00-01:00 EET, 11-17 Mar" \
            in comment
        assert "_Covered throughout:_ English, Spanish, Portuguese" in comment
        # In the gap `who ar` says nobody on shift reads it, and names the off-shift
        # backups a request would page, in order.
        h.clock.set(utc(2026, 3, 10, 22, 30))
        gap = oncall(h, "who ar", user=OMAR)
        assert "*Nobody on shift reads Arabic: off-shift backups, in order*" in gap
        assert f"1. <@{OMAR}> · reads ar, en, fr · 0 open" in gap
        assert f"2. <@{RAMI}>" in gap
    finally:
        h.quiet_close()


def test_rotation_list_and_show(slack):
    listed = oncall(slack, "rotation list", user=STRANGER)
    assert listed.startswith(f"*Rotations of {TEAM}*")
    assert ("- *emea-ar-fr*: Europe/Dublin, shift 07:00-15:00 local, every day, weekly "
            f"handoff from 2026-01-06, primary; members <@{YASMINE}>, <@{OMAR}>") in listed
    assert "- *ar-fr-overnight*: Europe/Dublin, shift 23:00-07:00 local, every day, 3d" in listed
    assert len([ln for ln in listed.splitlines() if ln.startswith("- *")]) == 7

    shown = oncall(slack, "rotation show night-backup", user=STRANGER)
    assert shown.startswith("*night-backup*: Asia/Singapore, shift 07:00-15:00 local, "
                            "mon,tue,wed,thu,fri, daily handoff from 2026-01-07, secondary")
    assert "1. <@U0SG00014> Grace Tan (en, fr)" in shown
    assert "Next 7 days (Asia/Singapore):" in shown


# -- editing commands ---------------------------------------------------------------------


def test_manager_builds_and_dismantles_a_rotation_with_commands(slack):
    def rot():
        return roster(slack).team.rotation("weekend-ar")

    rev = revision(slack)
    text = oncall(slack, "rotation create weekend-ar timezone=Europe/Paris shift=10:00-18:00 "
                         "days=sat,sun handoff=daily start=2026-07-04 tier=secondary")
    assert text.startswith("Done: created rotation weekend-ar (Europe/Paris, shift "
                           "10:00-18:00 local, sat,sun, daily handoff from 2026-07-04, "
                           "secondary)")
    assert rot().members == () and revision(slack) == rev + 1

    assert "added <@U0EU00008> to weekend-ar at position 1" in oncall(
        slack, f"rotation add weekend-ar {M_YASMINE}")
    assert "added <@U0EU00009> to weekend-ar at position 1" in oncall(
        slack, f"rotation add weekend-ar {M_OMAR} 1")
    assert rot().members == (OMAR, YASMINE)
    # Sat 07-04 10:00 Paris = 08:00 UTC: the first member, Omar; Sunday, Yasmine.
    sat, sun = utc(2026, 7, 4, 9), utc(2026, 7, 5, 9)
    assert [a.user for a in roster(slack).on_call(sat) if a.rotation == "weekend-ar"] == [OMAR]

    text = oncall(slack, f"rotation move weekend-ar {M_OMAR} 2")
    assert "moved <@U0EU00009> to position 2 in weekend-ar" in text
    assert rot().members == (YASMINE, OMAR)
    assert [a.user for a in roster(slack).on_call(sun) if a.rotation == "weekend-ar"] == [OMAR]

    text = oncall(slack, "rotation set weekend-ar shift=09:00-17:00 tier=primary")
    assert "changed rotation weekend-ar: shift 10:00-18:00 -> 09:00-17:00, tier secondary " \
           "-> primary" in text
    assert (rot().tier, f"{rot().shift_start:%H:%M}") == ("primary", "09:00")

    assert "removed <@U0EU00008> from weekend-ar" in oncall(
        slack, f"rotation remove weekend-ar {M_YASMINE}")
    assert rot().members == (OMAR,)
    assert "Done: deleted rotation weekend-ar." in oncall(slack, "rotation delete weekend-ar")
    assert rot() is None
    assert revision(slack) == rev + 7
    assert "weekend-ar" not in oncall(slack, "rotation list")


def test_override_away_and_specialist(slack):
    thu = utc(2026, 7, 2, 8)  # Omar's shift; Yasmine is off this week
    text = oncall(slack, f"override emea-ar-fr {M_YASMINE} 2026-07-02T07:00 2026-07-02T15:00")
    assert text.startswith("Done: <@U0EU00008> covers emea-ar-fr Thu 2026-07-02 "
                           "07:00-15:00 IST.")
    assert readers(slack, "ar", thu) == [YASMINE]
    [a] = [a for a in roster(slack).on_call(thu) if a.rotation == "emea-ar-fr"]
    assert (a.kind, a.start, a.end) == ("override", utc(2026, 7, 2, 6), utc(2026, 7, 2, 14))

    # A specialist marks their own day off (dates in their zone, inclusive): the next
    # member (Yasmine) covers it, so Arabic keeps a reader and it goes through.
    text = oncall(slack, "away 2026-07-03 2026-07-03", user=OMAR)
    assert text.startswith("Done: <@U0EU00009> is away 2026-07-03 to 2026-07-03 "
                           "(Africa/Cairo).")
    fri = utc(2026, 7, 3, 8)
    assert readers(slack, "ar", fri) == [YASMINE]
    assert roster(slack).is_away(OMAR, fri)
    # A manager may mark anyone's.
    text = oncall(slack, f"away {M_YASMINE} 2026-07-04 2026-07-04")
    assert text.startswith("Done: <@U0EU00008> is away 2026-07-04 to 2026-07-04 "
                           "(Europe/Paris).")
    # With Yasmine away too, Omar's Saturday off would leave nobody reading Arabic: his
    # own time off is refused, saying which language and when.
    rev = revision(slack)
    refused = oncall(slack, "away 2026-07-04 2026-07-04", user=OMAR)
    assert refused.startswith(":warning: this time off would leave Arabic (ar) with nobody "
                              "on call: Sat 2026-07-04 06:00-14:00 UTC (your time: Sat "
                              "2026-07-04 09:00-17:00 EEST)")
    assert revision(slack) == rev
    assert readers(slack, "ar", utc(2026, 7, 4, 8)) == [OMAR]

    added = oncall(slack, "specialist <@U0EU00077|nadia> languages=ar,fr,en "
                          "timezone=Europe/Brussels backup=ar name=Nadia Amrani")
    assert added.startswith("Done: added specialist <@U0EU00077> (Europe/Brussels; reads "
                            "ar, fr, en; backup ar).")
    spec = roster(slack).specialist("U0EU00077")
    assert (spec.name, spec.languages, spec.backup) == ("Nadia Amrani", ("ar", "fr", "en"),
                                                        ("ar",))
    shown = oncall(slack, "specialist <@U0EU00077|nadia>", user=OMAR)  # showing: anyone
    assert shown == ("<@U0EU00077> (Nadia Amrani): languages ar, fr, en, time zone "
                     "Europe/Brussels, backup ar, skills none")
    assert "updated specialist <@U0EU00077>" in oncall(
        slack, "specialist <@U0EU00077|nadia> timezone=Africa/Tunis")
    assert roster(slack).specialist("U0EU00077").timezone == "Africa/Tunis"


def test_people_whose_shifts_moved_are_told_what_changed(slack):
    text = oncall(slack, f"rotation move emea-ar-fr {M_OMAR} 1")
    assert "moved <@U0EU00009> to position 1 in emea-ar-fr" in text
    assert "Told about their changed shifts: <@U0EU00008>, <@U0EU00009>" in text
    slack.settle()
    [to_omar] = dm_texts(slack, OMAR)
    [to_yasmine] = dm_texts(slack, YASMINE)
    for dm in (to_omar, to_yasmine):
        assert dm.startswith("Your on-call shifts changed: moved <@U0EU00009> to position 1 "
                             "in emea-ar-fr (by <@U0MGR0001>).")
    # Weeks from 2026-01-06: this week becomes the first member's, Yasmine's; next week
    # Omar's. Each is told in their own zone.
    assert "no longer on call for emea-ar-fr" in to_omar and "EEST" in to_omar
    assert "now on call for emea-ar-fr" in to_omar
    assert "now on call for emea-ar-fr: Wed 2026-07-01" in to_yasmine and "CEST" in to_yasmine
    assert readers(slack, "ar", utc(2026, 7, 2, 8)) == [YASMINE]
    # Nobody else's shifts moved; the manager who did it got the reply, not a DM.
    assert {c.params["channel"] for c in slack.posts()} == {OMAR, YASMINE}


# -- refusals -------------------------------------------------------------------------------


MANAGER_ONLY = [
    "rotation create x timezone=UTC shift=08:00-16:00",
    "rotation set emea-ar-fr shift=08:00-16:00",
    f"rotation add emea-ar-fr {M_LUCIA}",
    f"rotation remove emea-ar-fr {M_YASMINE}",
    f"rotation move emea-ar-fr {M_OMAR} 1",
    "rotation delete emea-ar-fr",
    f"override emea-ar-fr {M_LUCIA} 2026-07-02 2026-07-02",
    f"specialist {M_LUCIA} languages=es,en",
    "rotation create",
    "rotation edit emea-ar-fr",
    f"away {M_YASMINE} 2026-07-20 2026-07-21",
]


def test_specialist_may_not_edit_and_is_told_who_may(slack):
    rev = revision(slack)
    for text in MANAGER_ONLY:
        reply = oncall(slack, text, user=OMAR)
        assert reply.startswith(":warning: only"), (text, reply)
        assert f"<@{MGR}>" in reply and f"<@{MGR2}>" in reply, (text, reply)
        assert "group" in reply or "subteam" in reply, (text, reply)
    assert revision(slack) == rev
    assert slack.views_opened() == []
    assert slack.posts() == []


def test_stranger_may_read_but_not_edit_swap_or_take_time_off(slack):
    rev = revision(slack)
    for text in MANAGER_ONLY:
        reply = oncall(slack, text, user=STRANGER)
        assert reply.startswith(":warning: only"), (text, reply)
        assert f"<@{MGR}>" in reply, (text, reply)
    assert oncall(slack, f"swap {M_OMAR} 2026-07-03", user=STRANGER) == (
        f"{':warning:'} you are not a specialist of {TEAM}")
    assert "is not a specialist" in oncall(slack, "away 2026-07-03 2026-07-04", user=STRANGER)
    assert "not a specialist" in oncall(slack, "cover 2026-07-03 2026-07-04", user=STRANGER)
    assert revision(slack) == rev
    assert slack.posts() == [] and slack.views_opened() == []


BAD = [
    # (command, what the reply must say was wrong, the example it must show)
    ("rotation create emea2 timezone=Mars/Base shift=08:00-16:00",
     "Unknown time zone 'Mars/Base'", "Example: `/oncall rotation create emea"),
    ("rotation create emea2 timezone=Europe/Dublin",
     "Missing shift=", "shift=08:00-16:00"),
    ("rotation create emea2 timezone=Europe/Dublin shift=25:00-08:00",
     "out of range", "shift=08:00-16:00"),
    ("rotation set emea-ar-fr days=funday", "'funday' is not a day", "days=mon,wed,fri"),
    ("rotation set emea-ar-fr handoff=0d", "not daily, weekly or every N days",
     "handoff=3d"),
    ("rotation set emea-ar-fr colour=blue", "Unknown key 'colour'",
     "Example: `/oncall rotation set"),
    (f"rotation add emea-ar-fr {M_LUCIA} 0", "Position must be at least 1",
     "Example: `/oncall rotation add emea @layla 2`"),
    ("rotation add emea-ar-fr @lucia", "@lucia", "Example: `/oncall rotation add"),
    (f"rotation add no-such-rotation {M_LUCIA}", "no rotation named 'no-such-rotation'",
     "e.g. `/oncall rotation"),
    ("rotation add emea-ar-fr <@U0NOBODY1|x>", "not a specialist",
     "`/oncall specialist @layla languages=ar,fr,en"),
    ("rotation create emea-ar-fr timezone=UTC shift=08:00-16:00",
     "already a rotation named 'emea-ar-fr'", "e.g. emea-ar-fr-2"),
    (f"override emea-ar-fr {M_YASMINE} 2026-07-02T15:00 2026-07-02T07:00",
     "must be after", "Example: `/oncall override emea @ana"),
    # (`08:00` alone is a time people type now: today's, or tomorrow's if it has passed)
    (f"override emea-ar-fr {M_YASMINE} 2026-07-02 soon", "is not a date",
     "2026-12-24T08:00"),
    ("swap", "Missing", "Example: `/oncall swap @ana 2026-12-24`"),
    ("specialist <@U0EU00077|nadia> languages=xx timezone=UTC",
     "'xx' is not an ISO 639-1 code", "Example: `/oncall specialist @layla"),
    ("specialist <@U0EU00077|nadia> languages=de,en timezone=Europe/Berlin", "'de'",
     "e.g. `/oncall specialist @layla"),
    ("specialist <@U0EU00077|nadia> languages=ar", "give their languages",
     "e.g. `/oncall specialist @layla languages=ar,fr,en"),
    ("rotation frobnicate", "Unknown rotation command 'frobnicate'", "Example:"),
    ("whom", "Unknown command 'whom'", "Did you mean `who`?"),
]


def test_bad_arguments_say_what_was_wrong_with_an_example_and_change_nothing(slack):
    rev = revision(slack)
    before = roster(slack).team
    for text, wrong, example in BAD:
        reply = oncall(slack, text)
        assert wrong in reply, (text, reply)
        assert example in reply, (text, reply)
    assert revision(slack) == rev
    assert roster(slack).team == before
    assert slack.posts() == []


def test_member_of_the_manager_group_may_edit(slack):
    boss = "U0GRPMGR1"
    slack.standin.set_usergroup("S0MGRGRP1", [boss])
    rev = revision(slack)
    text = oncall(slack, "rotation set night-backup days=mon-sat", user=boss)
    assert text.startswith("Done: changed rotation night-backup: days ")
    assert revision(slack) == rev + 1
    assert roster(slack).team.rotation("night-backup").days == frozenset(range(6))
    assert oncall(slack, "report", user=boss).startswith("*Response report")
    assert "You are a manager of this team" in oncall(slack, "me", user=boss)
    # Only that group counts: someone outside it is still refused.
    assert oncall(slack, "rotation set night-backup days=mon-fri",
                  user="U0GRPNOT01").startswith(":warning: only")
    assert slack.standin.calls_to("usergroups.users.list")[0].params["usergroup"] == "S0MGRGRP1"


# -- the rotation modal --------------------------------------------------------------------


def initial_values(view: dict) -> dict:
    """view.state.values as Slack sends them when the user submits what the modal shows."""
    values: dict = {}
    for block in view["blocks"]:
        if block["type"] != "input":
            continue
        el = block["element"]
        kind = el["type"]
        state: dict = {"type": kind}
        if kind in ("plain_text_input", "number_input"):
            state["value"] = el.get("initial_value")
        elif kind in ("static_select", "radio_buttons"):
            state["selected_option"] = el.get("initial_option")
        elif kind == "timepicker":
            state["selected_time"] = el.get("initial_time")
        elif kind == "datepicker":
            state["selected_date"] = el.get("initial_date")
        elif kind == "checkboxes":
            state["selected_options"] = list(el.get("initial_options", []))
        elif kind == "multi_users_select":
            state["selected_users"] = list(el.get("initial_users", []))
        values[block["block_id"]] = {el["action_id"]: state}
    return values


def put(values: dict, block: str, key: str, value) -> None:
    [action] = values[block]
    values[block][action][key] = value


def option(value: str) -> dict:
    return {"text": {"type": "plain_text", "text": value}, "value": value}


def open_modal(h: ToolHarness, text: str, user: str = MGR) -> dict:
    count = len(h.views_opened()) + 1
    assert oncall(h, text, user=user) == ""  # acknowledged with no reply: a modal opens
    call = h.wait_view_opened(ids.ROTATION_MODAL, count=count)[-1]
    return call.params["view"]


def submit(h: ToolHarness, view: dict, values: dict, user: str = MGR):
    r = h.submit_view(ids.ROTATION_MODAL, values, user=user,
                      private_metadata=view["private_metadata"])
    assert r.status == 200, r.text
    return r.json() if r.body else None


def test_rotation_create_modal_opens_and_good_values_create_the_rotation(slack):
    rev = revision(slack)
    view = open_modal(slack, "rotation create")
    assert view["callback_id"] == ids.ROTATION_MODAL and view["title"]["text"] == "New rotation"
    assert json.loads(view["private_metadata"]) == {"team": TEAM, "rotation": None,
                                                    "revision": rev}
    values = initial_values(view)
    put(values, ids.ROTATION_NAME_BLOCK, "value", "gulf-ar")
    put(values, ids.ROTATION_TIMEZONE_BLOCK, "selected_option", option("Asia/Dubai"))
    put(values, ids.ROTATION_SHIFT_START_BLOCK, "selected_time", "08:00")
    put(values, ids.ROTATION_SHIFT_END_BLOCK, "selected_time", "16:00")
    put(values, ids.ROTATION_DAYS_BLOCK, "selected_options",
        [option(d) for d in ("sat", "sun")])
    put(values, ids.ROTATION_HANDOFF_BLOCK, "selected_option", option(ids.HANDOFF_EVERY))
    put(values, ids.ROTATION_HANDOFF_DAYS_BLOCK, "value", "2")
    put(values, ids.ROTATION_START_BLOCK, "selected_date", "2026-07-04")
    put(values, ids.ROTATION_TIER_BLOCK, "selected_option", option("secondary"))
    put(values, ids.ROTATION_MEMBERS_BLOCK, "selected_users", [OMAR, SAMI])
    assert submit(slack, view, values) is None  # closes the modal

    rot = roster(slack).team.rotation("gulf-ar")
    assert (rot.timezone, f"{rot.shift_start:%H:%M}-{rot.shift_end:%H:%M}", rot.days,
            rot.handoff_days, rot.start.isoformat(), rot.tier, rot.members) == (
        "Asia/Dubai", "08:00-16:00", frozenset({5, 6}), 2, "2026-07-04", "secondary",
        (OMAR, SAMI))
    # Sat 07-04 08:00 Dubai = 04:00 UTC: Omar's turn (two days), then Sami's.
    assert [a.user for a in roster(slack).on_call(utc(2026, 7, 4, 5))
            if a.rotation == "gulf-ar"] == [OMAR]
    assert [a.user for a in roster(slack).on_call(utc(2026, 7, 11, 5))
            if a.rotation == "gulf-ar"] == [SAMI]


def test_rotation_modal_bad_values_come_back_as_field_errors(slack):
    rev = revision(slack)
    view = open_modal(slack, "rotation create")
    values = initial_values(view)
    put(values, ids.ROTATION_NAME_BLOCK, "value", "gulf-ar")
    put(values, ids.ROTATION_TIMEZONE_BLOCK, "selected_option", option("Asia/Dubai"))
    put(values, ids.ROTATION_SHIFT_START_BLOCK, "selected_time", "08:00")
    put(values, ids.ROTATION_SHIFT_END_BLOCK, "selected_time", "16:00")
    put(values, ids.ROTATION_START_BLOCK, "selected_date", "2026-07-04")
    put(values, ids.ROTATION_MEMBERS_BLOCK, "selected_users", [OMAR])
    put(values, ids.ROTATION_DAYS_BLOCK, "selected_options", [])  # no days
    put(values, ids.ROTATION_HANDOFF_BLOCK, "selected_option", option(ids.HANDOFF_EVERY))
    put(values, ids.ROTATION_HANDOFF_DAYS_BLOCK, "value", "0")  # N not positive
    doc = submit(slack, view, values)
    assert doc["response_action"] == "errors"
    assert doc["errors"] == {
        ids.ROTATION_DAYS_BLOCK: "Tick at least one day a shift starts on.",
        ids.ROTATION_HANDOFF_DAYS_BLOCK: "0 is not a positive whole number of days; e.g. 3.",
    }
    put(values, ids.ROTATION_HANDOFF_DAYS_BLOCK, "value", "-3")
    put(values, ids.ROTATION_DAYS_BLOCK, "selected_options", [option("mon")])
    doc = submit(slack, view, values)
    assert doc["response_action"] == "errors"
    assert list(doc["errors"]) == [ids.ROTATION_HANDOFF_DAYS_BLOCK]
    # What only the service can tell (a member who is not a specialist) comes back too.
    put(values, ids.ROTATION_HANDOFF_DAYS_BLOCK, "value", "3")
    put(values, ids.ROTATION_NAME_BLOCK, "value", "emea-ar-fr")
    doc = submit(slack, view, values)
    assert doc["response_action"] == "errors"
    assert "already a rotation named 'emea-ar-fr'" in doc["errors"][ids.ROTATION_NAME_BLOCK]
    # A member who is not a specialist: refused before anything is saved, so the same
    # modal can be corrected and submitted again.
    put(values, ids.ROTATION_NAME_BLOCK, "value", "gulf-ar")
    put(values, ids.ROTATION_MEMBERS_BLOCK, "selected_users", [OMAR, "U0NOTSPEC1"])
    doc = submit(slack, view, values)
    assert doc == {"response_action": "errors", "errors": {ids.ROTATION_MEMBERS_BLOCK: (
        f"Not a specialist of {TEAM}: U0NOTSPEC1. Add them with /oncall specialist first.")}}
    assert revision(slack) == rev
    assert roster(slack).team.rotation("gulf-ar") is None

    put(values, ids.ROTATION_MEMBERS_BLOCK, "selected_users", [OMAR, SAMI])
    assert submit(slack, view, values) is None
    assert roster(slack).team.rotation("gulf-ar").members == (OMAR, SAMI)


def test_rotation_edit_modal_is_prefilled_and_saves_changes(slack):
    rev = revision(slack)
    view = open_modal(slack, "rotation edit ar-fr-overnight")
    assert view["title"]["text"] == "Edit rotation"
    assert json.loads(view["private_metadata"]) == {"team": TEAM,
                                                    "rotation": "ar-fr-overnight",
                                                    "revision": rev}
    values = initial_values(view)
    assert ids.ROTATION_NAME_BLOCK not in values
    # Prefilled with the rotation as it is (submitting it unchanged changes nothing).
    zone = values[ids.ROTATION_TIMEZONE_BLOCK][ids.ROTATION_TIMEZONE_ACTION]
    assert zone["selected_option"]["value"] == "Europe/Dublin"
    assert values[ids.ROTATION_SHIFT_START_BLOCK][ids.ROTATION_SHIFT_START_ACTION][
        "selected_time"] == "23:00"
    assert values[ids.ROTATION_HANDOFF_BLOCK][ids.ROTATION_HANDOFF_ACTION][
        "selected_option"]["value"] == ids.HANDOFF_EVERY
    assert values[ids.ROTATION_HANDOFF_DAYS_BLOCK][ids.ROTATION_HANDOFF_DAYS_ACTION][
        "value"] == "3"
    assert values[ids.ROTATION_START_BLOCK][ids.ROTATION_START_ACTION][
        "selected_date"] == "2026-01-05"
    assert values[ids.ROTATION_MEMBERS_BLOCK][ids.ROTATION_MEMBERS_ACTION][
        "selected_users"] == [SAMI, HANA]

    # The fix the example's comments suggest: start at 22:00 to close the March gap.
    put(values, ids.ROTATION_SHIFT_START_BLOCK, "selected_time", "22:00")
    assert submit(slack, view, values) is None
    rot = roster(slack).team.rotation("ar-fr-overnight")
    assert f"{rot.shift_start:%H:%M}-{rot.shift_end:%H:%M}" == "22:00-07:00"
    assert rot.members == (SAMI, HANA) and rot.handoff_days == 3
    assert revision(slack) == rev + 1
    slack.settle()
    assert any(t.startswith("Your on-call shifts changed: changed rotation ar-fr-overnight: "
                            "shift 23:00-07:00 -> 22:00-07:00") for t in dm_texts(slack, HANA))


def test_rotation_modal_from_a_stale_revision_is_refused(slack):
    view = open_modal(slack, "rotation edit ar-fr-overnight")
    rev = revision(slack)
    # Someone else edits the team while the modal is open.
    assert oncall(slack, "rotation set night-backup days=mon-sat", user=MGR2).startswith("Done")
    values = initial_values(view)
    put(values, ids.ROTATION_SHIFT_START_BLOCK, "selected_time", "22:00")
    doc = submit(slack, view, values)
    assert doc["response_action"] == "errors"
    [message] = doc["errors"].values()
    assert "changed while you were editing" in message
    assert revision(slack) == rev + 1  # only the other edit
    assert f"{roster(slack).team.rotation('ar-fr-overnight').shift_start:%H:%M}" == "23:00"

    # Re-opened, the modal starts from the current revision and goes through.
    fresh = open_modal(slack, "rotation edit ar-fr-overnight")
    assert submit(slack, fresh, values) is None
    assert f"{roster(slack).team.rotation('ar-fr-overnight').shift_start:%H:%M}" == "22:00"

    # A create modal opened before someone else's edit is refused the same way.
    create = open_modal(slack, "rotation create")
    assert oncall(slack, "rotation set night-backup days=mon-fri", user=MGR2).startswith("Done")
    values = initial_values(create)
    put(values, ids.ROTATION_NAME_BLOCK, "value", "gulf-ar")
    put(values, ids.ROTATION_TIMEZONE_BLOCK, "selected_option", option("Asia/Dubai"))
    put(values, ids.ROTATION_SHIFT_START_BLOCK, "selected_time", "08:00")
    put(values, ids.ROTATION_SHIFT_END_BLOCK, "selected_time", "16:00")
    put(values, ids.ROTATION_START_BLOCK, "selected_date", "2026-07-04")
    put(values, ids.ROTATION_MEMBERS_BLOCK, "selected_users", [OMAR])
    doc = submit(slack, create, values)
    assert "changed while you were editing" in doc["errors"][ids.ROTATION_NAME_BLOCK]
    assert roster(slack).team.rotation("gulf-ar") is None


# -- swaps and cover ------------------------------------------------------------------------


def swap_buttons(h: ToolHarness, user: str) -> dict:
    h.wait_posted(user, "swap_actions")  # sent once Slack has the command's answer
    [msg] = [m for m in h.dms(user) if "swap_actions" in json.dumps(m.get("blocks") or [])]
    [actions] = [b for b in msg["blocks"] if b["type"] == "actions"]
    return {el["action_id"]: el["value"] for el in actions["elements"]}


def test_swap_refused_when_it_would_leave_arabic_uncovered(slack):
    # Mon 07-06: Omar has emea-ar-fr 06:00-14:00 UTC, the only Arabic reader on call then;
    # Valeria (es, en, pt) has amer-es-pt 14:00-22:00 UTC. Traded, nobody on call would
    # read Arabic in the morning (nor Spanish in the afternoon).
    rev = revision(slack)
    reply = oncall(slack, f"swap {M_VALERIA} 2026-07-06", user=OMAR)
    assert reply.startswith(":warning: this swap would leave Arabic (ar) with nobody on call: "
                            "Mon 2026-07-06 06:00-14:00 UTC (your time: Mon 2026-07-06 "
                            "09:00-17:00 EEST)")
    assert "French (fr) with nobody on call: Mon 2026-07-06 07:00-14:00 UTC" in reply
    assert "Spanish (es) with nobody on call: Mon 2026-07-06 14:00-22:00 UTC" in reply
    assert "Pick another time or person, or ask managers (<@U0MGR0001>" in reply
    assert revision(slack) == rev
    assert slack.posts() == []  # Valeria was not asked

    # The same times traded within one rotation keep every language: no refusal there
    # (Lucía's emea-es-pt shift that day has the same hours, and Omar still reads Arabic
    # on it), which shows the check is about languages, not about rotations.
    assert oncall(slack, f"swap {M_LUCIA} 2026-07-06", user=OMAR).startswith(
        "Asked <@U0EU00004>")


def test_swap_accepted_applies_it_and_both_are_told(slack):
    responses = slack.capture_responses()
    reply = oncall(slack, f"swap {M_YASMINE} 2026-07-03", user=OMAR)
    assert reply == ("Asked <@U0EU00008>: <@U0EU00009> asks <@U0EU00008> to swap: "
                     "<@U0EU00008> takes emea-ar-fr Fri 2026-07-03 08:00-16:00 CEST; "
                     "<@U0EU00009> takes emea-ar-fr Tue 2026-07-07 09:00-17:00 EEST")
    buttons = swap_buttons(slack, YASMINE)
    assert set(buttons) == {SWAP_ACCEPT, SWAP_DECLINE}
    [ask] = slack.dms(YASMINE)
    assert "asks to swap shifts with you" in blocks_text(ask)
    rev = revision(slack)

    # Only the person asked may answer.
    r = slack.click(SWAP_ACCEPT, buttons[SWAP_ACCEPT], OMAR)
    assert r.status == 200
    slack.wait_response("only <@U0EU00008> can accept this swap request")
    assert revision(slack) == rev
    r = slack.click(SWAP_ACCEPT, buttons[SWAP_ACCEPT], YASMINE)
    assert r.status == 200 and r.body == b""
    slack.wait_posted(OMAR, "accepted the swap")
    assert revision(slack) == rev + 1
    fri, tue = utc(2026, 7, 3, 8), utc(2026, 7, 7, 8)
    assert readers(slack, "ar", fri) == [YASMINE]
    assert readers(slack, "ar", tue) == [OMAR]
    assert readers(slack, "ar", utc(2026, 7, 2, 8)) == [OMAR]  # the other days unchanged
    shifts = oncall(slack, "shifts emea-ar-fr 7", user=STRANGER).splitlines()
    assert f"<@{YASMINE}>" in next(ln for ln in shifts if "|2026-07-03 06:00 UTC>" in ln)
    assert f"<@{OMAR}>" in next(ln for ln in shifts if "|2026-07-07 06:00 UTC>" in ln)

    [told] = [t for t in dm_texts(slack, OMAR) if "accepted the swap" in t]
    assert told.startswith("Your on-call shifts changed: <@U0EU00008> accepted the swap "
                           "asked by <@U0EU00009>")
    # Yasmine is told in place of the request (its buttons gone).
    done = slack.wait_response("accepted the swap")
    assert done["replace_original"] is True
    assert done["text"].startswith("Done: <@U0EU00008> accepted the swap asked by "
                                   "<@U0EU00009>")

    # The same button again changes nothing.
    slack.click(SWAP_ACCEPT, buttons[SWAP_ACCEPT], YASMINE)
    again = slack.wait_response("already accepted")
    assert again["replace_original"] is False
    assert revision(slack) == rev + 1
    assert len(responses) == 3


def test_swap_declined_tells_the_requester_and_changes_nothing(slack):
    oncall(slack, f"swap {M_YASMINE} 2026-07-03", user=OMAR)
    rev = revision(slack)
    buttons = swap_buttons(slack, YASMINE)
    slack.click(SWAP_DECLINE, buttons[SWAP_DECLINE], YASMINE)
    [note] = slack.wait_posted(OMAR, "declined your swap request")
    assert note.params["text"].startswith("<@U0EU00008> declined your swap request "
                                          "(<@U0EU00008> takes emea-ar-fr")
    assert revision(slack) == rev
    assert readers(slack, "ar", utc(2026, 7, 3, 8)) == [OMAR]


def test_swap_and_cover_asks_go_out_after_slack_has_its_answer(slack):
    responses = slack.capture_responses()
    # Slack must hear back within 3 seconds, however slow its Web API is (a dozen cover
    # asks at a few hundred ms each would not fit): the answer goes first.
    slack.standin.delay_next("chat.postMessage", 1.0)
    started = time.monotonic()
    assert oncall(slack, f"swap {M_YASMINE} 2026-07-03", user=OMAR).startswith("Asked")
    assert time.monotonic() - started < 0.9
    slack.wait_posted(YASMINE, "asks to swap shifts with you")

    # A DM that fails does not turn the command into an error. Cover asks go to the
    # readers of the asker's strongest language (Arabic for Omar), through the outbox.
    slack.standin.fail_next("chat.postMessage", status=200, error="user_not_found")
    r = slack.command("/oncall", "cover 2026-07-03 2026-07-03", user=OMAR,
                      response_url=f"{slack.standin.origin}/response/cover")
    assert r.status == 200
    assert r.json()["text"].startswith("Asked 5 specialist(s) who read Arabic")
    slack.standin.wait_for(lambda c: c.method == "chat.postMessage" and c.ok
                           and "cover_actions" in json.dumps(c.params.get("blocks")),
                           count=4, description="4 cover asks (one failed for good)")
    slack.settle()
    with slack.runtime.reads() as session:
        failed = session.scalars(select(OutboxRow).where(OutboxRow.state == "failed")).all()
    assert [(row.kind, row.error) for row in failed] == [("direct", "permanent: user_not_found")]
    assert len(responses) == 0
    # Let the slow DM's answer arrive (Slack's latency, not a deadline of the app).
    time.sleep(max(0.0, started + 1.2 - time.monotonic()))


def test_cover_request_is_offered_and_accepting_it_covers_the_shift(slack):
    reply = oncall(slack, "cover 2026-07-03 2026-07-03", user=OMAR)
    assert reply.startswith("Asked ")
    assert "<@U0EU00009> asks for cover: emea-ar-fr Fri 2026-07-03 09:00-17:00 EEST" in reply
    slack.wait_posted(YASMINE, "cover_actions")
    [offer] = [m for m in slack.dms(YASMINE) if "cover_actions" in json.dumps(m["blocks"])]
    [value] = [el["value"] for b in offer["blocks"] if b["type"] == "actions"
               for el in b["elements"] if el["action_id"] == COVER_ACCEPT]
    rev = revision(slack)
    responses = slack.capture_responses()
    # Lucía (es, pt, en) cannot take it: nobody on call would read Arabic then.
    slack.click(COVER_ACCEPT, value, LUCIA)
    refused = slack.wait_response("this cover would leave")
    assert refused["text"].startswith(":warning: this cover would leave Arabic (ar) with "
                                      "nobody on call: Fri 2026-07-03 06:00-14:00 UTC")
    assert revision(slack) == rev
    slack.click(COVER_ACCEPT, value, YASMINE)
    slack.wait_posted(OMAR, "accepted the cover")
    assert slack.wait_response("accepted the cover")["replace_original"] is True
    assert len(responses) == 2
    assert revision(slack) == rev + 1
    assert readers(slack, "ar", utc(2026, 7, 3, 8)) == [YASMINE]
    [a] = [a for a in roster(slack).on_call(utc(2026, 7, 3, 8)) if a.rotation == "emea-ar-fr"]
    assert a.kind == "override"


# -- the example team, rebuilt from nothing with slash commands ----------------------------

REBUILT = ("ar-fr-overnight", "emea-ar-fr", "amer-ar-fr")
SPECIALISTS = [  # as in schedules/example/safety-escalations.yaml
    (SAMI, "sami", "ar,fr,en", "Asia/Kuala_Lumpur", None, "Sami Bouzid"),
    (HANA, "hana", "fr,ar,en", "Asia/Singapore", "fr", "Hana Idrissi"),
    (YASMINE, "yasmine", "fr,ar,en", "Europe/Paris", None, "Yasmine Benali"),
    (OMAR, "omar", "ar,en,fr", "Africa/Cairo", "ar", "Omar Farouk"),
    (RAMI, "rami", "ar,fr,en", "America/Toronto", "ar,fr", "Rami Khoury"),
    (KARIM, "karim", "ar,en,fr", "America/Chicago", None, "Karim Mansour"),
]
COMMANDS = [
    "rotation create ar-fr-overnight timezone=Europe/Dublin shift=23:00-07:00 days=mon-sun "
    "handoff=3d start=2026-01-05 tier=primary",
    f"rotation add ar-fr-overnight <@{HANA}|hana>",
    f"rotation add ar-fr-overnight <@{SAMI}|sami> 1",
    "rotation create emea-ar-fr timezone=Europe/Dublin shift=07:00-15:00 start=2026-01-06",
    f"rotation add emea-ar-fr <@{OMAR}|omar>",
    f"rotation add emea-ar-fr <@{YASMINE}|yasmine>",
    f"rotation move emea-ar-fr <@{YASMINE}|yasmine> 1",
    "rotation create amer-ar-fr timezone=America/Chicago shift=10:00-18:00 handoff=daily "
    "start=2026-01-06",
    f"rotation add amer-ar-fr <@{RAMI}|rami>",
    f"rotation add amer-ar-fr <@{KARIM}|karim>",
    "rotation set amer-ar-fr shift=09:00-17:00 handoff=weekly",
]
INSTANTS = [
    utc(2026, 1, 5, 23, 30), utc(2026, 1, 9, 3), utc(2026, 3, 10, 14, 30),
    utc(2026, 3, 10, 22, 30), utc(2026, 3, 11, 6, 59), utc(2026, 7, 1, 12),
    utc(2026, 7, 4, 20), utc(2026, 10, 28, 22, 15), utc(2026, 11, 2, 16),
    utc(2026, 12, 25, 10),
]


def test_example_rotations_rebuilt_from_an_empty_team_with_commands(tmp_path):
    h = ToolHarness(tmp_path, utc(2026, 1, 1, 9),
                    schedules=FIXTURE_TEAMS / "empty-desk.yaml")
    try:
        assert roster(h, "empty-desk").team.specialists == ()
        assert "has no rotations yet" in oncall(h, "rotation list")
        for uid, handle, langs, tz, backup, name in SPECIALISTS:
            text = (f"specialist <@{uid}|{handle}> languages={langs} timezone={tz}"
                    + (f" backup={backup}" if backup else "") + f" name={name}")
            assert oncall(h, text).startswith(f"Done: added specialist <@{uid}>"), text
        for text in COMMANDS:
            reply = oncall(h, text)
            assert reply.startswith("Done: "), (text, reply)

        built = roster(h, "empty-desk")
        [example] = load_schedules(SCHEDULES)
        users = {s[0] for s in SPECIALISTS}
        example = dataclasses.replace(
            example,
            rotations=tuple(r for r in example.rotations if r.name in REBUILT),
            overrides=tuple(o for o in example.overrides if o.rotation in REBUILT),
            time_off=tuple(t for t in example.time_off if t.user in users))
        expected = Roster(example, holiday_dates)
        assert {r.name: r.members for r in built.team.rotations} == {
            r.name: r.members for r in example.rotations}
        # Not trivially equal: somebody at most instants, nobody in the March gap.
        assert [a.user for a in built.on_call_for("ar", utc(2026, 7, 1, 12))] == [OMAR]
        assert [a.user for a in built.on_call_for("ar", utc(2026, 3, 10, 14, 30))] == [
            KARIM, OMAR]
        assert built.on_call_for("ar", utc(2026, 3, 10, 22, 30)) == []
        for at in INSTANTS:
            for lang in ("ar", "fr", "en"):
                assert built.on_call_for(lang, at) == expected.on_call_for(lang, at), (lang, at)
        # Same gaps too (the March and late-October 22:00-23:00 UTC hole).
        start = utc(2026, 3, 1)
        assert built.coverage_gaps(start, start + timedelta(days=40), ["ar", "fr"]) == (
            expected.coverage_gaps(start, start + timedelta(days=40), ["ar", "fr"]))
        assert built.coverage_gaps(start, start + timedelta(days=40), ["ar"])["ar"]
    finally:
        h.quiet_close()
