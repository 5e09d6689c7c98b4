"""What the Slack stand-in records: one :class:`Call` per request, and the log of them
that tests query and wait on."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, eq=False)
class Call:
    """One request the stand-in received.

    ``params`` holds the request's fields (body and query string) without the token;
    JSON-valued fields sent as strings (``blocks``, ``view``, ``files``, ...) are decoded.
    ``status`` is the HTTP status answered (0 when the connection was dropped),
    ``response`` the JSON answered (``None`` when dropped), ``fault`` the injected
    fault if any: ``"429"``, ``"500"``, ... , ``"delay"`` or ``"drop"``. ``at`` is
    ``time.monotonic()`` at arrival (for intervals); ``received`` is the wall clock
    (``time.time()``) at the same moment, for comparing with instants a bot stored,
    such as a deadline.
    """

    method: str
    params: dict[str, Any]
    at: float
    thread_id: int
    token: str | None = None
    status: int = 200
    response: dict[str, Any] | None = None
    fault: str | None = None
    received: float = 0.0

    @property
    def injected(self) -> bool:
        """True when a fault injected with fail_next/delay_next/drop_next hit this call."""
        return self.fault is not None

    @property
    def ok(self) -> bool:
        return self.status == 200 and bool(self.response and self.response.get("ok"))

    def describe(self, origin: float | None = None, width: int = 160) -> str:
        when = f"+{self.at - origin:.3f}s " if origin is not None else ""
        result = (
            "dropped"
            if self.response is None
            else ("ok" if self.response.get("ok") else f"error={self.response.get('error')}")
        )
        fault = f" fault={self.fault}" if self.fault else ""
        params = repr(self.params)
        if len(params) > width:
            params = params[: width - 3] + "..."
        return f"{when}{self.method} status={self.status} {result}{fault} params={params}"


class CallLog:
    """The recorded calls, in arrival order, and waiting for calls to arrive.

    It shares the stand-in's lock, so that a call's effect on the workspace and its
    place in the log are one step for a reader.
    """

    def __init__(self, lock: threading.RLock) -> None:
        self._cond = threading.Condition(lock)
        self._calls: list[Call] = []

    def append(self, call: Call) -> None:
        with self._cond:
            self._calls.append(call)
            self._cond.notify_all()

    def clear(self) -> None:
        with self._cond:
            self._calls.clear()

    @property
    def calls(self) -> list[Call]:
        """A snapshot of every recorded call, in arrival order."""
        with self._cond:
            return list(self._calls)

    def calls_to(self, method: str) -> list[Call]:
        """Recorded calls to ``method``, injected failures included."""
        with self._cond:
            return [c for c in self._calls if c.method == method]

    def wait_for(
        self,
        predicate: Callable[[Call], bool],
        timeout: float = 5.0,
        *,
        count: int = 1,
        description: str | None = None,
    ) -> list[Call]:
        """Block until at least ``count`` recorded calls satisfy ``predicate``; return
        all calls that do. Raises AssertionError listing what was recorded on timeout."""
        found: list[Call] = []

        def enough() -> bool:
            nonlocal found
            found = [c for c in self._calls if predicate(c)]
            return len(found) >= count

        with self._cond:
            if self._cond.wait_for(enough, timeout):
                return found
            recorded = list(self._calls)
        what = description or getattr(predicate, "__name__", repr(predicate))
        raise AssertionError(timeout_report(what, count, len(found), timeout, recorded))


def timeout_report(what: str, count: int, matched: int, timeout: float,
                   recorded: list[Call]) -> str:
    """The message of a timed-out wait: what was wanted, and the last calls recorded."""
    lines = [
        f"SlackStandIn.wait_for timed out after {timeout:g}s: wanted {count} call(s) "
        f"matching {what}, found {matched}. Recorded {len(recorded)} call(s):"
    ]
    origin = recorded[0].at if recorded else None
    shown = recorded[-50:]
    if len(recorded) > len(shown):
        lines.append(f"  ... {len(recorded) - len(shown)} earlier call(s) not shown")
    lines.extend(f"  {c.describe(origin)}" for c in shown)
    if not recorded:
        lines.append("  (none)")
    return "\n".join(lines)
