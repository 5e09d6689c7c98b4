"""End to end: `/oncall me`, `who`, `shifts` and `report` answer in Block Kit (a header,
a line per shift or per language, context lines) with a readable `text` beside them;
`report` splits by severity and counts as escalated every request that went past its
first step.

The team is schedules/safety-escalations.yaml at Wed 2026-07-01 12:00 UTC (Omar on call
for Arabic and French, João for Spanish and Portuguese)."""

from __future__ import annotations

import pytest

from bot.slack import ids
from tests.e2e.test_e2e_oncall import JOAO, MGR, OMAR, STRANGER, TEAM
from tests.slack_harness import ToolHarness, page_id_of, utc


@pytest.fixture
def slack(tmp_path):
    h = ToolHarness(tmp_path, utc(2026, 7, 1, 12, 0))
    yield h
    h.quiet_close()


def reply(h: ToolHarness, text: str, user: str) -> dict:
    r = h.command("/oncall", text, user=user)
    assert r.status == 200, r.text
    doc = r.json()
    assert doc["response_type"] == "ephemeral" and doc["text"], doc
    return doc


def kinds(doc: dict) -> list[str]:
    return [b["type"] for b in doc["blocks"]]


def header(doc: dict) -> str:
    return doc["blocks"][0]["text"]["text"]


def section_lines(doc: dict) -> list[str]:
    return [ln for b in doc["blocks"] if b["type"] == "section" and "text" in b
            for ln in b["text"]["text"].splitlines()]


def context(doc: dict) -> str:
    return " ".join(e["text"] for b in doc["blocks"] if b["type"] == "context"
                    for e in b["elements"])


def test_me_is_a_card_with_a_line_per_shift_in_their_zone(slack):
    doc = reply(slack, "me", OMAR)
    assert kinds(doc)[:3] == ["header", "context", "section"] and header(doc) == "Omar Farouk"
    fields = {f["text"].split("\n")[0]: f["text"].split("\n")[1]
              for f in doc["blocks"][2]["fields"]}
    assert fields == {"*Time zone*": "Africa/Cairo", "*Reads (strongest first)*": "ar, en, fr",
                      "*Backup off shift*": "ar", "*Rotations*": "emea-ar-fr (2 of 2)",
                      "*Skills*": "le_requests, self_harm"}  # the example's
    shifts = [ln for ln in section_lines(doc) if ln.startswith("• ")]
    assert shifts[0] == "• emea-ar-fr Wed 2026-07-01 09:00-17:00 EEST"
    assert len(shifts) == 8 and not any(";" in ln for ln in shifts)
    assert "/oncall away" in context(doc)
    # The text beside the blocks says the same, a line per shift.
    assert "\n• emea-ar-fr Thu 2026-07-02 09:00-17:00 EEST\n" in doc["text"]


def test_who_has_a_line_per_language_and_per_shift(slack):
    doc = reply(slack, "who", STRANGER)
    assert header(doc) == "On call now"
    lines = section_lines(doc)
    assert "*By language*" in lines and "*Shifts going on now*" in lines
    assert f"• *Arabic* (ar): <@{OMAR}>" in lines
    assert f"• *Spanish* (es): <@{JOAO}>" in lines
    shift = [ln for ln in lines if "`emea-ar-fr`" in ln]
    assert len(shift) == 1 and "<!date^" in shift[0] and "→" in shift[0]
    assert "your own time zone" in context(doc)
    assert doc["text"].startswith("*On call now*")

    one = reply(slack, "who ar", STRANGER)
    assert header(one) == "On call for Arabic"
    assert section_lines(one)[0] == "*Best first*"
    assert f"<@{OMAR}>" in section_lines(one)[1]


def test_shifts_has_a_line_per_shift_and_says_whose(slack):
    mine = reply(slack, "shifts", OMAR)
    assert header(mine) == "Your shifts, next 7 day(s)"
    lines = [ln for ln in section_lines(mine) if ln.startswith("•")]
    assert len(lines) == 6 and all("`emea-ar-fr`" in ln for ln in lines)
    assert "/oncall away" in context(mine)

    rot = reply(slack, "shifts emea-ar-fr 8", STRANGER)
    assert header(rot) == "Shifts, next 8 day(s)" and "Of `emea-ar-fr`" in context(rot)
    lines = [ln for ln in section_lines(rot) if ln.startswith("•")]
    assert len(lines) == 9 and f"<@{OMAR}>" in lines[0]
    # Twelve lines to a section at most, so a long list stays inside Slack's limits.
    long = reply(slack, "shifts 30", MGR)
    assert all(len(b["text"]["text"]) <= 3000 and b["text"]["text"].count("\n") < 12
               for b in long["blocks"] if b["type"] == "section")
    assert len(long["blocks"]) <= 50


def test_report_splits_by_severity_and_counts_requests_past_their_first_step(slack):
    for text in ("sev1 lang:ar بث مباشر لشخص يهدد بالانتحار الآن",
                 "sev2 lang:es amenaza en directo a una escuela",
                 "sev3 lang:ar تهديد بتفجير مدرسة"):
        assert slack.command("/emergency", text).status == 200
    [es_page] = slack.wait_for_page(JOAO)
    slack.click(ids.ACK, page_id_of(es_page), JOAO)  # Spanish: answered at its first step
    slack.settle()
    # sev1's first step waits 2 minutes: then it goes on to every Arabic reader (Omar
    # again, so nobody new is paged) and on. sev3's first step waits 15 minutes.
    slack.advance(150)

    doc = reply(slack, "report 7", MGR)
    assert header(doc) == "Response report, last 7 day(s)"
    assert f"Team {TEAM} · 2026-06-24 to 2026-07-01 (UTC) · 3 request(s), 1 escalated" \
        in context(doc)
    lines = section_lines(doc)
    sev = lines[lines.index("*By severity*") + 1:lines.index("*By severity*") + 4]
    assert [ln.split(":")[0] for ln in sev] == ["• *SEV1*", "• *SEV2*", "• *SEV3*"]
    assert "1 filed · 0 acknowledged" in sev[0] and "· 1 escalated ·" in sev[0]
    assert "1 filed · 1 acknowledged" in sev[1] and "· 0 escalated ·" in sev[1]
    assert "· 0 escalated ·" in sev[2]
    langs = lines[lines.index("*By language*") + 1:]
    assert langs[0].startswith("• *Arabic (ar)*: 2 filed") and "· 1 escalated ·" in langs[0]
    assert langs[1].startswith("• *Spanish (es)*: 1 filed")
    assert "went past its first step" in context(doc)
    # The text says it too, by severity and by language.
    assert doc["text"].startswith(f"*Response report, {TEAM}*")
    assert "By severity:\n`sev1` 1 filed, 0 acknowledged (median -, p90 -), 1 escalated" \
        in doc["text"]


def test_an_empty_report_says_so(slack):
    doc = reply(slack, "report", MGR)
    assert "No requests in this period." in section_lines(doc)
    assert "0 request(s), 0 escalated" in context(doc)
