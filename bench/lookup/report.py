"""The report's three sections, each measured and written into the one Table:
the engine's lookups, the iCalendar baseline (timed and checked against the
engine), and coverage_gaps."""

from __future__ import annotations

import statistics
import sys
import time as clock
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import icalendar
import recurring_ical_events

from bench.lookup.answers import Mismatch, brute_answer, compare, engine_answer
from bench.lookup.ical import export_ics, ical_answer
from bench.lookup.timing import pct, time_direct, time_lookups, us
from bench.paging.figures import Table, verdict
from bot.core.model import Team
from bot.core.roster import Roster


@dataclass
class EngineRun:
    """What the baseline section compares against: the Roster that answered, and the
    engine's p50 lookup and on_call_direct timings (ns)."""

    roster: Roster
    p50_ns: float
    direct_ns: list[int]


def engine_section(table: Table, team: Team, lang: str, instants: Sequence[datetime],
                   far: Sequence[datetime], direct_sample: Sequence[datetime]) -> EngineRun:
    t0 = clock.perf_counter_ns()
    roster = Roster(team)
    build_roster_ns = clock.perf_counter_ns() - t0
    main_run = time_lookups(roster, lang, instants)
    engine_p50 = pct(main_run.ns, 50)
    direct_ns = time_direct(Roster(team), direct_sample)
    # 2036 at the same density of instants per day as the main run, on the same Roster;
    # compared with 2027, when every rotation has started (some start mid-2026).
    far_run = time_lookups(roster, lang, far)
    far_direct = time_direct(roster, far[: len(direct_sample)])
    y2027 = main_run.where(lambda t, _n, _b: t.year == 2027)
    direct_2027 = [n for t, n in zip(direct_sample, direct_ns, strict=True) if t.year == 2027]

    table.section(f"engine: Roster.on_call_for({lang!r}, T), {len(instants)} random T in "
                  "2026-2027, fresh Roster")
    table.add("Roster(team) construction", f"{build_roster_ns / 1e6:.1f} ms")
    table.add("p50, all lookups", f"{us(engine_p50):.1f} us", "<= 20 us",
              verdict(us(engine_p50) <= 20))
    table.add("p99, all lookups", f"{us(pct(main_run.ns, 99)):,.0f} us",
              "(includes the index builds)")
    table.add("day-index builds during the run", f"{len(main_run.cold)}",
              f"{len({int(t.timestamp() // 86400) for t in instants})} distinct UTC days "
              f"among the T")
    table.add("p50 / p99, index already built",
              f"{us(pct(main_run.hot, 50)):.1f} / {us(pct(main_run.hot, 99)):.1f} us")
    table.add("p50 / p99, first lookup in a day (builds it)",
              f"{us(pct(main_run.cold, 50)):,.0f} / {us(pct(main_run.cold, 99)):,.0f} us")
    table.add(f"p50 / p99, on_call_direct(T), no index ({len(direct_ns)} T)",
              f"{us(pct(direct_ns, 50)):,.0f} / {us(pct(direct_ns, 99)):,.0f} us",
              "(all languages)")
    table.add(f"2036: p50 on_call_for ({len(far)} T, {len(far_run.cold)} builds)",
              f"{us(pct(far_run.ns, 50)):.1f} us",
              f"2027: {us(pct(y2027.ns, 50)):.1f} us; target <= 2x",
              verdict(pct(far_run.ns, 50) <= 2 * pct(y2027.ns, 50)))
    table.add("2036: p50 day build / p50 on_call_direct",
              f"{us(pct(far_run.cold, 50)):,.0f} / {us(pct(far_direct, 50)):,.0f} us",
              f"2027: {us(pct(y2027.cold, 50)):,.0f} / {us(pct(direct_2027, 50)):,.0f} us")
    return EngineRun(roster, engine_p50, direct_ns)


@dataclass
class _IcalTimings:
    fresh_ns: list[int]   # per question, a fresh of(cal) each time
    of_ns: list[int]      # of which of(cal) alone
    warm_ns: list[int]    # per question, one of(cal) reused
    mismatches: list[Mismatch]


def _time_ical(cal: icalendar.Calendar, team: Team, lang: str, engine: EngineRun,
               sample: Sequence[datetime]) -> _IcalTimings:
    """Ask the calendar every question twice (fresh and reused query), timed, each
    answer checked against the engine's."""
    roster = engine.roster
    out = _IcalTimings([], [], [], [])
    perf = clock.perf_counter_ns
    for t in sample:
        t0 = perf()
        q = recurring_ical_events.of(cal)  # fresh for every T: nothing cached between T
        t1 = perf()
        theirs = ical_answer(cal, team, lang, t, q)
        t2 = perf()
        out.fresh_ns.append(t2 - t0)
        out.of_ns.append(t1 - t0)
        mine = engine_answer(roster, lang, t)
        if mine != theirs:
            out.mismatches.append(Mismatch(t, mine, theirs, brute_answer(team, lang, t)))
    # The same questions on one query object reused across T (its rrules and their
    # caches stay warm): a generous baseline, for scale only. Answers checked again.
    shared = recurring_ical_events.of(cal)
    for t in sample:
        t0 = perf()
        theirs = ical_answer(cal, team, lang, t, shared)
        out.warm_ns.append(perf() - t0)
        if theirs != engine_answer(roster, lang, t):
            out.mismatches.append(Mismatch(t, engine_answer(roster, lang, t), theirs,
                                           brute_answer(team, lang, t)))
    return out


def baseline_section(table: Table, team: Team, lang: str, engine: EngineRun,
                     sample: Sequence[datetime], edges: Sequence[datetime]
                     ) -> list[Mismatch]:
    """Times and checks the iCalendar baseline; returns every disagreement."""
    t0 = clock.perf_counter()
    ics = export_ics(team)
    export_s = clock.perf_counter() - t0
    t0 = clock.perf_counter()
    cal = icalendar.Calendar.from_ical(ics)
    parse_s = clock.perf_counter() - t0
    n_vevents = len(cal.walk("VEVENT"))
    n_rrules = sum(1 for e in cal.walk("VEVENT") if "RRULE" in e)
    n_tz = len(cal.walk("VTIMEZONE"))

    print(f"asking the iCalendar export {len(sample)} questions, a fresh of(cal) each "
          f"time: about half a second apiece, so this is the slow part...",
          file=sys.stderr, flush=True)
    timed = _time_ical(cal, team, lang, engine, sample)
    # Boundary instants, correctness only (untimed).
    mismatches = timed.mismatches + compare(team, engine.roster, cal, lang, edges)
    engine_p50 = engine.p50_ns
    ical_p50 = pct(timed.fresh_ns, 50)
    ratio = ical_p50 / engine_p50 if engine_p50 else float("inf")

    table.section(f"baseline: the same schedule as recurring iCalendar events, answered with "
                  f"recurring_ical_events (slow: {len(sample)} of the T)")
    table.add("export", f"{len(ics) / 1e6:.2f} MB, {n_vevents} VEVENTs ({n_rrules} RRULE), "
              f"{n_tz} VTIMEZONE", f"built in {export_s:.1f} s, parsed once in {parse_s:.1f} s")
    table.add("p50 / p99 per question, fresh of(cal) per T",
              f"{us(ical_p50) / 1000:,.0f} / {us(pct(timed.fresh_ns, 99)) / 1000:,.0f} ms",
              "of(cal) + between(T-26h, T+26h) + rules")
    table.add("  of which of(cal) alone, p50",
              f"{us(pct(timed.of_ns, 50)) / 1000:,.0f} ms")
    table.add("iCal p50 / engine p50", f"{ratio:,.0f}x", ">= 100x", verdict(ratio >= 100))
    warm_p50 = pct(timed.warm_ns, 50)
    table.add("p50 / p99 per question, one of(cal) reused",
              f"{us(warm_p50) / 1000:,.1f} / {us(pct(timed.warm_ns, 99)) / 1000:,.1f} ms",
              "(generous: rrule caches warm)")
    table.add("iCal reused-query p50 / engine p50", f"{warm_p50 / engine_p50:,.0f}x",
              "(for scale)")
    table.add("iCal p50 / engine on_call_direct p50",
              f"{ical_p50 / pct(engine.direct_ns, 50):,.0f}x", "(no index, for scale)")
    checked = 2 * len(sample) + len(edges)
    table.add("answers equal (engine vs iCal)", f"{checked - len(mismatches)} / {checked}",
              f"{len(sample)} T twice + {len(edges)} boundary T", verdict(not mismatches))
    return mismatches


def coverage_section(table: Table, team: Team, first_day: str, runs_wanted: int
                     ) -> dict[str, list[tuple[datetime, datetime]]]:
    """Times coverage_gaps over 90 days from `first_day`; returns the last run's gaps."""
    cov_start = datetime.combine(date.fromisoformat(first_day), time(0), tzinfo=UTC)
    cov_end = cov_start + timedelta(days=90)
    runs = []
    gaps = {}
    for _ in range(runs_wanted):
        fresh = Roster(team)
        t0 = clock.perf_counter()
        gaps = fresh.coverage_gaps(cov_start, cov_end, team.languages)
        runs.append(clock.perf_counter() - t0)
    cov_ms = statistics.median(runs) * 1000
    table.section(f"coverage: coverage_gaps({cov_start:%Y-%m-%d} + 90 days, "
                  f"{len(team.languages)} languages), fresh Roster each run")
    table.add(f"median of {len(runs)} runs (min / max)",
              f"{cov_ms:.0f} ms ({min(runs) * 1000:.0f} / {max(runs) * 1000:.0f})",
              "< 200 ms", verdict(cov_ms < 200))
    return gaps
