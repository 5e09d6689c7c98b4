"""Waiting for an effect in a test: poll until it holds, within a bound (never a claim
about how long it takes)."""

from __future__ import annotations

import time


def until(check, timeout: float = 10.0, every: float = 0.02) -> bool:
    """Poll `check` until it holds, for at most `timeout` s; returns whether it held."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if check():
            return True
        time.sleep(every)
    return bool(check())
