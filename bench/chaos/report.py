"""The table `bench.many_machines` prints: each figure beside its target (issue 16) and,
where there is one, the baseline measured before."""

from __future__ import annotations

import dataclasses
import math

from bench.chaos.ledger import Acks, Takeover, Tally, quantiles
from bench.paging.figures import Table, ms, verdict
from bot.store.liveness import LOOK_EVERY
from bot.store.paging import LEASE

# Issue 16's figures before its work, on this machine (one to four processes, PostgreSQL).
BASE_LATENESS_P99 = "1.12 s p99 with 4 processes, no faults (issue 16)"
BASE_IDLE = "about 34 statements/s per process (issue 16: reconciler every 0.25 s)"
# A dead holder's outbox rows: on PostgreSQL its liveness lock went with it, and a
# survivor's lease keeper (bot/jobs/leases.py), looking every LOOK_EVERY while others
# send, takes them over (bot/store/liveness.py). Before, they waited for their lease.
BASE_TAKEOVER = (f"the dead's lock gone, seen within {LOOK_EVERY:g} s (before: its lease, "
                 f"{LEASE.total_seconds():g} s, then as it ended)")


@dataclasses.dataclass
class Figures:
    acks: Acks
    stored: int
    lost: int
    stored_unanswered: int
    tallies: dict[str, Tally]
    other_posts: dict[str, Tally]
    doubled_page_rows: int
    lateness: list[float]
    calm_lateness: list[float]
    fired_late: list[float]
    took_over: list[tuple[float, int]]  # (seconds after the kill, rows) from the logs
    takeover: Takeover
    ack_p99: float
    idle_per_process: float
    idle_total: float
    idle_seconds: float
    processes: int
    left: int | None = 0  # work left when the bench stopped waiting for the drain


def requests(table: Table, f: Figures) -> None:
    a = f.acks
    table.section("requests: answered vs stored")
    table.add("sent / answered 200 with a ticket / stored", f"{a.sent} / {a.answered} / "
              f"{f.stored}")
    table.add("answered 200 but not stored (lost)", f"{f.lost}", "0", verdict(f.lost == 0))
    table.add("stored but not answered 200", f"{f.stored_unanswered}",
              "(the requester saw an error: a retry files it twice)")
    table.add("cut by a SIGKILL (in flight) / refused (no web process up)",
              f"{a.cut} / {a.refused}", "(not acknowledged: Slack shows an error)")


def page_dms(table: Table, f: Figures) -> None:
    table.section("messages per escalation step: the stand-in against the database")
    if f.left != 0:
        table.add("NOT DRAINED: work left when the bench stopped waiting", f"{f.left}",
                  "(\"missing\" below includes rows not sent yet)")
    for label, t in f.tallies.items():
        table.add(label, f"{t.expected} expected: {t.once} once, {t.doubled} doubled, "
                  f"{t.missing} missing", "doubled 0, missing 0",
                  verdict(t.doubled == 0 and t.missing == 0))
    pages = [t for k, t in f.tallies.items() if k.startswith("page DMs")]
    doubled = sum(t.doubled for t in pages)
    missing = sum(t.missing for t in pages)
    table.add("page DMs doubled, all steps", f"{doubled}", "0", verdict(doubled == 0))
    table.add("page DMs missing, all steps", f"{missing}", "0", verdict(missing == 0))
    table.add("(request, round, step, person) with two page rows", f"{f.doubled_page_rows}",
              "0", verdict(f.doubled_page_rows == 0))
    for label, t in f.other_posts.items():
        digest = f", {t.in_digest} in a digest card" if t.in_digest else ""
        table.add(f"(not a step) {label}", f"{t.expected} expected: {t.once} once, "
                  f"{t.doubled} doubled, {t.missing} missing{digest}", "doubled 0, missing 0",
                  verdict(t.doubled == 0 and t.missing == 0))


def lateness(table: Table, f: Figures) -> None:
    table.section("step lateness: due -> the step's first message at the stand-in")
    p50, p99, top = quantiles(f.lateness)
    table.add(f"every fired step ({len(f.lateness)}): p50 / p99", f"{ms(p50)} / {ms(p99)} ms",
              f"p99 <= 1 s; before: {BASE_LATENESS_P99}",
              verdict(bool(f.lateness) and p99 <= 1.0))
    table.add("  max / over 1 s", f"{ms(top)} ms / {sum(1 for x in f.lateness if x > 1)}")
    d50, d99, dmax = quantiles(f.fired_late)
    table.add("  of which the reconciler's: fired - due p50 / p99 / max",
              f"{ms(d50)} / {ms(d99)} / {ms(dmax)} ms")
    c50, c99, _ = quantiles(f.calm_lateness)
    table.add(f"steps due outside the fault window and the kill ({len(f.calm_lateness)}): "
              "p50 / p99", f"{ms(c50)} / {ms(c99)} ms", "p99 <= 1 s",
              verdict(bool(f.calm_lateness) and c99 <= 1.0))


def takeover(table: Table, f: Figures) -> None:
    t = f.takeover
    table.section("takeover: from the SIGKILL of a web and a worker process")
    table.add("first delivery of held work or of a step due after the kill",
              _seconds(t.first), "<= 10 s",
              verdict(not math.isnan(t.first) and t.first <= 10))
    # The bot's own account: a sweep took over rows whose lease ran out. Lines before the
    # kill are live processes taking each other's rows (a lease not renewed in time).
    first_log = min((at for at, _ in f.took_over if at >= 0), default=math.nan)
    table.add("survivors' logs: \"took over N message(s)\"", ", ".join(
        f"{n} at {at:+.1f} s" for at, n in f.took_over) or "none",
              f"first <= 10 s; design: {BASE_TAKEOVER}",
              verdict(first_log <= 10) if not math.isnan(first_log) else "")
    table.add("rows the dead processes were sending", f"{t.orphaned}",
              "(held under their numbers; a row with none: left alone until its lease ended)")
    table.add("last of those delivered / never delivered",
              f"{_seconds(t.last_orphan)} / {t.undelivered}", "<= 10 s / 0",
              verdict(t.undelivered == 0 and (t.orphaned == 0 or t.last_orphan <= 10)))
    if t.slowest:
        table.add("  the last delivered (kind, after the kill)",
                  ", ".join(f"{k} {s:.1f} s" for k, s in t.slowest), "")


def acks(table: Table, f: Figures) -> None:
    a = f.acks
    table.section("acknowledgements (HTTP answer to the signed POST)")
    table.add("over 3 s or no answer (requests no SIGKILL cut)", f"{a.over_3s}", "0",
              verdict(a.over_3s == 0))
    table.add("answered with another status (404: no ack in 3 s; 5xx)", f"{a.errors}", "0",
              verdict(a.errors == 0))
    table.add("POST -> answer p99 (answered 200)", f"{ms(f.ack_p99)} ms", "< 3 s")


def idle(table: Table, f: Figures) -> None:
    table.section(f"idle, after the drain: pg_stat_database xact_commit + xact_rollback "
                  f"over {f.idle_seconds:g} s")
    busy = "" if f.left == 0 else " (not idle: the drain timed out)"
    table.add(f"transactions/s per process ({f.processes} processes)",
              f"{f.idle_per_process:.1f}{busy}", f"<= 1 statement/s; before: {BASE_IDLE}",
              "" if busy else verdict(f.idle_per_process <= 1.0))
    table.add("transactions/s, the whole fleet", f"{f.idle_total:.1f}",
              "(a statement count is at least this: every statement is in a transaction)")


def print_table(f: Figures, extra: list[tuple[str, str]]) -> Table:
    table = Table()
    for section in (requests, page_dms, lateness, takeover, acks, idle):
        section(table, f)
    table.section("other")
    for figure, measured in extra:
        table.add(figure, measured)
    table.print()
    return table


def _seconds(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:.1f} s"
