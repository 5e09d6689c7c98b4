"""The coverage chart (`"kind": "coverage"`), drawn by `bot.charts.draw` in the child.

The spec fixes the picture's geometry in pixels so that its numbers can be checked
against the PNG: `size` [width, height]; `plot` [left, right, top, row_height,
bar_inset]; x in seconds from the window's start (0 to `span`); per row a `label`, a
`note` and its `gaps` as [from, to] seconds (each already at least a pixel wide); `ticks`
[[seconds, label]] (midnights UTC; an empty label: a grid line only); `markers`
[[seconds, label]] (clock changes); `colors` (hex) for covered, gap, dst, row, grid,
muted; `title` and `legend` ([[kind, words]], kind covered|gap|dst|none). Bars and
markers are drawn without antialiasing, so their pixels are exactly their colours.
"""

from __future__ import annotations

from matplotlib.lines import Line2D
from matplotlib.patches import Patch

__all__ = ["draw_coverage"]


def _legend(fig, spec: dict, width: int, height: int) -> None:
    c = spec["colors"]
    handles = []
    for kind, words in spec["legend"]:
        if kind in ("covered", "gap"):
            handles.append(Patch(facecolor=c[kind], label=words))
        elif kind == "dst":
            handles.append(Line2D([0], [0], color=c["dst"], linestyle=(0, (3, 2)), lw=1.5,
                                  label=words))
        else:
            handles.append(Patch(facecolor="none", edgecolor="none", label=words))
    fig.legend(handles=handles, loc="upper left", bbox_to_anchor=(10 / width, 1 - 28 / height),
               ncol=len(handles), frameon=False, fontsize=8, handlelength=1.6,
               columnspacing=1.4)


def draw_coverage(plt, spec: dict):
    width, height = spec["size"]
    left, right, top, row_h, inset = spec["plot"]
    rows, span, c = spec["rows"], float(spec["span"]), spec["colors"]
    n = max(len(rows), 1)
    bottom = top + row_h * n
    fig = plt.figure(figsize=(width / 100, height / 100), dpi=100)
    ax = fig.add_axes((left / width, 1 - bottom / height, (right - left) / width,
                       (bottom - top) / height))
    ax.set_xlim(0, span)
    ax.set_ylim(n * row_h, 0)  # y in pixels down from the plot's top
    for i, row in enumerate(rows):
        y0 = i * row_h
        if i % 2 == 0:
            ax.axhspan(y0, y0 + row_h, color=c["row"], lw=0, zorder=0)
        ax.broken_barh([(0, span)], (y0 + inset, row_h - 2 * inset), facecolors=c["covered"],
                       antialiased=False, zorder=2)
        if row["gaps"]:
            ax.broken_barh([(a, b - a) for a, b in row["gaps"]], (y0 + inset, row_h - 2 * inset),
                           facecolors=c["gap"], antialiased=False, zorder=3)
        fig.text(16 / width, 1 - (top + y0 + 12) / height, row["label"], va="top", fontsize=10)
        fig.text(16 / width, 1 - (top + y0 + 32) / height, row["note"], va="top", fontsize=8,
                 color=c["muted"])
    if not rows:
        ax.text(0.02, 0.5, "This team has no languages.", transform=ax.transAxes,
                va="center", color=c["muted"])
    ax.set_xticks([t for t, _ in spec["ticks"]], [label for _, label in spec["ticks"]],
                  fontsize=8, ha="left", color=c["muted"])
    ax.grid(axis="x", color=c["grid"], lw=1, zorder=1)
    ax.set_yticks([])
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    for x, label in spec["markers"]:
        ax.axvline(x, color=c["dst"], linestyle=(0, (5, 3)), lw=1.5, antialiased=False,
                   zorder=4)
        ax.annotate(label, (x, 0), xycoords=("data", "axes fraction"), xytext=(3, -17),
                    textcoords="offset points", fontsize=8, color=c["dst"],
                    ha="left" if x < span * 0.7 else "right", va="top")
    fig.text(10 / width, 1 - 6 / height, spec["title"], va="top", fontsize=12,
             fontweight="bold")
    _legend(fig, spec, width, height)
    return fig
