"""Schedules as code: YAML <-> Team, validation messages, round trips, team diffs.

Bad inputs are named fixture files under tests/fixtures/schedules/. In each, the lines
marked `# expect: <field>` are where a problem must be reported, with that field path.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core import timezones
from bot.core.diff import diff_teams
from bot.core.model import (
    SEVERITIES,
    STEP_KINDS,
    TIERS,
    VERIFICATIONS,
    Category,
    EscalationPolicy,
    EscalationStep,
    Override,
    Rotation,
    Specialist,
    Team,
    TimeOff,
)
from bot.core.parsers import ISO_639_1
from bot.schedules.reader import (
    Problem,
    ScheduleError,
    load_schedules,
    load_team_file,
    parse_team,
)
from bot.schedules.writer import dump_team

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "schedules"
EXAMPLE = ROOT / "schedules" / "example" / "safety-escalations.yaml"
UTC = timezones.UTC


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def expected_marks(path: Path) -> list[tuple[int, str]]:
    """(line, field) for every `# expect: <field>` marker in a fixture."""
    marks = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        m = re.search(r"# expect:[ \t]*(\S*)", line)
        if m:
            marks.append((n, m.group(1)))
    return marks


def problems_of(name: str) -> tuple[Path, list[Problem], str]:
    path = FIXTURES / name
    with pytest.raises(ScheduleError) as info:
        load_team_file(path)
    return path, info.value.problems, str(info.value)


def check_fixture(name: str, *phrases: str) -> list[Problem]:
    """Every marked line has a problem with that field, and the message reads well."""
    path, problems, text = problems_of(name)
    marks = expected_marks(path)
    assert marks, f"{name} has no `# expect:` markers"
    for line, field in marks:
        hits = [p for p in problems if p.line == line and p.field == field]
        assert hits, f"no problem at line {line} for {field!r} in:\n{text}"
        for p in hits:
            rendered = str(p)
            assert rendered.startswith(f"{path}:{line}: ")
            if field:
                assert f": {field}: " in rendered
    for phrase in phrases:
        assert phrase in text, f"{phrase!r} not in:\n{text}"
    return problems


# -- the good files -------------------------------------------------------------------------


def test_example_team_parses():
    team = load_team_file(EXAMPLE)
    assert team.name == "safety-escalations"
    assert team.languages == ("en", "es", "ar", "pt", "fr")
    assert len(team.specialists) >= 12
    assert {r.timezone for r in team.rotations} == {
        "Asia/Singapore",
        "Europe/Dublin",
        "America/Chicago",
    }
    assert {r.tier for r in team.rotations} == {"primary", "secondary"}
    assert any(s.holidays == "MX" for s in team.specialists)
    assert any(s.backup for s in team.specialists)
    assert [o.start.year for o in team.overrides] == [2026]
    assert [t.start.date() >= date(2026, 12, 1) for t in team.time_off] == [True]
    assert {sev for sev, _ in team.policies} == {*SEVERITIES, "le-emergency"}
    assert all(r.start.year == 2026 and r.start.month == 1 for r in team.rotations)
    # every language has readers in all three regions
    region = {"Asia": "apac", "Australia": "apac", "Europe": "emea", "Africa": "emea"}
    for lang in team.languages:
        regions = {
            region.get(s.timezone.split("/")[0], "amer")
            for s in team.specialists
            if lang in s.languages
        }
        assert regions == {"apac", "emea", "amer"}, lang


def test_example_team_field_values():
    team = load_team_file(EXAMPLE)
    rot = team.rotation("amer-ar-fr")
    assert rot is not None
    assert (rot.shift_start, rot.shift_end) == (time(9), time(17))
    assert rot.days == frozenset(range(7)) and rot.handoff_days == 7
    night = team.rotation("ar-fr-overnight")
    assert night is not None and night.crosses_midnight and night.handoff_days == 3
    (override,) = team.overrides
    # Chicago is on CST in December: 09:00 local is 15:00 UTC
    assert (override.start, override.end) == (utc(2026, 12, 24, 15), utc(2026, 12, 24, 23))
    (away,) = team.time_off
    # Madrid dates, inclusive: from local midnight Dec 21 to local midnight Jan 7
    assert away.all_day
    assert (away.start, away.end) == (utc(2026, 12, 20, 23), utc(2027, 1, 6, 23))
    sev1 = team.policy("sev1")
    assert sev1 is not None and sev1.repeat == 2
    assert sev1.steps[0] == EscalationStep("language_oncall", timedelta(minutes=2))
    assert sev1.steps[-1] == EscalationStep("channel", None)


def test_good_minimal_fixture_parses():
    team = load_team_file(FIXTURES / "good_minimal.yaml")
    assert team.specialist("U0ES00002").holidays == "ES"
    assert team.rotation("emea").tier == "primary"  # the default
    assert team.rotation("emea").days == frozenset(range(5))


def test_load_schedules_reads_the_example_folder():
    teams = load_schedules(ROOT / "schedules" / "example")
    assert [t.name for t in teams] == ["safety-escalations"]


# -- one named test per bad input -----------------------------------------------------------


def test_unknown_time_zone():
    check_fixture(
        "bad_unknown_timezone.yaml",
        "unknown time zone 'Europe/Dublinn'; use an IANA name such as Europe/Dublin",
    )


def test_malformed_shift_window_without_minutes():
    check_fixture("bad_shift_no_minutes.yaml", "'8-16'", "HH:MM-HH:MM", '"08:00-16:00"')


def test_malformed_shift_window_hour_out_of_range():
    check_fixture("bad_shift_hour_out_of_range.yaml", "start hour 25", "00-23")


def test_malformed_duration():
    check_fixture("bad_duration.yaml", "malformed duration '5 minutes'", "30s, 5m or 1h")


def test_missing_wait_on_a_step_that_is_not_the_last():
    check_fixture("bad_missing_wait.yaml", "every step but the last needs a wait")


def test_unknown_member():
    check_fixture("bad_unknown_member.yaml", "unknown member 'U0ES00003'", "`specialists`")


def test_unknown_step_kind():
    check_fixture(
        "bad_unknown_step_kind.yaml",
        "unknown step kind 'slack_channel'",
        "allowed: " + ", ".join(STEP_KINDS),
    )


def test_duplicate_specialist_id():
    check_fixture("bad_duplicate_specialist_id.yaml", "duplicate specialist id 'U0AR00001'")


def test_duplicate_rotation_name():
    check_fixture("bad_duplicate_rotation_name.yaml", "duplicate rotation name 'emea'")


def test_yaml_syntax_error():
    problems = check_fixture("bad_yaml_syntax.yaml", "YAML syntax error", "indentation")
    assert len(problems) == 1


def test_language_code_not_iso_639_1():
    check_fixture(
        "bad_language_code.yaml",
        "'eng' is a three-letter code; use the ISO 639-1 two-letter code 'en'",
        "'xx' is not an ISO 639-1 language code",
        "language codes are lowercase: use 'en' instead of 'EN'",
    )


def test_bad_day_name():
    problems = check_fixture("bad_day_name.yaml", "unknown day 'monday'", "unknown day 'Mo'")
    assert all("mon, tue, wed, thu, fri, sat, sun" in p.message for p in problems)


def test_unknown_field():
    check_fixture(
        "bad_unknown_field.yaml",
        "unknown field 'shfit' in rotations[0]; allowed: name, timezone, shift,",
        "did you mean 'shift'?",
    )


def test_duplicate_yaml_key():
    check_fixture("bad_duplicate_key.yaml", "duplicate key 'handoff'", "first on line")


def test_override_to_not_after_from():
    check_fixture("bad_override_to_before_from.yaml", "must be after from", "[from, to)")


def test_member_language_not_in_team_languages():
    check_fixture(
        "bad_member_language.yaml",
        "language 'de' is not one of the team's languages",
        "add it to the team's `languages`",
    )


def test_unknown_holidays_country():
    check_fixture(
        "bad_holidays_country.yaml",
        "unknown country 'XX'",
        "'ZZ' is not a subdivision of US",
        "e.g. MX, IE or US-TX",
    )


def test_slack_ids_that_are_names():
    check_fixture(
        "bad_slack_ids.yaml",
        "'#intake' is not a Slack channel ID",
        "'@managers' is not a Slack user group ID",
        "'u0ar00001' is not a Slack user ID",
        "e.g. U0AR00001",
        "e.g. S0MGRGRP1",
    )


def test_all_problems_in_a_file_are_reported_at_once():
    problems = check_fixture("bad_many_problems.yaml", "such as Asia/Dubai", "2026-13-05")
    assert len(problems) == 5
    assert [p.line for p in problems] == sorted(p.line for p in problems)


# -- smaller cases, inline --------------------------------------------------------------------

MINIMAL = (FIXTURES / "good_minimal.yaml").read_text(encoding="utf-8")


def edited(old: str, new: str) -> str:
    assert MINIMAL.count(old) == 1, old
    return MINIMAL.replace(old, new)


def problem_text(text: str, filename: str = "schedules/t.yaml") -> str:
    with pytest.raises(ScheduleError) as info:
        parse_team(text, filename)
    return str(info.value)


def test_problem_str_format():
    p = Problem("schedules/team.yaml", 42, "rotations[1].timezone", "unknown time zone")
    assert str(p) == "schedules/team.yaml:42: rotations[1].timezone: unknown time zone"
    assert str(Problem("a.yaml", None, "", "empty")) == "a.yaml: empty"
    err = ScheduleError([p, Problem("b.yaml", 1, "team", "x")])
    assert str(err).splitlines() == [str(p), "b.yaml:1: team: x"]


def test_empty_file():
    assert "the file is empty" in problem_text("", "x.yaml")
    assert "x.yaml: the file is empty" in problem_text("# nothing\n", "x.yaml")


def test_missing_required_fields_point_at_their_mapping():
    text = problem_text("team: t\nlanguages: [en]\n")
    assert "schedules/t.yaml:1: intake_channel: missing required field 'intake_channel'" in text
    assert "e.g. escalation_channel: C0ESCAL01" in text


def test_twenty_four_hour_shift_and_24_00_end():
    team = parse_team(edited('shift: "08:00-16:00"', 'shift: "08:00-08:00"'), "t.yaml")
    assert team.rotations[0].shift_label == "08:00-08:00"
    team = parse_team(edited('shift: "08:00-16:00"', 'shift: "16:00-24:00"'), "t.yaml")
    assert (team.rotations[0].shift_start, team.rotations[0].shift_end) == (time(16), time(0))
    assert parse_team(dump_team(team), "t.yaml") == team


def test_days_range_string_is_accepted():
    as_list = parse_team(MINIMAL, "t.yaml")
    for form in ("mon-fri", "mon,tue,wed,thu,fri", '"mon-wed, thu, fri"'):
        team = parse_team(edited("days: [mon, tue, wed, thu, fri]", f"days: {form}"), "t.yaml")
        assert team == as_list, form
    wrap = parse_team(edited("days: [mon, tue, wed, thu, fri]", "days: fri-mon"), "t.yaml")
    assert wrap.rotations[0].days == frozenset({4, 5, 6, 0})
    assert "'weekdays' is not a list of days" in problem_text(
        edited("days: [mon, tue, wed, thu, fri]", "days: weekdays")
    )


def test_handoff_forms():
    for form, n in (("daily", 1), ("weekly", 7), ('"3d"', 3), ("1d", 1), ("14d", 14)):
        team = parse_team(edited("handoff: weekly", f"handoff: {form}"), "t.yaml")
        assert team.rotations[0].handoff_days == n
    for bad in ("0d", "3", "fortnightly", "-2d"):
        assert "handoff" in problem_text(edited("handoff: weekly", f"handoff: {bad}"))


def test_time_off_date_times_are_half_open_and_not_all_day():
    text = edited(
        "{user: U0AR00001, from: 2026-12-20, to: 2027-01-03}",
        '{user: U0AR00001, from: "2026-12-24T08:00", to: "2026-12-24T13:30"}',
    )
    (away,) = parse_team(text, "t.yaml").time_off
    assert away == TimeOff("U0AR00001", utc(2026, 12, 24, 4), utc(2026, 12, 24, 9, 30), False)
    assert parse_team(dump_team(parse_team(text, "t.yaml")), "t.yaml").time_off == (away,)


def test_time_off_single_day_and_reversed_dates():
    one = edited("to: 2027-01-03}", "to: 2026-12-20}")
    (away,) = parse_team(one, "t.yaml").time_off
    assert away.end - away.start == timedelta(days=1)
    assert "is before from" in problem_text(edited("to: 2027-01-03}", "to: 2026-12-19}"))
    mixed = edited("to: 2027-01-03}", 'to: "2027-01-03T08:00"}')
    assert "both be dates" in problem_text(mixed)


def test_override_in_dst_gap_and_fold():
    # Europe/Dublin: 01:00 -> 02:00 on 2026-03-29 (gap); 02:00 -> 01:00 on 2026-10-25 (fold)
    text = edited(
        'from: "2026-12-24T08:00", to: "2026-12-24T16:00"',
        'from: "2026-03-29T01:30", to: "2026-10-25T01:30"',
    )
    (o,) = parse_team(text, "t.yaml").overrides
    assert o.start == utc(2026, 3, 29, 1)  # the first valid instant after the gap
    assert o.end == utc(2026, 10, 25, 0, 30)  # the first occurrence of 01:30
    team = parse_team(text, "t.yaml")
    assert parse_team(dump_team(team), "t.yaml") == team


def test_override_with_utc_offset_is_rejected():
    text = edited('to: "2026-12-24T16:00"', 'to: "2026-12-24T16:00+01:00"')
    assert "without a UTC offset" in problem_text(text)


def test_override_unknown_rotation_and_user():
    text = edited("{rotation: emea, user: U0ES00002,", "{rotation: emae, user: U0ES00009,")
    out = problem_text(text)
    assert "overrides[0].rotation: unknown rotation 'emae'" in out
    assert "did you mean 'emea'?" in out
    assert "overrides[0].user: unknown user 'U0ES00009'" in out


def test_backup_must_be_a_language_the_specialist_reads():
    out = problem_text(edited("backup: [ar]", "backup: [es]"))
    assert "specialists[0].backup[0]: backup language 'es' is not one this specialist reads" in out


def test_default_severity_must_name_a_policy():
    out = problem_text(edited("default_severity: sev2", "default_severity: sev1"))
    assert "escalation.default_severity: default_severity 'sev1' has no policy" in out
    assert "unknown field 'sev4'" in problem_text(edited("    sev2:\n", "    sev4:\n"))


def test_managers_step_needs_managers():
    out = problem_text(edited("managers: [U0MGR0001]", "managers: []"))
    assert "a 'managers' step needs someone to notify" in out
    grouped = edited("managers: [U0MGR0001]", "managers: []\nmanager_group: S0MGRGRP1")
    assert parse_team(grouped, "t.yaml").manager_group == "S0MGRGRP1"


def test_yaml_1_1_booleans_are_read_as_text():
    # Norwegian ("no") is a language, not `false`; unquoted 8:00 is not sexagesimal 480.
    text = edited("languages: [en, es, ar]", "languages: [en, es, ar, no]")
    text = text.replace("languages: [es, en]", "languages: [es, en, no]")
    team = parse_team(text, "t.yaml")
    assert team.languages[-1] == "no"
    assert "'no'" in dump_team(team) or '"no"' in dump_team(team)
    assert parse_team(dump_team(team), "t.yaml") == team
    assert "shift '8:00'" in problem_text(edited('shift: "08:00-16:00"', "shift: 8:00"))


def test_empty_optional_lists():
    text = edited(
        "overrides:\n  - {rotation: emea, user: U0ES00002, "
        'from: "2026-12-24T08:00", to: "2026-12-24T16:00"}\n',
        "overrides:\n",
    )
    assert parse_team(text, "t.yaml").overrides == ()


def test_empty_escalation_means_none():
    team = parse_team(MINIMAL.split("escalation:")[0] + "escalation:\n", "t.yaml")
    assert (team.default_severity, team.policies) == ("sev2", ())


def test_a_broken_specialists_section_does_not_cascade():
    out = problem_text(edited("specialists:\n", "specialists:\n  oops: 1\nwhatever:\n"))
    assert "specialists: must be a list, not a mapping" in out
    assert "unknown member" not in out and "unknown user" not in out


TOKENS = ["", "~", "[]", "{}", "null", "- x", "[a, b]", "{a: 1}", "1", "-1", "no", ":", "*a"]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            st.integers(0, 60), st.sampled_from(["del", "dup", "val"]), st.sampled_from(TOKENS)
        ),
        max_size=4,
    )
)
def test_edited_files_parse_or_fail_with_problems(edits):
    """Whatever a hand edit does to a good file, the answer is a Team or a ScheduleError."""
    lines = MINIMAL.splitlines()
    for i, op, token in edits:
        i %= len(lines)
        if op == "del":
            del lines[i]
        elif op == "dup":
            lines.insert(i, lines[i])
        elif ":" in lines[i]:
            lines[i] = lines[i].split(":", 1)[0] + ": " + token
    try:
        team = parse_team("\n".join(lines), "edited.yaml")
    except ScheduleError as e:
        assert e.problems and all(p.message and p.file == "edited.yaml" for p in e.problems)
    else:
        assert parse_team(dump_team(team), "edited.yaml") == team


def test_iso_639_1_list_has_184_codes():
    assert len(ISO_639_1) == 184
    assert all(len(c) == 2 and c.islower() for c in ISO_639_1)
    assert {"en", "es", "ar", "pt", "fr", "zh", "no"} <= ISO_639_1


# -- files and folders ---------------------------------------------------------------------------


def test_duplicate_team_names_across_files(tmp_path: Path):
    (tmp_path / "a.yaml").write_text(MINIMAL, encoding="utf-8")
    (tmp_path / "b.yml").write_text(MINIMAL, encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not a team", encoding="utf-8")
    with pytest.raises(ScheduleError) as info:
        load_schedules(tmp_path)
    (p,) = info.value.problems
    assert p.file == str(tmp_path / "b.yml") and p.field == "team" and p.line == 2
    assert "already defined in" in p.message and "a.yaml" in p.message


def test_problems_of_every_file_in_a_folder_are_collected(tmp_path: Path):
    for name in ("bad_unknown_timezone.yaml", "bad_duration.yaml"):
        (tmp_path / name).write_text((FIXTURES / name).read_text(encoding="utf-8"))
    with pytest.raises(ScheduleError) as info:
        load_schedules(tmp_path)
    assert {Path(p.file).name for p in info.value.problems} == {
        "bad_unknown_timezone.yaml",
        "bad_duration.yaml",
    }


def test_missing_path():
    with pytest.raises(ScheduleError, match="no such file"):
        load_schedules(FIXTURES / "does-not-exist")
    with pytest.raises(ScheduleError, match="no such file"):
        load_team_file(FIXTURES / "does-not-exist.yaml")


# -- round trips --------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [EXAMPLE, FIXTURES / "good_minimal.yaml"], ids=lambda p: p.name)
def test_round_trip_of_files(path: Path):
    team = load_team_file(path)
    text = dump_team(team)
    assert parse_team(text, "dumped.yaml") == team
    assert dump_team(parse_team(text, "dumped.yaml")) == text


def test_dump_keeps_the_documented_key_order():
    text = dump_team(load_team_file(EXAMPLE))
    tops = [line.split(":")[0] for line in text.splitlines() if line and line[0].isalpha()]
    assert tops == [
        "team", "languages", "intake_channel", "escalation_channel", "managers",
        "manager_group", "specialists", "rotations", "overrides", "time_off", "escalation",
        "categories", "default_category",
    ]  # fmt: skip
    assert '    shift: "06:00-15:00"' in text
    assert '  - {rotation: amer-es-pt, user: U0AM00007, from: "2026-12-24T09:00"' in text
    assert "  - {user: U0EU00004, from: 2026-12-21, to: 2027-01-06}" in text
    assert "        - {notify: language_oncall, wait: 2m}" in text


ZONES = [
    "UTC",
    "Europe/Dublin",
    "America/Chicago",
    "Asia/Singapore",
    "America/Sao_Paulo",
    "Australia/Lord_Howe",
    "Asia/Kathmandu",
    "America/St_Johns",
]
LANGS = ["en", "es", "ar", "pt", "fr", "no", "zh", "sh"]
HOLIDAYS = [None, "MX", "US-TX", "IE", "SG"]

user_ids = st.from_regex(r"[UW][A-Z0-9]{2,10}", fullmatch=True)
names = st.text(
    st.characters(exclude_categories=("Cc", "Cs"), max_codepoint=0x2FFF), min_size=1, max_size=20
).filter(lambda s: s.strip())
rotation_names = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,12}", fullmatch=True)
local_times = st.datetimes(datetime(2020, 1, 1), datetime(2035, 12, 31))
minutes = st.builds(time, st.integers(0, 23), st.integers(0, 59))
durations = st.builds(
    lambda n, unit: timedelta(seconds=n * unit),
    st.integers(1, 120),
    st.sampled_from([1, 60, 3600]),
)


def _span(draw, tz: str) -> tuple[datetime, datetime] | None:
    start = draw(local_times).replace(microsecond=0)
    if draw(st.booleans()):
        start = start.replace(second=0)
    end = start + timedelta(minutes=draw(st.integers(1, 20_000)))
    s, e = timezones.to_utc(start, tz), timezones.to_utc(end, tz)
    return (s, e) if e > s else None


@st.composite
def teams(draw) -> Team:
    languages = tuple(draw(st.lists(st.sampled_from(LANGS), min_size=1, max_size=5, unique=True)))
    specialists = []
    for sid in draw(st.lists(user_ids, max_size=5, unique=True)):
        langs = draw(st.lists(st.sampled_from(languages), min_size=1, unique=True))
        backup = draw(st.lists(st.sampled_from(langs), unique=True))
        specialists.append(
            Specialist(
                sid,
                draw(names),
                draw(st.sampled_from(ZONES)),
                tuple(langs),
                tuple(backup),
                draw(st.sampled_from(HOLIDAYS)),
                tuple(draw(st.lists(st.sampled_from(SKILLS), unique=True, max_size=2))),
            )
        )
    ids = [s.id for s in specialists]
    rotations = []
    for name in draw(st.lists(rotation_names, max_size=3, unique=True)):
        members = draw(st.permutations(ids))[: draw(st.integers(0, len(ids)))]
        rotations.append(
            Rotation(
                name,
                draw(st.sampled_from(ZONES)),
                draw(minutes),
                draw(minutes),
                frozenset(draw(st.sets(st.integers(0, 6), min_size=1))),
                draw(st.integers(1, 60)),
                draw(st.dates(date(2020, 1, 1), date(2035, 12, 31))),
                draw(st.sampled_from(TIERS)),
                tuple(members),
            )
        )
    overrides = []
    if rotations and ids:
        for _ in range(draw(st.integers(0, 3))):
            rot = draw(st.sampled_from(rotations))
            span = _span(draw, rot.timezone)
            if span:
                overrides.append(Override(rot.name, draw(st.sampled_from(ids)), *span))
    time_off = []
    for _ in range(draw(st.integers(0, 3)) if specialists else 0):
        who = draw(st.sampled_from(specialists))
        if draw(st.booleans()):
            first = draw(st.dates(date(2020, 1, 1), date(2035, 12, 31)))
            last = first + timedelta(days=draw(st.integers(0, 40)))
            start = timezones.start_of_day(first, who.timezone)
            end = timezones.start_of_day(last + timedelta(days=1), who.timezone)
            time_off.append(TimeOff(who.id, start, end, True))
        elif span := _span(draw, who.timezone):
            time_off.append(TimeOff(who.id, *span, False))
    managers = tuple(draw(st.lists(user_ids, max_size=2, unique=True)))
    group = draw(st.none() | st.from_regex(r"S[A-Z0-9]{2,10}", fullmatch=True))
    kinds = [k for k in STEP_KINDS if k != "managers" or managers or group]
    policies = []
    for sev in draw(st.lists(st.sampled_from(SEVERITIES), unique=True)):
        n = draw(st.integers(1, 4))
        steps = [EscalationStep(draw(st.sampled_from(kinds)), draw(durations)) for _ in range(n)]
        if draw(st.booleans()):
            steps[-1] = dataclasses.replace(steps[-1], wait=None)
        policies.append((sev, EscalationPolicy(tuple(steps), draw(st.integers(0, 5)))))
    policies.sort(key=lambda p: SEVERITIES.index(p[0]))
    default = draw(st.sampled_from([p[0] for p in policies])) if policies else "sev2"
    if policies:  # policies a category names, after the severities' (the reader's order)
        for name in draw(st.lists(slugs.filter(lambda n: not n.startswith("sev")),
                                  max_size=2, unique=True)):
            policies.append((name, EscalationPolicy(
                (EscalationStep(draw(st.sampled_from(kinds))),), draw(st.integers(0, 3)))))
    categories = [draw(category(name, [p[0] for p in policies]))
                  for name in draw(st.lists(slugs, max_size=3, unique=True))]
    category_names = [c.name for c in categories]
    return Team(
        name=draw(rotation_names),
        languages=languages,
        intake_channel=draw(st.from_regex(r"[CG][A-Z0-9]{2,10}", fullmatch=True)),
        escalation_channel=draw(st.from_regex(r"[CG][A-Z0-9]{2,10}", fullmatch=True)),
        managers=managers,
        manager_group=group,
        specialists=tuple(specialists),
        rotations=tuple(rotations),
        overrides=tuple(overrides),
        time_off=tuple(time_off),
        default_severity=default,
        policies=tuple(policies),
        categories=tuple(categories),
        default_category=draw(st.none() | st.sampled_from([*category_names, "other"])),
        max_open_per_person=draw(st.integers(1, 20)),
    )


SKILLS = ["le_requests", "self_harm", "child_safety", "x1"]
slugs = st.from_regex(r"[a-z0-9][a-z0-9-]{0,12}", fullmatch=True)
keys = st.from_regex(r"[a-z][a-z0-9_]{0,12}", fullmatch=True)


@st.composite
def category(draw, name: str, policies: list[str]) -> Category:
    weight = draw(st.none() | st.integers(1, 9))
    return Category(
        name=name,
        label=draw(names),
        severity=draw(st.none() | st.sampled_from(SEVERITIES)),
        policy=draw(st.none() | st.sampled_from(policies)) if policies else None,
        skills=tuple(draw(st.lists(st.sampled_from(SKILLS), unique=True, max_size=2))),
        due=draw(st.none() | durations),
        sensitive=draw(st.booleans()),
        exposure_weight=weight,
        verification=draw(st.none() | st.sampled_from(VERIFICATIONS)),
        fields=tuple(draw(st.lists(keys, unique=True, max_size=3))),
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(teams())
def test_round_trip_property(team: Team):
    text = dump_team(team)
    assert parse_team(text, "dumped.yaml") == team
    assert diff_teams(team, parse_team(text, "dumped.yaml")) == []


# -- diff -------------------------------------------------------------------------------------


def test_diff_of_equal_teams_is_empty():
    team = load_team_file(EXAMPLE)
    assert diff_teams(team, load_team_file(EXAMPLE)) == []


def test_diff_of_a_new_team_adds_everything():
    team = load_team_file(FIXTURES / "good_minimal.yaml")
    lines = diff_teams(None, team)
    assert lines[0].startswith("+ team fixture-team (languages en, es, ar;")
    assert "+ specialist U0AR00001 Layla Haddad (Asia/Dubai; reads ar, en; backup ar)" in lines
    assert any(
        line.startswith("+ rotation emea (Europe/Dublin 08:00-16:00, mon-fri") for line in lines
    )
    assert "+ time off U0AR00001: 2026-12-20 to 2027-01-03 (Asia/Dubai)" in lines
    assert all(line.startswith("+ ") for line in lines)


def test_diff_lines_for_changes():
    old = load_team_file(FIXTURES / "good_minimal.yaml")
    new_text = (
        MINIMAL.replace('shift: "08:00-16:00"', 'shift: "07:00-15:00"')
        .replace("languages: [es, en]", "languages: [es, ar, en]")
        .replace(
            "overrides:\n  - {rotation: emea, user: U0ES00002, "
            'from: "2026-12-24T08:00", to: "2026-12-24T16:00"}\n',
            "",
        )
        .replace("      repeat: 1\n", "      repeat: 3\n")
        .replace(
            "\nrotations:",
            "  - {id: U0FR00003, name: Claire Martin, timezone: Europe/Paris, languages: [en]}\n"
            "\nrotations:",
        )
    )
    new = parse_team(new_text, "new.yaml")
    lines = diff_teams(old, new)
    assert "+ specialist U0FR00003 Claire Martin (Europe/Paris; reads en)" in lines
    assert "~ specialist U0ES00002 Ana Ruiz: languages es, en -> es, ar, en" in lines
    assert "~ rotation emea: shift 08:00-16:00 -> 07:00-15:00" in lines
    assert (
        "- override emea: U0ES00002 2026-12-24 08:00 -> 2026-12-24 16:00 (Europe/Dublin)" in lines
    )
    assert "~ policy sev2: repeat 1 -> 3" in lines
    assert len(lines) == 5, lines


def test_diff_reports_a_new_order():
    team = load_team_file(EXAMPLE)
    swapped = dataclasses.replace(team, rotations=team.rotations[::-1])
    lines = diff_teams(team, swapped)
    assert len(lines) == 1 and lines[0].startswith("~ rotation order: apac-es-pt")
    doubled = dataclasses.replace(team, overrides=team.overrides * 2)
    assert diff_teams(team, doubled)[0].startswith("+ override amer-es-pt: U0AM00007")


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(teams(), teams(), st.sampled_from([f.name for f in dataclasses.fields(Team)]))
def test_diff_is_empty_exactly_when_equal(a: Team, b: Team, field: str):
    # change one field of `a` to what `b` has there: usually a change, sometimes none
    changed = dataclasses.replace(a, **{field: getattr(b, field)})
    assert (diff_teams(a, changed) == []) == (a == changed)
    assert diff_teams(a, a) == []
