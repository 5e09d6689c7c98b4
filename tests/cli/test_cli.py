"""`oncall-bot` as a manager uses it: who, shifts, coverage, export-ics, argument errors
and `serve` without Slack credentials.

Commands run in-process through `bot.cli.main` with DATABASE_URL and ONCALL_SCHEDULES
set in the environment and the working folder a fresh temporary one; a few run the
installed console script in a subprocess to prove it works.

The expected people come from reading schedules/example/safety-escalations.yaml with the
handoff arithmetic of docs/schedules.md ("member i covers the shifts that start in
period (d - start) // handoff_days, modulo the member count"); every answer is also
cross-checked with `bot.core.roster.Roster` built straight from the YAML file.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path

import pytest
from icalendar import Calendar

from bot.core import timezones
from bot.core.roster import Roster
from bot.schedules.holidays import holiday_dates
from bot.schedules.reader import load_team_file
from tests.cli.runner import run

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "schedules" / "example" / "safety-escalations.yaml"
TEAM = "safety-escalations"
SLACK_VARS = ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "SLACK_API_URL")

# The example team's people (Slack IDs), for readable expectations.
OMAR = "U0EU00009"  # ar, en, fr; backup ar; emea-ar-fr member 1
YASMINE = "U0EU00008"  # fr, ar, en; emea-ar-fr member 0
RAMI = "U0AM00010"  # ar, fr, en; backup ar, fr; amer-ar-fr member 0
KARIM = "U0AM00011"  # ar, en, fr; amer-ar-fr member 1
SAMI = "U0SG00012"  # ar, fr, en; ar-fr-overnight member 0
HANA = "U0SG00013"  # fr, ar, en; backup fr; ar-fr-overnight member 1
BEATRIZ = "U0SG00001"  # pt, es, en; apac-es-pt member 0
LUCIA = "U0EU00004"  # emea-es-pt member 0; time off 2026-12-21..2027-01-06 (Madrid)
JOAO = "U0EU00005"  # emea-es-pt member 1
VALERIA = "U0AM00006"  # amer-es-pt member 0; Mexican public holidays off
RAFAEL = "U0AM00007"  # amer-es-pt member 1; override on 2026-12-24

ASSIGNMENT_KEYS = {
    "user", "name", "languages", "rotation", "tier", "kind", "scheduled", "start", "end",
    "rotation_timezone",
}  # fmt: skip


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict:
    r = run(capsys, *argv, "--json")
    assert r.code == 0, r.err
    return json.loads(r.out)  # the whole of stdout is one JSON document


@lru_cache(maxsize=1)
def roster() -> Roster:
    """The example team straight from its YAML file, not through the database."""
    return Roster(load_team_file(EXAMPLE), holiday_dates)


def utc(text: str) -> datetime:
    return timezones.utc(datetime.fromisoformat(text.replace("Z", "+00:00")))


def iso(dt: datetime) -> str:
    return timezones.utc(dt).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A fresh working folder, a SQLite file in it and a schedules folder holding only
    the example team (so the first command bootstraps from it)."""
    schedules = tmp_path / "schedules"
    schedules.mkdir()
    shutil.copy(EXAMPLE, schedules / EXAMPLE.name)
    for name in SLACK_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("ONCALL_SCHEDULES", str(schedules))
    monkeypatch.chdir(tmp_path)
    return tmp_path


# -- who ------------------------------------------------------------------------------------

# (instant, language, on call best first, off-shift backups listed when nobody is on).
# emea-ar-fr starts Tue 2026-01-06 weekly [Yasmine, Omar]; amer-ar-fr the same with
# [Rami, Karim]; ar-fr-overnight starts 2026-01-05 every 3 days [Sami, Hana].
WHO_CASES = [
    # Winter (GMT/CST). Thu 15 Jan: (15 - 6) // 7 = 1 -> Omar, 07:00-15:00 UTC.
    ("2026-01-15T10:00Z", "ar", [OMAR], []),
    # 06:30 UTC in winter is still the overnight shift of Wed 14 Jan (23:00-07:00 GMT):
    # (14 - 5) // 3 = 3, odd -> Hana.
    ("2026-01-15T06:30Z", "ar", [HANA], []),
    # The same UTC time in summer: Dublin is on IST, emea starts 07:00 IST = 06:00 UTC and
    # the overnight leg ended at 06:00 UTC. 1 Jul: 176 days from 6 Jan // 7 = 25 -> Omar.
    ("2026-07-01T06:30Z", "ar", [OMAR], []),
    ("2026-07-01T12:00Z", "ar", [OMAR], []),
    # Summer overnight starts 23:00 IST = 22:00 UTC. Sat 4 Jul: 180 // 3 = 60 -> Sami.
    ("2026-07-04T22:30Z", "ar", [SAMI], []),
    # Handoff emea -> amer at 15:00 UTC (winter): half-open, the incoming person is on.
    # amer-ar-fr on 15 Jan: (15 - 6) // 7 = 1 -> Karim.
    ("2026-01-15T14:59:59Z", "ar", [OMAR], []),
    ("2026-01-15T15:00Z", "ar", [KARIM], []),
    # The DST mismatch weeks: Chicago on CDT, Dublin still on GMT. amer-ar-fr ends
    # 17:00 CDT = 22:00 UTC (10 Mar: 63 // 7 = 9 -> Karim) and the overnight leg starts
    # 23:00 GMT = 23:00 UTC (10 Mar: 64 // 3 = 21, odd -> Hana). In between nobody reads
    # ar or fr; the off-shift backups who opted in are listed in the file's order.
    ("2026-03-10T21:59:59Z", "ar", [KARIM], []),
    ("2026-03-10T22:00Z", "ar", [], [OMAR, RAMI]),
    ("2026-03-10T22:30Z", "ar", [], [OMAR, RAMI]),
    ("2026-03-10T22:30Z", "fr", [], [HANA, RAMI]),
    ("2026-03-10T23:00Z", "ar", [HANA], []),
]


@pytest.mark.parametrize(("at", "lang", "people", "backups"), WHO_CASES)
def test_who_lang_json_across_dst(env, capsys, at, lang, people, backups):
    doc = run_json(capsys, "who", "--lang", lang, "--at", at)
    assert set(doc) == {"team", "at", "on_call", "language", "backups"}
    assert doc["team"] == TEAM
    assert doc["at"] == iso(utc(at))
    assert doc["language"] == lang
    assert [a["user"] for a in doc["on_call"]] == people
    assert doc["backups"] == backups
    for a in doc["on_call"]:
        assert set(a) == ASSIGNMENT_KEYS
        assert lang in a["languages"]
        assert a["start"] <= doc["at"] < a["end"]  # half-open, same ISO format
    # Cross-check: the roster built straight from the YAML agrees.
    assert [a.user for a in roster().on_call_for(lang, utc(at))] == people


def test_who_lang_human_output(env, capsys):
    r = run(capsys, "who", "--lang", "ar", "--at", "2026-01-15T10:00Z")
    assert r.code == 0, r.err
    assert "On call for ar, best first:" in r.out
    assert "1. Omar Farouk <U0EU00009>" in r.out
    assert "emea-ar-fr (primary)" in r.out
    assert "until 2026-01-15 15:00 GMT (Europe/Dublin)" in r.out

    gap = run(capsys, "who", "--lang", "ar", "--at", "2026-03-10T22:30Z")
    assert gap.code == 0, gap.err
    assert "Nobody on call reads ar." in gap.out
    assert ("Off-shift backups who opted in: Omar Farouk <U0EU00009>, "
            "Rami Khoury <U0AM00010>") in gap.out


def test_who_everyone_json_in_the_gap(env, capsys):
    # 22:30 UTC on 10 Mar: only apac-es-pt (06:00 SGT on Wed 11 Mar: 65 // 7 = 9,
    # 9 % 3 = 0 -> Beatriz) is on; nobody reads ar or fr.
    doc = run_json(capsys, "who", "--at", "2026-03-10T22:30Z")
    assert set(doc) == {"team", "at", "on_call", "by_language"}
    assert [(a["user"], a["rotation"]) for a in doc["on_call"]] == [(BEATRIZ, "apac-es-pt")]
    assert doc["by_language"] == {"en": [BEATRIZ], "es": [BEATRIZ], "ar": [], "pt": [BEATRIZ],
                                  "fr": []}
    at = utc("2026-03-10T22:30Z")
    assert [a.user for a in roster().on_call(at)] == [BEATRIZ]


def test_who_everyone_summer_human(env, capsys):
    r = run(capsys, "who", "--at", "2026-07-01T12:00Z")
    assert r.code == 0, r.err
    assert "Team safety-escalations, at 2026-07-01T12:00:00Z" in r.out
    # emea-es-pt on 1 Jul: 177 days from 5 Jan // 7 = 25 -> João.
    assert "João Ferreira <U0EU00005>" in r.out
    assert "Omar Farouk <U0EU00009>" in r.out
    assert "  ar: Omar Farouk\n" in r.out
    assert "  es: João Ferreira\n" in r.out
    assert sorted(a.user for a in roster().on_call(utc("2026-07-01T12:00Z"))) == [JOAO, OMAR]


def test_first_run_bootstraps_with_a_note_on_stderr_only(env, capsys):
    first = run(capsys, "who", "--lang", "ar", "--at", "2026-01-15T10:00Z", "--json")
    assert first.code == 0, first.err
    assert "first run: imported safety-escalations from" in first.err
    doc = json.loads(first.out)  # the note did not leak into stdout
    assert [a["user"] for a in doc["on_call"]] == [OMAR]

    again = run(capsys, "who", "--lang", "ar", "--at", "2026-01-15T10:00Z", "--json")
    assert again.code == 0
    assert again.err == ""
    assert json.loads(again.out) == doc


def test_who_at_without_offset_is_utc_and_offsets_are_honoured(env, capsys):
    docs = [run_json(capsys, "who", "--lang", "ar", "--at", at)
            for at in ("2026-01-15T10:00", "2026-01-15T10:00Z", "2026-01-15T11:00+01:00")]
    assert {d["at"] for d in docs} == {"2026-01-15T10:00:00Z"}
    assert all([a["user"] for a in d["on_call"]] == [OMAR] for d in docs)


def test_first_run_with_a_bad_schedules_folder(env, capsys):
    shutil.copy(ROOT / "tests" / "fixtures" / "schedules" / "bad_unknown_timezone.yaml",
                env / "schedules" / "zz-bad.yaml")
    r = run(capsys, "who", "--lang", "ar", "--json")
    assert r.code != 0
    assert r.out == ""
    assert f"{env / 'schedules' / 'zz-bad.yaml'}:23: rotations[0].timezone: " in r.err
    # nothing was imported: with the bad file gone, the next run bootstraps
    (env / "schedules" / "zz-bad.yaml").unlink()
    again = run(capsys, "who", "--lang", "ar", "--at", "2026-01-15T10:00Z", "--json")
    assert again.code == 0, again.err
    assert "first run: imported safety-escalations" in again.err


# -- shifts -----------------------------------------------------------------------------------


def _check_against_roster(doc: dict, rotation: str | None = None, user: str | None = None):
    start, end = utc(doc["from"]), utc(doc["to"])
    expected = roster().assignments(start, end, rotation=rotation, user=user)
    got = [(s["rotation"], s["user"], s["kind"], s["start"], s["end"]) for s in doc["shifts"]]
    assert got == [(a.rotation, a.user, a.kind, iso(a.start), iso(a.end)) for a in expected]


def test_shifts_rotation_marks_substitutions(env, capsys):
    # emea-es-pt week of Mon 21 Dec: 350 days from 5 Jan // 7 = 50, even -> Lucía, who is
    # away 21 Dec - 6 Jan (Madrid dates): João covers every shift.
    doc = run_json(capsys, "shifts", "--rotation", "emea-es-pt", "--from", "2026-12-21",
                   "--days", "7")
    assert set(doc) == {"team", "from", "to", "shifts"}
    assert (doc["from"], doc["to"]) == ("2026-12-21T00:00:00Z", "2026-12-28T00:00:00Z")
    assert len(doc["shifts"]) == 7
    for day, s in enumerate(doc["shifts"], start=21):
        assert set(s) == ASSIGNMENT_KEYS
        assert (s["user"], s["kind"], s["scheduled"]) == (JOAO, "substitute", LUCIA)
        assert (s["start"], s["end"]) == (f"2026-12-{day}T07:00:00Z", f"2026-12-{day}T15:00:00Z")
        assert s["rotation_timezone"] == "Europe/Dublin"
    _check_against_roster(doc, rotation="emea-es-pt")

    r = run(capsys, "shifts", "--rotation", "emea-es-pt", "--from", "2026-12-21", "--days", "7")
    assert r.code == 0, r.err
    assert r.out.count("[covering for Lucía Martín <U0EU00004>, who is away]") == 7
    assert "2026-12-24 07:00 GMT -> 2026-12-24 15:00 GMT (Europe/Dublin)" in r.out


def test_shifts_rotation_marks_overrides(env, capsys):
    # amer-es-pt on Thu 24 Dec: Valeria's week (50, even), but Rafael has the override
    # 09:00-17:00 Chicago = 15:00-23:00 UTC. On the 25th Valeria is on a Mexican public
    # holiday, so Rafael covers as the next member.
    doc = run_json(capsys, "shifts", "--rotation", "amer-es-pt", "--from", "2026-12-24",
                   "--days", "2")
    got = [(s["user"], s["kind"], s["start"], s["end"]) for s in doc["shifts"]]
    assert got == [
        (RAFAEL, "override", "2026-12-24T15:00:00Z", "2026-12-24T23:00:00Z"),
        (RAFAEL, "substitute", "2026-12-25T15:00:00Z", "2026-12-25T23:00:00Z"),
    ]
    assert doc["shifts"][1]["scheduled"] == VALERIA
    _check_against_roster(doc, rotation="amer-es-pt")

    r = run(capsys, "shifts", "--rotation", "amer-es-pt", "--from", "2026-12-24", "--days", "2")
    assert r.code == 0, r.err
    assert "Rafael Souza <U0AM00007>  [override]" in r.out
    assert "[covering for Valeria Gómez <U0AM00006>, who is away]" in r.out


def test_shifts_user_skips_time_off(env, capsys):
    # Lucía's emea-es-pt weeks: 7-13 Dec, 21-27 Dec (away), 4-10 Jan (away to 6 Jan
    # inclusive, Madrid): in four weeks from 14 Dec she works 7-10 Jan only.
    doc = run_json(capsys, "shifts", "--user", LUCIA, "--from", "2026-12-14", "--days", "28")
    got = [(s["rotation"], s["kind"], s["start"], s["end"]) for s in doc["shifts"]]
    assert got == [("emea-es-pt", "scheduled", f"2027-01-{d:02d}T07:00:00Z",
                    f"2027-01-{d:02d}T15:00:00Z") for d in (7, 8, 9, 10)]
    _check_against_roster(doc, user=LUCIA)

    r = run(capsys, "shifts", "--user", LUCIA, "--from", "2026-12-14", "--days", "28")
    assert r.code == 0, r.err
    assert "Shifts of Lucía Martín <U0EU00004>, 28 days from 2026-12-14 (UTC)" in r.out
    # shown in her own zone
    assert "2027-01-07 08:00 CET -> 2027-01-07 16:00 CET (Europe/Madrid)" in r.out

    joao = run_json(capsys, "shifts", "--user", JOAO, "--from", "2026-12-21", "--days", "7")
    assert [s["kind"] for s in joao["shifts"]] == ["substitute"] * 7
    _check_against_roster(joao, user=JOAO)


def test_shifts_all_rotations_match_roster(env, capsys):
    doc = run_json(capsys, "shifts", "--from", "2026-03-08", "--days", "2")
    assert {s["rotation"] for s in doc["shifts"]} == {r.name for r in roster().team.rotations}
    _check_against_roster(doc)


def test_shifts_default_from_is_today(env, capsys):
    doc = run_json(capsys, "shifts", "--days", "1")
    assert doc["from"].endswith("T00:00:00Z")
    assert utc(doc["to"]) - utc(doc["from"]) == timedelta(days=1)


def test_shifts_unknown_rotation_names_the_known_ones(env, capsys):
    r = run(capsys, "shifts", "--rotation", "emea", "--json")
    assert r.code != 0
    assert r.out == ""
    assert "no rotation named 'emea'" in r.err
    for rot in roster().team.rotations:
        assert rot.name in r.err


def test_shifts_unknown_user_names_the_known_ones(env, capsys):
    r = run(capsys, "shifts", "--user", "U0NOBODY1", "--json")
    assert r.code != 0
    assert r.out == ""
    assert "U0NOBODY1" in r.err
    for spec in roster().team.specialists:
        assert spec.id in r.err
    assert "U0EU00004 (Lucía Martín)" in r.err


# -- coverage -------------------------------------------------------------------------------


def _daily(first: int, last: int, month: int) -> list[dict]:
    return [{"start": f"2026-{month:02d}-{d:02d}T22:00:00Z",
             "end": f"2026-{month:02d}-{d:02d}T23:00:00Z", "hours": 1.0}
            for d in range(first, last + 1)]


def test_coverage_spring_mismatch_json(env, capsys):
    doc = run_json(capsys, "coverage", "--from", "2026-03-01", "--days", "31")
    assert set(doc) == {"team", "from", "to", "gaps", "dst_changes"}
    assert (doc["from"], doc["to"]) == ("2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z")
    assert list(doc["gaps"]) == ["en", "es", "ar", "pt", "fr"]
    # Chicago springs forward on 8 Mar, Dublin on 29 Mar: 22:00-23:00 UTC uncovered for
    # ar and fr on each day from 8 to 28 Mar, nothing else.
    assert doc["gaps"]["ar"] == _daily(8, 28, 3)
    assert doc["gaps"]["fr"] == _daily(8, 28, 3)
    for lang in ("en", "es", "pt"):
        assert doc["gaps"][lang] == []
    assert doc["dst_changes"] == {
        "America/Chicago": ["2026-03-08T08:00:00Z"],
        "Asia/Singapore": [],
        "Europe/Dublin": ["2026-03-29T01:00:00Z"],
    }
    gaps = roster().coverage_gaps(utc("2026-03-01T00:00Z"), utc("2026-04-01T00:00Z"))
    for lang, found in gaps.items():
        assert [{"start": iso(s), "end": iso(e), "hours": 1.0} for s, e in found] == \
            doc["gaps"][lang]


def test_coverage_spring_mismatch_human(env, capsys):
    r = run(capsys, "coverage", "--from", "2026-03-01", "--days", "31")
    assert r.code == 0, r.err
    daily = "daily 22:00-23:00 UTC (1 h) from 2026-03-08 to 2026-03-28 (21 days)"
    assert r.out.count(daily) == 2
    assert "  ar: 21 gap(s), 21 h without an on-call reader" in r.out
    assert "  fr: 21 gap(s), 21 h without an on-call reader" in r.out
    for lang in ("en", "es", "pt"):
        assert f"  {lang}: covered all the time" in r.out
    assert "Clock changes in this window" in r.out
    assert "2026-03-08T08:00:00Z  America/Chicago: UTC-06:00 -> UTC-05:00" in r.out
    assert "2026-03-29T01:00:00Z  Europe/Dublin: UTC+00:00 -> UTC+01:00" in r.out


def test_coverage_autumn_mismatch(env, capsys):
    # Dublin falls back on 25 Oct, Chicago on 1 Nov: the gap is back for 25-31 Oct.
    doc = run_json(capsys, "coverage", "--from", "2026-10-20", "--days", "14")
    assert doc["gaps"]["ar"] == doc["gaps"]["fr"] == _daily(25, 31, 10)
    assert all(doc["gaps"][lang] == [] for lang in ("en", "es", "pt"))
    r = run(capsys, "coverage", "--from", "2026-10-20", "--days", "14")
    assert "daily 22:00-23:00 UTC (1 h) from 2026-10-25 to 2026-10-31 (7 days)" in r.out


# -- export-ics -----------------------------------------------------------------------------


def _events(ics: str) -> list:
    assert ics.startswith("BEGIN:VCALENDAR")
    return Calendar.from_ical(ics).walk("VEVENT")


def _check_ics_matches_shifts(ics: str, shifts: list[dict]) -> None:
    events = _events(ics)
    assert len(events) == len(shifts)  # one VEVENT per shift
    got, want = [], []
    for ev, s in zip(events, shifts, strict=True):
        start, end = ev.decoded("dtstart"), ev.decoded("dtend")
        assert start.utcoffset() == timedelta(0) and end.utcoffset() == timedelta(0)
        assert ev["dtstart"].to_ical().endswith(b"Z")  # written in UTC, not floating
        summary = str(ev["summary"])
        attendee = ev.get("attendee")
        user = str(ev.get("x-oncall-user")) if ev.get("x-oncall-user") else None
        if user is None:
            assert "UNCOVERED" in summary and attendee is None
        else:
            name = roster().specialist(user).name
            assert name in summary
            assert str(attendee) == f"urn:slack:user:{user}"
            assert attendee.params["cn"] == name
        got.append((iso(start), iso(end), user, list(ev["categories"].cats)[0]))
        want.append((s["start"], s["end"], s["user"], s["rotation"]))
    assert sorted(got, key=str) == sorted(want, key=str)


def test_export_ics_one_event_per_shift(env, capsys):
    window = ("--from", "2026-12-21", "--days", "7")
    shifts = run_json(capsys, "shifts", *window)["shifts"]
    assert {s["kind"] for s in shifts} >= {"scheduled", "substitute", "override"}
    r = run(capsys, "export-ics", *window)
    assert r.code == 0, r.err
    _check_ics_matches_shifts(r.out, shifts)
    override = [e for e in _events(r.out) if "[override]" in str(e["summary"])]
    assert [str(e["x-oncall-user"]) for e in override] == [RAFAEL]


def test_export_ics_rotation_filter(env, capsys):
    window = ("--rotation", "ar-fr-overnight", "--from", "2026-03-20", "--days", "14")
    shifts = run_json(capsys, "shifts", *window)["shifts"]
    r = run(capsys, "export-ics", *window)
    assert r.code == 0, r.err
    _check_ics_matches_shifts(r.out, shifts)
    events = _events(r.out)
    assert all("ar-fr-overnight" in str(e["summary"]) for e in events)
    # 23:00 Dublin is 23:00 UTC before 29 Mar and 22:00 UTC after
    starts = {e.decoded("dtstart").strftime("%H:%M") for e in events}
    assert starts == {"22:00", "23:00"}


def test_export_ics_user_filter(env, capsys):
    window = ("--user", JOAO, "--from", "2026-12-14", "--days", "21")
    shifts = run_json(capsys, "shifts", *window)["shifts"]
    r = run(capsys, "export-ics", *window)
    assert r.code == 0, r.err
    _check_ics_matches_shifts(r.out, shifts)
    events = _events(r.out)
    assert len(events) == 21  # his week, then Lucía's (he covers), then his again
    assert {str(e["x-oncall-user"]) for e in events} == {JOAO}
    assert sum("[covering]" in str(e["summary"]) for e in events) == 7


def test_export_ics_unknown_rotation(env, capsys):
    r = run(capsys, "export-ics", "--rotation", "nope")
    assert r.code != 0
    assert r.out == ""
    assert "no rotation named 'nope'" in r.err


# -- argument errors ------------------------------------------------------------------------

# (bad argv, text that must appear in the message, a corrected argv that works)
ARG_ERRORS = [
    (["who", "--at", "yesterday"], "example: 2026-12-24T08:00Z",
     ["who", "--at", "2026-12-24T08:00Z"]),
    (["shifts", "--days", "0"], "example: --days 14", ["shifts", "--days", "14"]),
    (["coverage", "--days", "many"], "example: --days 14", ["coverage", "--days", "14"]),
    (["who", "--lang", "arabic"], "example: ar", ["who", "--lang", "ar"]),
    (["shifts", "--from", "tomorrow"], "example: 2026-12-24",
     ["shifts", "--from", "2026-12-24"]),
    (["shifts", "--rotation", "x", "--user", "y"],
     "example: oncall-bot shifts --rotation emea --days 14",
     ["shifts", "--rotation", "emea-es-pt", "--days", "14"]),
    (["export-ics", "--rotation", "x", "--user", "y"], "example: oncall-bot export-ics --user",
     ["export-ics", "--user", LUCIA, "--days", "30"]),
]


@pytest.mark.parametrize(("argv", "example", "fixed"), ARG_ERRORS,
                         ids=[" ".join(a[0]) for a in ARG_ERRORS])
def test_argument_errors_show_a_correct_example(env, capsys, argv, example, fixed):
    r = run(capsys, *argv)
    assert r.code == 2
    assert r.out == ""
    assert f"oncall-bot {argv[0]}: error: " in r.err
    assert example in r.err
    assert not (env / "cli.db").exists()  # rejected before anything was opened
    ok = run(capsys, *fixed)
    assert ok.code == 0, ok.err


def test_no_command_prints_help(env, capsys):
    r = run(capsys)
    assert r.code in (0, 2)
    assert r.out.startswith("usage: oncall-bot")
    for command in ("who", "shifts", "coverage", "export-ics", "schedules", "serve"):
        assert command in r.out


# -- serve without Slack credentials --------------------------------------------------------


def test_serve_without_credentials_is_one_line_and_starts_nothing(env, capsys, monkeypatch):
    import bot.app.serve

    def must_not_run(*args, **kwargs):
        raise AssertionError("serve started something without Slack credentials")

    monkeypatch.setattr(bot.app.serve, "_runtime", must_not_run)
    monkeypatch.setattr(bot.app.serve, "_gunicorn", must_not_run)
    monkeypatch.setattr(bot.app.serve, "_socket_mode", must_not_run)
    monkeypatch.delenv("DATABASE_URL")  # the default would be ./oncall.db
    r = run(capsys, "serve")
    assert r.code != 0
    assert r.out == ""
    lines = r.err.strip().splitlines()
    assert len(lines) == 1, r.err
    for word in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "manifest.yml"):
        assert word in lines[0]
    assert not (env / "oncall.db").exists()
    assert not (env / "cli.db").exists()

    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    r = run(capsys, "serve", "--port", "0")
    assert r.code != 0
    assert "SLACK_SIGNING_SECRET" in r.err and "manifest.yml" in r.err
    assert "SLACK_BOT_TOKEN" not in r.err


# -- the installed console script -----------------------------------------------------------


def _console_script() -> str:
    found = Path(sys.executable).with_name("oncall-bot")
    if found.exists():
        return str(found)
    which = shutil.which("oncall-bot")
    assert which, "the oncall-bot console script is not installed (pip install -e .)"
    return which


def _subprocess_env(env: Path) -> dict[str, str]:
    out = {k: v for k, v in os.environ.items() if k not in SLACK_VARS}
    out["DATABASE_URL"] = f"sqlite:///{env / 'cli.db'}"
    out["ONCALL_SCHEDULES"] = str(env / "schedules")
    return out


def test_console_script_who_json(env):
    proc = subprocess.run(
        [_console_script(), "who", "--lang", "ar", "--at", "2026-03-10T23:00Z", "--json"],
        cwd=env, env=_subprocess_env(env), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert [a["user"] for a in doc["on_call"]] == [HANA]
    assert "first run: imported safety-escalations" in proc.stderr


def test_python_m_bot_help_and_serve_error(env):
    run_env = _subprocess_env(env)
    proc = subprocess.run([sys.executable, "-m", "bot"], cwd=env, env=run_env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode in (0, 2)
    assert proc.stdout.startswith("usage: oncall-bot")

    run_env.pop("DATABASE_URL")
    proc = subprocess.run([_console_script(), "serve"], cwd=env, env=run_env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0
    assert proc.stdout == ""
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert "SLACK_BOT_TOKEN" in proc.stderr and "manifest.yml" in proc.stderr
    assert not (env / "oncall.db").exists()
