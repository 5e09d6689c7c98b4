"""Pure edits (bot.core.edits) and checks (bot.core.checks): each edit, its error
messages, the validator's rules, coverage loss and changed shifts."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest

from bot.core import checks, edit_options, edits
from bot.core.edits import EditError
from bot.core.model import Override, Rotation, Specialist, Team, TimeOff
from bot.core.roster import Roster
from bot.core.timezones import UTC
from bot.schedules.reader import load_team_file, parse_team
from bot.schedules.writer import dump_team
from bot.slack.text import from_neutral

EXAMPLE = Path(__file__).resolve().parents[2] / "schedules" / "example" / "safety-escalations.yaml"
T0 = datetime(2026, 2, 2, tzinfo=UTC)


@pytest.fixture(scope="module")
def team() -> Team:
    return load_team_file(EXAMPLE)


def small() -> Team:
    """Two Arabic readers and an English-only one; one daily rotation in UTC."""
    return Team(
        name="t", languages=("en", "ar"), intake_channel="C0IN", escalation_channel="C0ES",
        managers=("U0MGR",),
        specialists=(
            Specialist("U0AR1", "Ahmed", "UTC", ("ar", "en"), ("ar",)),
            Specialist("U0AR2", "Basma", "Asia/Dubai", ("ar", "en")),
            Specialist("U0EN1", "Emma", "Europe/London", ("en",)),
        ),
        rotations=(Rotation("day", "UTC", time(8), time(16), frozenset(range(7)), 1,
                            date(2026, 2, 2), "primary", ("U0AR1", "U0AR2")),),
    )


def yaml_round_trip(t: Team) -> Team:
    """What `schedules validate` would say of the edited team: it must parse back equal."""
    return parse_team(dump_team(t), "edited.yaml")


def err(fn, *args, **kwargs) -> str:
    """The refusal as Slack shows it (core names people and commands with refs)."""
    with pytest.raises(EditError) as info:
        fn(*args, **kwargs)
    return from_neutral(str(info.value))


# -- validate_team ----------------------------------------------------------------------------


def test_example_team_is_valid(team):
    assert checks.validate_team(team) == []


@pytest.mark.parametrize(("change", "expected"), [
    (lambda t: replace(t, rotations=(replace(t.rotations[0], members=("U0NOPE1",)),)),
     "member 'U0NOPE1' is not a specialist"),
    (lambda t: replace(t, specialists=(replace(t.specialists[0], languages=("ar", "de")),
                                       *t.specialists[1:])),
     "language 'de' is not one of the team's languages [en, ar]"),
    (lambda t: replace(t, specialists=(replace(t.specialists[0], timezone="Mars/Base"),
                                       *t.specialists[1:])),
     "unknown time zone 'Mars/Base'"),
    (lambda t: replace(t, rotations=(t.rotations[0], t.rotations[0])),
     "there is already a rotation named 'day'"),
    (lambda t: replace(t, specialists=(*t.specialists, t.specialists[0])), "listed twice"),
    (lambda t: replace(t, specialists=(replace(t.specialists[2], backup=("ar",)),
                                       *t.specialists[:2])),
     "backup language 'ar' is not one they read [en]"),
    (lambda t: replace(t, overrides=(Override("night", "U0AR1", T0, T0 + timedelta(1)),)),
     "unknown rotation 'night'"),
    (lambda t: replace(t, time_off=(TimeOff("U0AR1", T0, T0),)), "not after its start"),
    (lambda t: replace(t, rotations=(replace(t.rotations[0], handoff_days=0),)),
     "handoff must be daily, weekly or every N days"),
    (lambda t: replace(t, rotations=(replace(t.rotations[0], tier="tertiary"),)),
     "unknown tier 'tertiary'"),
    (lambda t: replace(t, rotations=(replace(t.rotations[0], days=frozenset()),)),
     "needs at least one day"),
])
def test_validate_team_rules(change, expected):
    problems = checks.validate_team(change(small()))
    assert any(expected in p for p in problems), problems


# -- rotations -------------------------------------------------------------------------------


def test_create_rotation_and_yaml_accepts_it(team):
    t = edits.create_rotation(team, "latam", "America/Sao_Paulo", time(9), time(17),
                              frozenset(range(5)), 7, date(2026, 3, 2), "secondary")
    rot = t.rotation("latam")
    assert rot.members == () and rot.tier == "secondary" and rot.days == frozenset(range(5))
    assert yaml_round_trip(t) == t


def test_create_rotation_errors(team):
    assert "already a rotation named 'emea-ar-fr'" in err(
        edits.create_rotation, team, "emea-ar-fr", "Europe/Dublin", time(8), time(16),
        start=date(2026, 1, 5))
    msg = err(edits.create_rotation, team, "latam", "America/Sao_Paolo", time(8), time(16),
              start=date(2026, 1, 5))
    assert "unknown time zone 'America/Sao_Paolo'" in msg and "America/Sao_Paulo" in msg
    assert "`/oncall rotation create" in msg
    assert "start=YYYY-MM-DD" in err(edits.create_rotation, team, "latam", "UTC", time(8),
                                     time(16))
    assert "no spaces" in err(edits.create_rotation, team, "la tam", "UTC", time(8), time(16),
                              start=date(2026, 1, 5))
    assert "at least one weekday" in err(edits.create_rotation, team, "latam", "UTC", time(8),
                                         time(16), frozenset(), start=date(2026, 1, 5))
    assert "unknown tier 'gold'" in err(edits.create_rotation, team, "latam", "UTC", time(8),
                                        time(16), start=date(2026, 1, 5), tier="gold")


def test_set_rotation_changes_fields_and_renames_overrides(team):
    t = edits.set_rotation(team, "amer-es-pt", shift=(time(8), time(16)), days={0, 1, 2},
                           handoff=1, tier="secondary")
    rot = t.rotation("amer-es-pt")
    assert (rot.shift_start, rot.shift_end, rot.days, rot.handoff_days, rot.tier) == (
        time(8), time(16), frozenset({0, 1, 2}), 1, "secondary")
    renamed = edits.set_rotation(team, "amer-es-pt", name="americas-es-pt")
    assert renamed.rotation("amer-es-pt") is None
    assert [o.rotation for o in renamed.overrides] == ["americas-es-pt"]
    assert yaml_round_trip(renamed) == renamed


def test_set_rotation_errors(team):
    msg = err(edits.set_rotation, team, "emea", tier="primary")
    assert "no rotation named 'emea'" in msg and "emea-ar-fr" in msg
    assert "unknown setting 'colour'" in err(edits.set_rotation, team, "emea-ar-fr", colour="x")
    assert "say what to change" in err(edits.set_rotation, team, "emea-ar-fr")
    assert "already a rotation named 'amer-ar-fr'" in err(
        edits.set_rotation, team, "emea-ar-fr", name="amer-ar-fr")
    assert "not a specialist" in err(edits.set_rotation, team, "emea-ar-fr",
                                     members=("U0NOPE01",))


def test_delete_rotation_drops_its_overrides(team):
    t = edits.delete_rotation(team, "amer-es-pt")
    assert t.rotation("amer-es-pt") is None and t.overrides == ()
    assert yaml_round_trip(t) == t
    assert "no rotation named 'nope'" in err(edits.delete_rotation, team, "nope")


# -- members ---------------------------------------------------------------------------------


def test_add_remove_move_member(team):
    t = edits.add_member(team, "emea-ar-fr", "U0AM00010", 1)
    assert t.rotation("emea-ar-fr").members == ("U0AM00010", "U0EU00008", "U0EU00009")
    t = edits.add_member(t, "emea-ar-fr", "U0AM00011")
    assert t.rotation("emea-ar-fr").members[-1] == "U0AM00011"
    t = edits.move_member(t, "emea-ar-fr", "U0AM00011", 2)
    assert t.rotation("emea-ar-fr").members == ("U0AM00010", "U0AM00011", "U0EU00008",
                                                "U0EU00009")
    t = edits.remove_member(t, "emea-ar-fr", "U0AM00010")
    assert t.rotation("emea-ar-fr").members == ("U0AM00011", "U0EU00008", "U0EU00009")
    assert yaml_round_trip(t) == t


def test_member_errors(team):
    msg = err(edits.add_member, team, "emea-ar-fr", "U0EU00009")
    assert "already in emea-ar-fr (position 2)" in msg and "rotation move" in msg
    msg = err(edits.add_member, team, "emea-ar-fr", "U0NEW0001")
    assert "<@U0NEW0001> is not a specialist" in msg and "/oncall specialist" in msg
    msg = err(edits.add_member, team, "emea-ar-fr", "U0AM00010", 4)
    assert "position 4 is out of range" in msg and "1 to 3" in msg
    assert "not a member of emea-ar-fr" in err(edits.remove_member, team, "emea-ar-fr",
                                               "U0AM00010")
    assert "1 to 2" in err(edits.move_member, team, "emea-ar-fr", "U0EU00009", 0)


# -- overrides, time off, swaps ----------------------------------------------------------------


def test_add_override_is_listed_last(team):
    s = datetime(2026, 3, 10, 22, tzinfo=UTC)
    t = edits.add_override(team, "amer-ar-fr", "U0AM00010", s, s + timedelta(hours=1))
    assert t.overrides[-1] == Override("amer-ar-fr", "U0AM00010", s, s + timedelta(hours=1))
    assert yaml_round_trip(t) == t
    msg = err(edits.add_override, team, "amer-ar-fr", "U0AM00010", s, s)
    assert "'to' must be after 'from'" in msg and "`/oncall override" in msg
    assert "no rotation named" in err(edits.add_override, team, "x", "U0AM00010", s,
                                      s + timedelta(hours=1))
    assert "not a specialist" in err(edits.add_override, team, "amer-ar-fr", "U0X0001", s,
                                     s + timedelta(hours=1))


def test_add_time_off(team):
    s = datetime(2026, 3, 9, 23, tzinfo=UTC)
    t = edits.add_time_off(team, "U0EU00008", s, s + timedelta(days=2), all_day=True)
    assert t.time_off[-1] == TimeOff("U0EU00008", s, s + timedelta(days=2), True)
    assert edits.time_off_dict(t.time_off[-1], t) == {
        "user": "U0EU00008", "from": "2026-03-10", "to": "2026-03-11"}  # Paris dates
    assert yaml_round_trip(t) == t
    assert "'to' must be after 'from'" in err(edits.add_time_off, team, "U0EU00008", s, s)


def test_swap_shifts_as_overrides(team):
    a = datetime(2026, 3, 10, 7, tzinfo=UTC)
    b = datetime(2026, 3, 12, 7, tzinfo=UTC)
    t = edits.swap_shifts(team, "emea-ar-fr", "U0EU00008", a, a + timedelta(hours=8),
                          "U0EU00009", "emea-ar-fr", b, b + timedelta(hours=8))
    assert t.overrides[-2:] == (
        Override("emea-ar-fr", "U0EU00009", a, a + timedelta(hours=8)),
        Override("emea-ar-fr", "U0EU00008", b, b + timedelta(hours=8)))
    one_way = edits.swap_shifts(team, "emea-ar-fr", "U0EU00008", a, a + timedelta(hours=8),
                                "U0EU00009")
    assert len(one_way.overrides) == len(team.overrides) + 1
    assert "two different people" in err(edits.swap_shifts, team, "emea-ar-fr", "U0EU00008",
                                          a, a + timedelta(hours=8), "U0EU00008")
    assert "together" in err(edits.swap_shifts, team, "emea-ar-fr", "U0EU00008", a,
                             a + timedelta(hours=8), "U0EU00009", "emea-ar-fr")


# -- specialists -------------------------------------------------------------------------------


def test_set_specialist_creates_and_updates(team):
    t = edits.set_specialist(team, "U0NEW0001", ["ar", "en"], "Asia/Dubai", ["ar"],
                             name="Nour Saleh")
    assert t.specialist("U0NEW0001") == Specialist("U0NEW0001", "Nour Saleh", "Asia/Dubai",
                                                   ("ar", "en"), ("ar",))
    t = edits.set_specialist(t, "U0NEW0001", timezone="Africa/Cairo")
    assert t.specialist("U0NEW0001").timezone == "Africa/Cairo"
    t = edits.set_specialist(t, "U0NEW0001", languages=["en"], backup=[])
    assert t.specialist("U0NEW0001").languages == ("en",) and t.specialist("U0NEW0001").backup == ()
    assert yaml_round_trip(t) == t


def test_set_specialist_errors(team):
    msg = err(edits.set_specialist, team, "U0NEW0001", languages=["ar"])
    assert "not a specialist of safety-escalations yet" in msg and "timezone=" in msg
    msg = err(edits.set_specialist, team, "U0EU00009", languages=["ar", "de"])
    assert "language 'de' is not one of the team's languages [en, es, ar, pt, fr]" in msg
    msg = err(edits.set_specialist, team, "U0EU00009", languages=["fr", "en"])
    assert "backup language 'ar' is not one they read [fr, en]" in msg and "backup=" in msg
    msg = err(edits.set_specialist, team, "U0EU00009", timezone="Africa/Kairo")
    assert "unknown time zone 'Africa/Kairo'" in msg and "Africa/Cairo" in msg
    assert "listed twice" in err(edits.set_specialist, team, "U0EU00009",
                                 languages=["ar", "ar"])
    assert "say what to change" in err(edits.set_specialist, team, "U0EU00009")
    assert "not a Slack user" in err(edits.set_specialist, team, "bob", ["en"], "UTC")


def test_existing_problems_are_not_blamed_on_an_edit():
    broken = replace(small(), time_off=(TimeOff("U0AR1", T0, T0),))
    t = edits.add_member(broken, "day", "U0EN1")
    assert t.rotation("day").members[-1] == "U0EN1"


# -- parsers -----------------------------------------------------------------------------------


def test_parsers():
    assert edit_options.parse_shift("22:00-06:00") == (time(22), time(6))
    assert edit_options.parse_shift("00:00-24:00") == (time(0), time(0))
    assert "HH:MM-HH:MM" in err(edit_options.parse_shift, "8-16")
    assert "out of range" in err(edit_options.parse_shift, "25:00-06:00")
    assert edit_options.parse_days("mon-fri") == frozenset(range(5))
    assert edit_options.parse_days("fri-mon") == frozenset({4, 5, 6, 0})
    assert edit_options.parse_days("mon,wed,fri") == frozenset({0, 2, 4})
    assert "not a list of days" in err(edit_options.parse_days, "monday")
    assert [edit_options.parse_handoff(x) for x in ("daily", "weekly", "3d")] == [1, 7, 3]
    assert "every N days" in err(edit_options.parse_handoff, "0d")
    assert edit_options.parse_when("2026-12-24") == date(2026, 12, 24)
    assert edit_options.parse_when("2026-12-24T08:00") == datetime(2026, 12, 24, 8)
    assert "without a UTC offset" in err(edit_options.parse_when, "2026-12-24T08:00Z")
    assert edit_options.parse_languages("ar,fr,en") == ("ar", "fr", "en")
    assert edit_options.parse_languages("") == ()
    assert "lowercase" in err(edit_options.parse_languages, "AR")
    opts = edit_options.parse_rotation_options({"shift": "07:00-15:00", "days": "mon-fri",
                                         "handoff": "3d", "start": "2026-03-02",
                                         "tier": "secondary", "timezone": "Europe/Dublin"})
    assert opts == {"shift_start": time(7), "shift_end": time(15),
                    "days": frozenset(range(5)), "handoff_days": 3,
                    "start": date(2026, 3, 2), "tier": "secondary",
                    "timezone": "Europe/Dublin"}
    assert "did you mean 'shift'" in err(edit_options.parse_rotation_options, {"shfit": "x"})
    assert "rotation add|remove|move" in err(edit_options.parse_rotation_options, {"members": "x"})


def test_rotation_dict_is_yaml_shaped(team):
    assert edits.rotation_dict(team.rotation("night-backup")) == {
        "name": "night-backup", "timezone": "Asia/Singapore", "shift": "07:00-15:00",
        "days": ["mon", "tue", "wed", "thu", "fri"], "handoff": "daily",
        "start": "2026-01-07", "tier": "secondary", "members": ["U0SG00014", "U0SG00015"]}
    assert edits.override_dict(team.overrides[0], team) == {
        "rotation": "amer-es-pt", "user": "U0AM00007", "from": "2026-12-24T09:00",
        "to": "2026-12-24T17:00"}


# -- coverage loss and changed shifts ---------------------------------------------------------


def test_coverage_loss_names_language_and_hours():
    before = small()
    s = datetime(2026, 2, 3, 8, tzinfo=UTC)  # U0AR2's shift (period 1)
    after = edits.swap_shifts(before, "day", "U0AR2", s, s + timedelta(hours=8), "U0EN1")
    lost = checks.coverage_loss(Roster(before), Roster(after), T0, T0 + timedelta(days=7))
    assert lost == [("ar", s, s + timedelta(hours=8))]
    assert checks.coverage_loss(Roster(before), Roster(before), T0, T0 + timedelta(days=7)) == []
    assert checks.language_label("ar") == "Arabic (ar)"


def test_changed_shifts_tells_both_people_in_their_zone():
    before = small()
    after = edits.move_member(before, "day", "U0AR2", 1)
    moved = checks.changed_shifts(Roster(before), Roster(after), T0, T0 + timedelta(days=2))
    assert moved == {
        "U0AR1": ["no longer on call for day: Mon 2026-02-02 08:00-16:00 UTC",
                  "now on call for day: Tue 2026-02-03 08:00-16:00 UTC"],
        "U0AR2": ["now on call for day: Mon 2026-02-02 12:00-20:00 +04",
                  "no longer on call for day: Tue 2026-02-03 12:00-20:00 +04"],
    }


def test_changed_shifts_groups_daily_runs():
    weekly = small()
    weekly = replace(weekly, rotations=(replace(weekly.rotations[0], handoff_days=7),))
    after = edits.move_member(weekly, "day", "U0AR2", 1)
    moved = checks.changed_shifts(Roster(weekly), Roster(after), T0, T0 + timedelta(days=7))
    assert moved["U0AR1"] == [
        "no longer on call for day: Mon 2026-02-02 to Sun 2026-02-08, 08:00-16:00 UTC each day"]
    assert moved["U0AR2"] == [
        "now on call for day: Mon 2026-02-02 to Sun 2026-02-08, 12:00-20:00 +04 each day"]
    assert checks.changed_shifts(Roster(weekly), Roster(weekly), T0, T0 + timedelta(days=7)) == {}


def test_format_span():
    s = datetime(2026, 3, 9, 23, tzinfo=UTC)
    assert checks.format_span(s, s + timedelta(hours=8), "UTC") == \
        "Mon 2026-03-09 23:00 UTC - Tue 2026-03-10 07:00 UTC"
    assert checks.format_span(s, s + timedelta(hours=1), "UTC") == "Mon 2026-03-09 23:00-24:00 UTC"
    assert checks.format_span(s, s + timedelta(hours=8), "Asia/Singapore") == \
        "Tue 2026-03-10 07:00-15:00 +08"
