"""End to end, trend digests (PRODUCT.md "Crisis mode, sweeps, trends, reports"): signed
`/oncall trends` to the running app, the scheduled digest through the outbox to the
Slack stand-in, a manual clock (nothing here sleeps for a deadline).

Team: tests/fixtures/teams/category-desk.yaml (Amal, Arabic, in Asia/Amman), given a
plain "Violent threat" category, a sensitive "Child safety" one and a trends channel.
The week before is flat: one Violent threat request in Arabic handled by Amal in the
same six hours of each of the 7 days before. The planted rise: 9 in the last 6 hours,
7 of them about a "bridge attack"; a sensitive one and a purged one in the same group
carry marker words that must never appear.
"""

from __future__ import annotations

import dataclasses
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from bot.core.model import Category
from bot.services.trends import TrendService
from bot.store import teams as team_store
from bot.store.paging_tables import OutboxRow, RequestRow
from bot.store.shift_tables import NoticeCursorRow
from tests.slack_harness import FIXTURE_TEAMS, ToolHarness, utc

AMAL, EMIL = "U0CD00001", "U0CD00005"
MANAGER = "U0MGR0001"
START = utc(2026, 7, 8, 12, 0)
CHANNEL = "C0TRENDS1"
SECRET_WORD, PURGED_WORD = "zanzibarmarker", "quokkamarker"
THREAT = Category("violent-threat", "Violent threat", severity="sev2")
CHILD = Category("child-safety", "Child safety", severity="sev2", sensitive=True)


def harness(tmp_path, database_url=None, channel: str | None = CHANNEL) -> ToolHarness:
    h = ToolHarness(tmp_path, START, database_url=database_url,
                    schedules=FIXTURE_TEAMS / "category-desk.yaml")
    with h.runtime.sessions() as session, session.begin():
        team = team_store.load_team(session, "category-desk")
        team_store.save_team(session, dataclasses.replace(
            team, categories=(THREAT, CHILD), default_category="violent-threat",
            trends_channel=channel))
    return h


def add(h: ToolHarness, n: int, at, text: str, **extra) -> None:
    """`n` Violent threat requests in Arabic handled by Amal, filed at `at`."""
    with h.runtime.sessions() as session, session.begin():
        for i in range(n):
            session.add(RequestRow(
                key=f"seed-{at.isoformat()}-{text[:20]}-{i}", team="category-desk",
                requester="U0REQ0001", via="cli", text=text, severity="sev2",
                language="ar", language_source="explicit", status="resolved",
                assignee=AMAL, category="violent-threat", policy={}, exhausted=False,
                esc_token=0, created_utc=at + timedelta(minutes=i), **extra))


def flat_week(h: ToolHarness) -> None:
    for day in range(1, 8):
        add(h, 1, START - timedelta(days=day, hours=3), "threat against the mayor")


def planted_rise(h: ToolHarness) -> None:
    add(h, 7, START - timedelta(hours=2), "video of the bridge attack spreading")
    add(h, 1, START - timedelta(hours=1), f"bridge attack {SECRET_WORD} {SECRET_WORD}",
        sensitive=True)
    add(h, 1, START - timedelta(hours=1, minutes=30), f"bridge attack {PURGED_WORD}",
        purged_utc=START)


def oncall(h: ToolHarness, text: str, user: str) -> str:
    r = h.command("/oncall", text, user=user)
    assert r.status == 200, r.text
    body = r.json()
    return body.get("text", "") + json.dumps(body.get("blocks") or [], ensure_ascii=False)


def posts_to_trends(h: ToolHarness) -> list[str]:
    return [c.params.get("text", "") + json.dumps(c.params.get("blocks") or [],
                                                  ensure_ascii=False)
            for c in h.standin.calls_to("chat.postMessage")
            if c.params.get("channel") == CHANNEL]


@pytest.fixture
def desk_any_db(tmp_path, db_url):
    h = harness(tmp_path, db_url)
    yield h
    h.quiet_close()


def test_a_planted_rise_is_flagged_for_a_manager_without_sensitive_words(desk_any_db):
    h = desk_any_db
    flat_week(h)
    planted_rise(h)
    said = oncall(h, "trends", MANAGER)
    assert "1 rising in the last 6 hours" in said, said
    assert ("*Rising:* Violent threat · Arabic · Asia: 9 requests in the last 6 hours "
            "(usual: 1.0 for these hours)") in said, said
    assert "\u201cbridge attack\u201d (7)" in said, said
    assert SECRET_WORD not in said and PURGED_WORD not in said
    # A specialist is refused, plainly; nothing is shown.
    refused = oncall(h, "trends", AMAL)
    assert ("Only the team's managers can see trends. The digest is posted in <#C0TRENDS1> "
            "every 6h.") in refused, refused
    assert "bridge" not in refused
    assert "from 1 to 24" in oncall(h, "trends 48", MANAGER)


def test_a_flat_week_flags_nothing(desk_any_db):
    h = desk_any_db
    flat_week(h)
    add(h, 1, START - timedelta(hours=3), "threat against the mayor")
    said = oncall(h, "trends 6", MANAGER)
    assert "nothing unusual in the last 6 hours" in said, said
    assert "*Rising:*" not in said
    assert "Violent threat · Arabic · Asia: 1 request in the last 6 hours" in said


def test_the_scheduled_digest_goes_once_per_period(desk_any_db):
    h = desk_any_db
    flat_week(h)
    planted_rise(h)
    h.advance(1)  # the first pass only starts the team's cursor
    assert posts_to_trends(h) == []
    h.advance(6 * 3600 - 2)
    assert posts_to_trends(h) == []
    h.advance(2)  # six hours since the cursor started: one digest
    posts = posts_to_trends(h)
    assert len(posts) == 1 and "Trends for category-desk" in posts[0], posts
    assert SECRET_WORD not in posts[0] and PURGED_WORD not in posts[0]
    # Another worker's pass, and this one's again: nothing more this period.
    other = TrendService(h.runtime.sessions, h.runtime.rosters, h.clock)
    assert other.run() == 0 and h.runtime.trends.run() == 0
    h.advance(3600)
    assert len(posts_to_trends(h)) == 1
    # A restart loses nothing and sends nothing twice: the next period's digest, once.
    h.restart()
    h.advance(5 * 3600)
    h.advance(1)
    assert len(posts_to_trends(h)) == 2
    with h.runtime.sessions() as session:
        rows = [r for r in session.query(OutboxRow).all() if r.target == CHANNEL]
        cursor = session.get(NoticeCursorRow, ("category-desk", "trends"))
    assert len(rows) == 2 and cursor is not None


def test_a_team_without_a_trends_channel_gets_no_digest(tmp_path):
    h = harness(tmp_path, channel=None)
    try:
        flat_week(h)
        planted_rise(h)
        h.advance(1)
        h.advance(7 * 3600)
        assert posts_to_trends(h) == []
        assert "*Rising:*" in oncall(h, "trends 12", MANAGER)  # on demand still
    finally:
        h.quiet_close()


def test_two_workers_at_the_same_instant_send_one_digest(desk_any_db):
    h = desk_any_db
    planted_rise(h)
    h.advance(1)  # the cursor starts
    h.clock.advance(6 * 3600)  # due now; no pass of the runtime's yet
    workers = [TrendService(h.runtime.sessions, h.runtime.rosters, h.clock) for _ in range(2)]
    barrier = threading.Barrier(2)

    def run(w: TrendService) -> int:
        barrier.wait()
        return w.run()

    with ThreadPoolExecutor(2) as pool:
        sent = list(pool.map(run, workers))
    assert sorted(sent) == [0, 1]
    h.advance(1)
    assert len(posts_to_trends(h)) == 1


def test_requests_filed_through_emergency_count_by_who_was_paged(tmp_path):
    h = harness(tmp_path)
    try:
        for _ in range(4):  # nothing the week before: 4 is a rise, 3 would not be
            r = h.command("/emergency", "lang:ar bridge attack video spreading now",
                          user="U0REQ0001")
            assert r.status == 200, r.text
            h.settle()
            h.advance(60)
        said = oncall(h, "trends 1", MANAGER)
        assert ("*Rising:* Violent threat · Arabic · Asia: 4 requests in the last hour "
                "(usual: 0.0 for these hours)") in said, said
        assert "“bridge attack” (4)" in said, said
    finally:
        h.quiet_close()
