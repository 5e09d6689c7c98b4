"""Smoke test of bench/: the engine against an independent iCalendar expansion, and
short runs of the paging benches with a slow, faulty Slack stand-in.

A tiny generated team is exported as recurring iCalendar events, expanded with
`recurring_ical_events`, and every answer to "who reads <lang> on call at T" must
equal the engine's (and, as sets, the brute-force model's). No timing here: the
figures are `python -m bench.schedule_lookup`'s job (bench/lookup/).
"""

from __future__ import annotations

import argparse
import random
import re
import subprocess
import sys
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import icalendar
import pytest

from bench.lookup.answers import compare, engine_answer
from bench.lookup.ical import export_ics
from bench.lookup.instants import WINDOW_END, WINDOW_START, edge_instants, random_instants
from bench.paging.slack import SlackConditions, add_options, fault_mix
from bench.team_gen import generate_team
from bot.core.model import Override, Rotation, Specialist, Team, TimeOff
from bot.core.roster import Roster
from tests.brute_force import Brute


def tiny(seed: int):
    return generate_team(seed=seed, specialists=20, rotations=3, overrides_and_time_off=50)


def test_generator_is_deterministic_and_sized():
    team = generate_team(seed=3)
    assert team == generate_team(seed=3)
    assert team != generate_team(seed=4)
    assert len(team.specialists) == 300
    assert len(team.rotations) == 20
    assert len(team.overrides) + len(team.time_off) == 1000
    assert len(team.languages) == 12
    assert all(1 <= len(s.languages) <= 3 for s in team.specialists)
    assert all(r.start.year == 2026 for r in team.rotations)
    assert {r.handoff_days for r in team.rotations} >= {1, 7}
    assert any(r.crosses_midnight for r in team.rotations)
    assert {r.tier for r in team.rotations} == {"primary", "secondary"}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_ical_expansion_agrees_with_engine(seed):
    team = tiny(seed)
    roster = Roster(team)
    cal = icalendar.Calendar.from_ical(export_ics(team))
    rng = random.Random(seed)
    instants = random_instants(rng, 30, WINDOW_START, WINDOW_END)
    instants += edge_instants(rng, team, 30)
    # Everyone on call (every rotation's person), then a few languages with ranking.
    for lang in (None, "en", "ar", "es"):
        mismatches = compare(team, roster, cal, lang, instants)
        assert not mismatches, "\n".join(map(str, mismatches))


@pytest.mark.parametrize("seed", [1, 2])
def test_engine_agrees_with_brute_force_on_the_bench_team_shape(seed):
    team = tiny(seed)
    roster = Roster(team)
    brute = Brute(team)
    specs = {s.id: s for s in team.specialists}
    rng = random.Random(seed + 100)
    for t in random_instants(rng, 30, WINDOW_START, WINDOW_END) + edge_instants(rng, team, 30):
        expected = {u for _, u in brute.on_call(t) if specs.get(u) and specs[u].reads("en")}
        assert {u for u, _ in engine_answer(roster, "en", t)} == expected, t


def test_ical_agrees_on_a_handmade_team_where_every_rule_bites():
    """Stacked overrides (later wins), an override whose person is away (the earlier
    override, or else the rotation's cover, applies), a member away for part of a
    shift (the next free member covers), a night shift across the Chicago DST change,
    and handoff instants."""
    def at(day: int, hour: float) -> datetime:
        return datetime(2026, 3, day, tzinfo=UTC) + timedelta(hours=hour)

    people = tuple(Specialist(u, u, "America/Chicago", langs) for u, langs in (
        ("A", ("ar", "en")), ("B", ("en", "ar")), ("C", ("ar",)), ("D", ("ar", "fr")),
        ("E", ("es",))))
    rotations = (
        Rotation("night", "America/Chicago", time(22), time(6), frozenset(range(7)), 1,
                 date(2026, 3, 1), "primary", ("A", "B", "E")),
        Rotation("day", "Europe/Dublin", time(8), time(16), frozenset(range(5)), 7,
                 date(2026, 3, 2), "secondary", ("D", "C")),
    )
    team = Team(
        "hand", ("en", "ar", "es", "fr"), "C1", "C2", specialists=people, rotations=rotations,
        overrides=(Override("night", "C", at(9, 3), at(9, 11)),
                   Override("night", "D", at(9, 5), at(9, 9)),
                   Override("day", "B", at(10, 9), at(10, 12))),
        time_off=(TimeOff("D", at(9, 6), at(9, 7), all_day=False),      # D away: C again
                  TimeOff("C", at(9, 6.5), at(9, 7), all_day=False),    # both: the cover
                  TimeOff("B", at(6, 11), at(6, 13), all_day=False),    # B skips a night
                  TimeOff("D", at(4, 10), at(4, 11), all_day=False)),   # D skips a day
    )
    roster = Roster(team)
    cal = icalendar.Calendar.from_ical(export_ics(team))
    instants = [at(3, 0) + timedelta(minutes=30 * k) for k in range(9 * 48)]
    for lang in (None, "ar", "en"):
        assert not compare(team, roster, cal, lang, instants), lang
    brute = Brute(team)
    for t in instants:
        assert {(r, u) for u, r in engine_answer(roster, None, t)} == brute.on_call(t), t


# -- the paging benches with a slow, faulty Slack (issue 9) ----------------------------------
# One short run of each script as a subprocess, as a person runs it: the options parse,
# the stand-in's latency and fault window apply, and the new figures are printed. The
# figures themselves are the benches' job (old code misses the targets on purpose).

REPO = Path(__file__).resolve().parents[2]


def run_bench(module: str, *options: str, timeout: float = 240) -> str:
    done = subprocess.run([sys.executable, "-m", module, *options], cwd=REPO, timeout=timeout,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout


def test_fault_mix_reads_shares_and_refuses_bad_ones_plainly():
    assert fault_mix("429=0.3,500=0.15") == (0.3, 0.15)
    assert fault_mix("429=1") == (1.0, 0.0)
    for bad, says in (("429=0.3,404=0.1", "429=<share> or 500=<share>"),
                      ("429=lots", "must be a number"), ("500=1.5", "between 0 and 1"),
                      ("429=0.6,500=0.6", "more than 1")):
        with pytest.raises(argparse.ArgumentTypeError, match=re.escape(says)):
            fault_mix(bad)
    ap = argparse.ArgumentParser()
    add_options(ap)
    slack = SlackConditions.from_args(ap, ap.parse_args(
        ["--fault-mix", "429=1", "--fault-to", "channels", "--fault-seconds", "45"]))
    assert slack.latency == 0.15 and slack.ratelimits_channels_only
    assert slack.describe() == ("Slack answers in 150 ms; fault window 100% 429 of channel "
                                "posts for 45 s from 0 s in, Retry-After 1 s")
    assert SlackConditions.from_args(ap, ap.parse_args([])).describe() == (
        "Slack answers in 150 ms, no fault window")


def test_paging_latency_quick_with_slack_latency_faults_and_surge_runs():
    # Five requests a phase: each phase, the SQL count and the bare-Bolt figure still
    # run end to end on servers of their own (most of the time is their start-up).
    out = run_bench("bench.paging_latency", "--quick", "--duration", "1", "--rate", "5",
                    "--warmup", "1", "--path-requests", "3",
                    "--slack-latency", "0.05", "--fault-mix", "429=0.3,500=0.1",
                    "--fault-seconds", "2", "--surge-duration", "1", "--surge-rate", "5",
                    "--surge-runs", "2", "--page-timeout", "30", "--drain-timeout", "30")
    assert "Slack answers in 50 ms; fault window 30% 429 + 10% 500 of every call" in out
    for phase in ("steady lang:ar", "surge run 1/2", "surge run 2/2"):
        assert f"[{phase}: " in out
    assert re.search(r"\[categories lang:\w+ burst: ", out)
    assert "SQL statements per filed /emergency" in out
    for figure in ("acks over 3 s (a 200 after 3 s, or no answer by then)",
                   "HTTP 404 (Bolt: unhandled request) / 5xx answers",
                   "Slack fault window", "tickets paged more than once, run by run"):
        assert figure in out, figure
    assert re.search(r"tickets paged more than once, run by run +\d+ of \d+ paged, "
                     r"\d+ of \d+ paged ", out)


@pytest.mark.parametrize(
    "database", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_escalation_lateness_short_run_with_429s_to_channel_posts(database, request):
    if database == "postgres":
        request.getfixturevalue("pg_server_url")  # skipped (or failed in CI) when unreachable
    out = run_bench("bench.escalation_lateness", "--pages", "20", "--spread", "2", "--lead",
                    "3", "--max-wait", "90", "--database", database, "--slack-latency", "0.02",
                    "--fault-mix", "429=1", "--fault-to", "channels", "--fault-seconds", "2")
    assert f"database {database}" in out
    assert "Slack answers in 20 ms; fault window 100% 429 of channel posts for 2 s" in out
    assert re.search(r"step lateness: due -> page DM at Slack, p99 +[\d,.]+ ms +<= 2 s", out)
    assert re.search(r"tickets whose step-2 page DM arrived +20 / 20 ", out)
    assert re.search(r"Slack fault window \(opens at the first deadline\) +\d+ calls matched: "
                     r"\d+ answered 429", out)
    assert re.search(r"page DMs arriving twice for one \(ticket, person\) +0 ", out)


def test_language_decision_bench_runs_and_prints_each_figure_beside_its_target():
    """`bench/language_detection.py --decision` (issue 12): before and after in one run,
    per language; the accuracy figures do not depend on the machine, so they are checked."""
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.run([sys.executable, str(root / "bench" / "language_detection.py"),
                           "--decision", "--long-run", "200"], capture_output=True, text=True,
                          cwd=root, timeout=600)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    # No text in another language is named as a team language after; 26 were before.
    assert re.search(r"other languages: named as a team language +\| +0 \| +\d+ \| +0 \| PASS",
                     out)
    assert re.search(r"served: precision +\| +>=99% \| +[\d.]+% \| +(99\.\d|100\.0)% \| PASS",
                     out)
    for figure in ("served: recall", "junk: left unknown", "time per text, mean (us)",
                   "Resident memory of the process", "German (de) *", "Italian (it) *",
                   "Indonesian (id) *", "unknown (junk)", "restricted model"):
        assert figure in out, figure


@pytest.mark.postgres
def test_idle_cost_prints_the_rate_beside_its_target_and_the_old_baseline(pg_server_url):
    out = run_bench("bench.idle_cost", "--seconds", "2", "--settle", "1")
    assert re.search(r"idle statements per second \(wake-ups, safety sweep\) +[\d.]+/s +"
                     r"<= 1/s +(PASS|MISS)", out)
    assert re.search(r"before: a pass every 0.25 s, router every 1 s \(same run\) +[\d.]+/s", out)
