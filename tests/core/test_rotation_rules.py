"""Named regression tests for the rotation rules: overrides, time off, holidays, handoff
periods, far-future lookups and coverage gaps (PRODUCT.md, "Schedules as code").

Expected instants are UTC literals computed by hand; comments give the local time.
America/Chicago is CST (UTC-6) in winter and CDT (UTC-5) in summer; Europe/Dublin is
GMT (UTC+0) in winter and IST (UTC+1) in summer; America/Mexico_City has kept
CST (UTC-6) all year since 2022.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import holidays
import pytest

from bot.core.model import WEEKDAYS, Override, Rotation, Specialist, Team, TimeOff
from bot.core.roster import Roster
from bot.core.rotation import period_of, slot_at, slot_on, slots_between

CHI, DUB, MEX = "America/Chicago", "Europe/Dublin", "America/Mexico_City"
US = timedelta(microseconds=1)
H = timedelta(hours=1)
WEEKDAYS_ONLY = ("mon", "tue", "wed", "thu", "fri")


def z(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    """An aware UTC instant."""
    return datetime(y, mo, d, h, mi, tzinfo=UTC)


def rotation(name: str, tzname: str, shift: str, members: tuple[str, ...],
             days: tuple[str, ...] = WEEKDAYS, handoff: int = 1,
             start: date = date(2026, 1, 5), tier: str = "primary") -> Rotation:
    a, b = shift.split("-")
    return Rotation(name, tzname, time.fromisoformat(a), time.fromisoformat(b),
                    frozenset(WEEKDAYS.index(d) for d in days), handoff, start, tier, members)


def team(*rotations: Rotation, specialists: tuple[Specialist, ...] = (),
         overrides: tuple[Override, ...] = (), time_off: tuple[TimeOff, ...] = (),
         languages: tuple[str, ...] | None = None) -> Team:
    """A team; people without an explicit Specialist read English, in UTC."""
    given = {s.id for s in specialists}
    extra = []
    for uid in [m for r in rotations for m in r.members] + [o.user for o in overrides]:
        if uid not in given:
            given.add(uid)
            extra.append(Specialist(uid, uid, "UTC", ("en",)))
    everyone = (*specialists, *extra)
    if languages is None:
        languages = tuple(sorted({lang for s in everyone for lang in s.languages}))
    return Team("t", languages, "C1", "C2", specialists=everyone, rotations=rotations,
                overrides=overrides, time_off=time_off)


def pieces(assignments) -> list[tuple[datetime, datetime, str | None, str]]:
    return [(a.start, a.end, a.user, a.kind) for a in assignments]


def users(assignments) -> list[str | None]:
    return [a.user for a in assignments]


def holiday_dates(code: str, year: int) -> list[date]:
    """The roster's holiday provider: public holidays from the `holidays` package.
    `code` is a country ("MX") or country-subdivision ("US-TX")."""
    country, _, subdiv = code.partition("-")
    return list(holidays.country_holidays(country, subdiv=subdiv or None, years=year))


# -- Overrides ---------------------------------------------------------------------------------

# Dublin day shift with one member, A: in summer 08:00-16:00 IST = 07:00-15:00 UTC.
SUMMER_DAY = rotation("emea", DUB, "08:00-16:00", ("A",), handoff=7)


def test_override_mid_shift_splits_scheduled_override_scheduled():
    # C covers 11:00-13:00 IST = 10:00-12:00 UTC on Tue 2026-07-14.
    o = Override("emea", "C", z(2026, 7, 14, 10), z(2026, 7, 14, 12))
    roster = Roster(team(SUMMER_DAY, overrides=(o,)))
    got = roster.assignments(z(2026, 7, 14), z(2026, 7, 15))
    assert pieces(got) == [
        (z(2026, 7, 14, 7), z(2026, 7, 14, 10), "A", "scheduled"),
        (z(2026, 7, 14, 10), z(2026, 7, 14, 12), "C", "override"),
        (z(2026, 7, 14, 12), z(2026, 7, 14, 15), "A", "scheduled"),
    ]
    assert got[0].end == o.start and got[2].start == o.end
    assert got[0].scheduled == "A" and got[2].scheduled == "A"
    for t, expected in [
        (z(2026, 7, 14, 10) - US, "A"), (z(2026, 7, 14, 10), "C"),
        (z(2026, 7, 14, 12) - US, "C"), (z(2026, 7, 14, 12), "A"),
    ]:
        assert users(roster.on_call(t)) == [expected], t
        assert users(roster.on_call_for("en", t)) == [expected], t
        assert users(roster.on_call_direct(t)) == [expected], t


def test_override_window_clipped_lookup_sees_whole_pieces():
    # An assignments window inside the override still reports the exact stint bounds.
    o = Override("emea", "C", z(2026, 7, 14, 10), z(2026, 7, 14, 12))
    roster = Roster(team(SUMMER_DAY, overrides=(o,)))
    got = roster.assignments(z(2026, 7, 14, 11), z(2026, 7, 14, 11, 30))
    assert pieces(got) == [(z(2026, 7, 14, 10), z(2026, 7, 14, 12), "C", "override")]


def test_override_outside_shift_window_plugs_a_gap():
    # C covers 18:00-20:00 IST = 17:00-19:00 UTC, after the shift ends at 15:00 UTC.
    o = Override("emea", "C", z(2026, 7, 14, 17), z(2026, 7, 14, 19))
    roster = Roster(team(SUMMER_DAY, overrides=(o,)))
    assert users(roster.on_call(z(2026, 7, 14, 18))) == ["C"]
    assert roster.on_call(z(2026, 7, 14, 16)) == []
    assert roster.coverage_gaps(z(2026, 7, 14, 15), z(2026, 7, 14, 21))["en"] == [
        (z(2026, 7, 14, 15), z(2026, 7, 14, 17)),
        (z(2026, 7, 14, 19), z(2026, 7, 14, 21)),
    ]
    got = roster.assignments(z(2026, 7, 14), z(2026, 7, 15))
    assert pieces(got) == [
        (z(2026, 7, 14, 7), z(2026, 7, 14, 15), "A", "scheduled"),
        (z(2026, 7, 14, 17), z(2026, 7, 14, 19), "C", "override"),
    ]


def test_overlapping_overrides_later_listed_wins():
    c = Override("emea", "C", z(2026, 7, 14, 10), z(2026, 7, 14, 14))
    d = Override("emea", "D", z(2026, 7, 14, 12), z(2026, 7, 14, 16))
    roster = Roster(team(SUMMER_DAY, overrides=(c, d)))
    assert pieces(roster.assignments(z(2026, 7, 14), z(2026, 7, 15))) == [
        (z(2026, 7, 14, 7), z(2026, 7, 14, 10), "A", "scheduled"),
        (z(2026, 7, 14, 10), z(2026, 7, 14, 12), "C", "override"),
        (z(2026, 7, 14, 12), z(2026, 7, 14, 16), "D", "override"),  # runs past the shift
    ]
    assert users(roster.on_call(z(2026, 7, 14, 13))) == ["D"]
    # Listed the other way round, C wins where they overlap.
    roster = Roster(team(SUMMER_DAY, overrides=(d, c)))
    assert pieces(roster.assignments(z(2026, 7, 14), z(2026, 7, 15))) == [
        (z(2026, 7, 14, 7), z(2026, 7, 14, 10), "A", "scheduled"),
        (z(2026, 7, 14, 10), z(2026, 7, 14, 14), "C", "override"),
        (z(2026, 7, 14, 14), z(2026, 7, 14, 16), "D", "override"),
    ]
    assert users(roster.on_call(z(2026, 7, 14, 13))) == ["C"]
    assert users(roster.on_call_direct(z(2026, 7, 14, 13))) == ["C"]


def test_override_user_on_time_off_falls_back_to_rotation_cover():
    o = Override("emea", "C", z(2026, 7, 14, 10), z(2026, 7, 14, 14))
    away = TimeOff("C", z(2026, 7, 14, 11), z(2026, 7, 14, 12), all_day=False)
    roster = Roster(team(SUMMER_DAY, overrides=(o,), time_off=(away,)))
    assert pieces(roster.assignments(z(2026, 7, 14), z(2026, 7, 15))) == [
        (z(2026, 7, 14, 7), z(2026, 7, 14, 10), "A", "scheduled"),
        (z(2026, 7, 14, 10), z(2026, 7, 14, 11), "C", "override"),
        (z(2026, 7, 14, 11), z(2026, 7, 14, 12), "A", "scheduled"),
        (z(2026, 7, 14, 12), z(2026, 7, 14, 14), "C", "override"),
        (z(2026, 7, 14, 14), z(2026, 7, 14, 15), "A", "scheduled"),
    ]
    assert users(roster.on_call(z(2026, 7, 14, 11, 30))) == ["A"]
    assert users(roster.on_call(z(2026, 7, 14, 12))) == ["C"]


def test_overlapping_overrides_later_user_away_earlier_override_applies():
    # C covers 10:00-14:00 UTC, D (listed later) 12:00-16:00 UTC, but D is away 12:00-13:00.
    # D cannot be on call then, so C's override (C is free) should still hold 12:00-13:00.
    c = Override("emea", "C", z(2026, 7, 14, 10), z(2026, 7, 14, 14))
    d = Override("emea", "D", z(2026, 7, 14, 12), z(2026, 7, 14, 16))
    away = TimeOff("D", z(2026, 7, 14, 12), z(2026, 7, 14, 13), all_day=False)
    roster = Roster(team(SUMMER_DAY, overrides=(c, d), time_off=(away,)))
    assert users(roster.on_call(z(2026, 7, 14, 12, 30))) == ["C"]
    assert pieces(roster.assignments(z(2026, 7, 14), z(2026, 7, 15))) == [
        (z(2026, 7, 14, 7), z(2026, 7, 14, 10), "A", "scheduled"),
        (z(2026, 7, 14, 10), z(2026, 7, 14, 13), "C", "override"),
        (z(2026, 7, 14, 13), z(2026, 7, 14, 16), "D", "override"),
    ]


def test_overlapping_overrides_outside_shift_later_user_away_keeps_earlier():
    # Outside the shift the engine's reading leaves nobody on call although C is assigned:
    # C 17:00-19:00 UTC, D (later) 18:00-20:00 UTC, D away 18:00-19:00.
    c = Override("emea", "C", z(2026, 7, 14, 17), z(2026, 7, 14, 19))
    d = Override("emea", "D", z(2026, 7, 14, 18), z(2026, 7, 14, 20))
    away = TimeOff("D", z(2026, 7, 14, 18), z(2026, 7, 14, 19), all_day=False)
    roster = Roster(team(SUMMER_DAY, overrides=(c, d), time_off=(away,)))
    assert roster.coverage_gaps(z(2026, 7, 14, 17), z(2026, 7, 14, 20))["en"] == []


def test_override_user_away_outside_shift_leaves_nobody():
    # The away hours fall outside the shift: the rotation has no cover there.
    o = Override("emea", "C", z(2026, 7, 14, 17), z(2026, 7, 14, 19))
    away = TimeOff("C", z(2026, 7, 14, 18), z(2026, 7, 14, 20), all_day=False)
    roster = Roster(team(SUMMER_DAY, overrides=(o,), time_off=(away,)))
    assert users(roster.on_call(z(2026, 7, 14, 17, 30))) == ["C"]
    assert roster.on_call(z(2026, 7, 14, 18)) == []
    assert roster.coverage_gaps(z(2026, 7, 14, 15), z(2026, 7, 14, 20))["en"] == [
        (z(2026, 7, 14, 15), z(2026, 7, 14, 17)), (z(2026, 7, 14, 18), z(2026, 7, 14, 20))]


def test_override_given_in_local_time_across_fall_back():
    # An override 2026-11-01T00:00..08:00 Chicago time is 05:00..14:00 UTC (9 hours).
    rot = rotation("amer", CHI, "00:00-08:00", ("A",))
    o = Override("amer", "C", z(2026, 11, 1, 5), z(2026, 11, 1, 14))
    roster = Roster(team(rot, overrides=(o,)))
    assert pieces(roster.assignments(z(2026, 11, 1), z(2026, 11, 2))) == [
        (z(2026, 11, 1, 5), z(2026, 11, 1, 14), "C", "override"),
    ]


# -- Time off ----------------------------------------------------------------------------------

# Chicago 09:00-17:00 CST = 15:00-23:00 UTC, daily handoff from Mon 2026-02-02:
# 02-02 A, 02-03 B, 02-04 C, 02-05 A, 02-06 B, ...
TRIO = rotation("amer", CHI, "09:00-17:00", ("A", "B", "C"), start=date(2026, 2, 2))


def day_off(user: str, day: date) -> TimeOff:
    # A whole Chicago day in winter: 00:00 CST = 06:00 UTC to 06:00 UTC the next day.
    start = datetime.combine(day, time(6), UTC)
    return TimeOff(user, start, start + 24 * H)


def test_time_off_member_is_skipped_and_next_covers_as_substitute():
    roster = Roster(team(TRIO, time_off=(day_off("A", date(2026, 2, 5)),)))
    (a,) = roster.assignments(z(2026, 2, 5, 12), z(2026, 2, 6, 12))
    assert (a.start, a.end, a.user, a.kind, a.scheduled) == (
        z(2026, 2, 5, 15), z(2026, 2, 5, 23), "B", "substitute", "A")
    assert users(roster.on_call(z(2026, 2, 5, 15))) == ["B"]
    # The day after, the rotation is back to its own order (02-06 is B's, scheduled).
    (b,) = roster.assignments(z(2026, 2, 6, 12), z(2026, 2, 7, 12))
    assert (b.user, b.kind, b.scheduled) == ("B", "scheduled", "B")


def test_time_off_substitute_wraps_to_first_member():
    roster = Roster(team(TRIO, time_off=(day_off("C", date(2026, 2, 4)),)))
    (a,) = roster.assignments(z(2026, 2, 4, 12), z(2026, 2, 5, 12))
    assert (a.user, a.kind, a.scheduled) == ("A", "substitute", "C")


def test_time_off_two_members_away_third_covers():
    off = (day_off("A", date(2026, 2, 5)), day_off("B", date(2026, 2, 5)))
    roster = Roster(team(TRIO, time_off=off))
    (a,) = roster.assignments(z(2026, 2, 5, 12), z(2026, 2, 6, 12))
    assert (a.user, a.kind, a.scheduled) == ("C", "substitute", "A")
    assert users(roster.on_call_direct(z(2026, 2, 5, 20))) == ["C"]


def test_time_off_everyone_away_leaves_shift_uncovered():
    off = tuple(day_off(u, date(2026, 2, 5)) for u in ("A", "B", "C"))
    roster = Roster(team(TRIO, time_off=off))
    (a,) = roster.assignments(z(2026, 2, 5, 12), z(2026, 2, 6, 12))
    assert (a.start, a.end, a.user, a.kind, a.scheduled) == (
        z(2026, 2, 5, 15), z(2026, 2, 5, 23), None, "uncovered", "A")
    assert roster.assignments(z(2026, 2, 5, 12), z(2026, 2, 6, 12),
                              include_uncovered=False) == []
    assert roster.on_call(z(2026, 2, 5, 15)) == []
    assert list(roster.on_call_direct(z(2026, 2, 5, 15))) == []
    assert roster.on_call_for("en", z(2026, 2, 5, 15)) == []
    assert roster.coverage_gaps(z(2026, 2, 5, 15), z(2026, 2, 5, 23))["en"] == [
        (z(2026, 2, 5, 15), z(2026, 2, 5, 23))]


def test_time_off_overlapping_part_of_shift_skips_whole_shift():
    # A is away 16:00-16:30 CST = 22:00-22:30 UTC, the last hour of the 15:00-23:00 shift.
    off = TimeOff("A", z(2026, 2, 5, 22), z(2026, 2, 5, 22, 30), all_day=False)
    roster = Roster(team(TRIO, time_off=(off,)))
    (a,) = roster.assignments(z(2026, 2, 5, 12), z(2026, 2, 6, 12))
    assert (a.start, a.end, a.user, a.kind) == (
        z(2026, 2, 5, 15), z(2026, 2, 5, 23), "B", "substitute")
    assert users(roster.on_call(z(2026, 2, 5, 15))) == ["B"]


def test_time_off_touching_shift_end_does_not_skip():
    # Away from 23:00 UTC (17:00 CST), exactly when the shift ends: half-open, no overlap.
    off = TimeOff("A", z(2026, 2, 5, 23), z(2026, 2, 6, 6), all_day=False)
    roster = Roster(team(TRIO, time_off=(off,)))
    (a,) = roster.assignments(z(2026, 2, 5, 12), z(2026, 2, 6, 12))
    assert (a.user, a.kind) == ("A", "scheduled")


# -- Holidays ----------------------------------------------------------------------------------


def mexico_team() -> Team:
    # Chicago 09:00-17:00, weekly handoff from Mon 2026-09-14: M has the week of 09-14.
    rot = rotation("amer", CHI, "09:00-17:00", ("M", "X"), handoff=7, start=date(2026, 9, 14))
    m = Specialist("M", "Maria", MEX, ("es", "en"), holidays="MX")
    x = Specialist("X", "Xavier", CHI, ("en",))
    return team(rot, specialists=(m, x))


def test_holiday_provider_reads_the_holidays_package():
    assert date(2026, 9, 16) in holiday_dates("MX", 2026)
    assert date(2026, 9, 17) not in holiday_dates("MX", 2026)


def test_holiday_is_a_whole_day_in_the_specialists_own_zone():
    roster = Roster(mexico_team(), holiday_dates)
    # 2026-09-16 00:00 CST (UTC-6) in Mexico City .. 2026-09-17 00:00 CST.
    assert roster.away_intervals("M", z(2026, 9, 15), z(2026, 9, 18)) == [
        (z(2026, 9, 16, 6), z(2026, 9, 17, 6))]
    assert not roster.is_away("M", z(2026, 9, 16, 6) - US)
    assert roster.is_away("M", z(2026, 9, 16, 6))
    assert roster.is_away("M", z(2026, 9, 17, 6) - US)
    assert not roster.is_away("M", z(2026, 9, 17, 6))
    # Without a provider, holidays are not time off.
    assert Roster(mexico_team()).away_intervals("M", z(2026, 9, 15), z(2026, 9, 18)) == []


def test_holiday_skips_member_then_they_are_scheduled_again():
    roster = Roster(mexico_team(), holiday_dates)
    # 09:00-17:00 CDT = 14:00-22:00 UTC.
    got = roster.assignments(z(2026, 9, 15, 12), z(2026, 9, 18, 12))
    assert [(a.start, a.end, a.user, a.kind, a.scheduled) for a in got] == [
        (z(2026, 9, 15, 14), z(2026, 9, 15, 22), "M", "scheduled", "M"),
        (z(2026, 9, 16, 14), z(2026, 9, 16, 22), "X", "substitute", "M"),  # Independence Day
        (z(2026, 9, 17, 14), z(2026, 9, 17, 22), "M", "scheduled", "M"),
    ]
    assert users(roster.on_call_for("es", z(2026, 9, 16, 15))) == []
    assert users(roster.on_call_for("es", z(2026, 9, 17, 15))) == ["M"]


def test_holiday_skips_night_shift_that_runs_into_it():
    # A Chicago night shift starting 09-15 22:00 CDT = 03:00 UTC 09-16 and ending 06:00 CDT
    # = 11:00 UTC meets M's holiday (from 06:00 UTC), so the whole shift goes to X.
    rot = rotation("night", CHI, "22:00-06:00", ("M", "X"), handoff=7, start=date(2026, 9, 14))
    base = mexico_team()
    roster = Roster(team(rot, specialists=base.specialists), holiday_dates)
    got = roster.assignments(z(2026, 9, 15, 12), z(2026, 9, 17, 12))
    assert [(a.start, a.end, a.user, a.kind) for a in got] == [
        (z(2026, 9, 16, 3), z(2026, 9, 16, 11), "X", "substitute"),
        (z(2026, 9, 17, 3), z(2026, 9, 17, 11), "X", "substitute"),  # still 09-16 in MX
    ]
    # The night of 09-17 (03:00 UTC 09-18) is after the holiday: M again.
    (a,) = roster.assignments(z(2026, 9, 18, 3), z(2026, 9, 18, 4))
    assert (a.user, a.kind) == ("M", "scheduled")


# -- Handoff periods -----------------------------------------------------------------------------


def members_on(rot: Rotation, first: date, n_days: int) -> list[str | None]:
    out = []
    for i in range(n_days):
        slot = slot_on(rot, first + timedelta(days=i))
        out.append(None if slot is None else rot.members[slot.member_index])
    return out


def test_daily_handoff_cycles_members_every_day():
    rot = rotation("r", DUB, "08:00-16:00", ("A", "B", "C"), handoff=1)
    # Mon 2026-01-05 onwards, three weeks.
    assert members_on(rot, date(2026, 1, 5), 21) == ["A", "B", "C"] * 7


def test_weekly_handoff_changes_member_each_week():
    rot = rotation("r", DUB, "08:00-16:00", ("A", "B", "C"), handoff=7)
    assert members_on(rot, date(2026, 1, 5), 28) == (
        ["A"] * 7 + ["B"] * 7 + ["C"] * 7 + ["A"] * 7)


def test_every_3_days_handoff():
    rot = rotation("r", DUB, "08:00-16:00", ("A", "B", "C"), handoff=3)
    assert members_on(rot, date(2026, 1, 5), 21) == (
        ["A"] * 3 + ["B"] * 3 + ["C"] * 3 + ["A"] * 3 + ["B"] * 3 + ["C"] * 3 + ["A"] * 3)


def test_weekday_rotation_with_daily_handoff_counts_weekend_periods():
    rot = rotation("r", CHI, "09:00-17:00", ("A", "B", "C"), days=WEEKDAYS_ONLY, handoff=1)
    # Periods 0..13 from Mon 01-05 map to A,B,C,A,B,C,...; Sat/Sun have no shift but
    # still consume their period, so Mon 01-12 (period 7) is B, not C.
    assert members_on(rot, date(2026, 1, 5), 14) == [
        "A", "B", "C", "A", "B", None, None,
        "B", "C", "A", "B", "C", None, None,
    ]
    assert period_of(rot, date(2026, 1, 12)) == 7


def test_weekday_rotation_with_weekly_handoff():
    rot = rotation("r", CHI, "09:00-17:00", ("A", "B"), days=WEEKDAYS_ONLY, handoff=7)
    assert members_on(rot, date(2026, 1, 5), 14) == (
        ["A"] * 5 + [None, None] + ["B"] * 5 + [None, None])


def test_rotation_before_its_start_date_has_no_shifts():
    rot = rotation("r", DUB, "08:00-16:00", ("A", "B"), start=date(2026, 3, 2))
    assert slot_on(rot, date(2026, 3, 1)) is None
    assert slot_at(rot, z(2026, 3, 1, 12)) is None
    assert list(slots_between(rot, z(2026, 2, 1), z(2026, 3, 2))) == []
    roster = Roster(team(rot))
    assert roster.on_call(z(2026, 3, 1, 12)) == []
    assert roster.assignments(z(2026, 2, 1), z(2026, 3, 2)) == []
    # The first shift is members[0]'s, on the start date: 08:00-16:00 GMT.
    first = list(slots_between(rot, z(2026, 2, 1), z(2026, 3, 3)))
    assert [(s.day, s.start, s.end, s.member_index) for s in first] == [
        (date(2026, 3, 2), z(2026, 3, 2, 8), z(2026, 3, 2, 16), 0)]


def test_night_shift_member_is_decided_by_its_start_date():
    # A 22:00-06:00 shift belongs to the period of the local date it starts on.
    rot = rotation("r", CHI, "22:00-06:00", ("A", "B"), handoff=7)
    # Sun 01-11 22:00 CST = 04:00 UTC Mon 01-12, still week 0 -> A; it runs to 12:00 UTC.
    assert users(Roster(team(rot)).on_call(z(2026, 1, 12, 11, 59))) == ["A"]
    # Mon 01-12 22:00 CST = 04:00 UTC Tue 01-13: week 1 -> B.
    assert users(Roster(team(rot)).on_call(z(2026, 1, 13, 4))) == ["B"]


# -- Far-future lookups ----------------------------------------------------------------------------


@pytest.mark.parametrize(("handoff", "members", "expected"), [
    # 2026-01-05 .. 2036-07-15 is 3652 (ten years, leap days 2028 and 2032) + 192 = 3844 days.
    (1, ("A", "B", "C", "D", "E", "F", "G"), "B"),  # 3844 // 1 = 3844; 3844 % 7 = 1
    (7, ("A", "B", "C", "D", "E"), "E"),  # 3844 // 7 = 549; 549 % 5 = 4
    (3, ("A", "B", "C", "D"), "B"),  # 3844 // 3 = 1281; 1281 % 4 = 1
])
def test_lookup_in_2036_answers_the_right_member(handoff, members, expected):
    rot = rotation("amer", CHI, "06:00-18:00", members, handoff=handoff)
    roster = Roster(team(rot))
    t = z(2036, 7, 15, 12)  # 07:00 CDT on Tue 2036-07-15
    slot = slot_at(rot, t)
    # 06:00 CDT = 11:00 UTC .. 18:00 CDT = 23:00 UTC.
    assert (slot.day, slot.start, slot.end) == (date(2036, 7, 15), z(2036, 7, 15, 11),
                                                 z(2036, 7, 15, 23))
    assert slot.period == 3844 // handoff
    assert users(roster.on_call(t)) == [expected]
    assert roster.on_call(t) == list(roster.on_call_direct(t))


# -- Coverage gaps ---------------------------------------------------------------------------------


def two_rotation_team() -> Team:
    # emea: Dublin 08:00-16:00, every day; D1 and D2 read Arabic (D2 French too).
    # amer: Chicago 09:00-17:00, Mon-Fri; C1 and C2 read Spanish. Everyone reads English.
    emea = rotation("emea", DUB, "08:00-16:00", ("D1", "D2"), handoff=7)
    amer = rotation("amer", CHI, "09:00-17:00", ("C1", "C2"), days=WEEKDAYS_ONLY, handoff=7)
    specs = (
        Specialist("D1", "D1", DUB, ("ar", "en")),
        Specialist("D2", "D2", DUB, ("ar", "fr", "en")),
        Specialist("C1", "C1", CHI, ("es", "en")),
        Specialist("C2", "C2", CHI, ("es", "en")),
    )
    return team(emea, amer, specialists=specs, languages=("en", "es", "ar", "fr"))


def test_coverage_gaps_two_rotations_one_language_each():
    roster = Roster(two_rotation_team())
    # Fri 2026-02-13 00:00 UTC .. Sun 2026-02-15 00:00 UTC (week 5 from 01-05: D2, C2).
    # Dublin 08:00-16:00 GMT = 08:00-16:00 UTC on Fri and Sat.
    # Chicago 09:00-17:00 CST = 15:00-23:00 UTC on Fri only.
    gaps = roster.coverage_gaps(z(2026, 2, 13), z(2026, 2, 15))
    assert gaps == {
        "en": [(z(2026, 2, 13, 0), z(2026, 2, 13, 8)),
               (z(2026, 2, 13, 23), z(2026, 2, 14, 8)),
               (z(2026, 2, 14, 16), z(2026, 2, 15, 0))],
        "ar": [(z(2026, 2, 13, 0), z(2026, 2, 13, 8)),
               (z(2026, 2, 13, 16), z(2026, 2, 14, 8)),
               (z(2026, 2, 14, 16), z(2026, 2, 15, 0))],
        "es": [(z(2026, 2, 13, 0), z(2026, 2, 13, 15)),
               (z(2026, 2, 13, 23), z(2026, 2, 15, 0))],
        # D2 (week 5 is odd) reads French: covered only in Dublin hours.
        "fr": [(z(2026, 2, 13, 0), z(2026, 2, 13, 8)),
               (z(2026, 2, 13, 16), z(2026, 2, 14, 8)),
               (z(2026, 2, 14, 16), z(2026, 2, 15, 0))],
    }


def test_coverage_gaps_language_of_off_week_member_is_never_covered():
    roster = Roster(two_rotation_team())
    # Week 6 (Mon 02-16): D1 is on, who does not read French; nobody reads Portuguese.
    window = (z(2026, 2, 16), z(2026, 2, 23))
    gaps = roster.coverage_gaps(*window, languages=["fr", "pt"])
    assert gaps == {"fr": [window], "pt": [window]}


def test_coverage_gaps_across_mismatch_week():
    roster = Roster(two_rotation_team())
    # Tue 2026-03-10: Chicago on CDT (14:00-22:00 UTC), Dublin still GMT (08:00-16:00 UTC).
    gaps = roster.coverage_gaps(z(2026, 3, 10), z(2026, 3, 11), languages=["en", "es"])
    assert gaps == {
        "en": [(z(2026, 3, 10, 0), z(2026, 3, 10, 8)), (z(2026, 3, 10, 22), z(2026, 3, 11, 0))],
        "es": [(z(2026, 3, 10, 0), z(2026, 3, 10, 14)), (z(2026, 3, 10, 22), z(2026, 3, 11, 0))],
    }
