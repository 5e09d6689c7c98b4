"""RotationService on SQLite and PostgreSQL, with the example team imported: audited
edits that tell the people whose shifts moved, permissions, swaps and cover refused
when they leave a language uncovered, bad input and stale revisions changing nothing."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from bot.clock import ManualClock
from bot.core.messages import DIRECT
from bot.core.timezones import UTC
from bot.schedules.holidays import holiday_dates
from bot.schedules.reader import load_schedules
from bot.services import rotations as rotations_module
from bot.services.errors import ServiceError
from bot.services.rotation_shifts import stints_starting_on
from bot.services.rotations import (
    CoverageRefused,
    PermissionDenied,
    Proposal,
    RotationService,
    StaleEdit,
    is_manager,
)
from bot.services.schedules import RosterCache, import_teams
from bot.slack.text import from_neutral
from bot.store import teams as team_store
from bot.store.db import session_factory
from bot.store.paging_tables import AuditRow, OutboxRow

SCHEDULES = Path(__file__).resolve().parents[2] / "schedules" / "example"
TEAM = "safety-escalations"
NOW = datetime(2026, 2, 2, tzinfo=UTC)

MGR = "U0MGR0001"
GROUP_MGR = "U0GRP0001"  # a manager only through the manager group S0MGRGRP1
SAMI = "U0SG00012"  # ar, fr, en; ar-fr-overnight (Dublin 23:00-07:00), Kuala Lumpur
HANA = "U0SG00013"  # fr, ar, en; ar-fr-overnight
YASMINE = "U0EU00008"  # fr, ar, en; emea-ar-fr (Dublin 07:00-15:00), Paris
OMAR = "U0EU00009"  # ar, en, fr; emea-ar-fr, Cairo
RAMI = "U0AM00010"  # ar, fr, en; amer-ar-fr, Toronto
GRACE = "U0SG00014"  # en, fr; night-backup (secondary)


@pytest.fixture
def env(db_engine):
    # The schema comes from the session's migrated template (tests/db_template.py):
    # these tests are about the service, tests/store runs the migrations themselves.
    engine = db_engine
    writes = session_factory(engine, immediate=True)
    import_teams(writes, load_schedules(SCHEDULES))
    rosters = RosterCache(session_factory(engine), holiday_dates)
    clock = ManualClock(NOW)
    groups = {"S0MGRGRP1": {GROUP_MGR}}
    svc = RotationService(writes, rosters, clock, group_members=lambda g: groups.get(g, set()))
    yield SimpleNamespace(svc=svc, sf=writes, clock=clock, rosters=rosters,
                          backend=engine.dialect.name)


def revision(env) -> int:
    with env.sf() as s:
        return team_store.team_revision(s, TEAM)


def audits(env) -> list[AuditRow]:
    with env.sf() as s:
        return list(s.scalars(select(AuditRow).order_by(AuditRow.id)))


def dms(env) -> list[OutboxRow]:
    with env.sf() as s:
        return list(s.scalars(select(OutboxRow).where(OutboxRow.kind == DIRECT)
                              .order_by(OutboxRow.id)))


def team(env):
    with env.sf() as s:
        return team_store.load_team(s, TEAM)


def first_day_with_shift(env, user: str, tz_days: int = 30) -> date:
    """A local date (the user's zone) in the next weeks on which one of their shifts starts."""
    roster = env.rosters.get(TEAM)
    tz = roster.specialist(user).timezone
    for d in range(2, tz_days):
        day = (NOW + timedelta(days=d)).date()
        if stints_starting_on(roster, user, day, tz):
            return day
    raise AssertionError(f"{user} has no shift in the next {tz_days} days")


# -- manager edits ----------------------------------------------------------------------------


def test_manager_edit_is_audited_and_moved_people_are_told(env):
    rev = revision(env)
    result = env.svc.move_member(MGR, "emea-ar-fr", OMAR, 1)
    assert result.changed and result.revision == rev + 1 == revision(env)
    assert "moved <@U0EU00009> to position 1 in emea-ar-fr" in from_neutral(result.text)
    assert set(result.notified) == {YASMINE, OMAR}
    assert team(env).rotation("emea-ar-fr").members == (OMAR, YASMINE)

    [row] = audits(env)
    assert (row.team, row.actor, row.action, row.request_id) == (TEAM, MGR, "rotation.move", None)
    assert row.detail["before"] == {"rotation": "emea-ar-fr", "members": [YASMINE, OMAR]}
    assert row.detail["after"] == {"rotation": "emea-ar-fr", "members": [OMAR, YASMINE]}
    assert from_neutral(row.detail["text"]) == "moved <@U0EU00009> to position 1 in emea-ar-fr"
    assert row.detail["changes"] == [
        "~ rotation emea-ar-fr: members U0EU00008, U0EU00009 -> U0EU00009, U0EU00008"]

    sent = {m.target: from_neutral(m.payload["text"]) for m in dms(env)}
    assert set(sent) == {YASMINE, OMAR}
    # Each in their own zone: Yasmine in Paris (CET), Omar in Cairo (EET).
    assert "no longer on call for emea-ar-fr: Tue 2026-02-03 to Mon 2026-02-09, " \
           "08:00-16:00 CET each day" in sent[YASMINE]
    assert "now on call for emea-ar-fr: Tue 2026-02-03 to Mon 2026-02-09, " \
           "09:00-17:00 EET each day" in sent[OMAR]
    assert "by <@U0MGR0001>" in sent[OMAR]
    # The rosters other services read see the edit at once (new revision).
    assert env.rosters.get(TEAM).team.rotation("emea-ar-fr").members == (OMAR, YASMINE)


def test_member_of_the_manager_group_may_edit(env):
    result = env.svc.set_rotation(GROUP_MGR, "night-backup", days=range(7))
    assert result.changed
    assert team(env).rotation("night-backup").days == frozenset(range(7))
    assert audits(env)[-1].detail["before"]["days"] == ["mon", "tue", "wed", "thu", "fri"]
    assert is_manager(team(env), GROUP_MGR, {GROUP_MGR})
    assert not is_manager(team(env), SAMI, {GROUP_MGR})


def test_specialist_is_refused_a_manager_only_edit_naming_who_may(env):
    rev = revision(env)
    with pytest.raises(PermissionDenied) as info:
        env.svc.set_rotation(SAMI, "ar-fr-overnight", shift_start=datetime(2026, 1, 1, 22).time())
    assert from_neutral(str(info.value)) == (
        "only managers (<@U0MGR0001>, <@U0MGR0002> or members of the "
        "managers' group) can change rotations")
    for call in (lambda: env.svc.add_member(SAMI, "emea-ar-fr", SAMI),
                 lambda: env.svc.override(SAMI, "emea-ar-fr", SAMI, date(2026, 3, 1),
                                          date(2026, 3, 1)),
                 lambda: env.svc.set_specialist(SAMI, SAMI, languages=["ar", "en"]),
                 lambda: env.svc.away(SAMI, date(2026, 3, 1), date(2026, 3, 1), user=HANA)):
        with pytest.raises(PermissionDenied, match="only managers"):
            call()
    assert revision(env) == rev and audits(env) == [] and dms(env) == []


def test_rename_keeps_overrides_and_tells_nobody(env):
    result = env.svc.set_rotation(MGR, "amer-es-pt", name="americas-es-pt")
    assert result.changed and result.notified == ()
    t = team(env)
    assert t.rotation("americas-es-pt") is not None
    assert [o.rotation for o in t.overrides] == ["americas-es-pt"]
    assert "name amer-es-pt -> americas-es-pt" in result.text


def test_new_specialist_then_member_then_rotation(env):
    env.svc.set_specialist(MGR, "U0NEW0001", ["ar", "en"], "Asia/Dubai", name="Nour Saleh")
    env.svc.create_rotation(MGR, "gulf", "Asia/Dubai", datetime(2026, 1, 1, 9).time(),
                            datetime(2026, 1, 1, 17).time(), days={6, 0, 1, 2, 3},
                            handoff_days=7)
    result = env.svc.add_member(MGR, "gulf", "U0NEW0001")
    assert result.notified == ("U0NEW0001",)
    rot = team(env).rotation("gulf")
    assert rot.start == date(2026, 2, 2)  # today in Dubai
    assert rot.members == ("U0NEW0001",)
    assert [a.action for a in audits(env)] == ["specialist.set", "rotation.create",
                                               "rotation.add"]


def test_override_times_are_in_the_rotations_zone(env):
    # The known ar/fr gap: 22:00-23:00 UTC while Chicago is on CDT and Dublin on GMT.
    env.svc.override(MGR, "amer-ar-fr", RAMI, datetime(2026, 3, 10, 17, 0),
                     datetime(2026, 3, 10, 18, 0))
    o = team(env).overrides[-1]
    assert (o.rotation, o.user) == ("amer-ar-fr", RAMI)
    assert (o.start, o.end) == (datetime(2026, 3, 10, 22, tzinfo=UTC),
                                datetime(2026, 3, 10, 23, tzinfo=UTC))
    gaps = env.rosters.get(TEAM).coverage_gaps(datetime(2026, 3, 10, tzinfo=UTC),
                                               datetime(2026, 3, 11, tzinfo=UTC), ["ar"])
    assert gaps["ar"] == []
    assert audits(env)[-1].detail["after"] == {
        "rotation": "amer-ar-fr", "user": RAMI, "from": "2026-03-10T17:00",
        "to": "2026-03-10T18:00"}


# -- swaps --------------------------------------------------------------------------------------


def test_swap_refused_when_it_leaves_arabic_uncovered(env):
    # A new overnight member who reads French but not Arabic: if they take Sami's
    # overnight shift, nobody reads Arabic from 23:00 to 07:00 UTC.
    env.svc.set_specialist(MGR, "U0FR00099", ["fr", "en"], "Asia/Kuala_Lumpur",
                           name="Camille Roux")
    env.svc.add_member(MGR, "ar-fr-overnight", "U0FR00099")
    rev, n_audit, n_dm = revision(env), len(audits(env)), len(dms(env))
    day = first_day_with_shift(env, SAMI)

    with pytest.raises(CoverageRefused) as info:
        env.svc.request_swap(SAMI, "U0FR00099", day)
    msg = from_neutral(str(info.value))
    start = datetime.combine(day - timedelta(days=1), datetime.min.time()).replace(
        hour=23, tzinfo=UTC)  # 07:00 in Kuala Lumpur = 23:00 UTC the day before
    assert info.value.gaps == [("ar", start, start + timedelta(hours=8))]
    assert msg.startswith("this swap would leave Arabic (ar) with nobody on call: ")
    assert f"{start:%a %Y-%m-%d} 23:00 UTC - " in msg and "07:00 UTC" in msg
    assert f"(your time: {day:%a %Y-%m-%d} 07:00-15:00 +08)" in msg
    assert "ask managers (<@U0MGR0001>" in msg
    assert (revision(env), len(audits(env)), len(dms(env))) == (rev, n_audit, n_dm)


def test_swap_request_accept_and_replay(env):
    day = first_day_with_shift(env, SAMI)
    proposal = env.svc.request_swap(SAMI, HANA, day)
    assert proposal.kind == "swap" and proposal.other == HANA
    assert [s.user for s in proposal.give] == [SAMI] and [s.user for s in proposal.take] == [HANA]
    assert len(proposal.to_value()) < 2000
    assert Proposal.from_value(proposal.to_value()).same_request(proposal)
    req = audits(env)[-1]
    assert (req.action, req.id, req.actor) == ("swap.requested", proposal.id, SAMI)
    rev = revision(env)

    with pytest.raises(PermissionDenied) as info:
        env.svc.accept_swap(proposal.to_value(), YASMINE)
    assert re.search("only <@U0SG00013> can accept", from_neutral(str(info.value)))
    result = env.svc.accept_swap(proposal.to_value(), HANA)
    assert result.changed and result.revision == rev + 1
    give, take = proposal.give[0], proposal.take[0]
    roster = env.rosters.get(TEAM)
    assert {a.user for a in roster.assignments(give.start, give.end,
                                               rotation="ar-fr-overnight")} == {HANA}
    assert {a.user for a in roster.assignments(take.start, take.end,
                                               rotation="ar-fr-overnight")} == {SAMI}
    acc = audits(env)[-1]
    assert acc.action == "swap.accepted" and acc.detail["proposal_id"] == proposal.id
    assert len(acc.detail["after"]["overrides"]) == 2
    told = [m for m in dms(env) if m.target == SAMI]
    assert told and "now on call for ar-fr-overnight" in told[-1].payload["text"]
    with pytest.raises(ServiceError) as info:
        env.svc.accept_swap(proposal.id, HANA)
    assert re.search("already accepted by <@U0SG00013>", from_neutral(str(info.value)))


def test_swap_decline_tells_requester_and_tampered_value_is_refused(env):
    day = first_day_with_shift(env, SAMI)
    proposal = env.svc.request_swap(SAMI, HANA, day)
    forged = Proposal(proposal.id, "swap", TEAM, SAMI, HANA, proposal.take, proposal.give)
    with pytest.raises(ServiceError, match="does not match"):
        env.svc.accept_swap(forged.to_value(), HANA)
    assert "Declined" in env.svc.decline_swap(proposal.to_value(), HANA)
    assert dms(env)[-1].target == SAMI and "declined" in from_neutral(dms(env)[-1].payload["text"])
    with pytest.raises(ServiceError, match="already declined"):
        env.svc.accept_swap(proposal.id, HANA)


def test_swap_request_errors(env):
    with pytest.raises(ServiceError, match="you have no shift starting on 2026-02-03"):
        env.svc.request_swap(SAMI, HANA, date(2026, 2, 3))
    with pytest.raises(ServiceError, match="is not a specialist"):
        env.svc.request_swap(SAMI, "U0NOBODY1", first_day_with_shift(env, SAMI))


# -- cover and time off ---------------------------------------------------------------------------


def test_cover_refused_for_a_non_reader_and_accepted_by_a_reader(env):
    day = first_day_with_shift(env, OMAR)
    proposal = env.svc.request_cover(OMAR, day, day)
    assert proposal.kind == "cover" and [s.user for s in proposal.give] == [OMAR]
    with pytest.raises(CoverageRefused, match=r"Arabic \(ar\) with nobody on call"):
        env.svc.accept_cover(proposal.to_value(), GRACE)
    with pytest.raises(ServiceError, match="cannot cover your own"):
        env.svc.accept_cover(proposal.id, OMAR)
    result = env.svc.accept_cover(proposal.id, RAMI)
    assert result.changed and OMAR in result.notified
    s = proposal.give[0]
    assert {a.user for a in env.rosters.get(TEAM).assignments(
        s.start, s.end, rotation="emea-ar-fr")} == {RAMI}


def test_cover_accepted_mid_shift_covers_the_rest(env):
    day = first_day_with_shift(env, OMAR)
    proposal = env.svc.request_cover(OMAR, day, day)
    shift = proposal.give[0]
    env.clock.set(shift.start + timedelta(hours=3))
    env.svc.accept_cover(proposal.id, RAMI)
    o = team(env).overrides[-1]
    assert (o.user, o.start, o.end) == (RAMI, shift.start + timedelta(hours=3), shift.end)


def test_swap_weeks_ahead_still_tells_the_requester(env):
    day = first_day_with_shift(env, SAMI, 40) + timedelta(days=27)
    while True:
        try:
            proposal = env.svc.request_swap(SAMI, HANA, day)
            break
        except ServiceError:
            day += timedelta(days=1)
    assert proposal.give[0].start > NOW + timedelta(days=20)
    result = env.svc.accept_swap(proposal.id, HANA)
    assert result.notified == (SAMI,)
    assert "<@U0SG00013> accepted the swap asked by <@U0SG00012>" in from_neutral(
        dms(env)[-1].payload["text"])


def test_own_time_off_is_allowed_and_the_substitute_is_told(env):
    day = first_day_with_shift(env, OMAR)
    result = env.svc.away(OMAR, day, day)
    assert result.changed and YASMINE in result.notified
    t = team(env).time_off[-1]
    assert t.user == OMAR and t.all_day
    assert audits(env)[-1].detail["after"] == {"user": OMAR, "from": day.isoformat(),
                                               "to": day.isoformat()}
    assert "Your shifts:" in result.text  # Omar sees what he no longer covers


def test_specialist_time_off_refused_when_arabic_left_uncovered_manager_warned(env):
    day = first_day_with_shift(env, SAMI)
    # Hana is away that day (a manager recorded it): Sami's shift has no substitute left.
    env.svc.away(MGR, day, day, user=HANA)
    rev = revision(env)
    with pytest.raises(CoverageRefused, match=r"this time off would leave Arabic \(ar\)"):
        env.svc.away(SAMI, day, day)
    assert revision(env) == rev
    # A manager may still record it; the reply warns about the gap.
    result = env.svc.away(MGR, day, day, user=SAMI)
    assert result.changed and any("Arabic (ar) with nobody on call" in w
                                  for w in result.warnings)
    assert audits(env)[-1].detail["warnings"] == list(result.warnings)


def test_time_off_with_times_is_in_the_persons_zone(env):
    env.svc.away(OMAR, datetime(2026, 3, 1, 9, 0), datetime(2026, 3, 1, 12, 0))
    t = team(env).time_off[-1]
    assert not t.all_day  # Cairo is UTC+2
    assert (t.start, t.end) == (datetime(2026, 3, 1, 7, tzinfo=UTC),
                                datetime(2026, 3, 1, 10, tzinfo=UTC))


# -- nothing changes on bad input or a stale revision ------------------------------------------


def test_bad_input_changes_nothing(env):
    rev = revision(env)
    bad = [
        (lambda: env.svc.override(MGR, "amer-ar-fr", RAMI, datetime(2026, 3, 10, 18),
                                  datetime(2026, 3, 10, 17)), "'to' must be after 'from'"),
        (lambda: env.svc.add_member(MGR, "emea", RAMI), "no rotation named 'emea'"),
        (lambda: env.svc.set_specialist(MGR, OMAR, languages=["ar", "de"]),
         "language 'de' is not one of the team's languages"),
        (lambda: env.svc.set_rotation(MGR, "emea-ar-fr", timezone="Europe/Dublni"),
         "did you mean|such as Europe/Dublin"),
        (lambda: env.svc.away(OMAR, date(2026, 3, 1), datetime(2026, 3, 2, 9)),
         "must both be dates"),
        (lambda: env.svc.away(OMAR, date(2026, 3, 2), date(2026, 3, 1)), "before from"),
        (lambda: env.svc.move_member(MGR, "emea-ar-fr", OMAR, 5), "1 to 2"),
    ]
    for call, message in bad:
        with pytest.raises(ServiceError, match=message):
            call()
    assert revision(env) == rev and audits(env) == [] and dms(env) == []


def test_no_op_edit_saves_nothing(env):
    rev = revision(env)
    result = env.svc.move_member(MGR, "emea-ar-fr", YASMINE, 1)
    assert not result.changed and result.revision == rev == revision(env)
    assert audits(env) == []


def test_stale_expected_revision_is_refused_with_a_retry_message(env):
    settings, rev = env.svc.rotation_settings("emea-ar-fr")
    assert settings["members"] == [YASMINE, OMAR] and rev == env.svc.revision()
    env.svc.set_rotation(MGR, "emea-ar-fr", expected_revision=rev, tier="secondary")
    with pytest.raises(StaleEdit) as info:
        env.svc.set_rotation("U0MGR0002", "emea-ar-fr", expected_revision=rev,
                             days=range(5))
    assert "changed while you were editing" in str(info.value)
    assert "try again" in str(info.value)
    assert revision(env) == rev + 1
    assert team(env).rotation("emea-ar-fr").days == frozenset(range(7))


def test_concurrent_edit_between_load_and_save(env, monkeypatch):
    """Another process saves between our load and our save: the stale save is refused
    and, as the caller gave no revision, the edit is re-applied to the fresh team."""
    if env.backend == "sqlite":
        pytest.skip("SQLite writers take the write lock at BEGIN: no interleaving")
    real_load = rotations_module.team_store.load_team
    races: list[str] = []  # the tier the other process sets, once per armed race

    def load_then_race(session, name):
        team_now = real_load(session, name)
        if races:
            other = RotationService(env.sf, env.rosters, env.clock)
            other.set_rotation(MGR, "night-backup", tier=races.pop())
        return team_now

    monkeypatch.setattr(rotations_module.team_store, "load_team", load_then_race)
    rev = revision(env)
    races.append("primary")
    result = env.svc.move_member("U0MGR0002", "emea-ar-fr", OMAR, 1)
    assert result.revision == rev + 2
    t = team(env)
    assert t.rotation("night-backup").tier == "primary"
    assert t.rotation("emea-ar-fr").members == (OMAR, YASMINE)

    # With the revision the caller started from (a modal), it is refused instead.
    races.append("secondary")
    with pytest.raises(StaleEdit, match="try again"):
        env.svc.move_member("U0MGR0002", "emea-ar-fr", YASMINE, 1,
                            expected_revision=rev + 2)
    assert revision(env) == rev + 3
    assert team(env).rotation("emea-ar-fr").members == (OMAR, YASMINE)


# -- reads ---------------------------------------------------------------------------------------


def test_read_outs(env):
    listing = env.svc.list_rotations()
    assert "*ar-fr-overnight*: Europe/Dublin, shift 23:00-07:00 local" in listing
    shown = from_neutral(env.svc.show_rotation("emea-ar-fr"))
    assert "1. <@U0EU00008> Yasmine Benali (fr, ar, en)" in shown
    assert "Next 7 days (Europe/Dublin):" in shown
    assert "Mon 2026-02-02 07:00-15:00 GMT: <@U0EU00009>" in shown
    assert "Tue 2026-02-03 07:00-15:00 GMT: <@U0EU00008>" in shown
    with pytest.raises(ServiceError, match="no rotation named 'emea'"):
        env.svc.show_rotation("emea")
    me = env.svc.me(SAMI)
    assert "Sami Bouzid" in me and "ar-fr-overnight (position 1 of 2)" in me
    assert "+08" in me
    assert "You are a manager" in env.svc.me(GROUP_MGR)
