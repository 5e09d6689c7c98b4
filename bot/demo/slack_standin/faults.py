"""Faults the stand-in can be told to inject: an error status, a late answer, a dropped
connection, queued per Web API method and used in order."""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

ANY_METHOD = "*"


@dataclass
class Fault:
    """One queued fault, good for ``remaining`` more calls.

    ``where``: the fault only hits calls whose params hold these values (e.g. one
    channel); other calls to the method pass it by.
    """

    kind: str  # "status", "delay" or "drop"
    remaining: int
    status: int = 200
    retry_after: int | None = None
    error: str | None = None
    seconds: float = 0.0
    where: Mapping[str, Any] = field(default_factory=dict)

    def hits(self, params: Mapping[str, Any]) -> bool:
        return all(params.get(key) == value for key, value in self.where.items())


def status_fault(status: int, retry_after: int, count: int, error: str | None,
                 where: Mapping[str, Any] | None = None) -> Fault:
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
        where=dict(where or {}),
    )


def delay_fault(seconds: float, count: int) -> Fault:
    if seconds < 0:
        raise ValueError("seconds must be >= 0")
    return Fault("delay", count, seconds=seconds)


def drop_fault(count: int) -> Fault:
    return Fault("drop", count)


class FaultQueue:
    """Faults per method (or ``ANY_METHOD``); a method's own faults go before the
    catch-all ones. Not thread-safe: the stand-in holds its lock around it."""

    def __init__(self) -> None:
        self._faults: dict[str, deque[Fault]] = {}

    def add(self, method: str, fault: Fault) -> None:
        if fault.remaining < 1:
            raise ValueError("count must be >= 1")
        self._faults.setdefault(method, deque()).append(fault)

    def take(self, method: str, params: Mapping[str, Any]) -> Fault | None:
        """The fault for this call, if any, counted as used."""
        for key in (method, ANY_METHOD):
            queue = self._faults.get(key) or ()
            for fault in queue:
                if fault.hits(params):
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        queue.remove(fault)
                    return fault
        return None

    def clear(self) -> None:
        self._faults.clear()
