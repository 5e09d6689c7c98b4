"""The `/oncall` grammar and help text (bot/slack/grammar.py): good input -> the exact
command, every kind of bad input -> a CommandError that names the problem and shows the
usage and an example, help for every command, and fuzzing: `parse` never raises anything
but CommandError."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.core.model import WEEKDAYS
from bot.slack.grammar import (
    COMMAND_TYPES,
    DEFAULT_DAYS,
    HELP,
    MAX_DAYS,
    ROTATION_KEYS,
    SPECIALIST_KEYS,
    Away,
    Capacity,
    CategoryCreate,
    CategoryDefault,
    CategoryDelete,
    CategoryList,
    CategorySet,
    CategoryShow,
    CommandError,
    Cover,
    Coverage,
    CrisisCmd,
    Export,
    Exposure,
    Help,
    LocalTime,
    Me,
    OverrideCmd,
    Pause,
    Report,
    RotationAdd,
    RotationCreate,
    RotationCreateModal,
    RotationDelete,
    RotationEdit,
    RotationList,
    RotationMove,
    RotationRemove,
    RotationSet,
    RotationShow,
    Shifts,
    SkillsCmd,
    SpecialistCmd,
    Swap,
    SweepCmd,
    Trends,
    Usage,
    Who,
    help_text,
    parse,
)

LAYLA = "<@U0AR00001|layla>"
ANA = "<@U0ES00002>"


def lt(*args: int, date_only: bool = False) -> LocalTime:
    return LocalTime(datetime(*args), date_only)


def esc(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def as_typed(example: str) -> str:
    """A help example as Slack would send it: `@name` is a picked mention."""
    return re.sub(r"@([a-z]+)", lambda m: f"<@U0{m.group(1).upper()[:2]}00001|{m.group(1)}>",
                  example.removeprefix("/oncall "))  # fmt: skip


# -- good input -> the exact command ------------------------------------------------------

GOOD = [
    ("", Help(None)),
    ("   ", Help(None)),
    ("help", Help(None)),
    ("help rotation   Create", Help("rotation create")),
    ("help /oncall who", Help("who")),
    ("help nonsense", Help("nonsense")),
    ("who", Who(None)),
    ("who ar", Who("ar")),
    ("who lang:es", Who("es")),
    ("WHO pt", Who("pt")),
    ("me", Me()),
    ("report", Report(DEFAULT_DAYS["report"])),
    ("report 90", Report(90)),
    ("report by=person", Report(DEFAULT_DAYS["report"], "person")),
    ("report 7 by=Region", Report(7, "region")),
    ("report by=severity days=14", Report(14, "severity")),
    ("shifts", Shifts(None, None, DEFAULT_DAYS["shifts"])),
    ("shifts 14", Shifts(None, None, 14)),
    ("shifts emea", Shifts("emea", None, DEFAULT_DAYS["shifts"])),
    ("shifts emea 3", Shifts("emea", None, 3)),
    ("shifts emea days=3", Shifts("emea", None, 3)),
    (f"shifts {LAYLA} 1", Shifts(None, "U0AR00001", 1)),
    ("shifts U0AR00001", Shifts(None, "U0AR00001", DEFAULT_DAYS["shifts"])),
    ("shifts 7 14", Shifts("7", None, 14)),
    ("coverage", Coverage(DEFAULT_DAYS["coverage"])),
    ("coverage 1", Coverage(1)),
    ("rotation list", RotationList()),
    ("Rotation LIST", RotationList()),
    ("rotation show emea-night", RotationShow("emea-night")),
    ("rotation delete apac_2.b", RotationDelete("apac_2.b")),
    ("rotation edit emea", RotationEdit("emea")),
    ("rotation create", RotationCreateModal()),
    (
        "rotation create emea timezone=Europe/Dublin shift=08:00-16:00",
        RotationCreate("emea", {"timezone": "Europe/Dublin", "shift": (time(8), time(16))}),
    ),
    (
        "rotation create night timezone=America/Chicago shift=22:00-06:00 days=mon-fri "
        "handoff=3d start=2026-01-05 tier=secondary",
        RotationCreate(
            "night",
            {
                "timezone": "America/Chicago",
                "shift": (time(22), time(6)),
                "days": frozenset({0, 1, 2, 3, 4}),
                "handoff": 3,
                "start": date(2026, 1, 5),
                "tier": "secondary",
            },
        ),
    ),
    (
        "rotation create x SHIFT=00:00-24:00 Timezone=UTC days=fri-mon,wed handoff=Daily",
        RotationCreate(
            "x",
            {
                "timezone": "UTC",
                "shift": (time(0), time(0)),
                "days": frozenset({4, 5, 6, 0, 2}),
                "handoff": 1,
            },
        ),
    ),
    ("rotation set emea handoff=weekly", RotationSet("emea", {"handoff": 7})),
    (
        "rotation set emea days=sat,sun tier=primary",
        RotationSet("emea", {"days": frozenset({5, 6}), "tier": "primary"}),
    ),
    (f"rotation add emea {LAYLA}", RotationAdd("emea", "U0AR00001", None)),
    (f"rotation add emea {ANA} 2", RotationAdd("emea", "U0ES00002", 2)),
    ("rotation add emea W0ABC1234 1", RotationAdd("emea", "W0ABC1234", 1)),
    (f"rotation remove emea {LAYLA}", RotationRemove("emea", "U0AR00001")),
    (f"rotation move emea {LAYLA} 1", RotationMove("emea", "U0AR00001", 1)),
    (
        f"override emea {ANA} 2026-12-24T08:00 2026-12-24T16:00",
        OverrideCmd("emea", "U0ES00002", lt(2026, 12, 24, 8), lt(2026, 12, 24, 16)),
    ),
    (
        f"override emea {ANA} 2026-12-24 2026-12-24",
        OverrideCmd(
            "emea",
            "U0ES00002",
            lt(2026, 12, 24, date_only=True),
            lt(2026, 12, 25, date_only=True),
        ),
    ),
    (
        "away 2026-12-20 2027-01-03",
        Away(None, lt(2026, 12, 20, date_only=True), lt(2027, 1, 4, date_only=True)),
    ),
    (
        f"away {LAYLA} 2026-12-24T08:00:30 2026-12-24T13:00",
        Away("U0AR00001", lt(2026, 12, 24, 8, 0, 30), lt(2026, 12, 24, 13)),
    ),
    (
        "away 2026-12-24 2026-12-24T12:00",
        Away(None, lt(2026, 12, 24, date_only=True), lt(2026, 12, 24, 12)),
    ),
    (f"swap {ANA} 2026-12-24", Swap("U0ES00002", date(2026, 12, 24))),
    (
        "cover 2026-12-24T08:00 2026-12-24T12:00",
        Cover(lt(2026, 12, 24, 8), lt(2026, 12, 24, 12)),
    ),
    (f"specialist {LAYLA}", SpecialistCmd("U0AR00001", {})),
    (
        f"specialist {LAYLA} languages=ar,fr,en timezone=Asia/Dubai backup=ar",
        SpecialistCmd(
            "U0AR00001",
            {"languages": ("ar", "fr", "en"), "timezone": "Asia/Dubai", "backup": ("ar",)},
        ),
    ),
    (
        f"specialist {ANA} name=Ana María Ruiz holidays=ES backup=none",
        SpecialistCmd("U0ES00002", {"name": "Ana María Ruiz", "holidays": "ES", "backup": ()}),
    ),
    (f"specialist {ANA} holidays=none", SpecialistCmd("U0ES00002", {"holidays": None})),
    ("skills", SkillsCmd()),
    (f"skills {LAYLA}", SkillsCmd("U0AR00001")),
    (f"skills {LAYLA} add le_requests child_safety",
     SkillsCmd("U0AR00001", "add", ("le_requests", "child_safety"))),
    (f"skills {ANA} REMOVE child-safety,legal_hold",
     SkillsCmd("U0ES00002", "remove", ("child-safety", "legal_hold"))),
    ("category list", CategoryList()),
    ("Category SHOW le-emergency", CategoryShow("le-emergency")),
    ('category create legal-hold label="Legal hold request" severity=SEV2 due=4h '
     "skills=le_requests,child_safety fields=[agency,case_reference] sensitive=TRUE "
     "exposure_weight=2 verification=none policy=none",
     CategoryCreate("legal-hold", {
         "label": "Legal hold request", "severity": "sev2", "due": timedelta(hours=4),
         "skills": ("le_requests", "child_safety"), "fields": ("agency", "case_reference"),
         "sensitive": True, "exposure_weight": 2, "verification": None, "policy": None})),
    ("category create x label=\u201cSmart quotes\u201d",
     CategoryCreate("x", {"label": "Smart quotes"})),
    ("category set other due=none skills=none fields=none exposure_weight=none",
     CategorySet("other", {"due": None, "skills": (), "fields": (), "exposure_weight": None})),
    ("category delete legal-hold", CategoryDelete("legal-hold")),
    ("category default le-emergency", CategoryDefault("le-emergency")),
    ("capacity", Capacity()),
    ("capacity 4", Capacity(4)),
    ("capacity max_open_per_person=2", Capacity(2)),
    ("exposure", Exposure()),
    ("exposure 7", Exposure(7)),
    ("exposure days=30", Exposure(30)),
    ("trends", Trends()),
    ("trends 12", Trends(12)),
    ("trends hours=3", Trends(3)),
    ("crisis start flood", CrisisCmd("start", "flood")),
    ("crisis start beirut-port languages=ar,fr severity=SEV2 match=Port,blast",
     CrisisCmd("start", "beirut-port", ("ar", "fr"), "sev2", ("port", "blast"))),
    ("crisis status", CrisisCmd("status")),
    ("crisis end flood", CrisisCmd("end", "flood")),
    ("crisis update flood roads are closed", CrisisCmd("update", text="flood roads are closed")),
    ("sweep", SweepCmd("status")),
    ("sweep status", SweepCmd("status")),
    ("sweep start ar", SweepCmd("start", ("ar",))),
    ("sweep start all every=1h until=3h",
     SweepCmd("start", (), timedelta(hours=1), until_in=timedelta(hours=3))),
    ("sweep start ar,fr until=2026-12-04T06:00",
     SweepCmd("start", ("ar", "fr"), until=LocalTime(datetime(2026, 12, 4, 6, 0), False))),
    ("sweep stop", SweepCmd("stop")),
    ("sweep stop fr", SweepCmd("stop", ("fr",))),
    ("export", Export(None, None)),
    ("export emea", Export("emea", None)),
    (f"export {LAYLA}", Export(None, "U0AR00001")),
    ("pause", Pause()),
    ("pause 30m", Pause(timedelta(minutes=30))),
    ("pause 1 hour", Pause(timedelta(hours=1))),
    (f"pause {LAYLA} 90min", Pause(timedelta(minutes=90), "U0AR00001")),
    ("pause end", Pause(end=True)),
    (f"pause resume {LAYLA}", Pause(user="U0AR00001", end=True)),
]


@pytest.mark.parametrize(("text", "expected"), GOOD, ids=[t or "<empty>" for t, _ in GOOD])
def test_good_input_gives_the_exact_command(text, expected):
    got = parse(text)
    assert got == expected
    assert type(got) is type(expected)


def test_every_subcommand_has_a_good_case_and_help():
    assert {type(c) for _, c in GOOD} == set(COMMAND_TYPES)
    assert {c.command for c in COMMAND_TYPES} == set(HELP)


# -- mentions, entities, tokens -----------------------------------------------------------


@pytest.mark.parametrize(
    "mention",
    [
        "<@U0AR00001|layla>",
        "<@U0AR00001>",
        "<@U0AR00001|Layla Haddad>",
        "U0AR00001",
        "<@U0AR00001|>",
    ],
)
def test_mention_forms_give_the_user_id(mention):
    assert parse(f"rotation add emea {mention} 3") == RotationAdd("emea", "U0AR00001", 3)


def test_enterprise_user_ids():
    assert parse("swap <@W0AB12345|x> 2026-01-01") == Swap("W0AB12345", date(2026, 1, 1))


@pytest.mark.parametrize(
    ("token", "fragment"),
    [
        ("@bob", "autocomplete"),
        ("bob", "autocomplete"),
        ("<#C0INTAKE01|intake>", "is a channel"),
        ("<!here>", "group mention"),
        ("<!subteam^S0MGRGRP1|@managers>", "group mention"),
        ("<@bob>", "not a mention of a person"),
        ("<https://example.com|x>", "is not a person"),
    ],
)
def test_not_a_person(token, fragment):
    with pytest.raises(CommandError) as e:
        parse(f"rotation remove emea {token}")
    assert fragment in e.value.message


def test_plain_at_name_says_to_use_the_autocomplete():
    with pytest.raises(CommandError) as e:
        parse("swap @bob 2026-12-24")
    assert "plain text, not a mention" in e.value.message
    assert "autocomplete" in e.value.message


def test_entities_are_decoded_once_in_values():
    got = parse(f"specialist {LAYLA} name=Tom &amp; Jerry &amp;lt;3 languages=ar")
    assert got.fields["name"] == "Tom & Jerry &lt;3"
    assert got.fields["languages"] == ("ar",)


def test_entities_decoded_in_messages_and_escaped_once_in_the_reply():
    with pytest.raises(CommandError) as e:
        parse("rotation show a&amp;b")
    assert "'a&b'" in e.value.message
    assert "'a&amp;b'" in str(e.value)
    assert "&amp;amp;" not in str(e.value)


def test_escaped_angle_brackets_are_text_not_markup():
    with pytest.raises(CommandError) as e:
        parse("who &lt;es&gt;")
    assert "'<es>'" in e.value.message


def test_mention_label_with_spaces_is_one_token():
    assert parse("rotation move emea <@U0AR00001|Layla  Haddad> 2") == RotationMove(
        "emea", "U0AR00001", 2
    )


def test_whitespace_of_all_kinds_separates_tokens():
    assert parse("rotation\u00a0show\temea\n") == RotationShow("emea")


# -- dates and times ----------------------------------------------------------------------


def test_date_only_to_is_inclusive():
    cmd = parse("away 2026-12-24 2026-12-24")
    assert cmd.start == LocalTime(datetime(2026, 12, 24), True)
    assert cmd.end == LocalTime(datetime(2026, 12, 25), True)
    assert cmd.end.last_day == date(2026, 12, 24)


def test_date_only_to_at_year_end_rolls_over():
    assert parse("cover 2026-12-31 2026-12-31").end.at == datetime(2027, 1, 1)


def test_date_time_to_is_exclusive_and_must_be_after_from():
    with pytest.raises(CommandError) as e:
        parse("cover 2026-12-24T08:00 2026-12-24T08:00")
    assert "must be after" in e.value.message
    assert parse("cover 2026-12-24T08:00 2026-12-24T08:01").end == lt(2026, 12, 24, 8, 1)


@given(
    st.dates(date(2000, 1, 1), date(2100, 12, 30)), st.dates(date(2000, 1, 1), date(2100, 12, 30))
)
def test_away_dates_accepted_iff_to_on_or_after_from(a, b):
    text = f"away {a.isoformat()} {b.isoformat()}"
    if b >= a:
        got = parse(text)
        assert got.start.at.date() == a and got.end.last_day == b
        assert got.start.date_only and got.end.date_only
    else:
        with pytest.raises(CommandError, match="must be after"):
            parse(text)


# -- errors: what was wrong, the usage and an example --------------------------------------

ERRORS = [
    # (text, fragment of the message, the HELP key whose usage is shown; None: overview)
    ("rotaton list", "Did you mean `rotation`", None),
    ("frobnicate", "Commands: help, who", None),
    ("list", "rotation list", None),
    ("rotation", "Which rotation command", None),
    ("rotation lst", "Did you mean `list`", None),
    ("me now", "takes no arguments", "me"),
    ("rotation list all", "takes no arguments", "rotation list"),
    ("who AR", "lowercase", "who"),
    ("who ara", "three-letter", "who"),
    ("who xx", "not an ISO 639-1 code", "who"),
    ("who ar es", "Unexpected 'es'", "who"),
    ("report 0", "from 1 to 90", "report"),
    ("report 91", "from 1 to 90", "report"),
    ("report 30d", "whole number", "report"),
    ("report by=shift", "is not a grouping", "report"),
    ("report by=person by=region", "Give `by=` once", "report"),
    ("report 7 7", "Unexpected '7'", "report"),
    ("report ١٢", "whole number", "report"),
    ("coverage 99999999999999999999", "from 1 to 90", "coverage"),
    ("shifts emea 0", "from 1 to 90", "shifts"),
    ("shifts emea 7 7", "Unexpected", "shifts"),
    ("shifts em/ea", "neither a rotation name nor a person", "shifts"),
    ("shifts @bob", "autocomplete", "shifts"),
    ("rotation show", "Missing <name>", "rotation show"),
    ("rotation show a b", "Unexpected 'b'", "rotation show"),
    ("rotation delete em ea", "Unexpected", "rotation delete"),
    ("rotation edit -x", "Rotation name", "rotation edit"),
    ("rotation show " + "a" * 65, "1-64 letters", "rotation show"),
    ("rotation create emea", "Missing timezone= and shift=", "rotation create"),
    ("rotation create emea timezone=UTC", "Missing shift=", "rotation create"),
    ("rotation create timezone=UTC shift=08:00-16:00", "Missing the rotation name",
     "rotation create"),
    ("rotation create emea tz=UTC", "Did you mean `timezone`", "rotation create"),
    ("rotation create emea members=U0AR00001", "rotation add", "rotation create"),
    ("rotation create emea name=x", "name comes first", "rotation create"),
    ("rotation create emea color=red", "allowed keys: timezone, shift, days, handoff, start, tier",
     "rotation create"),
    ("rotation create emea timezone=UTC timezone=UTC shift=08:00-16:00", "given twice",
     "rotation create"),
    ("rotation create emea timezone = UTC", "no spaces around '='", "rotation create"),
    ("rotation create emea timezone= UTC", "needs a value", "rotation create"),
    ("rotation create emea =UTC", "no spaces around '='", "rotation create"),
    ("rotation create emea UTC", "Expected key=value", "rotation create"),
    (f"rotation create emea {LAYLA}", "only key=value settings", "rotation create"),
    ("rotation set emea timezone=Europe/Dubln", "Europe/Dublin", "rotation set"),
    ("rotation set emea timezone=Mars/Base", "Unknown time zone", "rotation set"),
    ("rotation set emea shift=8-16", "not a window HH:MM-HH:MM", "rotation set"),
    ("rotation set emea shift=08:00-25:00", "out of range", "rotation set"),
    ("rotation set emea shift=08:60-16:00", "out of range", "rotation set"),
    ("rotation set emea shift=08:00-24:30", "out of range", "rotation set"),
    ("rotation set emea days=mon-fry", "not a day or range of days", "rotation set"),
    ("rotation set emea days=mon,,fri", "not a day or range of days", "rotation set"),
    ("rotation set emea days=monday", "not a day or range of days", "rotation set"),
    ("rotation set emea handoff=fortnightly", "not daily, weekly or every N days", "rotation set"),
    ("rotation set emea handoff=0d", "not daily, weekly or every N days", "rotation set"),
    ("rotation set emea handoff=99999d", "not daily, weekly or every N days", "rotation set"),
    ("rotation set emea start=2026-13-01", "not a real date", "rotation set"),
    ("rotation set emea start=05/01/2026", "is not a date", "rotation set"),
    ("rotation set emea start=2026-01-05T08:00", "without a time", "rotation set"),
    ("rotation set emea start=1999-12-31", "year from 2000 to 2100", "rotation set"),
    ("rotation set emea tier=tertiary", "Unknown tier", "rotation set"),
    ("rotation set emea tier=primry", "Did you mean `primary`", "rotation set"),
    ("rotation set emea", "Nothing to set", "rotation set"),
    ("rotation set", "Missing <name>", "rotation set"),
    ("rotation add emea", "Missing @user", "rotation add"),
    (f"rotation add emea {LAYLA} 0", "at least 1", "rotation add"),
    (f"rotation add emea {LAYLA} 1234567890", "at most 999999999", "rotation add"),
    (f"rotation add emea {LAYLA} first", "whole number of at least 1", "rotation add"),
    (f"rotation add emea {LAYLA} 1 2", "Unexpected '2'", "rotation add"),
    (f"rotation move emea {LAYLA}", "Missing <position>", "rotation move"),
    (f"rotation move emea {LAYLA} -1", "whole number", "rotation move"),
    ("rotation remove emea", "Missing @user", "rotation remove"),
    ("override emea", "Missing @user, <from>, <to>", "override"),
    (f"override emea {ANA} 2026-12-24T08:00", "Missing <to>", "override"),
    (f"override emea {ANA} 2026-12-24T16:00 2026-12-24T08:00", "must be after", "override"),
    (f"override emea {ANA} 2026-12-24 08:00 2026-12-24 16:00", "Unexpected", "override"),
    (f"override emea {ANA} 2026-12-24 08:00", "join it to the date with T", "override"),
    (f"override emea {ANA} 2026-12-24T08:00Z 2026-12-24T16:00", "UTC offset", "override"),
    (f"override emea {ANA} 2026-12-24T25:00 2026-12-25", "not a real date or time", "override"),
    (f"override emea {ANA} tomorrow 2026-12-25", "not a date or date-time", "override"),
    (f"override emea {ANA} 9999-12-31 9999-12-31", "year from 2000 to 2100", "override"),
    (f"override em*ea {ANA} 2026-12-24 2026-12-25", "Rotation name", "override"),
    ("away 2026-12-24 2026-12-23", "includes that day", "away"),
    ("away 2026-12-24", "Missing <to>", "away"),
    (f"away {LAYLA} 2026-12-24", "Missing <to>", "away"),
    ("away @bob 2026-12-24 2026-12-25", "autocomplete", "away"),
    ("away 2026-02-30 2026-03-01", "not a real date", "away"),
    ("swap 2026-12-24", "Missing <date>", "swap"),
    (f"swap {ANA} 2026-12-24T08:00", "without a time", "swap"),
    (f"swap {ANA} 24/12/2026", "is not a date", "swap"),
    ("cover 2026-12-24T12:00 2026-12-24T08:00", "must be after", "cover"),
    ("cover", "Missing <from>, <to>", "cover"),
    ("skills layla", "autocomplete", "skills"),
    (f"skills {LAYLA} give le_requests", "say add or remove, not 'give'", "skills"),
    (f"skills {LAYLA} add", "Missing <skill>", "skills"),
    (f"skills {LAYLA} add Le_Requests", "lowercase: use 'le_requests'", "skills"),
    (f"skills {LAYLA} add le.requests", "not a skill name", "skills"),
    (f"skills {LAYLA} add a,a", "listed twice", "skills"),
    (f"skills {LAYLA} remove {ANA}", "only skill names may follow", "skills"),
    (f"skills {LAYLA} add ,", "Missing <skill>", "skills"),
    ("specialist", "Missing @user", "specialist"),
    ("specialist layla", "autocomplete", "specialist"),
    (f"specialist {LAYLA} languages=ar,,en", "empty item", "specialist"),
    (f"specialist {LAYLA} languages=ar,ar", "listed twice", "specialist"),
    (f"specialist {LAYLA} languages=Ar", "lowercase", "specialist"),
    (f"specialist {LAYLA} languages=arabic", "not an ISO 639-1 code", "specialist"),
    (f"specialist {LAYLA} languages=ar,en backup=fr", "not among their languages", "specialist"),
    (f"specialist {LAYLA} timezone=Dubai", "Unknown time zone", "specialist"),
    (f"specialist {LAYLA} holidays=mexico", "not a country code", "specialist"),
    (f"specialist {LAYLA} lang=ar", "Did you mean `languages`", "specialist"),
    (f"specialist {LAYLA} shift=08:00-16:00",
     "allowed keys: languages, timezone, backup, name, holidays", "specialist"),
    (f"specialist {LAYLA} name=", "needs a value", "specialist"),
    (f"specialist {LAYLA} name=a\x07b", "printable", "specialist"),
    ("export em/ea", "neither a rotation name nor a person", "export"),
    ("export emea extra", "Unexpected 'extra'", "export"),
    ("exposure week", "Days 'week' must be a whole number from 1 to 90", "exposure"),
    ("exposure 0", "Days must be from 1 to 90, not '0'", "exposure"),
    ("exposure 91", "Days must be from 1 to 90", "exposure"),
    ("exposure 7 extra", "Unexpected 'extra'", "exposure"),
    ("trends today", "Hours 'today' must be a whole number from 1 to 24", "trends"),
    ("trends 25", "Hours must be from 1 to 24, not '25'", "trends"),
    ("crisis", "Missing start, status, update or end", "crisis"),
    ("crisis update", "Missing the update text", "crisis"),
    ("crisis begin flood", "'begin' is not a crisis command", "crisis"),
    ("crisis start", "Missing the crisis name", "crisis"),
    ("crisis start flood languages=AR", "Language codes are lowercase", "crisis"),
    ("crisis start flood severity=high", "must be sev1, sev2 or sev3", "crisis"),
    ("crisis start flood match=", "is not an option", "crisis"),
    ("crisis start flood color=red", "is not an option", "crisis"),
    ("crisis start flood sev=sev1 severity=sev2", "given twice", "crisis"),
    ("crisis end flood quake", "Unexpected 'quake'", "crisis"),
    ("sweep begin ar", "'begin' is not a sweep command", "sweep"),
    ("sweep start", "Missing the language", "sweep"),
    ("sweep start every=30m", "Missing the language", "sweep"),
    ("sweep start AR", "Language codes are lowercase", "sweep"),
    ("sweep start ar every=4m", "at most every 5 minutes", "sweep"),
    ("sweep start ar every=13h", "at least every 12 hours", "sweep"),
    ("sweep start ar every=often", "not a length of time", "sweep"),
    ("sweep start ar color=red", "is not an option", "sweep"),
    ("sweep start ar every=1h every=2h", "given twice", "sweep"),
    ("sweep stop ar fr", "Unexpected 'fr'", "sweep"),
    ("sweep status now", "takes nothing more", "sweep"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "fragment", "key"), ERRORS, ids=[t for t, _, _ in ERRORS])
def test_errors_name_the_problem_and_show_usage_and_example(text, fragment, key):
    with pytest.raises(CommandError) as e:
        parse(text)
    err = e.value
    assert fragment in err.message, err.message
    reply = str(err)
    assert reply.startswith(esc(err.message))
    assert "\nUsage: `" in reply and "\nExample: `" in reply
    if key is not None:
        assert err.usage == HELP[key].usage
        assert err.example == HELP[key].example
    assert esc(err.usage) in reply and esc(err.example) in reply
    # the example shown is itself a correct command
    assert isinstance(parse(as_typed(err.example)), COMMAND_TYPES)


def test_unknown_command_lists_all_commands():
    with pytest.raises(CommandError) as e:
        parse("rotatoin show emea")
    for word in ("help", "who", "me", "report", "shifts", "coverage", "rotation", "override",
                 "away", "swap", "cover", "specialist", "skills", "export"):  # fmt: skip
        assert word in e.value.message


def test_echoed_input_is_shortened():
    with pytest.raises(CommandError) as e:
        parse("who " + "x" * 5000)
    assert len(str(e.value)) < 600


# -- help ---------------------------------------------------------------------------------


@pytest.mark.parametrize("key", list(HELP))
def test_help_for_every_command(key):
    u = HELP[key]
    assert isinstance(u, Usage)
    assert u.usage.startswith(f"/oncall {key}")
    assert u.description.endswith(".") and u.description.count(". ") == 0
    assert u.access in ("everyone", "managers", "the person themself",
                        "the person themself; managers for anyone",
                        "everyone to look; managers to add or remove")  # fmt: skip
    text = help_text(key)
    assert f"`{esc(u.usage)}`" in text
    assert f"Example: `{esc(u.example)}`" in text
    assert u.access in text
    assert help_text(key.upper()) == text
    assert help_text(f"/oncall {key}") == text
    # every example parses to a command of that kind
    assert parse(as_typed(u.example)).command == key


def test_full_help_lists_every_usage_in_monospace():
    text = help_text(None)
    assert help_text("") == text == help_text("  ")
    for u in HELP.values():
        assert f"`{esc(u.usage)}`" in text
        assert u.description in text
    assert "<" not in text and ">" not in text  # Slack markup escaped


def test_rotation_topic_shows_every_rotation_command():
    text = help_text("rotation")
    for key, u in HELP.items():
        assert (esc(u.usage) in text) == key.startswith("rotation ")


def test_help_for_an_unknown_topic_says_so_and_lists_topics():
    text = help_text("rotaton")
    assert "There is no command 'rotaton'" in text
    assert "Did you mean `rotation`?" in text
    for key in HELP:
        assert f"`{key}`" in text
    assert "Example:" in text
    assert "Did you mean" not in help_text("zzzzzzzz")


def test_rotation_keys_are_the_yaml_field_names():
    assert ROTATION_KEYS == ("timezone", "shift", "days", "handoff", "start", "tier")
    assert set(SPECIALIST_KEYS) == {"languages", "timezone", "backup", "name", "holidays",
                                    "phone", "email"}
    for key in ROTATION_KEYS:
        assert f"{key}=" in HELP["rotation create"].usage + HELP["rotation create"].notes


# -- properties ---------------------------------------------------------------------------


def check(text: str) -> None:
    """parse returns a command or raises CommandError with a complete, escaped reply."""
    try:
        got = parse(text)
    except CommandError as e:
        reply = str(e)
        assert "\nUsage: `/oncall" in reply and "\nExample: `/oncall" in reply
        assert e.message and e.message in e.args
        assert "<" not in reply and ">" not in reply
        assert not re.search(r"&(?!amp;|lt;|gt;)", reply)
        assert len(reply) < 1500
        return
    assert isinstance(got, COMMAND_TYPES)
    if isinstance(got, Help):
        assert isinstance(help_text(got.topic), str)


@settings(max_examples=500, suppress_health_check=[HealthCheck.too_slow])
@given(st.text())
@example("rotation create x timezone=UTC shift=00:00-00:00 days=sun-sat")
@example("<<<<<@@@>>>&amp;&&lt;")
@example("help " + "\x00")
def test_fuzz_any_text(text):
    check(text)


VALID = [as_typed(u.example) for u in HELP.values()] + [t for t, _ in GOOD]
PIECES = [
    "", "<@U0AR00001|x>", "<@U0AR00001>", "U0AR00001", "@bob", "<#C1|c>", "<!here>", "<", ">",
    "<@", "&amp;", "&lt;", "&gt;", "&", "=", "a=", "=b", "timezone=UTC", "shift=08:00-16:00",
    "days=mon-fri", "handoff=2d", "start=2026-01-05", "tier=secondary", "languages=ar,en",
    "backup=ar", "name=X", "holidays=MX", "2026-12-24", "2026-12-24T08:00", "9999-12-31",
    "0001-01-01", "2026-12-24T23:59:59", "0", "1", "90", "91", "-1", "99999999999999999999",
    "emea", "rotation", "help", "create", "list", "\u00a0", "\n", "ünïcødé", "١٢", "24:00",
    "x" * 300, "days=", "timezone=Etc/GMT+5", "<@U0AR00001|a b c>",
]  # fmt: skip


@st.composite
def spliced(draw) -> str:
    tokens = draw(st.sampled_from(VALID)).split(" ")
    for _ in range(draw(st.integers(0, 4))):
        op = draw(st.sampled_from(["insert", "delete", "replace", "dup", "swap"]))
        piece = draw(st.one_of(st.sampled_from(PIECES), st.text(max_size=12)))
        i = draw(st.integers(0, len(tokens)))
        if op == "insert":
            tokens.insert(i, piece)
        elif tokens and op == "delete":
            tokens.pop(min(i, len(tokens) - 1))
        elif tokens and op == "replace":
            tokens[min(i, len(tokens) - 1)] = piece
        elif tokens and op == "dup":
            tokens.insert(i, tokens[min(i, len(tokens) - 1)])
        elif len(tokens) > 1:
            j = draw(st.integers(0, len(tokens) - 1))
            k = min(i, len(tokens) - 1)
            tokens[j], tokens[k] = tokens[k], tokens[j]
    return " ".join(tokens)


@settings(max_examples=1500, suppress_health_check=[HealthCheck.too_slow])
@given(spliced())
def test_fuzz_valid_commands_with_spliced_tokens(text):
    check(text)


ZONES = ["UTC", "Europe/Dublin", "Asia/Singapore", "America/Chicago", "Asia/Dubai"]


@given(
    name=st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,20}", fullmatch=True),
    zone=st.sampled_from(ZONES),
    start=st.times().map(lambda t: t.replace(second=0, microsecond=0)),
    end=st.times().map(lambda t: t.replace(second=0, microsecond=0)),
    days=st.sets(st.sampled_from(WEEKDAYS), min_size=1),
    handoff=st.integers(1, 60),
    tier=st.sampled_from(["primary", "secondary"]),
    first=st.dates(date(2000, 1, 1), date(2100, 12, 31)),
)
def test_rotation_create_round_trips_every_valid_setting(
    name, zone, start, end, days, handoff, tier, first
):
    text = (
        f"rotation create {name} timezone={zone} shift={start:%H:%M}-{end:%H:%M} "
        f"days={','.join(days)} handoff={handoff}d start={first.isoformat()} tier={tier}"
    )
    assert parse(text) == RotationCreate(
        name,
        {
            "timezone": zone,
            "shift": (start, end),
            "days": frozenset(WEEKDAYS.index(d) for d in days),
            "handoff": handoff,
            "start": first,
            "tier": tier,
        },
    )


@given(st.integers(-5, MAX_DAYS + 5))
def test_days_counts(n):
    if 1 <= n <= MAX_DAYS:
        assert parse(f"coverage {n}") == Coverage(n)
        assert parse(f"shifts emea {n}") == Shifts("emea", None, n)
    else:
        with pytest.raises(CommandError):
            parse(f"report {n}")
