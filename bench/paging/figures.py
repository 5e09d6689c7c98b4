"""Figures as text: percentiles, milliseconds, megabytes, PASS/MISS, and the table."""

from __future__ import annotations

import math
from collections.abc import Sequence


def pct(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); NaN for no values."""
    s = sorted(values)
    if not s:
        return float("nan")
    return s[min(len(s) - 1, max(0, math.ceil(q / 100 * len(s)) - 1))]


def ms(seconds: float) -> str:
    if math.isnan(seconds):
        return "-"
    return f"{seconds * 1000:,.1f}" if seconds < 0.1 else f"{seconds * 1000:,.0f}"


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


class Table:
    """Rows of (figure, measured, baseline or target, PASS/MISS) under section titles,
    printed in aligned columns (every bench's report)."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, str, str, str]] = []

    def add(self, figure: str, measured: str, target: str = "", verdict: str = "") -> None:
        self.rows.append((figure, measured, target, verdict))

    def section(self, title: str) -> None:
        self.rows.append((title, "", "", "#"))

    def misses(self) -> list[str]:
        return [r[0] for r in self.rows if r[3] == "MISS"]

    def print(self) -> None:
        heads = ("figure", "measured", "baseline / target", "")
        rows = [r for r in self.rows if r[3] != "#"]
        w = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(heads)]
        print("  ".join(h.ljust(x) for h, x in zip(heads, w, strict=True)).rstrip())
        print("  ".join("-" * x for x in w))
        for r in self.rows:
            if r[3] == "#":
                print(f"[{r[0]}]")
                continue
            print("  ".join(c.ljust(x) for c, x in zip(r, w, strict=True)).rstrip())


def mb(kb: int | None) -> str:
    return "-" if kb is None else f"{kb / 1024:.1f} MB"
