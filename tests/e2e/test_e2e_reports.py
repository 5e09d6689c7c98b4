"""Grouped reports end to end: requests filed through signed /emergency commands,
acknowledged, declined and resolved through the page buttons, the clock advanced; then
`oncall-bot report --by ... --json|--csv` on the same database, and its numbers compared
with an independent computation over the database rows in this file (percentiles by
linear interpolation written here, hour buckets with zoneinfo, not pytz).

The example team (schedules/example/safety-escalations.yaml): amer-ar-fr runs 09:00-17:00
America/Chicago with weekly handoffs on Tuesdays; Karim (U0AM00011, America/Chicago) has
the week from Tuesday 24 February and again from Tuesday 10 March, Rami (U0AM00010,
America/Toronto, the Arabic off-shift backup) the week between; Omar (U0EU00009,
Africa/Cairo) is the other Arabic backup. Chicago springs forward on Sunday
8 March 2026: 15:30 UTC on Monday 2 March is 09:30 CST, 14:30 UTC on Tuesday
10 March is 09:30 CDT (with the winter offset it would be 08:30, sleep hours).
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.cli import main
from bot.slack import ids
from bot.store.paging_tables import PageRow, RequestRow
from tests.slack_harness import ToolHarness, has_action, list_first, page_id_of, resolve_values, utc

KARIM = "U0AM00011"
RAMI = "U0AM00010"
REQUESTER = "U0REQ0001"
OMAR = "U0EU00009"
ZONES = {KARIM: "America/Chicago", RAMI: "America/Toronto", OMAR: "Africa/Cairo"}


def _page(h, user: str, ticket: str, count: int) -> str:
    h.standin.wait_for(
        lambda c: c.method == "chat.postMessage" and c.ok and c.params.get("channel") == user
        and has_action(c.params.get("blocks"), ids.ACK),
        count=count, description=f"{count} page DM(s) to {user}")
    for call in reversed(h.page_posts(user)):
        if f"· {ticket} ·" in call.params["text"]:
            return page_id_of(call.params)
    raise AssertionError(f"no page for {ticket} to {user}")


def _file(h, text: str) -> None:
    r = h.command("/emergency", text, user=REQUESTER)
    assert r.status == 200 and "T-" in r.json()["text"], r.text


def _click(h, action: str, value: str, user: str) -> None:
    r = h.click(action, value, user)
    assert r.status == 200, r.text


def _resolve(h, request_id: int, user: str, count: int) -> None:
    _click(h, ids.RESOLVE, str(request_id), user)
    view = h.wait_view_opened(ids.RESOLVE_MODAL, count=count)[-1].response["view"]
    r = h.submit_view(ids.RESOLVE_MODAL, resolve_values("Taken down; reported"), user,
                      str(request_id), view["id"])
    assert r.status == 200, r.text


@pytest.fixture
def story(tmp_path, db_url):
    """Three requests: T-1 Karim acknowledges after 2 min and resolves 10 min later;
    T-2 Karim declines, the off-shift backup Rami takes it after 5 min (one escalation
    past the first step); T-3, eight days later after the DST change, Karim acknowledges
    after 1 min and resolves after 40."""
    h = ToolHarness(tmp_path, utc(2026, 3, 2, 15, 30), database_url=db_url)
    list_first(h)  # Karim ahead of Omar on 10 March, when their shifts overlap
    _file(h, "sev2 lang:ar تهديد بتفجير مدرسة")
    t1 = _page(h, KARIM, "T-1", 1)
    h.advance(120)
    _click(h, ids.ACK, t1, KARIM)
    h.settle()
    h.advance(600)
    _resolve(h, 1, KARIM, 1)
    h.settle()

    h.advance(60)
    _file(h, "sev1 lang:ar بث مباشر لشخص يهدد بالانتحار الآن")
    _click(h, ids.DECLINE, _page(h, KARIM, "T-2", 2), KARIM)
    t2 = _page(h, RAMI, "T-2", 1)
    h.advance(300)
    _click(h, ids.ACK, t2, RAMI)
    h.settle()

    h.clock.advance((utc(2026, 3, 10, 14, 30) - h.clock.now()).total_seconds())
    _file(h, "sev2 lang:fr menace de bombe contre une école")
    t3 = _page(h, KARIM, "T-3", 3)
    h.advance(60)
    _click(h, ids.ACK, t3, KARIM)
    h.settle()
    h.advance(2340)
    _resolve(h, 3, KARIM, 2)
    h.settle()
    yield h
    h.quiet_close()


def _linear(values: list[float], q: float) -> float | None:
    if not values:
        return None
    data = sorted(values)
    pos = q * (len(data) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(data) - 1)
    return data[lo] + (data[hi] - data[lo]) * (pos - lo)


def _bucket(instant: datetime, tz: str) -> str:
    local = instant.astimezone(ZoneInfo(tz))
    if local.weekday() >= 5:
        return "sleep"
    return ("business" if 9 <= local.hour < 18 else
            "evening" if 18 <= local.hour < 23 else "sleep")


def _rows(h) -> tuple[list[RequestRow], list[PageRow]]:
    with h.runtime.sessions() as session:
        reqs = list(session.scalars(select(RequestRow).order_by(RequestRow.id)))
        pages = list(session.scalars(select(PageRow).order_by(PageRow.id)))
        session.expunge_all()
    return reqs, pages


def _cli(monkeypatch, capsys, h, *argv: str) -> tuple[int, str, str]:
    monkeypatch.setenv("DATABASE_URL", h.database_url)
    capsys.readouterr()
    try:
        code = main(["report", *argv])
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


PERIOD = ("--from", "2026-03-01", "--to", "2026-03-31")


def test_by_language_json_equals_a_computation_over_the_rows(story, monkeypatch, capsys):
    code, out, err = _cli(monkeypatch, capsys, story, *PERIOD, "--by", "language", "--json")
    assert code == 0, err
    doc = json.loads(out)  # stdout holds the JSON document and nothing else
    assert (doc["by"], doc["from"], doc["to"]) == ("language", "2026-03-01T00:00:00Z",
                                                  "2026-04-01T00:00:00Z")
    reqs, pages = _rows(story)
    assert len(reqs) == 3
    got = {r["key"]: r for r in doc["rows"]}
    assert set(got) == {r.language for r in reqs} == {"ar", "fr"}
    for lang, row in got.items():
        mine = [r for r in reqs if r.language == lang]
        acks = [(r.acknowledged_utc - r.created_utc).total_seconds() for r in mine
                if r.acknowledged_utc]
        fixes = [(r.resolved_utc - r.created_utc).total_seconds() for r in mine
                 if r.resolved_utc]
        their_pages = [p for p in pages if p.request_id in {r.id for r in mine}]
        declined = sum(p.state == "declined" for p in their_pages)
        escalated = sum(1 for r in mine if (r.esc_round or 0, r.esc_step or 0) > (0, 0)
                        or any(p.step or p.round for p in their_pages if p.request_id == r.id))
        assert row["requests"] == len(mine)
        assert row["ack_p50_s"] == pytest.approx(_linear(acks, 0.5))
        assert row["ack_p95_s"] == pytest.approx(_linear(acks, 0.95))
        assert row["resolve_p50_s"] == (pytest.approx(_linear(fixes, 0.5)) if fixes else None)
        assert row["resolve_p95_s"] == (pytest.approx(_linear(fixes, 0.95)) if fixes else None)
        assert row["pages"] == len(their_pages)
        assert row["declines"] == declined
        assert row["decline_rate"] == pytest.approx(declined / len(their_pages))
        assert row["escalated"] == escalated
    # What the story did, in plain numbers: Arabic acknowledged after 2 and 5 minutes.
    assert got["ar"]["ack_p50_s"] == pytest.approx(210.0)
    assert got["ar"]["ack_p95_s"] == pytest.approx(120 + 0.95 * 180)
    # T-1 to Karim; T-2 to Karim (declined), then both Arabic backups, Rami and Omar.
    assert got["ar"]["declines"] == 1 and got["ar"]["pages"] == 4
    assert got["fr"]["ack_p50_s"] == pytest.approx(60.0)
    assert got["fr"]["resolve_p50_s"] == pytest.approx(2400.0)


def test_by_person_csv_hour_buckets_in_their_own_zone_across_dst(story, monkeypatch, capsys):
    code, out, err = _cli(monkeypatch, capsys, story, *PERIOD, "--by", "person", "--csv")
    assert code == 0, err
    table = list(csv.DictReader(io.StringIO(out)))
    assert table and "business_pages" in table[0] and "oncall_hours" in table[0]
    got = {r["key"]: r for r in table}
    _, pages = _rows(story)
    buckets: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for p in pages:
        buckets[p.user][_bucket(p.sent_utc, ZONES[p.user])] += 1
    for user in (KARIM, RAMI):
        row = got[user]
        assert int(row["pages"]) == sum(buckets[user].values())
        for b in ("business", "evening", "sleep"):
            assert int(row[f"{b}_pages"]) == buckets[user][b], (user, b)
        assert row["region"] == "Americas" and row["zone"] == ZONES[user]
    # 14:30 UTC on 10 March is 09:30 in Chicago (summer time): business, not sleep.
    assert buckets[KARIM]["business"] == 3 == int(got[KARIM]["pages"])
    assert int(got[KARIM]["declines"]) == 1
    # Weekly turns from Tuesdays, 8 hours a day: Karim has 1-2, 10-16 and 24-30 March
    # (16 days), Rami 3-9, 17-23 and 31 March (15 days).
    assert float(got[KARIM]["oncall_hours"]) == pytest.approx(8 * 16)
    assert float(got[RAMI]["oncall_hours"]) == pytest.approx(8 * 15)


def test_by_region_and_severity(story, monkeypatch, capsys):
    code, out, _ = _cli(monkeypatch, capsys, story, *PERIOD, "--by", "region", "--json")
    assert code == 0
    rows = json.loads(out)["rows"]
    assert [(r["key"], r["requests"]) for r in rows] == [("Americas", 3)]
    code, out, _ = _cli(monkeypatch, capsys, story, *PERIOD, "--by", "severity", "--csv")
    assert code == 0
    table = list(csv.DictReader(io.StringIO(out)))
    assert [(r["key"], r["requests"], r["escalated"]) for r in table] == [
        ("sev1", "1", "1"), ("sev2", "2", "0")]


def _tier(h, user: str, at: datetime) -> str:
    """Written here from the roster's plain assignment list (not its on-call index):
    the tier of a rotation `user` was on call through at `at`, primary first."""
    roster = h.runtime.rosters.get("safety-escalations")
    tiers = {a.tier for a in roster.assignments(at, at + timedelta(microseconds=1),
                                                include_uncovered=False)
             if a.user == user and a.start <= at < a.end}
    return "primary" if "primary" in tiers else "secondary" if tiers else "off rotation"


def test_by_tier_json_and_csv_equal_a_computation_over_the_rows(story, monkeypatch, capsys):
    code, out, err = _cli(monkeypatch, capsys, story, *PERIOD, "--by", "tier", "--json")
    assert code == 0, err
    got = {r["key"]: r for r in json.loads(out)["rows"]}
    reqs, pages = _rows(story)
    expected: dict[str, list[RequestRow]] = defaultdict(list)
    for r in reqs:  # the assignee's first page of the request, the tier then
        first = min((p for p in pages if p.request_id == r.id and p.user == r.assignee),
                    key=lambda p: p.sent_utc)
        expected[_tier(story, r.assignee, first.sent_utc)].append(r)
    assert set(got) == set(expected)
    for tier, mine in expected.items():
        acks = [(r.acknowledged_utc - r.created_utc).total_seconds() for r in mine]
        assert got[tier]["requests"] == len(mine)
        assert got[tier]["ack_p50_s"] == pytest.approx(_linear(acks, 0.5))
        assert got[tier]["ack_p95_s"] == pytest.approx(_linear(acks, 0.95))
    # Karim took T-1 and T-3 on his amer-ar-fr shifts (primary); Rami, the off-shift
    # backup, took T-2.
    assert [(r["key"], r["requests"]) for r in json.loads(out)["rows"]] == [
        ("primary", 2), ("off rotation", 1)]
    code, out, err = _cli(monkeypatch, capsys, story, *PERIOD, "--by", "tier", "--csv")
    assert code == 0, err
    table = list(csv.DictReader(io.StringIO(out)))
    assert [(r["key"], r["requests"]) for r in table] == [("primary", "2"),
                                                          ("off rotation", "1")]


def test_bad_arguments_name_the_problem_with_an_example(story, monkeypatch, capsys):
    code, out, err = _cli(monkeypatch, capsys, story, "--from", "2026-03-31", "--to",
                          "2026-03-01", "--by", "person", "--json")
    assert code != 0 and out == ""
    assert "--to 2026-03-01 is before --from 2026-03-31" in err and "example:" in err
    code, out, err = _cli(monkeypatch, capsys, story, *PERIOD, "--by", "shift")
    assert code != 0 and out == "" and "--by" in err and "example:" in err
    code, out, err = _cli(monkeypatch, capsys, story, "--from", "March", "--to",
                          "2026-03-01", "--by", "person")
    assert code != 0 and out == "" and "'March' is not an ISO date" in err
    code, out, err = _cli(monkeypatch, capsys, story, *PERIOD, "--by", "person", "--json",
                          "--csv")
    assert code != 0 and out == ""


def test_oncall_report_by_person_answers_a_table_for_managers(story):
    story.clock.advance((utc(2026, 3, 31, 23, 0) - story.clock.now()).total_seconds())
    r = story.command("/oncall", "report 30 by=person", user="U0MGR0001")
    assert r.status == 200, r.text
    doc = r.json()
    assert doc["response_type"] == "ephemeral"
    assert doc["blocks"][0]["text"]["text"] == "Response report by person, last 30 day(s)"
    table = doc["blocks"][2]["text"]["text"]
    lines = table.strip("`\n").splitlines()
    assert lines[0].split() == ["Person", "Pages", "Day", "Eve", "Sleep", "Decl", "On",
                                "call", "Exposure"]
    karim = next(ln for ln in lines if ln.startswith("Karim Mansour"))
    assert karim.split()[2:6] == ["3", "3", "0", "0"]  # pages, day, evening, sleep
    assert "U0AM00011" not in table  # people by name, not by Slack ID
    assert "own clock" in json.dumps(doc["blocks"][-1])
    by_lang = story.command("/oncall", "report 30 by=language", user="U0MGR0001").json()
    assert "Arabic (ar)" in by_lang["blocks"][2]["text"]["text"]
    by_tier = story.command("/oncall", "report 30 by=tier", user="U0MGR0001").json()
    tiers = by_tier["blocks"][2]["text"]["text"]
    assert "primary" in tiers and "off rotation" in tiers and "off-shift backup" in json.dumps(
        by_tier["blocks"][-1])
    refused = story.command("/oncall", "report by=person", user=KARIM).json()
    assert "manager" in refused["text"].lower()
    bad = story.command("/oncall", "report by=shift", user="U0MGR0001").json()
    assert "is not a grouping" in bad["text"] and "/oncall report 30 by=person" in bad["text"]


def test_fallback_and_category_from_a_translation_page(tmp_path, db_url, monkeypatch, capsys):
    """tests/fixtures/teams/routing-desk.yaml: nobody reads Arabic, so an Arabic request
    pages Bruno (U0RT00002) with a translation flag; a Spanish one is served."""
    from tests.slack_harness import FIXTURE_TEAMS

    h = ToolHarness(tmp_path, utc(2026, 7, 1, 12, 0),
                    schedules=FIXTURE_TEAMS / "routing-desk.yaml", database_url=db_url)
    try:
        _file(h, "sev2 lang:ar تهديد بتفجير مدرسة")
        h.advance(90)
        _click(h, ids.ACK, _page(h, "U0RT00002", "T-1", 1), "U0RT00002")
        _file(h, "sev2 lang:es primera amenaza en directo")
        h.settle()
        code, out, err = _cli(monkeypatch, capsys, h, "--from", "2026-07-01", "--to",
                              "2026-07-01", "--by", "language", "--json")
        assert code == 0, err
        got = {r["key"]: r for r in json.loads(out)["rows"]}
        reqs, pages = _rows(h)
        for lang in ("ar", "es"):
            mine = [r for r in reqs if r.language == lang]
            fell = [r for r in mine if r.language_served is False or any(
                p.needs_translation for p in pages if p.request_id == r.id)]
            assert got[lang]["fallback"] == len(fell)
            assert got[lang]["fallback_rate"] == len(fell) / len(mine)
        assert got["ar"]["fallback_rate"] == 1.0 and got["es"]["fallback_rate"] == 0.0
        code, out, err = _cli(monkeypatch, capsys, h, "--from", "2026-07-01", "--to",
                              "2026-07-01", "--by", "category", "--csv")
        assert code == 0, err
        table = list(csv.DictReader(io.StringIO(out)))
        assert sorted((r["key"], r["requests"]) for r in table) == sorted(
            (c, str(sum(r.category == c for r in reqs))) for c in {r.category for r in reqs})
        code, out, err = _cli(monkeypatch, capsys, h, "--from", "2026-07-01", "--to",
                              "2026-07-01", "--by", "language")
        assert code == 0 and out.startswith("Team ") and "ar: 1 request(s)" in out
    finally:
        h.quiet_close()
