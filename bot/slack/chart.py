"""Coverage as a picture and as text, for `/oncall coverage` and the managers' Home tab.

- `coverage_chart(roster, start, days)`: a PNG drawn with Pillow. One row per team
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

Pure: no Slack calls, no database, no clock.
"""

from __future__ import annotations

import functools
import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

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


@functools.lru_cache(maxsize=8)  # one load per size, however many charts
def _font(size: int):
    from PIL import ImageFont

    try:
        return ImageFont.load_default(size=size)
    except (TypeError, AttributeError, OSError, ImportError):  # Pillow < 10.1, no FreeType
        return ImageFont.load_default()


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


def _text_width(draw, text: str, font) -> float:
    return draw.textlength(text, font=font)


def _fit(draw, text: str, font, width: float) -> str:
    if _text_width(draw, text, font) <= width:
        return text
    while text and _text_width(draw, text + "...", font) > width:
        text = text[:-1]
    return text + "..."  # ASCII: Pillow's default font has no ellipsis glyph


def _dashed_vline(draw, x: int, y0: int, y1: int, color, dash: int = 7,
                  gap: int = 4, width: int = 2) -> None:
    y = y0
    while y < y1:
        draw.line([(x, y), (x, min(y + dash, y1))], fill=color, width=width)
        y += dash + gap


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


def _draw_title_and_legend(draw, team: str, layout: ChartLayout, days: int, any_gap: bool,
                           markers: bool) -> None:
    """The title line, and a legend of what the colours and dashes mean."""
    start, end = layout.start, layout.end
    f_title, f_tick = _font(19), _font(12)
    span = f"{start:%a} {start.day} {start:%b %Y %H:%M} to {end:%a} {end.day} {end:%b %Y %H:%M} UTC"
    title = f"Coverage by language · {team} · {span}"
    draw.text((16, 8), _fit(draw, title, f_title, WIDTH - 32), font=f_title, fill=COLORS["text"])
    x, ly = 16.0, 34
    legend: list[tuple[str, str]] = [("covered", "on-call reader")]
    legend.append(("gap", "gap: nobody on call reads it") if any_gap else
                  ("none", "no gaps in this window"))
    if markers:
        legend.append(("dst", "clock change (DST) in a rotation's zone"))
    legend.append(("none", f"{days} day{'s' if days != 1 else ''}, times in UTC"))
    for kind, text in legend:
        if kind in ("covered", "gap"):
            draw.rectangle([x, ly + 2, x + 18, ly + 13], fill=COLORS[kind])
            x += 24
        elif kind == "dst":
            _dashed_vline(draw, int(x + 6), ly, ly + 15, COLORS["dst"], dash=4, gap=2)
            x += 16
        draw.text((x, ly), text, font=f_tick, fill=COLORS["muted"] if kind == "none"
                  else COLORS["text"])
        x += _text_width(draw, text, f_tick) + 22


def _draw_rows(draw, layout: ChartLayout, langs: list[str], gaps: dict) -> None:
    """Per language: a background band, its name and how many gaps it has."""
    f_label, f_small = _font(14), _font(11)
    top = layout.plot_top
    for i, lang in enumerate(langs):
        y0 = top + i * ROW_HEIGHT
        if i % 2 == 0:
            draw.rectangle([0, y0, WIDTH - 1, y0 + ROW_HEIGHT - 1], fill=COLORS["row"])
        name = _fit(draw, f"{language_name(lang)} ({lang})", f_label, PLOT_LEFT - 24)
        draw.text((16, y0 + 13), name, font=f_label, fill=COLORS["text"])
        lang_gaps = gaps.get(lang, [])
        total = sum(((e - s) for s, e in lang_gaps), timedelta())
        note = "covered throughout" if not lang_gaps else (
            f"{len(lang_gaps)} gap{'s' if len(lang_gaps) != 1 else ''}, "
            f"{_duration(total)}")
        draw.text((16, y0 + 32), _fit(draw, note, f_small, PLOT_LEFT - 24), font=f_small,
                  fill=COLORS["muted"])
    if not langs:
        draw.text((PLOT_LEFT, top + 20), "This team has no languages.", font=f_label,
                  fill=COLORS["muted"])


def _draw_day_ticks(draw, layout: ChartLayout, px_per_day: float) -> None:
    """Day ticks (midnight UTC) as grid lines, labels at a step that leaves room."""
    f_tick = _font(12)
    start, end = layout.start, layout.end
    top, bottom = layout.plot_top, layout.plot_bottom
    wide = px_per_day >= 64
    sample = "Wed 30 Sep" if wide else "30 Sep"
    need = _text_width(draw, sample, f_tick) + 10
    step = next((k for k in (1, 2, 3, 7, 14, 28, 56) if k * px_per_day >= need), 91)
    first = datetime.combine(start.date(), datetime.min.time(), tzinfo=start.tzinfo)
    if first < start:
        first += DAY
    midnight, n = first, 0
    draw.line([(PLOT_LEFT, bottom), (PLOT_RIGHT, bottom)], fill=COLORS["muted"], width=1)
    while midnight <= end:
        tx = round(layout.x(midnight))
        if px_per_day >= 6 or n % step == 0:
            draw.line([(tx, top), (tx, bottom - 1)], fill=COLORS["grid"], width=1)
        draw.line([(tx, bottom), (tx, bottom + 4)], fill=COLORS["muted"], width=1)
        if n % step == 0 and midnight < end:
            label = (f"{midnight:%a} {midnight.day} {midnight:%b}" if wide
                     else f"{midnight.day} {midnight:%b}")
            if tx + 3 + _text_width(draw, label, f_tick) <= WIDTH - 2:
                draw.text((tx + 3, bottom + 5), label, font=f_tick, fill=COLORS["muted"])
        midnight += DAY
        n += 1


def _draw_hour_ticks(draw, layout: ChartLayout, px_per_day: float) -> None:
    """Hours within the days when there is room: short windows (1-3 days) read better."""
    f_small = _font(11)
    start, end = layout.start, layout.end
    bottom = layout.plot_bottom
    hour_step = 3 if px_per_day >= 400 else 6 if px_per_day >= 150 else 0
    if hour_step:
        tick = datetime.combine(start.date(), datetime.min.time(), tzinfo=start.tzinfo)
        while tick <= end:
            if tick >= start and tick.hour:
                tx = round(layout.x(tick))
                draw.line([(tx, bottom), (tx, bottom + 3)], fill=COLORS["muted"], width=1)
                label = f"{tick:%H:%M}"
                if (px_per_day * hour_step / 24 >= _text_width(draw, label, f_small) + 12
                        and tx + 3 + _text_width(draw, label, f_small) <= WIDTH - 2):
                    draw.text((tx + 3, bottom + 6), label, font=f_small, fill=COLORS["muted"])
            tick += timedelta(hours=hour_step)


def _draw_bars(draw, layout: ChartLayout, langs: list[str], gaps: dict) -> None:
    """Bars: covered, then the gaps in red (at least one pixel wide each)."""
    for i, lang in enumerate(langs):
        b0, b1 = layout.bar(i)
        draw.rectangle([PLOT_LEFT, b0, PLOT_RIGHT - 1, b1], fill=COLORS["covered"])
        for s, e in gaps.get(lang, []):
            gx0 = math.floor(layout.x(s))
            gx1 = max(math.ceil(layout.x(e)) - 1, gx0)
            draw.rectangle([gx0, b0, min(gx1, PLOT_RIGHT - 1), b1], fill=COLORS["gap"])


def _draw_markers(draw, layout: ChartLayout, markers: list[tuple[datetime, str]]) -> None:
    """Clock changes: dashed markers across the rows; labels below the axis or, when
    that lane is taken there, in a white box at the top of the plot, above the first bar."""
    f_small, f_tick = _font(11), _font(12)
    top, bottom = layout.plot_top, layout.plot_bottom
    for at, _ in markers:
        _dashed_vline(draw, round(layout.x(at)), top, bottom, COLORS["dst"])
    lanes: list[list] = [[bottom + 23, f_tick, -1e9], [top, f_small, -1e9]]  # y, font, used
    for at, label in markers:
        mx = round(layout.x(at))
        placed = None
        for lane in lanes:
            fitted = _fit(draw, label, lane[1], max(WIDTH - 8 - mx, 160))
            w = _text_width(draw, fitted, lane[1])
            tx = mx + 4 if mx + 4 + w <= WIDTH - 4 else mx - 4 - w
            if tx > lane[2] + 6:
                placed = (lane, fitted, tx, w)
                break
        if placed is None:  # crowded: overlap in the lane that frees up first
            lane = min(lanes, key=lambda ln: ln[2])
            fitted = _fit(draw, label, lane[1], max(WIDTH - 8 - mx, 160))
            w = _text_width(draw, fitted, lane[1])
            tx = mx + 4 if mx + 4 + w <= WIDTH - 4 else mx - 4 - w
            placed = (lane, fitted, tx, w)
        lane, fitted, tx, w = placed
        if lane[0] == top:
            draw.rectangle([tx - 2, top, tx + w + 2, top + BAR_INSET - 1],
                           fill=COLORS["background"])
        draw.text((tx, lane[0]), fitted, font=lane[1], fill=COLORS["dst"])
        lane[2] = tx + w


def coverage_chart(roster: Roster, start: datetime, days: int) -> bytes:
    """A PNG of the team's per-language coverage over [start, start + days) in UTC."""
    if days < 1:
        raise ValueError("days must be at least 1")
    langs = list(roster.team.languages)
    layout = chart_layout(start, days, len(langs))
    gaps = roster.coverage_gaps(layout.start, layout.end, langs) if langs else {}
    markers = dst_markers(roster, layout.start, layout.end)

    # Pillow is loaded only when someone asks for a chart: the serving process stays small.
    from PIL import Image, ImageDraw

    img = Image.new("RGB", layout.size, COLORS["background"])
    draw = ImageDraw.Draw(img)
    _draw_title_and_legend(draw, roster.team.name, layout, days, any(gaps.values()),
                           bool(markers))
    _draw_rows(draw, layout, langs, gaps)
    px_per_day = (PLOT_RIGHT - PLOT_LEFT) / days
    _draw_day_ticks(draw, layout, px_per_day)
    _draw_hour_ticks(draw, layout, px_per_day)
    _draw_bars(draw, layout, langs, gaps)
    _draw_markers(draw, layout, markers)

    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()
