"""`bot.services.exposure`: counting a sensitive request once per person, and the
per-person read-out behind `/oncall exposure` and the Home tab (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.core.model import Category, Specialist, Team, Wellbeing, category_to_json
from bot.services.errors import ServiceError
from bot.services.exposure import count_exposure, exposure_report
from bot.store.db import session_factory
from bot.store.paging_tables import RequestRow
from bot.store.wellbeing import VIEWED, points_since
from bot.store.wellbeing_tables import PauseRow

T0 = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
AMAL, BASMA, CHADI = "U0EX00001", "U0EX00002", "U0EX00003"
MANAGER = "U0MGR0001"
HEAVY = Category("child-safety", "Child safety", sensitive=True, exposure_weight=3)
TEAM = Team("desk", ("ar", "en"), "C1", "C2", managers=(MANAGER,), specialists=(
    Specialist(AMAL, "Amal", "Asia/Amman", ("ar", "en")),
    Specialist(BASMA, "Basma", "Asia/Amman", ("en", "ar")),
    Specialist(CHADI, "Chadi", "Europe/Paris", ("ar",))),
    categories=(HEAVY,), wellbeing=Wellbeing(exposure_limit=6))


@pytest.fixture
def sessions(db_engine):
    return session_factory(db_engine)


def request(sessions, n: int, sensitive: bool = True, category: Category | None = HEAVY
            ) -> RequestRow:
    with sessions() as session, session.begin():
        row = RequestRow(key=f"k{n}", team="desk", requester="U0REQ", via="command",
                         text="x", severity="sev1", language="ar", language_source="explicit",
                         status="acknowledged", policy={"steps": [], "repeat": 0},
                         created_utc=T0, sensitive=sensitive,
                         category_info=category_to_json(category) if category else {})
        session.add(row)
    return row


def count(sessions, row, user: str, at: datetime, kind: str = "acknowledged") -> bool:
    with sessions() as session, session.begin():
        return count_exposure(session, row, user, at, kind)


def test_a_sensitive_request_counts_its_weight_once_per_person(sessions):
    heavy, graphic = request(sessions, 1), request(sessions, 2, category=None)
    plain = request(sessions, 3, sensitive=False)
    assert count(sessions, heavy, AMAL, T0)
    assert not count(sessions, heavy, AMAL, T0 + timedelta(minutes=5), VIEWED)  # once
    assert count(sessions, graphic, AMAL, T0)  # sensitive without a category: 1 point
    assert not count(sessions, plain, AMAL, T0)  # not sensitive: nothing
    assert count(sessions, heavy, BASMA, T0)  # someone else who reads it counts it too
    with sessions() as session:
        assert points_since(session, "desk", T0 - timedelta(hours=1)) == {AMAL: 4, BASMA: 3}


def test_the_report_per_person_limit_reached_within_one_window_and_breaks(sessions):
    rows = [request(sessions, n) for n in range(1, 5)]
    # Amal: 3 + 3 points two hours apart: the limit (6) reached at T0 + 2h.
    count(sessions, rows[0], AMAL, T0)
    count(sessions, rows[1], AMAL, T0 + timedelta(hours=2))
    # Basma: 3 + 3 points ten hours apart: never 6 within one 8-hour window.
    count(sessions, rows[2], BASMA, T0 - timedelta(hours=8))
    count(sessions, rows[3], BASMA, T0 + timedelta(hours=2))
    with sessions() as session, session.begin():
        session.add_all([
            PauseRow(team="desk", user=CHADI, start_utc=T0, end_utc=T0 + timedelta(hours=1),
                     reason="asked", by=CHADI),
            PauseRow(team="desk", user=CHADI, start_utc=T0 + timedelta(hours=2),
                     end_utc=T0 + timedelta(hours=4), reason="asked", by=CHADI)])
    now = T0 + timedelta(hours=3)

    report = exposure_report(sessions, TEAM, MANAGER, True, now, days=1)
    by = {x.user: x for x in report.lines}
    assert (by[AMAL].requests, by[AMAL].points, by[AMAL].reached_limit) == (2, 6, True)
    assert by[AMAL].now_points == 6 and by[AMAL].at_limit_now
    assert (by[BASMA].requests, by[BASMA].points, by[BASMA].reached_limit) == (2, 6, False)
    assert by[BASMA].now_points == 3 and not by[BASMA].at_limit_now
    assert by[CHADI].pauses == 2 and by[CHADI].paused_until == T0 + timedelta(hours=4)
    assert by[AMAL].paused_until is None
    assert report.everyone and [x.user for x in report.lines][0] == AMAL  # most exposed

    # The default period is the exposure window (8 hours): Basma's first count is out.
    window = exposure_report(sessions, TEAM, MANAGER, True, now)
    assert window.since == now - timedelta(hours=8)
    assert {x.user: x.points for x in window.lines} == {AMAL: 6, BASMA: 3, CHADI: 0}


def test_a_specialist_sees_only_their_own_line_and_a_stranger_nothing(sessions):
    row = request(sessions, 1)
    count(sessions, row, AMAL, T0)
    mine = exposure_report(sessions, TEAM, BASMA, False, T0 + timedelta(hours=1))
    assert not mine.everyone and [x.user for x in mine.lines] == [BASMA]
    with pytest.raises(ServiceError, match="only the managers"):
        exposure_report(sessions, TEAM, "U0STRANGER", False, T0)
    with pytest.raises(ServiceError, match="between 1 and 90"):
        exposure_report(sessions, TEAM, MANAGER, True, T0, days=0)
