"""Faults the stand-in can be told to inject: an error status, a late answer, a dropped
connection, queued per Web API method and used in order; and fault windows, where for a
while a share of the matching calls answer 429 or 500 (a rate-limit storm, an outage)."""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.demo.slack_standin.recording import Call
from bot.demo.slack_standin.server import Outcome, json_outcome

ANY_METHOD = "*"

Where = Mapping[str, Any] | Callable[[Mapping[str, Any]], bool]
"""Which calls a fault hits: the params must hold these values, or satisfy this test."""

_DM_PREFIXES = ("U", "W", "D")  # a user id (the bot opens the DM) or a DM channel


def direct_messages(params: Mapping[str, Any]) -> bool:
    """``where=`` for calls aimed at a person: a user id or a DM channel."""
    return str(params.get("channel") or "").startswith(_DM_PREFIXES)


def channel_posts(params: Mapping[str, Any]) -> bool:
    """``where=`` for calls aimed at a channel (``C...``, ``G...``), not at a person."""
    channel = str(params.get("channel") or "")
    return bool(channel) and not channel.startswith(_DM_PREFIXES)


def _hits(where: Where | None, params: Mapping[str, Any]) -> bool:
    if where is None:
        return True
    if callable(where):
        return bool(where(params))
    return all(params.get(key) == value for key, value in where.items())


@dataclass
class Fault:
    """One queued fault, good for ``remaining`` more calls.

    ``where``: the fault only hits calls whose params hold these values (e.g. one
    channel), or that pass this test; other calls to the method pass it by.
    """

    kind: str  # "status", "delay", "drop" or "lost"
    remaining: int
    status: int = 200
    retry_after: int | None = None
    error: str | None = None
    seconds: float = 0.0
    where: Where | None = None

    def hits(self, params: Mapping[str, Any]) -> bool:
        return _hits(self.where, params)


def status_fault(status: int, retry_after: int, count: int, error: str | None,
                 where: Where | None = None) -> Fault:
    """An error answer as Slack gives it: 429 with Retry-After, 5xx, or a 200 whose body
    says ``{"ok": false}``; the error name defaults to what Slack says for the status."""
    if int(retry_after) != retry_after or retry_after < 0:
        raise ValueError("retry_after must be a whole number of seconds >= 0")
    if status == 429:
        error = error or "ratelimited"
    elif status >= 500:
        error = error or "internal_error"
    else:
        error = error or "invalid_request"
    return Fault(
        "status",
        count,
        status=status,
        retry_after=int(retry_after) if status == 429 else None,
        error=error,
        where=where if where is None or callable(where) else dict(where),
    )


def delay_fault(seconds: float, count: int) -> Fault:
    if seconds < 0:
        raise ValueError("seconds must be >= 0")
    return Fault("delay", count, seconds=seconds)


def drop_fault(count: int) -> Fault:
    return Fault("drop", count)


def lost_fault(count: int) -> Fault:
    """The call takes effect, then the connection closes without its answer (a create
    that happened, whose caller never learnt the id)."""
    return Fault("lost", count)


@dataclass(eq=False)
class FaultWindow:
    """From ``start`` until ``end`` (seconds on the stand-in's clock), each call to one of
    ``methods`` (None: any) that ``where`` lets through answers 429 with probability
    ``ratelimited`` (``Retry-After: retry_after``), else 500 with probability
    ``server_error``, else normally. One seeded draw per matching call, in arrival order,
    so a run with the same calls in the same order gets the same answers.

    The counters say what the window did: ``matched`` calls, of which ``ratelimited_calls``
    answered 429 and ``server_error_calls`` 500 (read them after the calls, or under
    the stand-in's lock).
    """

    start: float
    end: float
    ratelimited: float
    server_error: float
    retry_after: int
    methods: frozenset[str] | None
    where: Where | None
    seed: int
    matched: int = 0
    ratelimited_calls: int = 0
    server_error_calls: int = 0
    _rng: random.Random = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def active(self, now: float) -> bool:
        return self.start <= now < self.end

    def draw(self, method: str, params: Mapping[str, Any], now: float) -> Fault | None:
        """The fault for this call, or None: outside the window, not a matching call,
        or the draw let it through."""
        if not self.active(now) or (self.methods is not None and method not in self.methods):
            return None
        if not _hits(self.where, params):
            return None
        self.matched += 1
        roll = self._rng.random()
        if roll < self.ratelimited:
            self.ratelimited_calls += 1
            return status_fault(429, self.retry_after, 1, None)
        if roll < self.ratelimited + self.server_error:
            self.server_error_calls += 1
            return status_fault(500, 0, 1, None)
        return None


def fault_window(
    now: float,
    seconds: float,
    *,
    ratelimited: float = 0.0,
    server_error: float = 0.0,
    retry_after: int = 1,
    methods: Iterable[str] | None = None,
    where: Where | None = None,
    seed: int = 0,
    starts_in: float = 0.0,
) -> FaultWindow:
    """A checked ``FaultWindow`` from ``now + starts_in`` for ``seconds``."""
    if seconds <= 0 or starts_in < 0:
        raise ValueError("seconds must be > 0 and starts_in >= 0")
    if not (0 <= ratelimited <= 1 and 0 <= server_error <= 1
            and ratelimited + server_error <= 1):
        raise ValueError("ratelimited and server_error are shares: each 0..1, together <= 1")
    if int(retry_after) != retry_after or retry_after < 0:
        raise ValueError("retry_after must be a whole number of seconds >= 0")
    if isinstance(methods, str):
        methods = (methods,)
    chosen = None if methods is None or ANY_METHOD in methods else frozenset(methods)
    start = now + starts_in
    return FaultWindow(start, start + seconds, ratelimited, server_error, int(retry_after),
                       chosen, where if where is None or callable(where) else dict(where),
                       seed)


class FaultQueue:
    """Faults per method (or ``ANY_METHOD``), a method's own faults before the catch-all
    ones; then the fault windows, oldest first. Not thread-safe: the stand-in holds its
    lock around it."""

    def __init__(self) -> None:
        self._faults: dict[str, deque[Fault]] = {}
        self.windows: list[FaultWindow] = []

    def add(self, method: str, fault: Fault) -> None:
        if fault.remaining < 1:
            raise ValueError("count must be >= 1")
        self._faults.setdefault(method, deque()).append(fault)

    def add_window(self, window: FaultWindow) -> None:
        self.windows.append(window)

    def take(self, method: str, params: Mapping[str, Any], now: float) -> Fault | None:
        """The fault for this call, if any, counted as used. A queued fault (asked for
        one call at a time) goes before a window's draw."""
        for key in (method, ANY_METHOD):
            queue = self._faults.get(key) or ()
            for fault in queue:
                if fault.hits(params):
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        queue.remove(fault)
                    return fault
        if any(now >= w.end for w in self.windows):
            self.windows = [w for w in self.windows if now < w.end]
        for window in self.windows:
            fault = window.draw(method, params, now)
            if fault is not None:
                return fault
        return None

    def end_windows(self, now: float) -> None:
        """End every window now (its counters stay readable on the returned objects)."""
        for window in self.windows:
            window.end = min(window.end, now)
        self.windows.clear()

    def clear(self) -> None:
        self._faults.clear()
        self.windows.clear()


def faulted_answer(arrival: Call, fault: Fault) -> tuple[Call, Outcome]:
    """The record and the answer of a call hit by a drop or an error-status fault: no
    side effect, and an answer as Slack gives it (a 429 says when to retry)."""
    base = (arrival.method, arrival.params, arrival.at, arrival.thread_id, arrival.token)
    if fault.kind == "drop":
        return (Call(*base, 0, None, "drop", arrival.received),
                Outcome(0, b"", drop=True))
    response = {"ok": False, "error": fault.error}
    headers: tuple[tuple[str, str], ...] = ()
    if fault.retry_after is not None:
        headers = (("Retry-After", str(fault.retry_after)),)
    call = Call(*base, status=fault.status, response=response, fault=str(fault.status),
                received=arrival.received)
    return call, json_outcome(fault.status, response, headers)
