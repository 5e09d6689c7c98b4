"""Draw one chart with matplotlib (Agg): a JSON spec on stdin, PNG bytes on stdout.

Run only as a child process (`python -m bot.charts.draw`, see `bot.charts.child`), so
the serving process never imports matplotlib. The spec:

    {"kind": "times", "title": str, "subtitle": str,
     "rows": [{"label": str, "p50": seconds|null, "p95": seconds|null, "count": int}]}
    {"kind": "pages", "title": str, "subtitle": str,
     "rows": [{"label": str, "business": int, "evening": int, "sleep": int}]}

"times": per group, two horizontal bars, the middle (p50) and slowest 5% (p95) time to
acknowledge, in minutes (hours when the slowest is over 3 hours), the group's request
count under its label. "pages": per person, pages stacked by business, evening and sleep
hours. "coverage": the team's coverage by language (`bot.charts.coverage`). Rows are
drawn top to bottom in the order given. Exit status 2 and a line on
stderr for a spec that cannot be drawn.
"""

from __future__ import annotations

import io
import json
import sys

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402 - the backend is chosen first

from bot.charts.coverage import draw_coverage  # noqa: E402

P50_COLOR, P95_COLOR = "#4C72B0", "#DD8452"
BUCKET_COLORS = {"business": "#55A868", "evening": "#DD8452", "sleep": "#8172B3"}
BUCKET_WORDS = {"business": "Business hours", "evening": "Evening", "sleep": "Sleep hours"}
MAX_ROWS = 25


def _figure(n: int):
    height = 2.0 + 0.55 * max(n, 1)
    fig, ax = plt.subplots(figsize=(9, height), dpi=100, layout="constrained")
    return fig, ax


def _titles(fig, ax, spec: dict) -> None:
    fig.suptitle(spec["title"], fontsize=13, fontweight="bold", x=0.02, ha="left")
    if spec.get("subtitle"):
        ax.set_title(spec["subtitle"], fontsize=9, color="#555555", loc="left")


def _times(spec: dict):
    rows = spec["rows"][:MAX_ROWS]
    fig, ax = _figure(len(rows))
    slowest = max((r.get("p95") or 0 for r in rows), default=0)
    unit, per = ("hours", 3600.0) if slowest > 3 * 3600 else ("minutes", 60.0)
    ys = range(len(rows))
    p50 = [(r.get("p50") or 0) / per for r in rows]
    p95 = [(r.get("p95") or 0) / per for r in rows]
    ax.barh([y - 0.2 for y in ys], p50, height=0.38, color=P50_COLOR, label="Middle (p50)")
    ax.barh([y + 0.2 for y in ys], p95, height=0.38, color=P95_COLOR,
            label="Slowest 5% (p95)")
    for y, r, a, b in zip(ys, rows, p50, p95, strict=True):
        if r.get("p50") is None:
            ax.text(0, y, "  none acknowledged", va="center", fontsize=8, color="#555555")
            continue
        ax.text(a, y - 0.2, f" {a:.1f}", va="center", fontsize=8)
        ax.text(b, y + 0.2, f" {b:.1f}", va="center", fontsize=8)
    ax.set_yticks(list(ys), [f"{r['label']}\n{r['count']} request"
                             f"{'' if r['count'] == 1 else 's'}" for r in rows], fontsize=9)
    ax.set_xlabel(f"Time from filing to acknowledged ({unit})")
    ax.set_xlim(0, max(p95 + p50 + [1]) * 1.18)
    return fig, ax, rows


def _pages(spec: dict):
    rows = spec["rows"][:MAX_ROWS]
    fig, ax = _figure(len(rows))
    ys = list(range(len(rows)))
    left = [0] * len(rows)
    for bucket, color in BUCKET_COLORS.items():
        widths = [int(r.get(bucket) or 0) for r in rows]
        ax.barh(ys, widths, left=left, height=0.6, color=color, label=BUCKET_WORDS[bucket])
        left = [a + b for a, b in zip(left, widths, strict=True)]
    for y, total in zip(ys, left, strict=True):
        ax.text(total, y, f" {total}", va="center", fontsize=8)
    ax.set_yticks(ys, [r["label"] for r in rows], fontsize=9)
    ax.set_xlabel("Pages, by the hour on each person's own clock")
    ax.set_xlim(0, max(left + [1]) * 1.15)
    return fig, ax, rows


def draw(spec: dict) -> bytes:
    """The PNG of `spec` (see the module notes)."""
    kind = spec.get("kind")
    if kind not in ("times", "pages", "coverage") or not isinstance(spec.get("rows"), list):
        raise ValueError("a chart needs kind times, pages or coverage and a list of rows")
    if kind == "coverage":  # its own fixed geometry: bot.charts.coverage
        fig = draw_coverage(plt, spec)
        return _png(fig)
    fig, ax, rows = (_times if kind == "times" else _pages)(spec)
    _titles(fig, ax, spec)
    ax.invert_yaxis()  # the first row on top, as in the table
    ax.grid(axis="x", color="#dddddd")
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if rows:
        fig.legend(loc="outside lower center", ncol=3, fontsize=8, frameon=False)
    else:
        ax.text(0.5, 0.5, "Nothing to show for this period", transform=ax.transAxes,
                ha="center", va="center", color="#555555")
    return _png(fig)


def _png(fig) -> bytes:
    out = io.BytesIO()
    fig.savefig(out, format="png")
    plt.close(fig)
    return out.getvalue()


def serve() -> int:
    """`--serve`: one JSON spec per line until stdin closes (`bot.charts.child`)."""
    out = sys.stdout.buffer
    for line in sys.stdin.buffer:
        try:
            png = draw(json.loads(line))
        except (ValueError, KeyError, TypeError) as err:
            why = " ".join(f"the chart's numbers could not be drawn: {err}".split())
            out.write(f"ERR {why}\n".encode())
        else:
            out.write(f"OK {len(png)}\n".encode() + png)
        out.flush()
    return 0


def main() -> int:
    if "--serve" in sys.argv[1:]:
        return serve()
    try:
        png = draw(json.loads(sys.stdin.buffer.read()))
    except (ValueError, KeyError, TypeError) as err:
        print(f"the chart's numbers could not be drawn: {err}", file=sys.stderr)
        return 2
    sys.stdout.buffer.write(png)
    return 0


if __name__ == "__main__":
    sys.exit(main())
