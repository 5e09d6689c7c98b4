"""Calendar feeds (flow 7): secret, revocable iCalendar URLs served by the real WSGI app,
reflecting schedule changes at the moment of the request; SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import select

from bot.app.runtime import Runtime
from bot.clock import ManualClock
from bot.config import Settings
from bot.core.model import Override
from bot.demo.local_server import LocalServer
from bot.services import schedules as schedule_svc
from bot.services.errors import NotFound, ServiceError
from bot.services.feeds import FeedService
from bot.store.paging_tables import AuditRow
from bot.store.shift_tables import CalendarFeedRow
from tests.services.test_handoffs import DIEGO, LAYLA, SAMI, TEAM

PUBLIC = "https://oncall.example.test"
NOT_FOUND = b"Not Found"


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def app(db_url):
    clock = ManualClock(at(2026, 1, 6, 10, 0))
    settings = Settings(slack_bot_token="xoxb-test-token",
                        slack_signing_secret="test-signing-secret",
                        database_url=db_url, public_url=PUBLIC + "/")
    runtime = Runtime(settings, clock=clock)
    schedule_svc.import_teams(runtime.sessions, [TEAM])
    server = LocalServer(runtime.wsgi).start()
    runtime.test_server = server
    yield runtime
    server.stop()
    runtime.close()


def fetch(runtime: Runtime, url: str) -> tuple[int, str, bytes]:
    assert url.startswith(PUBLIC + "/calendar/")
    local = runtime.test_server.url + url[len(PUBLIC):]
    try:
        with urllib.request.urlopen(local, timeout=10) as r:
            return r.status, r.headers.get("Content-Type", ""), r.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers.get("Content-Type", ""), err.read()


def events(body: bytes) -> list:
    return Calendar.from_ical(body).walk("VEVENT")


def test_a_user_feed_serves_their_shifts_as_icalendar(app):
    url = app.feeds.issue("desk", "user", LAYLA.id, "U0MGR0001")
    token = url.rsplit("/", 1)[1].removesuffix(".ics")
    assert url == f"{PUBLIC}/calendar/{token}.ics" and len(token) == 32
    status, ctype, body = fetch(app, url)
    assert status == 200 and ctype.startswith("text/calendar")
    cal = Calendar.from_ical(body)
    assert str(cal["x-wr-calname"]) == "On call: Layla Haddad (desk)"
    evs = events(body)
    assert evs and {str(e["x-oncall-user"]) for e in evs} == {LAYLA.id}
    starts = sorted(e.decoded("dtstart") for e in evs)
    # 14 days back to 90 ahead, every other day (daily handoff between Layla and Sami).
    assert starts[0] == at(2026, 1, 5, 8)  # the rotation started on the 5th, with her
    assert starts[-1] >= at(2026, 4, 4, 8)
    assert at(2026, 1, 7, 8) in starts and at(2026, 1, 6, 8) not in starts
    assert all(str(e["summary"]).startswith("On call: Layla Haddad - day (primary)")
               for e in evs)


def test_rotation_and_team_feeds(app):
    late = fetch(app, app.feeds.issue("desk", "rotation", "late", "U0MGR0001"))[2]
    assert {str(e["x-oncall-user"]) for e in events(late)} == {DIEGO.id}
    assert all("late" in [str(c) for c in e["categories"].cats] for e in events(late))
    team = fetch(app, app.feeds.issue("desk", "team", None, "U0MGR0001"))[2]
    assert {str(e["x-oncall-user"]) for e in events(team)} == {LAYLA.id, SAMI.id, DIEGO.id}


def test_an_override_added_after_issuing_appears_in_the_next_fetch(app):
    url = app.feeds.issue("desk", "user", DIEGO.id, "U0MGR0001")
    before = [e.decoded("dtstart") for e in events(fetch(app, url)[2])]
    assert at(2026, 1, 8, 9) not in before
    team = dataclasses.replace(TEAM, overrides=(
        Override("day", DIEGO.id, at(2026, 1, 8, 9), at(2026, 1, 8, 11)),))
    schedule_svc.import_teams(app.sessions, [team])
    after = events(fetch(app, url)[2])
    (ov,) = [e for e in after if e.decoded("dtstart") == at(2026, 1, 8, 9)]
    assert ov.decoded("dtend") == at(2026, 1, 8, 11)
    assert str(ov["summary"]) == "On call: Diego Ramirez - day (primary) [override]"
    # ... and is gone from the person it replaced.
    sami = events(fetch(app, app.feeds.issue("desk", "user", SAMI.id, "U0MGR0001"))[2])
    jan8 = sorted((e.decoded("dtstart"), e.decoded("dtend")) for e in sami
                  if e.decoded("dtstart").date() == at(2026, 1, 8).date())
    assert jan8 == [(at(2026, 1, 8, 8), at(2026, 1, 8, 9)), (at(2026, 1, 8, 11),
                                                              at(2026, 1, 8, 16))]


def test_revoked_replaced_and_unknown_tokens_get_a_bare_404(app):
    first = app.feeds.issue("desk", "rotation", "day", "U0MGR0001")
    second = app.feeds.issue("desk", "rotation", "day", "U0MGR0002")  # replaces it
    assert fetch(app, first)[:2] == (404, "text/plain")
    assert fetch(app, first)[2] == NOT_FOUND
    assert fetch(app, second)[0] == 200
    assert app.feeds.revoke(second, "U0MGR0001") == 1
    assert app.feeds.revoke(second, "U0MGR0001") == 0  # already revoked
    unknown = f"{PUBLIC}/calendar/{'A' * 32}.ics"
    odd = f"{PUBLIC}/calendar/..%2F..%2Fetc%2Fpasswd"
    for url in (second, unknown, odd, f"{PUBLIC}/calendar/", second[:-4] + "x.ics"):
        status, _, body = fetch(app, url)
        assert (status, body) == (404, NOT_FOUND), url


def test_revoke_by_subject_and_the_audit_trail(app):
    mine = app.feeds.issue("desk", "user", SAMI.id, SAMI.id)
    token = mine.rsplit("/", 1)[1].removesuffix(".ics")
    assert app.feeds.revoke(("user", SAMI.id), "U0MGR0001", team="desk") == 1
    assert fetch(app, mine)[0] == 404
    with app.reads() as s:
        rows = s.scalars(select(AuditRow).where(AuditRow.team == "desk")
                         .order_by(AuditRow.id)).all()
        feed = s.scalars(select(CalendarFeedRow)).one()
    assert [(r.actor, r.action) for r in rows] == [(SAMI.id, "feed_issued"),
                                                   ("U0MGR0001", "feed_revoked")]
    assert all(token not in str(r.detail) for r in rows)  # the secret is not in the audit
    assert rows[0].detail["subject"] == SAMI.id and rows[0].detail["token"] == token[:4] + "..."
    assert (feed.token, feed.created_by, feed.revoked_utc) == (token, SAMI.id,
                                                               at(2026, 1, 6, 10))


def test_issue_refuses_what_it_cannot_serve(app):
    with pytest.raises(NotFound, match="no rotation named 'nope'"):
        app.feeds.issue("desk", "rotation", "nope", "U0MGR0001")
    with pytest.raises(NotFound):
        app.feeds.issue("desk", "user", "U0NOBODY1", "U0MGR0001")
    with pytest.raises(NotFound):
        app.feeds.issue("other-team", "team", None, "U0MGR0001")
    with pytest.raises(ServiceError, match="not a feed scope"):
        app.feeds.issue("desk", "everyone", None, "U0MGR0001")
    no_url = FeedService(app.sessions, app.rosters, app.clock, None)
    with pytest.raises(ServiceError, match="ONCALL_PUBLIC_URL"):
        no_url.issue("desk", "team", None, "U0MGR0001")
    with app.reads() as s:
        assert s.scalars(select(CalendarFeedRow)).all() == []


def test_the_window_moves_with_the_clock(app):
    url = app.feeds.issue("desk", "user", LAYLA.id, "U0MGR0001")
    app.clock.advance(timedelta(days=30))
    starts = sorted(e.decoded("dtstart") for e in events(fetch(app, url)[2]))
    assert starts[0] >= at(2026, 1, 22) and starts[-1] >= at(2026, 5, 4)
