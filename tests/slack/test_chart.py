"""The coverage chart (a PNG drawn with matplotlib in a child process, checked pixel by
pixel against the geometry its spec fixes) and the gap list text."""

from __future__ import annotations

import io
import sys
from datetime import UTC, date, datetime, time, timedelta

import pytest
from PIL import Image

from bot.core.model import Rotation, Specialist, Team
from bot.core.roster import Roster
from bot.demo.slack_standin import SlackStandIn
from bot.slack import chart
from bot.slack.chart import (
    COLORS,
    GapRun,
    chart_layout,
    coverage_chart,
    describe_gap_run,
    gap_list_text,
    group_gaps,
)
from bot.slack.client import make_web_client

ALL = frozenset(range(7))
A, B, C = "U0CH00001", "U0CH00002", "U0CH00003"
SPECIALISTS = (
    Specialist(A, "A", "Asia/Singapore", ("ar", "en")),
    Specialist(B, "B", "Europe/Paris", ("fr", "en")),
    Specialist(C, "C", "America/Chicago", ("ar", "fr", "en", "es")),
)


def team(*rotations: Rotation, languages=("en", "ar", "fr")) -> Team:
    return Team(name="chart-desk", languages=languages, intake_channel="C0INTAKE01",
                escalation_channel="C0ESCAL01", specialists=SPECIALISTS, rotations=rotations)


def rot(name, tz, start, end, members, tier="primary", first=date(2026, 1, 5)) -> Rotation:
    return Rotation(name, tz, start, end, ALL, 7, first, tier, members)


# Everyone around the clock, all in UTC: no gaps and no clock changes.
FULL = team(rot("all-day", "UTC", time(0), time(0), (C,)))
# Arabic and English 00:00-12:00 UTC only (A), French never: gaps every day.
GAPPY = team(rot("early", "UTC", time(0), time(12), (A,)))
# Full coverage through a Dublin rotation: Dublin changes clocks on 29 March 2026 01:00 UTC.
DUBLIN = team(rot("dublin", "Europe/Dublin", time(0), time(0), (C,)))
EU_CHANGE = datetime(2026, 3, 29, 1, tzinfo=UTC)
START = datetime(2026, 3, 20, tzinfo=UTC)


def is_red(px) -> bool:
    r, g, b = px[:3]
    return r > 180 and g < 90 and b < 90


def open_png(data: bytes) -> Image.Image:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    img = Image.open(io.BytesIO(data))
    img.load()
    return img.convert("RGB")


def red_pixels(img: Image.Image) -> int:
    data = img.tobytes()  # RGB, three bytes a pixel
    return sum(1 for i in range(0, len(data), 3) if is_red(data[i:i + 3]))


# --- the picture ---------------------------------------------------------------------


@pytest.mark.parametrize("days", [1, 7, 14, 40, 90])
@pytest.mark.parametrize("roster_team", [FULL, GAPPY, DUBLIN], ids=["full", "gappy", "dublin"])
def test_png_opens_with_the_expected_size(roster_team, days):
    img = open_png(coverage_chart(Roster(roster_team), START, days))
    assert img.size == (1200, 100 + 60 * len(roster_team.languages))


def test_red_exactly_when_there_are_gaps():
    assert red_pixels(open_png(coverage_chart(Roster(FULL), START, 14))) == 0
    assert red_pixels(open_png(coverage_chart(Roster(DUBLIN), START, 14))) == 0
    assert red_pixels(open_png(coverage_chart(Roster(GAPPY), START, 14))) > 0


def test_gaps_are_red_where_they_are_and_covered_time_is_not():
    roster = Roster(GAPPY)
    img = open_png(coverage_chart(roster, START, 14))
    layout = chart_layout(START, 14, 3)
    noon, six = START + timedelta(hours=6), START + timedelta(hours=18)
    for row in range(3):  # en, ar, fr
        y = sum(layout.bar(row)) // 2
        at_six = img.getpixel((round(layout.x(noon)), y))
        at_eighteen = img.getpixel((round(layout.x(six)), y))
        assert is_red(at_eighteen)  # nobody after 12:00 UTC
        assert is_red(at_six) == (row == 2)  # French has nobody at all
        if row < 2:
            assert at_six == COLORS["covered"]


def test_a_short_gap_is_still_visible_over_90_days():
    # One minute uncovered in 90 days is far less than a pixel: drawn one pixel wide.
    short = team(rot("almost", "UTC", time(0, 1), time(0), (C,)), languages=("en",))
    img = open_png(coverage_chart(Roster(short), START, 90))
    assert red_pixels(img) > 0


def test_dst_markers_are_drawn_in_the_marker_column():
    img = open_png(coverage_chart(Roster(DUBLIN), START, 14))
    layout = chart_layout(START, 14, 3)
    x = round(layout.x(EU_CHANGE))
    dst = COLORS["dst"]
    column = [img.getpixel((xx, y)) for xx in (x - 1, x, x + 1)
              for y in range(layout.plot_top, layout.plot_bottom)]
    assert column.count(dst) > (layout.plot_bottom - layout.plot_top) // 2  # dashed
    # Dashed: some pixels in the column are not the marker colour.
    assert any(img.getpixel((x, y)) != dst for y in range(layout.plot_top, layout.plot_bottom))
    # Elsewhere, and in a chart with no clock change, nothing is that colour in the plot.
    far = round(layout.x(START + timedelta(days=3)))
    assert all(img.getpixel((far, y)) != dst for y in range(layout.plot_top, layout.plot_bottom))
    plain = open_png(coverage_chart(Roster(FULL), START, 14))
    assert all(plain.getpixel((xx, y)) != dst for xx in (x - 1, x, x + 1)
               for y in range(layout.plot_top, layout.plot_bottom))


def test_dst_markers_per_zone_are_labelled():
    both = team(rot("dublin", "Europe/Dublin", time(0), time(0), (C,)),
                rot("chicago", "America/Chicago", time(0), time(0), (C,)))
    markers = chart.dst_markers(Roster(both), datetime(2026, 3, 1, tzinfo=UTC),
                                datetime(2026, 4, 1, tzinfo=UTC))
    assert markers == [
        (datetime(2026, 3, 8, 8, tzinfo=UTC), "America/Chicago +1 h"),
        (EU_CHANGE, "Europe/Dublin +1 h"),
    ]
    autumn = chart.dst_markers(Roster(both), datetime(2026, 10, 20, tzinfo=UTC),
                               datetime(2026, 11, 10, tzinfo=UTC))
    assert [label for _, label in autumn] == ["Europe/Dublin -1 h", "America/Chicago -1 h"]
    img = open_png(coverage_chart(Roster(both), datetime(2026, 3, 1, tzinfo=UTC), 40))
    layout = chart_layout(datetime(2026, 3, 1, tzinfo=UTC), 40, 3)
    for at, _ in markers:
        x = round(layout.x(at))
        assert COLORS["dst"] in [img.getpixel((x, y)) for y in range(layout.plot_top,
                                                                     layout.plot_bottom)]


def test_the_example_teams_march_gap():
    from pathlib import Path

    from bot.schedules.reader import load_team_file
    path = Path(__file__).resolve().parents[2] / "schedules" / "example" / "safety-escalations.yaml"
    if not path.exists():
        pytest.skip("example schedule not present")
    roster = Roster(load_team_file(path))
    start = datetime(2026, 3, 1, tzinfo=UTC)
    img = open_png(coverage_chart(roster, start, 40))
    assert img.size == (1200, 100 + 60 * len(roster.team.languages))
    assert red_pixels(img) > 0


def test_empty_team_and_bad_days():
    img = open_png(coverage_chart(Roster(team(languages=())), START, 7))
    assert img.size == (1200, 160) and red_pixels(img) == 0
    with pytest.raises(ValueError):
        coverage_chart(Roster(FULL), START, 0)


def test_the_spec_holds_the_gaps_markers_and_words():
    spec = chart.coverage_spec(Roster(GAPPY), START, 7)
    assert spec["kind"] == "coverage" and spec["span"] == 7 * 86400
    assert [r["label"] for r in spec["rows"]] == ["English (en)", "Arabic (ar)", "French (fr)"]
    assert spec["rows"][0]["gaps"][0] == [12 * 3600, 24 * 3600]  # 12:00-24:00 UTC
    assert spec["rows"][2]["gaps"] == [[0, 7 * 86400]] and spec["rows"][2]["note"] == (
        "1 gap, 7 d")
    assert ["gap", "gap: nobody on call reads it"] in spec["legend"]
    dublin = chart.coverage_spec(Roster(DUBLIN), START, 14)
    assert dublin["markers"] == [[(EU_CHANGE - START).total_seconds(), "Europe/Dublin +1 h"]]
    assert "matplotlib" not in sys.modules  # drawn in a child process only


def test_upload_through_the_standin():
    png = coverage_chart(Roster(GAPPY), START, 14)
    with SlackStandIn() as slack:
        client = make_web_client("xoxb-test", base_url=slack.url)
        resp = client.files_upload_v2(content=png, filename="coverage.png",
                                      title="Coverage", channel="C0MGRS001",
                                      initial_comment="gaps")
        file_id = resp["files"][0]["id"]
        stored = slack.file(file_id)
    assert stored["completed"] and stored["content"] == png


# --- grouping and text -------------------------------------------------------------------


def daily(first: date, days: int, start: time, hours: float) -> list[tuple[datetime, datetime]]:
    out = []
    for i in range(days):
        s = datetime.combine(first + timedelta(days=i), start, tzinfo=UTC)
        out.append((s, s + timedelta(hours=hours)))
    return out


def test_group_gaps_folds_daily_repeats():
    gaps = daily(date(2026, 3, 8), 21, time(22), 1)
    [run] = group_gaps(gaps)
    assert run == GapRun(gaps[0][0], gaps[0][1], gaps[-1][0], 21)
    assert describe_gap_run(run) == "daily 22:00-23:00 UTC, 8-28 Mar"


def test_short_runs_and_different_gaps_stay_single():
    two = daily(date(2026, 3, 8), 2, time(22), 1)
    assert [r.days for r in group_gaps(two)] == [1, 1]
    mixed = daily(date(2026, 3, 1), 3, time(22), 1) + daily(date(2026, 3, 4), 3, time(21), 2)
    assert [(r.days, r.start.hour) for r in group_gaps(mixed)] == [(3, 22), (3, 21)]
    skipped = daily(date(2026, 3, 1), 3, time(22), 1) + daily(date(2026, 3, 5), 3, time(22), 1)
    assert [r.days for r in group_gaps(skipped)] == [3, 3]


def test_grouping_follows_the_display_zone_across_dst():
    # 22:00-23:00 UTC every day 20 March-5 April: in Dublin, 22:00 GMT then 23:00 IST.
    gaps = daily(date(2026, 3, 20), 17, time(22), 1)
    assert len(group_gaps(gaps)) == 1
    runs = group_gaps(gaps, "Europe/Dublin")
    assert [describe_gap_run(r, "Europe/Dublin") for r in runs] == [
        "daily 22:00-23:00 GMT, 20-28 Mar",
        "daily 23:00-00:00 IST, 29 Mar-5 Apr",
    ]


def test_describe_single_gaps():
    s = datetime(2026, 3, 14, 22, tzinfo=UTC)
    assert describe_gap_run(GapRun(s, s + timedelta(hours=1), s)) == \
        "Sat 14 Mar 22:00-23:00 UTC (1 h)"
    assert describe_gap_run(GapRun(s, s + timedelta(hours=4, minutes=30), s)) == \
        "Sat 14 Mar 22:00 – Sun 15 Mar 02:30 UTC (4 h 30 min)"
    assert describe_gap_run(GapRun(s, s + timedelta(days=3), s)) == \
        "Sat 14 Mar 22:00 – Tue 17 Mar 22:00 UTC (3 d)"
    # both zone names when the clock changes inside the gap
    d = datetime(2026, 3, 28, 22, tzinfo=UTC)
    assert describe_gap_run(GapRun(d, d + timedelta(hours=6), d), "Europe/Dublin") == \
        "Sat 28 Mar 22:00 GMT – Sun 29 Mar 05:00 IST (6 h)"


def test_gap_list_text():
    gaps = {
        "en": [],
        "ar": daily(date(2026, 3, 8), 21, time(22), 1),
        "fr": daily(date(2026, 3, 8), 21, time(22), 1)
        + [(datetime(2026, 3, 30, 1, tzinfo=UTC), datetime(2026, 3, 30, 2, tzinfo=UTC))],
        "es": [],
    }
    text = gap_list_text(gaps, None)
    lines = text.split("\n")
    assert lines[0] == (":red_circle: *Arabic* (ar), 21 h uncovered: "
                        "daily 22:00-23:00 UTC, 8-28 Mar")
    assert lines[1] == (":red_circle: *French* (fr), 22 h uncovered: "
                        "daily 22:00-23:00 UTC, 8-28 Mar; Mon 30 Mar 01:00-02:00 UTC (1 h)")
    assert lines[2] == "_Covered throughout:_ English, Spanish"
    assert "No coverage gaps" in gap_list_text({"en": [], "ar": []}, None)
    # in a zone
    assert "daily 06:00-07:00 UTC+08, 9-29 Mar" in gap_list_text(gaps, "Asia/Singapore")


def test_gap_list_text_fits_a_section():
    many = {f"x{i}": [(datetime(2026, 3, 1, h, tzinfo=UTC) + timedelta(days=d),
                       datetime(2026, 3, 1, h, 30, tzinfo=UTC) + timedelta(days=d))
                      for d in range(0, 60, 2) for h in (1, 5, 9)]
            for i in range(40)}
    text = gap_list_text(many, None)
    assert len(text) <= 3000
    assert "more" in text
    assert "<" not in text.replace("<!", "")


def test_gap_list_text_escapes():
    text = gap_list_text({"<b>&": [(START, START + timedelta(hours=1))]}, None)
    assert "&lt;b&gt;&amp;" in text and "<b>" not in text
