"""What reached Slack against what the database says should have: the pure part of
`bench.many_machines`, computed after the run from the stand-in's recorded calls and
rows read from the bot's database (no process, no clock: tests/bench feeds it by hand).

Every message the outbox posts carries the ids of the outbox rows it delivers in its
metadata (`event_payload.rows`, bot/slack/sender.py), so a `chat.postMessage` the
stand-in answered ok is the delivery of exactly those rows: a row delivered twice is
a doubled message, a row the database expects and no call delivered is missing.

Digest cards (bot/core/surge.py): in a surge an intake channel's cards are combined
into one digest card, posted once and then updated in place to list the requests filed
after it (an update is not counted as a post, though its metadata lists the
digest's card rows). A request's card row is then delivered by
the first call that posted or updated its digest (the request's `card_ts`, with
`card_digest` set) and named its ticket: it is *in a digest*, not missing.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from bench.paging.figures import pct

# The outbox kinds that notify people when a step fires (bot/core/messages.py): a page
# DM, the "paged again" ping, a manager's alert, the escalation channel's alert.
PAGE_KINDS = ("page", "page_again")
STEP_KINDS = (*PAGE_KINDS, "manager_alert", "channel_alert")
# The other kinds a request's filing posts with chat.postMessage (updates in place carry
# no row ids): its card, the lines in the card's thread, the note to the requester.
OTHER_POSTS = ("card", "timeline", "requester_note")
# Rows created this close to a deadline's firing were written by it (steps are seconds
# apart, the firing is one transaction).
SAME_FIRING = 2.0


@dataclasses.dataclass(frozen=True)
class Row:
    """An outbox row as the ledger needs it (`page_step`: the (round, step) of its page)."""

    id: int
    request_id: int | None
    kind: str
    created: float  # UTC seconds
    sent: float | None = None  # sent_utc, UTC seconds
    page_step: tuple[int, int] | None = None


@dataclasses.dataclass(frozen=True)
class Deadline:
    id: int
    request_id: int
    due: float  # UTC seconds
    fired: float | None  # None: not fired


@dataclasses.dataclass(frozen=True)
class Card:
    """Where a request's card is: (channel, ts) once posted, and whether it is a digest
    card listing several requests."""

    channel: str | None
    ts: str | None
    digest: bool = False


@dataclasses.dataclass
class Tally:
    expected: int = 0
    once: int = 0
    doubled: int = 0  # delivered more than once
    missing: int = 0  # delivered never
    in_digest: int = 0  # a card no post carried, shown in its digest card (delivered)


def delivered_rows(calls: Iterable[Any]) -> dict[int, list[float]]:
    """Outbox row id -> arrival (wall clock) of each ok `chat.postMessage` delivering it.
    A call Slack refused (429, 500) had no effect and delivers nothing."""
    out: dict[int, list[float]] = defaultdict(list)
    for call in calls:
        if call.method != "chat.postMessage" or not call.ok:
            continue
        meta = call.params.get("metadata")
        payload = meta.get("event_payload") if isinstance(meta, Mapping) else None
        rows = str((payload or {}).get("rows", "")) if isinstance(payload, Mapping) else ""
        for part in rows.split(","):
            if part.strip().isdigit():
                out[int(part)].append(call.received)
    return dict(out)


DIGEST_METHODS = ("chat.postMessage", "chat.update")


def digest_shown(calls: Iterable[Any], cards: Mapping[int, Card]) -> dict[int, float]:
    """Request id -> arrival (wall clock) of the first ok call that posted or updated the
    digest card the request's card is, naming its ticket (`T-<id>`) in its text."""
    where: dict[tuple[str, str], list[int]] = defaultdict(list)
    for rid, card in cards.items():
        if card.digest and card.channel and card.ts:
            where[(card.channel, card.ts)].append(rid)
    out: dict[int, float] = {}
    if not where:
        return out
    for call in calls:
        if call.method not in DIGEST_METHODS or not call.ok:
            continue
        answer = getattr(call, "response", None) or {}
        if call.method == "chat.postMessage":
            at = (answer.get("channel"), answer.get("ts"))
        else:
            at = (call.params.get("channel"), call.params.get("ts"))
        listed = where.get(at)
        if not listed:
            continue
        named = set(TICKET.findall(str(call.params.get("text") or "")))
        for rid in listed:
            if rid not in out and str(rid) in named:
                out[rid] = call.received
    return out


TICKET = re.compile(r"\bT-(\d+)\b")


def step_label(row: Row) -> str:
    if row.kind in PAGE_KINDS and row.page_step is not None:
        rnd, step = row.page_step
        return f"page DMs, round {rnd + 1} step {step + 1}"
    return row.kind.replace("_", " ") + "s"


def tally(rows: Iterable[Row], delivered: Mapping[int, list[float]],
          kinds: tuple[str, ...] = STEP_KINDS,
          shown: Mapping[int, float] | None = None) -> dict[str, Tally]:
    """Per step (page DMs by round and step; manager and channel alerts by kind): rows
    the database holds, delivered once, more than once, never. `shown`: the requests a
    digest card listed (`digest_shown`); a card row of one that no post carried was
    delivered by the digest."""
    out: dict[str, Tally] = {}
    for row in rows:
        if row.kind not in kinds:
            continue
        t = out.setdefault(step_label(row), Tally())
        t.expected += 1
        n = len(delivered.get(row.id, ()))
        if n == 0 and row.kind == "card" and shown and row.request_id in shown:
            t.in_digest += 1
        elif n == 0:
            t.missing += 1
        elif n == 1:
            t.once += 1
        else:
            t.doubled += 1
    return dict(sorted(out.items()))


def first_delivery(row: Row, delivered: Mapping[int, list[float]]) -> float | None:
    """When the row first reached Slack: the stand-in's arrival, or for a row no posted
    message carries (an update in place) its `sent_utc`."""
    got = delivered.get(row.id)
    if got:
        return min(got)
    return row.sent


def step_lateness(deadlines: Iterable[Deadline], rows: Iterable[Row],
                  delivered: Mapping[int, list[float]]) -> dict[int, float]:
    """Deadline id -> seconds from its due time to the first arrival at Slack of what its
    firing sent (the rows of kinds STEP_KINDS of its request created within SAME_FIRING
    of its `fired_utc`). Deadlines not fired, or whose step sent nothing, are left out."""
    by_request: dict[int, list[Row]] = defaultdict(list)
    for row in rows:
        if row.kind in STEP_KINDS and row.request_id is not None:
            by_request[row.request_id].append(row)
    out = {}
    for d in deadlines:
        if d.fired is None:
            continue
        got = [first_delivery(r, delivered) for r in by_request.get(d.request_id, ())
               if abs(r.created - d.fired) <= SAME_FIRING]
        got = [t for t in got if t is not None]
        if got:
            out[d.id] = min(got) - d.due
    return out


def fired_late(deadlines: Iterable[Deadline]) -> list[float]:
    """fired_utc - due_utc of every fired deadline: the reconciler's part of the lateness."""
    return [d.fired - d.due for d in deadlines if d.fired is not None]


TOOK_OVER = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),(\d{3}) .*took over (\d+) message")


def took_over(log_text: str) -> list[tuple[float, int]]:
    """(UTC seconds, rows) of each "took over N message(s)" line of a bot's text log
    (local time stamps: the bench runs the bot with TZ=UTC)."""
    out = []
    for line in log_text.splitlines():
        m = TOOK_OVER.match(line)
        if m:
            at = datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
            out.append((at.timestamp() + int(m.group(2)) / 1000, int(m.group(3))))
    return out


def orphans(at_kill: Mapping[int, float],
            samples: Iterable[tuple[float, Mapping[int, float]]],
            holders: Mapping[int, int | None] | None = None,
            dead: Iterable[int] = ()) -> set[int]:
    """Outbox rows the dead held: `sending` at the SIGKILL (id -> lease end, UTC seconds).
    A row with a holder (its process number, `holders`) is the dead's when that process
    is among the `dead` (its liveness lock went with it). A row without one is the dead's
    when it was left alone until its lease ran out: a live holder sends, fails or renews
    a row (every third of the lease) before its lease ends, and nobody else may take it
    before then; `samples` are (UTC seconds, the rows then sending, id -> lease end)."""
    holders, dead = holders or {}, set(dead)
    held = {i for i in at_kill if holders.get(i) is None}
    for t, sending in samples:
        held = {i for i in held if t >= at_kill[i] or sending.get(i) == at_kill[i]}
    return held | {i for i in at_kill if holders.get(i) in dead}


@dataclasses.dataclass(frozen=True)
class Takeover:
    orphaned: int  # rows the dead processes held
    first: float  # seconds from the kill to the first delivery of an orphan or of work due after it
    last_orphan: float  # ... to the delivery of the last orphan (NaN: none)
    undelivered: int  # orphans never delivered
    slowest: tuple[tuple[str, float], ...] = ()  # (kind, seconds) of the last few delivered


def takeover(killed_at: float, orphan_ids: set[int], rows: Iterable[Row],
             delivered: Mapping[int, list[float]], deadlines: Iterable[Deadline]) -> Takeover:
    """From the SIGKILL (UTC seconds) to the first delivery of a row the dead held or of
    a step due after the kill, and to the delivery of the last row the dead held."""
    rows = list(rows)
    orphan_times = [(r.kind, first_delivery(r, delivered)) for r in rows if r.id in orphan_ids]
    done = [t - killed_at for _, t in orphan_times if t is not None]
    slowest = sorted(((k, t - killed_at) for k, t in orphan_times if t is not None),
                     key=lambda kt: -kt[1])[:4]
    later_steps = step_lateness([d for d in deadlines if d.due >= killed_at], rows, delivered)
    due = {d.id: d.due for d in deadlines}
    after = [due[i] + late - killed_at for i, late in later_steps.items()]
    firsts = [t for t in (*done, *after) if t >= 0]
    return Takeover(len(orphan_ids), min(firsts, default=math.nan),
                    max(done, default=math.nan), len(orphan_ids) - len(done), tuple(slowest))


@dataclasses.dataclass(frozen=True)
class Acks:
    sent: int
    answered: int  # HTTP 200 with a ticket
    over_3s: int  # answered after 3 s, or no answer, among requests no SIGKILL cut
    cut: int  # in flight on a process when it was killed
    refused: int  # no connection (sent while no web process was up)
    errors: int  # answered with another status (404: not acknowledged in time; 5xx)


def acks(shots: Iterable[Any], kills: Iterable[tuple[int, float]]) -> Acks:
    """`kills`: (port, monotonic instant) of each SIGKILLed web process."""
    shots = list(shots)
    kills = list(kills)

    def cut(s) -> bool:
        return any(s.port == port and s.start <= at <= s.end for port, at in kills)

    answered = sum(1 for s in shots if s.status == 200 and s.ticket is not None)
    cuts = refused = slow = errors = 0
    for s in shots:
        if s.status != 200 and cut(s):
            cuts += 1
        elif s.status == 0 and s.error == "ConnectionRefusedError":
            refused += 1
        elif s.status == 0 or (s.status == 200 and s.ack > 3.0):
            slow += 1
        elif s.status != 200:
            errors += 1
    return Acks(len(shots), answered, slow, cuts, refused, errors)


def lost(shots: Iterable[Any], stored_keys: Iterable[str]) -> int:
    """Answered 200 with a ticket but not in the database (key `cmd:<trigger_id>`)."""
    keys = set(stored_keys)
    return sum(1 for s in shots if s.status == 200 and s.ticket is not None
               and f"cmd:{s.trigger_id}" not in keys)


def idle_per_process(before: int, after: int, seconds: float, processes: int) -> float:
    """Transactions (or statements) per second per process between two counter reads."""
    return (after - before) / max(seconds, 1e-9) / max(processes, 1)


def utc_seconds(value: datetime | None) -> float | None:
    return None if value is None else value.timestamp()


def quantiles(values: Iterable[float]) -> tuple[float, float, float]:
    v = list(values)
    return pct(v, 50), pct(v, 99), max(v, default=math.nan)
