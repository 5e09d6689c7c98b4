"""Coverage as a picture and as text, for `/oncall coverage` and the managers' Home tab.

- `coverage_chart(roster, start, days)`: a PNG drawn with matplotlib in a child process
  (`coverage_spec` is its numbers, `bot.charts.coverage` the drawing). One row per team
  language, the x axis is UTC time over `days` days from `start` (day ticks and labels),
  covered time in a calm green, gaps in red, a dashed purple marker at every clock change
  (DST) of every rotation zone, labelled with the zone and the change, a legend and a
  title. Size: 1200 x (100 + 60 * languages) pixels. Red appears only where there is a
  gap (the legend shows the red swatch only then), so a picture without red means
  full coverage.
- `gap_list_text(gaps, tz)`: the same gaps as mrkdwn, one line per language, with gaps
  that recur every day at the same wall-clock time folded into one item
  ("daily 22:00-23:00 UTC, 8-28 Mar"). `group_gaps` is that folding, the one place it
  lives; the Home tab uses `gap_list_text` too.

No Slack calls, no database, no clock; the picture is drawn in a child process.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from bot.charts.child import render
from bot.core import timezones
from bot.core.coverage import DAY, GapRun, group_gaps
from bot.core.intervals import Interval
from bot.core.roster import Roster
from bot.slack.render.blocks import SECTION_TEXT_MAX
from bot.slack.render.mrkdwn import clip_mrkdwn, escape, language_name

__all__ = [
    "COLORS",
    "ChartLayout",
    "GapRun",
    "chart_layout",
    "coverage_chart",
    "coverage_spec",
    "describe_gap_run",
    "describe_span",
    "dst_markers",
    "gap_list_text",
    "group_gaps",
    "zone_label",
]

GAPS_SHOWN_PER_LANGUAGE = 8

# --- grouping and text ---------------------------------------------------------------


def zone_label(instant: datetime, tz: str | None) -> str:
    """"UTC", "GMT", "IST", "CDT", or "UTC+08" where the tz database has no letters."""
    if not tz or tz in ("UTC", "Etc/UTC", "Etc/GMT", "GMT"):
        return "UTC"
    name = timezones.abbreviation(instant, tz)
    return f"UTC{name}" if name[:1] in "+-" else name


def _duration(d: timedelta) -> str:
    minutes = round(d.total_seconds() / 60)
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    if days >= 2:
        return f"{days} d {hours} h" if hours else f"{days} d"
    hours += days * 24
    if hours and mins:
        return f"{hours} h {mins} min"
    return f"{hours} h" if hours else f"{mins} min"


def _day(d: date) -> str:
    return f"{d:%a} {d.day} {d:%b}"


def _date_range(a: date, b: date) -> str:
    """"8-28 Mar", "25 Oct-5 Nov", "28 Dec 2026-3 Jan 2027"."""
    if a.year != b.year:
        return f"{a.day} {a:%b %Y}-{b.day} {b:%b %Y}"
    if a.month != b.month:
        return f"{a.day} {a:%b}-{b.day} {b:%b}"
    return f"{a.day}-{b.day} {a:%b}"


def describe_gap_run(run: GapRun, tz: str | None = None) -> str:
    """Plain text: "daily 22:00-23:00 UTC, 8-28 Mar" or "Sat 14 Mar 22:00-23:00 UTC (1 h)"
    or "Sat 14 Mar 22:00 GMT – Sun 29 Mar 02:00 IST (28 h)", wall clock in `tz`."""
    if not run.daily:
        return describe_span(run.start, run.end, tz)
    zone = tz or "UTC"
    s, e = timezones.to_local(run.start, zone), timezones.to_local(run.end, zone)
    label_s, label_e = zone_label(run.start, tz), zone_label(run.end, tz)
    label = label_s if label_s == label_e else f"{label_s}/{label_e}"
    last = timezones.to_local(run.last_start, zone).date()
    return f"daily {s:%H:%M}-{e:%H:%M} {label}, {_date_range(s.date(), last)}"


def describe_span(start: datetime, end: datetime, tz: str | None = None) -> str:
    """Plain text for [start, end) in `tz` (None: UTC): "Sat 14 Mar 22:00-23:00 UTC (1 h)",
    "Mon 9 Mar 23:00 – Tue 10 Mar 07:00 UTC+08 (8 h)" (both zone labels when they differ)."""
    zone = tz or "UTC"
    s, e = timezones.to_local(start, zone), timezones.to_local(end, zone)
    label_s, label_e = zone_label(start, tz), zone_label(end, tz)
    length = _duration(end - start)
    midnight_end = e.time() == datetime.min.time() and e.date() == s.date() + DAY
    if label_s == label_e and (e.date() == s.date() or midnight_end):
        end_clock = f"{e:%H:%M}" if e.date() == s.date() else "24:00"
        return f"{_day(s.date())} {s:%H:%M}-{end_clock} {label_s} ({length})"
    first = f"{_day(s.date())} {s:%H:%M}" + ("" if label_s == label_e else f" {label_s}")
    return f"{first} – {_day(e.date())} {e:%H:%M} {label_e} ({length})"


def gap_list_text(gaps: Mapping[str, Sequence[Interval]], tz: str | None,
                  *, max_chars: int = SECTION_TEXT_MAX,
                  per_language: int = GAPS_SHOWN_PER_LANGUAGE) -> str:
    """mrkdwn: one line per language with gaps (daily ones folded), then the languages
    covered throughout. Wall-clock times in `tz` (None: UTC). Fits `max_chars`."""
    uncovered = [(lang, list(ivs)) for lang, ivs in gaps.items() if ivs]
    covered = [lang for lang, ivs in gaps.items() if not ivs]
    if not uncovered:
        if not covered:
            return "No languages to check."
        return ":white_check_mark: No coverage gaps: every language has an on-call reader " \
               "all the time."
    tail = ""
    if covered:
        tail = "_Covered throughout:_ " + ", ".join(escape(language_name(c)) for c in covered)
    lines: list[str] = []
    budget = max_chars - (len(tail) + 1 if tail else 0) - 40
    for n, (lang, ivs) in enumerate(uncovered):
        runs = group_gaps(ivs, tz)
        total = sum((e - s for s, e in ivs), timedelta())
        items = [describe_gap_run(r, tz) for r in runs[:per_language]]
        more = len(runs) - len(items)
        if more > 0:
            items.append(f"{more} more")
        name = escape(language_name(lang))
        code = f" ({escape(lang)})" if language_name(lang) != lang else ""
        line = (f":red_circle: *{name}*{code}, {_duration(total)} uncovered: "
                + escape("; ".join(items)))
        if sum(len(x) + 1 for x in lines) + len(line) > budget:
            left = len(uncovered) - n
            lines.append(f"…and gaps in {left} more language{'s' if left != 1 else ''}")
            break
        lines.append(line)
    if tail:
        lines.append(tail)
    return clip_mrkdwn("\n".join(lines), max_chars)


# --- the picture ---------------------------------------------------------------------

WIDTH = 1200
ROW_HEIGHT = 60
TOP = 56  # title and legend above the rows
BOTTOM = 44  # day labels and clock-change labels below them
PLOT_LEFT = 170
PLOT_RIGHT = WIDTH - 24
BAR_INSET = 13  # bar from row top + 13 to row bottom - 13

COLORS = {
    "background": (255, 255, 255),
    "text": (34, 34, 34),
    "muted": (105, 105, 105),
    "grid": (226, 226, 226),
    "row": (246, 246, 246),
    "covered": (86, 160, 141),  # calm green
    "gap": (214, 39, 40),  # red, and nothing else in the picture is red
    "dst": (106, 61, 154),  # purple dashed markers
}


@dataclass(frozen=True)
class ChartLayout:
    start: datetime  # UTC
    end: datetime
    languages: int

    @property
    def size(self) -> tuple[int, int]:
        return WIDTH, TOP + ROW_HEIGHT * max(self.languages, 1) + BOTTOM

    @property
    def plot_top(self) -> int:
        return TOP

    @property
    def plot_bottom(self) -> int:
        return TOP + ROW_HEIGHT * max(self.languages, 1)

    def x(self, instant: datetime) -> float:
        """Pixel column of `instant` (clamped to the plot)."""
        span = (self.end - self.start).total_seconds()
        frac = (timezones.utc(instant) - self.start).total_seconds() / span
        return PLOT_LEFT + min(max(frac, 0.0), 1.0) * (PLOT_RIGHT - PLOT_LEFT)

    def bar(self, row: int) -> tuple[int, int]:
        """Top and bottom pixel rows of the bar of language `row` (inclusive)."""
        y0 = TOP + row * ROW_HEIGHT
        return y0 + BAR_INSET, y0 + ROW_HEIGHT - BAR_INSET - 1


def chart_layout(start: datetime, days: int, languages: int) -> ChartLayout:
    return ChartLayout(timezones.utc(start), timezones.utc(start) + timedelta(days=days),
                       languages)


def _offset_change(at: datetime, zone: str) -> str:
    before = timezones.utc_offset(at - timedelta(seconds=1), zone)
    after = timezones.utc_offset(at, zone)
    minutes = round((after - before).total_seconds() / 60)
    sign = "+" if minutes >= 0 else "-"
    h, m = divmod(abs(minutes), 60)
    return f"{sign}{h} h" if not m else f"{sign}{h}:{m:02d} h"


def dst_markers(roster: Roster, start: datetime, end: datetime) -> list[tuple[datetime, str]]:
    """(instant, label) for every clock change of every rotation zone in [start, end);
    zones changing at the same instant share one marker."""
    zones = sorted({r.timezone for r in roster.team.rotations})
    at: dict[datetime, list[str]] = {}
    for zone in zones:
        for t in timezones.dst_changes(start, end, zone):
            at.setdefault(t, []).append(f"{zone} {_offset_change(t, zone)}")
    return [(t, ", ".join(labels)) for t, labels in sorted(at.items())]


def _hex(rgb: tuple[int, int, int]) -> str:
    r, g, b = rgb
    return f"#{r:02x}{g:02x}{b:02x}"


def _title(team: str, layout: ChartLayout) -> str:
    start, end = layout.start, layout.end
    return (f"Coverage by language · {team} · {start:%a} {start.day} {start:%b %Y %H:%M} to "
            f"{end:%a} {end.day} {end:%b %Y %H:%M} UTC")


def _legend(days: int, any_gap: bool, markers: bool) -> list[list[str]]:
    legend = [["covered", "on-call reader"],
              ["gap", "gap: nobody on call reads it"] if any_gap else
              ["none", "no gaps in this window"]]
    if markers:
        legend.append(["dst", "clock change (DST) in a rotation's zone"])
    legend.append(["none", f"{days} day{'s' if days != 1 else ''}, times in UTC"])
    return legend


def _ticks(layout: ChartLayout, days: int) -> list[list]:
    """Midnights UTC, labelled at a step that leaves room (about 7 pixels a character);
    the others are grid lines only."""
    px_per_day = (PLOT_RIGHT - PLOT_LEFT) / days
    wide = px_per_day >= 64
    need = (10 if wide else 6) * 7 + 10
    step = next((k for k in (1, 2, 3, 7, 14, 28, 56) if k * px_per_day >= need), 91)
    first = datetime.combine(layout.start.date(), datetime.min.time(),
                             tzinfo=layout.start.tzinfo)
    if first < layout.start:
        first += DAY
    ticks, midnight, n = [], first, 0
    while midnight < layout.end:
        label = ((f"{midnight:%a} {midnight.day} {midnight:%b}" if wide
                  else f"{midnight.day} {midnight:%b}") if n % step == 0 else "")
        if px_per_day >= 6 or label:
            ticks.append([(midnight - layout.start).total_seconds(), label])
        midnight += DAY
        n += 1
    return ticks


def coverage_spec(roster: Roster, start: datetime, days: int) -> dict:
    """The chart spec (`bot.charts.coverage`) of the team's per-language coverage over
    [start, start + days) in UTC."""
    if days < 1:
        raise ValueError("days must be at least 1")
    langs = list(roster.team.languages)
    layout = chart_layout(start, days, len(langs))
    gaps = roster.coverage_gaps(layout.start, layout.end, langs) if langs else {}
    markers = dst_markers(roster, layout.start, layout.end)
    span = (layout.end - layout.start).total_seconds()
    pixel = span / (PLOT_RIGHT - PLOT_LEFT)  # a gap is at least one pixel wide

    def secs(t: datetime) -> float:
        return min(max((timezones.utc(t) - layout.start).total_seconds(), 0.0), span)

    rows = []
    for lang in langs:
        lang_gaps = gaps.get(lang, [])
        total = sum(((e - s) for s, e in lang_gaps), timedelta())
        note = "covered throughout" if not lang_gaps else (
            f"{len(lang_gaps)} gap{'s' if len(lang_gaps) != 1 else ''}, {_duration(total)}")
        rows.append({"label": f"{language_name(lang)} ({lang})", "note": note,
                     "gaps": [[secs(s), max(secs(e), secs(s) + pixel)] for s, e in lang_gaps]})
    return {"kind": "coverage", "title": _title(roster.team.name, layout),
            "size": list(layout.size), "plot": [PLOT_LEFT, PLOT_RIGHT, TOP, ROW_HEIGHT,
                                                BAR_INSET],
            "span": span, "rows": rows, "ticks": _ticks(layout, days),
            "markers": [[secs(t), label] for t, label in markers],
            "colors": {k: _hex(v) for k, v in COLORS.items()},
            "legend": _legend(days, any(gaps.values()), bool(markers))}


def coverage_chart(roster: Roster, start: datetime, days: int) -> bytes:
    """A PNG of the team's per-language coverage over [start, start + days) in UTC,
    drawn with matplotlib in a child process (`bot.charts.child`; ChartError when it
    cannot be)."""
    return render(coverage_spec(roster, start, days))
