"""Retention's purge as a use case: what it removes and keeps, requests of a team since
deleted, and two processes purging at once (each request purged once)."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import select

from bot.clock import ManualClock
from bot.schedules.reader import load_team_file
from bot.services.retention import Retention
from bot.services.schedules import RosterCache
from bot.store import teams as team_store
from bot.store.db import session_factory
from bot.store.paging_tables import AuditRow, RequestRow
from tests.schedules.test_schedules_io import EXAMPLE
from tests.slack_harness import utc

FILED = utc(2026, 3, 1, 9, 0)


def _request(session, n: int, team: str, status: str = "resolved") -> None:
    session.add(RequestRow(
        id=n, key=f"k{n}", team=team, requester="U0REQ0001", via="cli",
        text=f"secret words {n}", link=f"https://x.example/{n}", severity="sev1",
        language="en", language_source="explicit", status=status, policy={},
        fields={"agency": "Springfield PD"}, outcome=f"note {n}" if status == "resolved" else None,
        created_utc=FILED + timedelta(minutes=n), exhausted=False, esc_token=0))
    session.flush()
    session.add(AuditRow(team=team, request_id=n, actor="U0ES00002", action="resolved",
                         detail={"outcome": f"note {n}", "text": f"resolved: note {n}"},
                         at_utc=FILED))


def _setup(db_engine):
    sessions = session_factory(db_engine, immediate=True)  # as the runtime's
    team = load_team_file(EXAMPLE)
    with sessions() as session, session.begin():
        team_store.save_team(session, team)
        _request(session, 1, team.name)
        _request(session, 2, team.name, status="acknowledged")
        _request(session, 3, "a-team-since-deleted")
    return sessions, RosterCache(sessions, None)


def _texts(sessions) -> list:
    with sessions() as session:
        return [(r.id, r.text, r.link, r.fields, r.outcome, r.purged_utc is not None)
                for r in session.scalars(select(RequestRow).order_by(RequestRow.id))]


def test_purge_keeps_open_requests_and_purges_deleted_teams_by_the_default(db_engine):
    sessions, rosters = _setup(db_engine)
    clock = ManualClock(FILED + timedelta(days=20))
    assert Retention(sessions, rosters, clock).purge().purged == []  # not 30 days yet
    clock.advance(timedelta(days=11).total_seconds())
    before = _texts(sessions)
    dry = Retention(sessions, rosters, clock).purge(dry_run=True)
    assert [p.ticket for p in dry.purged] == ["T-1", "T-3"]
    assert dry.purged[0].removed == ("text", "link", "1 field value", "resolve note")
    assert [k.ticket for k in dry.kept] == ["T-2"]
    assert _texts(sessions) == before  # the dry run changed nothing
    done = Retention(sessions, rosters, clock).purge()
    assert [p.ticket for p in done.purged] == ["T-1", "T-3"]
    assert _texts(sessions) == [
        (1, "", None, {}, None, True),
        (2, "secret words 2", "https://x.example/2", {"agency": "Springfield PD"}, None, False),
        (3, "", None, {}, None, True)]
    with sessions() as session:
        details = {a.request_id: a.detail for a in session.scalars(
            select(AuditRow).where(AuditRow.action == "resolved"))}
    assert details[1] == details[3] == {"text": "{@U0ES00002} resolved"}
    assert details[2]["outcome"] == "note 2"  # not purged: kept whole


def test_two_processes_purging_at_once_purge_each_request_once(db_engine):
    sessions, rosters = _setup(db_engine)
    clock = ManualClock(FILED + timedelta(days=40))
    results, start = [], threading.Barrier(2)

    def run() -> None:
        start.wait()
        results.append(Retention(sessions, rosters, clock).purge())

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(p.ticket for r in results for p in r.purged) == ["T-1", "T-3"]
    with sessions() as session:
        purged_lines = session.scalars(select(AuditRow.request_id)
                                       .where(AuditRow.action == "purged")).all()
    assert sorted(purged_lines) == [1, 3]
