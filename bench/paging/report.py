"""The report: each phase's figures, the request's path (issue 8) and memory, beside
their targets."""

from __future__ import annotations

import dataclasses
import math
import os
import platform
from collections import Counter

from bench.paging.categories import CAPACITY, spread
from bench.paging.figures import Table, mb, ms, pct, verdict
from bench.paging.load import PageWatch
from bench.paging.phases import PhaseResult, cpu_per_filed
from bench.paging.slack import SlackConditions, window_line
from bot.core.model import Team
from bot.demo.slack_standin import SlackStandIn


def report_path(table: Table, sql: tuple[float, float, float], bot_cpu: float | None,
                bare: tuple[float, int], database: str = "sqlite") -> None:
    """Issue 8's figures: what one request costs along its path, beside its targets; the
    bot's CPU beside the bare Bolt app's doing the same Slack calls, from this run."""
    statements, transactions, round_trips = sql
    table.section("the request's path (issue 8)")
    table.add("SQL statements per filed /emergency (file, route, page DM, card, thread)",
              f"{statements:.1f}", "<= 15", verdict(statements <= 15))
    table.add("transactions per filed /emergency", f"{transactions:.1f}", "<= 4",
              verdict(transactions <= 4))
    if database == "postgres":
        table.add("round trips to PostgreSQL per filed /emergency",
                  f"{round_trips:.1f}", "(statements + BEGIN, COMMIT/ROLLBACK, pings)")
    bare_cpu, bare_n = bare
    table.add("bare Bolt app: worker CPU per acknowledged request",
              f"{bare_cpu * 1000:.2f} ms", f"(same gunicorn settings, {bare_n} requests)")
    if bot_cpu is not None:
        table.add(f"bot on {database}: CPU per filed request, its workers (steady lang:ar)",
                  f"{bot_cpu * 1000:.2f} ms", "<= 5 ms", verdict(bot_cpu <= 0.005))
        ratio = bot_cpu / bare_cpu if bare_cpu else math.inf
        table.add(f"bot on {database} / bare Bolt (the same Slack calls, this run)",
                  f"{bot_cpu * 1000:.2f} / {bare_cpu * 1000:.2f} ms = {ratio:.1f}", "<= 3",
                  verdict(ratio <= 3))


# -- the report --------------------------------------------------------------------------


def report_acks(table: Table, res: PhaseResult) -> None:
    """What Slack saw of the acknowledgements: issue 9's targets hold in every phase."""
    acks = res.acks()
    table.add("POST -> ack (HTTP 200), p50 / p99 / max",
              f"{ms(pct(acks, 50))} / {ms(pct(acks, 99))} / "
              f"{ms(max(acks, default=math.nan))} ms", "(the 200s only; < 3 s)")
    slow = res.slow_acks()
    table.add("acks over 3 s (a 200 after 3 s, or no answer by then)", f"{slow}", "0",
              verdict(slow == 0))
    not_found, server_errors = res.error_answers()
    table.add("HTTP 404 (Bolt: unhandled request) / 5xx answers",
              f"{not_found} / {server_errors}", "0 / 0",
              verdict(not_found == server_errors == 0))
    missed = sum(1 for s in res.shots if not s.acked)
    table.add("Slack's 3 s acknowledgement missed (slow, not 200, no answer)",
              f"{missed} / {len(res.shots)}", "0", verdict(missed == 0))


def report(table: Table, res: PhaseResult) -> None:
    ph = res.phase
    n_det = sum(s.detect for s in res.shots)
    kind = ("`/emergency sev2 lang:ar <text #n>`" if n_det == 0 else
            "`/emergency sev2 <text #n>`, language detected" if n_det == len(res.shots) else
            f"{n_det} detected, {len(res.shots) - n_det} lang:ar")
    table.section(f"{ph.name}: {ph.rate:g} requests/s for {ph.duration:g} s, {kind} "
                  f"(fresh server and database)")
    outcomes = res.outcomes()
    n_ok = len(res.ok)
    table.add("answered HTTP 200 with a ticket / sent", f"{n_ok} / {len(res.shots)}", "all",
              verdict(n_ok == len(res.shots)))
    if n_ok != len(res.shots):
        table.add("  the others", ", ".join(f"{k}: {v}" for k, v in outcomes.most_common()
                                            if k != "200"))
    if res.window is not None:
        table.add("Slack fault window", window_line(res.window), "(from the load's start)")
    report_acks(table, res)
    to_page = res.to_page()
    p50, p99 = pct(to_page, 50), pct(to_page, 99)
    if ph.targets == "latency":
        table.add("POST -> page DM at the stand-in, p50", f"{ms(p50)} ms", "<= 20 ms",
                  verdict(p50 <= 0.020))
        table.add("POST -> page DM, p99", f"{ms(p99)} ms", "<= 50 ms", verdict(p99 <= 0.050))
        table.add("POST -> page DM, max", f"{ms(max(to_page, default=math.nan))} ms")
    else:
        table.add("POST -> page DM, p50 / p99 / max", f"{ms(p50)} / {ms(p99)} / "
                  f"{ms(max(to_page, default=math.nan))} ms", "(for scale)")
    arrived = sum(1 for s in res.ok if s.ticket in res.first)
    table.add("page DMs arrived / acknowledged requests", f"{arrived} / {n_ok}",
              f"all (waited {res.waited_pages:.1f} s)", verdict(arrived == n_ok))
    keys = {s.trigger_id: s for s in res.shots}
    filed = {k.removeprefix("cmd:"): v for k, v in res.filed.items()}
    lost = sum(1 for s in res.ok if s.trigger_id not in filed)
    filed_unacked = sum(1 for t in filed if t in keys and not keys[t].acked)
    table.add("acknowledged but not in the database (lost)", f"{lost}", "0", verdict(lost == 0))
    table.add("in the database but Slack saw no ack within 3 s", f"{filed_unacked}",
              "(requester sees an error; a retry files it twice)")
    paged_filed = sum(1 for t, rid in filed.items() if t in keys and rid in res.first)
    n_filed = sum(1 for t in filed if t in keys)
    table.add("page DMs arrived / requests in the database", f"{paged_filed} / {n_filed}",
              "all", verdict(paged_filed == n_filed))
    twice = res.paged_twice()
    table.add("tickets paged more than once", f"{twice}", "0", verdict(twice == 0))
    table.add("sending took / drained after / left",
              f"{res.wall:.1f} s / {res.drain_s:.1f} s / "
              f"{'no answer' if res.outbox_left is None else res.outbox_left}",
              "(outbox rows pending or sending + requests not routed)")
    lags = res.lags()
    table.add("client: POST start behind schedule, p99 / max",
              f"{ms(pct(lags, 99))} / {ms(max(lags, default=math.nan))} ms",
              "(open-loop health: small)")
    if res.filings:
        table.add("filed inline / deferred to the router (its page DMs wait on it)",
                  f"{res.filings['inline']} / {res.filings['deferred']}",
                  "(the serving process's oncall_filings_total; deferred: near capacity)")
    worker_cpu, own_cpu, span = res.cpu
    n_in_db = max(1, sum(1 for t in filed if t in keys))
    table.add("CPU, sending to drained: bot (its workers) / bench (client + stand-in)",
              f"{worker_cpu:.1f} s / {own_cpu:.1f} s in {span:.1f} s",
              f"bot {worker_cpu / n_in_db * 1000:.1f} ms per filed request")
    for label, count in res.log_counts.most_common():
        table.add(f"server log: {label}", f"{count} lines", "0", "MISS")
    if res.worker_restarted:
        table.add("gunicorn worker restarted during the phase", "yes", "no", "MISS")


@dataclasses.dataclass(frozen=True)
class RunInfo:
    """What the report says about the run itself."""

    database: str
    slack: SlackConditions
    warmup: int
    version: str  # the bot's code (bench.paging.server.code_version)
    team: Team  # as the bot read it
    dump_s: float  # dump_team + parse_team
    jobs_process: bool = False  # `serve --jobs-process` (PostgreSQL)


def report_categories(table: Table, results: list[PhaseResult],
                      routing_cpu: tuple[float, float, int] | None) -> None:
    """Issue 11's figures: how a burst of one language with categories is spread by
    capacity, and what routing with skills costs, beside the phase without categories."""
    cats = next((r for r in results if r.phase.categories), None)
    steady = next((r for r in results if r.phase.name == "steady lang:ar"), None)
    if cats is None and routing_cpu is None:
        return
    table.section(f"categories and capacity (issue 11; max_open_per_person {CAPACITY}, "
                  "nobody acknowledges during the bench)")
    for res in (cats, steady):
        if res is None:
            continue
        people, most, fewest = spread([res.users[s.ticket] for s in res.ok
                                       if s.ticket in res.users])
        table.add(f"{res.phase.name}: first pages per person, max / min ({people} people)",
                  f"{most} / {fewest}", f"capacity {CAPACITY}; past it the least loaded "
                  "(max - min small)")
    if cats is not None:
        label = "bot CPU per filed request"
        table.add(f"{label}: {cats.phase.name} / steady lang:ar",
                  f"{cpu_per_filed(cats) * 1000:.2f} / "
                  + (f"{cpu_per_filed(steady) * 1000:.2f}" if steady else "-") + " ms",
                  "(same server, same rate)")
    if routing_cpu is not None:
        plain, skilled, readers = routing_cpu
        lang = cats.phase.language if cats is not None else "ar"
        table.add("routing CPU per request (first step, in-process): cat:child-safety / "
                  "no category",
                  f"{skilled * 1e6:.1f} / {plain * 1e6:.1f} us",
                  f"({readers} {lang} readers on call, 300-specialist team)")


def print_run(table: Table, run: RunInfo, results: list[PhaseResult],
              sql: tuple[float, float, float], bare: tuple[float, int],
              watch: PageWatch,
              standin: SlackStandIn,
              routing_cpu: tuple[float, float, int] | None = None) -> None:
    """The run's heading, every figure in `table`, then which users the pages went to."""
    steady = next((r for r in results if r.phase.name == "steady lang:ar"), None)
    print(f"python {platform.python_version()} on {platform.machine()}, "
          f"{os.cpu_count()} CPUs; database {run.database}; bot code at {run.version}; "
          + ("oncall-bot serve (gunicorn: a waitress worker serving, the jobs in a second "
             "worker at lower CPU priority)"
             if run.database == "postgres" and run.jobs_process
             else "oncall-bot serve (gunicorn, 1 waitress worker, jobs in it)")
          + " in a subprocess, Slack stand-in in this process")
    print(f"Slack (the stand-in) during the phases: {run.slack.describe()}; the path "
          "figures (SQL count, bare Bolt) with Slack answering at once")
    print(f"team: {len(run.team.specialists)} specialists, {len(run.team.rotations)} rotations, "
          f"{len(run.team.overrides)} overrides, {len(run.team.time_off)} time-off entries, "
          f"{len(run.team.languages)} languages (dump_team + parse_team in {run.dump_s:.1f} s)")
    print("each phase: a fresh server and database, "
          f"{run.warmup} sequential warm-up requests, then the open loop; "
          "healthy after " + ", ".join(f"{r.ready_s:.1f} s" for r in results))
    print()
    for res in results:
        warm_acks = [s.ack for s in res.warm if s.status == 200]
        report(table, res)
        warm_pages = [res.first[s.ticket] - s.start for s in res.warm
                      if s.ticket is not None and s.ticket in res.first]
        table.add("warm-up, one at a time: first ack / p50 ack / p50 page DM",
                  f"{ms(warm_acks[0]) if warm_acks else '-'} / {ms(pct(warm_acks, 50))} / "
                  f"{ms(pct(warm_pages, 50))} ms", "(no load: the floor)")
    surges = [r for r in results if r.phase.targets == "surge"]
    if len(surges) > 1:
        table.section(f"{len(surges)} consecutive surge runs (each a fresh server and database)")
        twice = [r.paged_twice() for r in surges]
        # A ticket whose page never came within --page-timeout cannot show a double.
        paged = [sum(1 for s in r.ok if s.ticket in r.first) for r in surges]
        table.add("tickets paged more than once, run by run",
                  ", ".join(f"{t} of {p} paged" for t, p in zip(twice, paged, strict=True)),
                  "0 in each", verdict(not any(twice)))
        slow = [r.slow_acks() + sum(r.error_answers()) for r in surges]
        table.add("acks over 3 s + HTTP 404/5xx answers, run by run",
                  ", ".join(map(str, slow)), "0 in each", verdict(not any(slow)))
    report_path(table, sql, cpu_per_filed(steady) if steady else None, bare,
                run.database)
    report_categories(table, results, routing_cpu)

    table.section("resident memory of the serving process (gunicorn worker), "
                  "300-specialist team loaded")
    after = [(r.phase.name, r.mem_after[1].get("VmRSS")) for r in results]
    for r in results:
        table.add(f"worker VmRSS: idle after warm-up / after {r.phase.name}",
                  f"{mb(r.mem_idle[1].get('VmRSS'))} / {mb(r.mem_after[1].get('VmRSS'))}")
        table.add(f"  of which heap (RssAnon) / mapped files (RssFile), after {r.phase.name}",
                  f"{mb(r.mem_after[1].get('RssAnon'))} / {mb(r.mem_after[1].get('RssFile'))}")
    worst = max((kb for _, kb in after if kb is not None), default=None)
    table.add("worker VmRSS after load, worst phase", mb(worst), "< 150 MB",
              verdict(worst is not None and worst < 150 * 1024))
    peak = max((r.mem_after[1].get("VmHWM", 0) for r in results), default=None)
    table.add("worker peak VmHWM (start-up included)", mb(peak), "< 150 MB",
              verdict(bool(peak) and peak < 150 * 1024))
    table.add("gunicorn master VmRSS (does not load the app)",
              " / ".join(mb(r.mem_after[0].get("VmRSS")) for r in results))
    if standin.errors:
        table.add("stand-in internal errors", f"{len(standin.errors)}", "0", "MISS")
    table.print()
    print()
    if watch.failed:  # below the table: a long line
        print("Web API calls answered ok=false: " + ", ".join(
            f"{k} x{v}" for k, v in watch.failed.most_common(5)))
    for res in results:
        paged = Counter(res.users[s.ticket] for s in res.ok
                        if not s.detect and s.ticket in res.users)
        print(f"{res.phase.name}: first pages went to "
              + (", ".join(f"{u} x{c}" for u, c in paged.most_common(5)) or "-"))
        for line in res.log_samples[:3]:
            print("  server log: " + line)
