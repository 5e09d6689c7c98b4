"""Charts drawn in a child process (bot.charts): PNG bytes come back for good numbers,
a ChartError in plain words for bad ones or a child that cannot run, and the calling
process never imports matplotlib."""

from __future__ import annotations

import struct
import sys

import pytest

from bot.charts.child import PNG_MAGIC, ChartError, render

TIMES = {"kind": "times", "title": "Time to acknowledge by language",
         "subtitle": "Team safety · 1-31 Mar 2026 (UTC)",
         "rows": [{"label": "Arabic (ar)", "p50": 210.0, "p95": 291.0, "count": 2},
                  {"label": "French (fr)", "p50": None, "p95": None, "count": 1}]}
PAGES = {"kind": "pages", "title": "Pages per person", "subtitle": "last 30 days",
         "rows": [{"label": "Karim Mansour", "business": 3, "evening": 1, "sleep": 2}]}


def size(png: bytes) -> tuple[int, int]:
    return struct.unpack(">II", png[16:24])  # the IHDR chunk: width, height


@pytest.mark.parametrize("spec", [TIMES, PAGES, {**TIMES, "rows": []}])
def test_a_spec_comes_back_as_a_png_of_a_readable_size(spec):
    png = render(spec)
    assert png.startswith(PNG_MAGIC) and len(png) > 5000
    width, height = size(png)
    assert width == 900 and 150 <= height <= 2000
    assert "matplotlib" not in sys.modules


def test_numbers_it_cannot_draw_are_a_chart_error_in_words():
    with pytest.raises(ChartError, match="could not be drawn"):
        render({"kind": "pie", "rows": []})


def test_a_child_that_cannot_start_or_is_too_slow_is_a_chart_error(tmp_path):
    with pytest.raises(ChartError, match="could not start"):
        render(TIMES, python=str(tmp_path / "no-such-python"))
    with pytest.raises(ChartError, match="longer than 0 seconds"):
        render(TIMES, timeout=0.01)


def test_the_drawing_process_is_kept_and_replaced_when_it_dies():
    from bot.charts import child

    render(TIMES)
    drawer = child._drawers[sys.executable]  # noqa: SLF001 - the kept process itself
    first = drawer.proc
    render(PAGES)
    assert drawer.proc is first and first.poll() is None  # kept: no second start-up
    first.kill()
    first.wait()
    assert render(TIMES).startswith(PNG_MAGIC)  # a dead one is replaced on the next chart
    assert drawer.proc is not first


def test_a_bad_spec_does_not_lose_the_drawing_process():
    render(TIMES)
    with pytest.raises(ChartError, match="could not be drawn"):
        render({"kind": "pie", "rows": []})
    assert render(PAGES).startswith(PNG_MAGIC)
