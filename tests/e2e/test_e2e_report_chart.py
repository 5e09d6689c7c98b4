"""`/oncall report` in Slack answers with the table and a chart (PNG): the table in the
command's ephemeral reply at once; the chart drawn in a child process and uploaded with
Slack's upload flow to the manager's direct messages; a second ephemeral reply says it
was sent, or why there is none (the table answers either way). The serving process
never imports matplotlib. The story is `tests/e2e/test_e2e_reports.py`'s."""

from __future__ import annotations

import json
import struct
import sys

from bot.charts.child import PNG_MAGIC
from tests.e2e.test_e2e_reports import story  # noqa: F401 - the fixture
from tests.slack_harness import utc

MANAGER = "U0MGR0001"


def _ask(h, text: str) -> tuple[dict, list[dict]]:
    h.clock.advance((utc(2026, 3, 31, 23, 0) - h.clock.now()).total_seconds())
    responses = h.capture_responses()
    r = h.command("/oncall", text, user=MANAGER,
                  response_url=f"{h.standin.origin}/response/report")
    assert r.status == 200, r.text
    return r.json(), responses


def test_report_answers_the_table_and_uploads_a_png_to_the_managers_dm(story):  # noqa: F811
    doc, _ = _ask(story, "report 30 by=language")
    assert doc["response_type"] == "ephemeral"
    shown = json.dumps(doc["blocks"], ensure_ascii=False)
    assert "Arabic (ar)" in shown and "Ack p50" in shown  # the table, at once
    assert "on its way to your direct messages" in shown
    note = story.wait_response("is in your direct messages", timeout=60)
    assert note["text"].startswith(":bar_chart: The chart of your response report by "
                                   "language, last 30 day(s)")
    [done] = story.standin.calls_to("files.completeUploadExternal")
    assert done.ok and done.params["channel_id"] == story.standin.workspace.dm_channel(MANAGER)
    [entry] = done.params["files"]
    assert entry["title"] == "Response report by language, last 30 day(s)"
    png = story.standin.file(entry["id"])["content"]
    assert png.startswith(PNG_MAGIC) and 10_000 < len(png) < 500_000
    width, height = struct.unpack(">II", png[16:24])
    assert width == 900 and 200 <= height <= 600
    assert "1 Mar 2026 to 31 Mar 2026" in done.params["initial_comment"]
    assert "matplotlib" not in sys.modules  # drawn in a child process


def test_report_without_by_charts_by_language_and_by_person_charts_pages(story):  # noqa: F811
    _ask(story, "report 30")
    story.wait_response("is in your direct messages", timeout=60)
    _ask(story, "report 30 by=person")
    story.wait_response("report by person", timeout=60)
    titles = [c.params["files"][0]["title"]
              for c in story.standin.calls_to("files.completeUploadExternal") if c.ok]
    assert titles == ["Response report by language, last 30 day(s)",
                      "Response report by person, last 30 day(s)"]


def test_when_the_upload_fails_the_table_still_answers_and_says_why(story):  # noqa: F811
    story.standin.fail_next("files.getUploadURLExternal", status=200, error="not_allowed")
    doc, _ = _ask(story, "report 30 by=severity")
    assert "sev1" in json.dumps(doc["blocks"])  # the table answered
    note = story.wait_response("No chart this time", timeout=60)
    assert "Slack did not accept the picture (it answered not_allowed)" in note["text"]
    assert "Every number is in the table" in note["text"]
    assert story.standin.calls_to("files.completeUploadExternal") == []
    # The next report has its chart again.
    _ask(story, "report 30 by=severity")
    story.wait_response("is in your direct messages", timeout=60)
