"""Handoff DMs, channel notes and reminders (flow 5): once per shift, durable across
restarts and concurrent workers, on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import logging
import threading
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from bot.clock import ManualClock
from bot.core.messages import DIRECT
from bot.core.model import (
    EscalationPolicy,
    EscalationStep,
    Override,
    Rotation,
    Specialist,
    Team,
)
from bot.services import schedules as schedule_svc
from bot.services.handoffs import HandoffService, shift_starts
from bot.services.intake import Intake, IntakeService
from bot.services.schedules import RosterCache
from bot.slack.text import from_neutral
from bot.store.db import make_engine, migrate, session_factory
from bot.store.paging_tables import AuditRow, OutboxRow
from bot.store.shift_tables import NoticeCursorRow, ShiftNoticeRow

INTAKE = "C0INTAKE01"
LAYLA = Specialist("U0AR00001", "Layla Haddad", "Asia/Dubai", ("ar", "fr", "en"))
SAMI = Specialist("U0AR00003", "Sami Bouzid", "Europe/Dublin", ("ar", "en"))
DIEGO = Specialist("U0ES00002", "Diego Ramirez", "America/Chicago", ("es", "en"))
ALL_DAYS = frozenset(range(7))
# 2026-01-05 (Mon) Layla, 01-06 Sami, 01-07 Layla, ... (daily handoff).
DAY = Rotation("day", "UTC", time(8), time(16), ALL_DAYS, 1, date(2026, 1, 5), "primary",
               (LAYLA.id, SAMI.id))
# Diego every day 16:00 -> 08:00 the next day.
LATE = Rotation("late", "UTC", time(16), time(8), ALL_DAYS, 1, date(2026, 1, 5), "primary",
                (DIEGO.id,))
TEAM = Team(
    name="desk",
    languages=("en", "ar", "es", "fr"),
    intake_channel=INTAKE,
    escalation_channel="C0ESCAL01",
    managers=("U0MGR0001",),
    specialists=(LAYLA, SAMI, DIEGO),
    rotations=(DAY, LATE),
    default_severity="sev2",
    policies=(("sev2", EscalationPolicy((EscalationStep("language_oncall",
                                                        timedelta(minutes=5)),))),),
)


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


class Node:
    """One bot process: its own engine, sessions, roster cache and service."""

    def __init__(self, url: str, clock: ManualClock):
        self.engine = make_engine(url)
        migrate(self.engine)
        self.sessions = session_factory(self.engine, immediate=True)
        self.reads = session_factory(self.engine)
        self.rosters = RosterCache(self.reads, None)
        self.handoffs = HandoffService(self.sessions, self.rosters, clock)

    def close(self) -> None:
        self.engine.dispose()


@pytest.fixture
def env(db_url):
    clock = ManualClock(at(2026, 1, 6, 10, 0))
    nodes: list[Node] = []

    class Env:
        def __init__(self):
            self.clock = clock
            self.url = db_url

        def node(self) -> Node:
            n = Node(db_url, clock)
            nodes.append(n)
            return n

    e = Env()
    e.main = e.node()
    schedule_svc.import_teams(e.main.sessions, [TEAM])
    yield e
    for n in nodes:
        n.close()


def directs(node: Node, target: str | None = None) -> list[str]:
    with node.reads() as s:
        stmt = select(OutboxRow).where(OutboxRow.kind == DIRECT).order_by(OutboxRow.id)
        if target is not None:
            stmt = stmt.where(OutboxRow.target == target)
        # As Slack shows them: the service writes references, the adapter renders them.
        return [from_neutral(r.payload["text"]) for r in s.scalars(stmt)]


def notices(node: Node) -> list[tuple[str, str, str, datetime, bool]]:
    with node.reads() as s:
        return [(n.kind, n.user, n.rotation, n.shift_start_utc, n.sent)
                for n in s.scalars(select(ShiftNoticeRow).order_by(ShiftNoticeRow.id))]


def audits(node: Node, action: str) -> list[dict]:
    with node.reads() as s:
        return [a.detail for a in s.scalars(select(AuditRow).where(AuditRow.action == action))]


def no_errors(caplog) -> None:
    bad = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not bad, [r.getMessage() for r in bad]


# -- the pure part ----------------------------------------------------------------------


def test_shift_starts_filters_exact_instants_and_continuations():
    from bot.core.roster import Roster

    team = dataclasses.replace(TEAM, overrides=(
        # Sami stays two more hours after his day shift: the same stint going on.
        Override("day", SAMI.id, at(2026, 1, 6, 16), at(2026, 1, 6, 18)),))
    roster = Roster(team)
    found = shift_starts(roster, at(2026, 1, 6, 8), at(2026, 1, 7, 8))
    # (a, b]: 08:00 on the 6th is excluded, 08:00 on the 7th included; Sami's override
    # continues his shift and is no new start.
    assert [(a.start, a.rotation, a.user) for a in found] == [
        (at(2026, 1, 6, 16), "late", DIEGO.id),
        (at(2026, 1, 7, 8), "day", LAYLA.id),
    ]
    assert shift_starts(roster, at(2026, 1, 6, 16), at(2026, 1, 6, 16)) == []


# -- the service ------------------------------------------------------------------------


def test_first_run_starts_at_now_without_a_flood(env, caplog):
    # The rotations started on the 5th: plenty of past shifts, none of them noticed.
    assert env.main.handoffs.run().notices == 0
    assert directs(env.main) == [] and notices(env.main) == []
    with env.main.reads() as s:
        cursors = {(c.kind, c.through_utc) for c in s.scalars(select(NoticeCursorRow))}
    assert cursors == {("handoff", at(2026, 1, 6, 10)), ("reminder", at(2026, 1, 6, 10))}
    no_errors(caplog)


def test_handoff_fires_once_when_the_clock_passes_the_shift_start(env, caplog):
    svc = env.main.handoffs
    svc.run()
    env.clock.set(at(2026, 1, 6, 15, 59, 59))
    svc.run()
    assert directs(env.main, DIEGO.id) == [d for d in directs(env.main, DIEGO.id)
                                            if d.startswith("Reminder")]
    env.clock.set(at(2026, 1, 6, 16, 0))  # the instant itself: (cursor, now]
    first = svc.run()
    assert first.sent == 1 and first.notices == 1
    again = svc.run()
    env.clock.advance(timedelta(minutes=5))
    later = svc.run()
    assert again.notices == later.notices == 0
    handoffs = [n for n in notices(env.main) if n[0] == "handoff"]
    assert handoffs == [("handoff", DIEGO.id, "late", at(2026, 1, 6, 16), True)]
    dms = [d for d in directs(env.main, DIEGO.id) if d.startswith("You are on call")]
    assert len(dms) == 1
    notes = directs(env.main, INTAKE)
    assert len(notes) == 1
    assert f"late (primary): <@{SAMI.id}> -> <@{DIEGO.id}>" in notes[0]
    no_errors(caplog)


def test_reminder_goes_out_thirty_minutes_before(env, caplog):
    svc = env.main.handoffs
    svc.run()
    env.clock.set(at(2026, 1, 6, 15, 29, 59))
    svc.run()
    assert directs(env.main, DIEGO.id) == []
    env.clock.set(at(2026, 1, 6, 15, 30))
    assert svc.run().sent == 1
    (text,) = directs(env.main, DIEGO.id)
    # Diego is in Chicago: 16:00 UTC is 10:00 CST.
    assert text.startswith("Reminder: your on-call shift for late (primary) starts in 30 min")
    assert "Tue 6 Jan 10:00 CST" in text and "until Wed 7 Jan 02:00 CST" in text
    assert "languages: es, en" in text
    env.clock.set(at(2026, 1, 6, 15, 45))
    svc.run()
    assert len(directs(env.main, DIEGO.id)) == 1
    assert [n[:3] for n in notices(env.main)] == [("reminder", DIEGO.id, "late")]
    no_errors(caplog)


def test_dm_names_languages_until_and_inherited_requests(env, caplog):
    env.clock.set(at(2026, 1, 7, 7, 0))
    paging = IntakeService(env.main.sessions, env.main.rosters, env.clock)
    env.main.handoffs.run()
    # 07:00: Diego (es) is on call; nobody on shift reads Arabic, so the page goes to
    # him with "needs translation". The Spanish one is his.
    ar = paging.file(Intake(key="k1", requester="U0REQ0001", text="تهديد مباشر",
                            via="command", language="ar", team="desk")).request
    es = paging.file(Intake(key="k2", requester="U0REQ0001", text="amenaza",
                            via="command", language="es", team="desk")).request
    assert ar.paged == (DIEGO.id,) and es.paged == (DIEGO.id,)
    env.clock.set(at(2026, 1, 7, 8, 0, 30))
    run = env.main.handoffs.run()
    (dm,) = [d for d in directs(env.main, LAYLA.id) if d.startswith("You are on call")]
    # Layla is in Dubai (UTC+4): 08:00-16:00 UTC is 12:00-20:00 there.
    assert dm.startswith("You are on call for day (primary) from Wed 7 Jan 12:00 +04 "
                         "until Wed 7 Jan 20:00 +04 (Asia/Dubai)")
    assert "languages: ar, fr, en" in dm
    assert f"taking over from <@{DIEGO.id}>" in dm
    assert f"open requests you inherit: T-{ar.id} (ar, open, paged <@{DIEGO.id}>)." in dm
    assert f"T-{es.id}" not in dm  # Layla does not read Spanish
    # Diego's pages are still pending and he is off shift: Layla reads Arabic.
    assert run.pairs() == [(ar.id, LAYLA.id)]
    assert audits(env.main, "repage_due")[0]["user"] == LAYLA.id
    (note,) = directs(env.main, INTAKE)
    assert f"day (primary): <@{DIEGO.id}> -> <@{LAYLA.id}>" in note
    assert f"T-{ar.id} (ar)" in note and f"T-{es.id} (es)" in note
    no_errors(caplog)


def test_two_workers_at_once_send_each_notice_once(env, caplog):
    a, b = env.main, env.node()

    def together() -> list:
        barrier = threading.Barrier(2)
        out: list = []

        def go(node: Node) -> None:
            barrier.wait()
            out.append(node.handoffs.run())

        threads = [threading.Thread(target=go, args=(n,)) for n in (a, b)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        return out

    together()  # both create the cursors at once
    env.clock.set(at(2026, 1, 6, 15, 30))
    together()
    env.clock.set(at(2026, 1, 6, 16, 0, 1))
    runs = together()
    assert sorted(r.sent for r in runs) == [0, 1]
    assert [n[:3] for n in notices(a)] == [("reminder", DIEGO.id, "late"),
                                          ("handoff", DIEGO.id, "late")]
    assert len(directs(a, DIEGO.id)) == 2 and len(directs(a, INTAKE)) == 1
    no_errors(caplog)


def test_restart_between_the_handoff_and_the_pass_sends_exactly_once(env, caplog):
    env.main.handoffs.run()
    env.clock.set(at(2026, 1, 6, 15, 59))
    env.main.handoffs.run()
    env.main.close()  # the process dies; 16:00 passes while it is down
    env.clock.set(at(2026, 1, 6, 16, 3))
    fresh = env.node()
    assert fresh.handoffs.run().sent == 1
    assert fresh.handoffs.run().sent == 0
    assert HandoffService(fresh.sessions, fresh.rosters, env.clock).run().notices == 0
    handoffs = [n for n in notices(fresh) if n[0] == "handoff"]
    assert handoffs == [("handoff", DIEGO.id, "late", at(2026, 1, 6, 16), True)]
    no_errors(caplog)


def test_a_long_outage_records_old_notices_without_sending_them(env, caplog):
    env.main.handoffs.run()  # Tue 10:00
    env.clock.set(at(2026, 1, 7, 7, 50))  # back up the next morning
    with caplog.at_level(logging.WARNING):
        run = env.main.handoffs.run()
    got = {(n[0], n[1], n[3]): n[4] for n in notices(env.main)}
    assert got == {
        # Diego's handoff is almost 16 h late: recorded, not sent; so is the reminder
        # for a shift that has started.
        ("handoff", DIEGO.id, at(2026, 1, 6, 16)): False,
        ("reminder", DIEGO.id, at(2026, 1, 6, 16)): False,
        # Layla's reminder was due at 07:30: 20 min late, her shift still ahead: sent.
        ("reminder", LAYLA.id, at(2026, 1, 7, 8)): True,
    }
    assert (run.sent, run.not_sent) == (1, 2)
    assert directs(env.main, DIEGO.id) == [] and directs(env.main, INTAKE) == []
    assert directs(env.main, LAYLA.id)[0].startswith(
        "Reminder: your on-call shift for day (primary) starts in 10 min")
    reasons = sorted(d["reason"] for d in audits(env.main, "notice_not_sent"))
    assert reasons == ["15.8 h late",
                       "the shift had already started (the handoff DM covers it)"]
    assert any("recorded but not sent: 15.8 h late" in r.getMessage()
               for r in caplog.records)
    # A shift that ended while the bot was down is recorded, never announced.
    env.clock.set(at(2026, 1, 8, 9, 0))
    env.main.handoffs.run()
    assert ("handoff", DIEGO.id, "late", at(2026, 1, 7, 16), False) in notices(env.main)
    assert "the shift was already over" in [d["reason"]
                                            for d in audits(env.main, "notice_not_sent")]


def cursor(node: Node) -> datetime:
    with node.reads() as s:
        return s.get(NoticeCursorRow, ("desk", "handoff")).through_utc


def test_an_idle_team_costs_no_write_transaction(env, caplog):
    svc = env.main.handoffs
    svc.run()
    assert cursor(env.main) == at(2026, 1, 6, 10, 0)
    env.clock.set(at(2026, 1, 6, 10, 5))
    svc.run()  # nothing can be due before 10:10 (the idle re-check): skipped
    assert cursor(env.main) == at(2026, 1, 6, 10, 0)
    env.clock.set(at(2026, 1, 6, 10, 12))
    svc.run()
    assert cursor(env.main) == at(2026, 1, 6, 10, 12)
    no_errors(caplog)


def test_an_override_added_later_gets_its_own_handoff(env, caplog, monkeypatch):
    from bot.services import handoffs

    # Idle for as long as the schedule allows: only the new revision wakes it.
    monkeypatch.setattr(handoffs, "IDLE_RECHECK", timedelta(days=1))
    svc = env.main.handoffs
    svc.run()
    env.clock.set(at(2026, 1, 6, 10, 5))
    svc.run()  # nothing due until the 15:30 reminder: the service idles until then
    team = dataclasses.replace(TEAM, overrides=(
        Override("day", LAYLA.id, at(2026, 1, 6, 10, 30), at(2026, 1, 6, 11)),))
    schedule_svc.import_teams(env.main.sessions, [team])
    env.clock.set(at(2026, 1, 6, 10, 30, 1))
    # Layla's handoff, and the reminder for Sami's shift resuming at 11:00.
    assert svc.run().sent == 2
    (dm,) = directs(env.main, LAYLA.id)
    assert dm.startswith("You are on call for day (primary) (override) from "
                         "Tue 6 Jan 14:30 +04 until Tue 6 Jan 15:00 +04")
    assert f"taking over from <@{SAMI.id}>" in dm
    # Sami's shift resumes at 11:00: a new stint for him, so a new DM.
    env.clock.set(at(2026, 1, 6, 11, 0, 1))
    svc.run()
    reminder, back = directs(env.main, SAMI.id)
    assert reminder.startswith("Reminder: your on-call shift for day (primary) starts in 30")
    assert "from Tue 6 Jan 11:00 GMT until Tue 6 Jan 16:00 GMT (Europe/Dublin)" in back
    no_errors(caplog)


def test_a_continued_stint_gets_no_second_handoff(env, caplog):
    team = dataclasses.replace(TEAM, overrides=(
        Override("day", SAMI.id, at(2026, 1, 6, 16), at(2026, 1, 6, 18)),))
    schedule_svc.import_teams(env.main.sessions, [team])
    env.clock.set(at(2026, 1, 6, 7, 0))
    svc = env.main.handoffs
    svc.run()
    env.clock.set(at(2026, 1, 6, 8, 0, 1))
    svc.run()
    (dm,) = directs(env.main, SAMI.id)
    assert "until Tue 6 Jan 18:00 GMT" in dm  # the whole stint, override included
    env.clock.set(at(2026, 1, 6, 16, 0, 1))
    svc.run()
    assert len(directs(env.main, SAMI.id)) == 1
    with env.main.reads() as s:
        assert s.scalar(select(func.count()).select_from(ShiftNoticeRow)
                        .where(ShiftNoticeRow.user == SAMI.id,
                               ShiftNoticeRow.kind == "handoff")) == 1
    no_errors(caplog)


def test_tick_delivers_handoff_dms_and_the_channel_note_to_slack(tmp_path, db_url):
    """Through the wired Runtime: tick() runs the pass and the outbox posts the DMs."""
    from tests.slack_harness import INTAKE as EXAMPLE_INTAKE
    from tests.slack_harness import Harness

    # The example schedules: the Dublin desks (emea-*) start at 07:00 GMT.
    h = Harness(tmp_path, at(2026, 1, 6, 6, 50), database_url=db_url)
    try:
        h.runtime.tick()  # first pass: cursors start now
        h.clock.set(at(2026, 1, 6, 7, 0, 30))
        h.runtime.tick()
        h.runtime.tick()  # nothing twice
        dms = [c for c in h.standin.calls_to("chat.postMessage") if c.ok
               and str(c.params.get("text", "")).startswith("You are on call for emea-")]
        assert len(dms) == 2
        assert {c.params["text"].split(" ")[5] for c in dms} == {"emea-es-pt", "emea-ar-fr"}
        notes = [c for c in h.standin.calls_to("chat.postMessage") if c.ok
                 and c.params.get("channel") == EXAMPLE_INTAKE
                 and str(c.params.get("text", "")).startswith("Handoff at ")]
        assert len(notes) == 1 and "emea-ar-fr (primary)" in notes[0].params["text"]
    finally:
        h.close()
