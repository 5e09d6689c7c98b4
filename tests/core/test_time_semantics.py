"""Named regression tests for the time semantics in PRODUCT.md ("Time semantics").

Every expected instant is a UTC literal worked out by hand from the tz rules; the
comment beside it shows the local wall-clock time it stands for.

Zones used (2026 rules):
- America/Chicago: CST = UTC-6, CDT = UTC-5. Spring forward 2026-03-08 02:00 CST ->
  03:00 CDT (08:00 UTC); fall back 2026-11-01 02:00 CDT -> 01:00 CST (07:00 UTC).
- Europe/Dublin: GMT = UTC+0, IST = UTC+1. Spring forward 2026-03-29 01:00 GMT ->
  02:00 IST (01:00 UTC); fall back 2026-10-25 02:00 IST -> 01:00 GMT (01:00 UTC).
- Asia/Singapore: SGT = UTC+8 all year.
"""

from __future__ import annotations

import ast
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest

from bot.core import timezones
from bot.core.model import WEEKDAYS, Rotation, Specialist, Team
from bot.core.roster import Roster
from bot.core.rotation import slot_at, slot_on, slots_between

CHI, DUB, SGP = "America/Chicago", "Europe/Dublin", "Asia/Singapore"
US = timedelta(microseconds=1)
H = timedelta(hours=1)


def z(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    """An aware UTC instant."""
    return datetime(y, mo, d, h, mi, tzinfo=UTC)


def rotation(name: str, tzname: str, shift: str, members: tuple[str, ...] = ("A",),
             days: tuple[str, ...] = WEEKDAYS, handoff: int = 1,
             start: date = date(2026, 1, 5), tier: str = "primary") -> Rotation:
    a, b = shift.split("-")
    return Rotation(name, tzname, time.fromisoformat(a), time.fromisoformat(b),
                    frozenset(WEEKDAYS.index(d) for d in days), handoff, start, tier, members)


def team(*rotations: Rotation, specialists: tuple[Specialist, ...] = ()) -> Team:
    """A team; members without an explicit Specialist read English, in UTC."""
    given = {s.id for s in specialists}
    extra = []
    for r in rotations:
        for m in r.members:
            if m not in given:
                given.add(m)
                extra.append(Specialist(m, m, "UTC", ("en",)))
    langs = sorted({lang for s in (*specialists, *extra) for lang in s.languages})
    return Team("t", tuple(langs), "C1", "C2", specialists=(*specialists, *extra),
                rotations=rotations)


def bounds(rot: Rotation, day: date) -> tuple[datetime, datetime]:
    slot = slot_on(rot, day)
    assert slot is not None, f"{rot.name} has no shift on {day}"
    return slot.start, slot.end


def who(assignments) -> list[tuple[str, str | None]]:
    return [(a.rotation, a.user) for a in assignments]


# -- timezones.to_utc: gap and fold -------------------------------------------------------


def test_to_utc_chicago_spring_forward_gap_maps_to_end_of_gap():
    # 02:00..02:59 on 2026-03-08 does not exist in Chicago; all map to 03:00 CDT.
    assert timezones.to_utc(datetime(2026, 3, 8, 2, 30), CHI) == z(2026, 3, 8, 8, 0)
    assert timezones.to_utc(datetime(2026, 3, 8, 2, 0), CHI) == z(2026, 3, 8, 8, 0)
    assert timezones.to_utc(datetime(2026, 3, 8, 2, 59, 59), CHI) == z(2026, 3, 8, 8, 0)
    # Either side of the gap is ordinary: 01:59 CST, 03:00 CDT.
    assert timezones.to_utc(datetime(2026, 3, 8, 1, 59), CHI) == z(2026, 3, 8, 7, 59)
    assert timezones.to_utc(datetime(2026, 3, 8, 3, 0), CHI) == z(2026, 3, 8, 8, 0)


def test_to_utc_chicago_fall_back_fold_takes_first_occurrence():
    # 01:00..01:59 on 2026-11-01 happens twice; the first (CDT, UTC-5) is taken.
    assert timezones.to_utc(datetime(2026, 11, 1, 1, 30), CHI) == z(2026, 11, 1, 6, 30)
    assert timezones.to_utc(datetime(2026, 11, 1, 1, 0), CHI) == z(2026, 11, 1, 6, 0)
    # 00:59 CDT before the fold, 02:00 CST after it.
    assert timezones.to_utc(datetime(2026, 11, 1, 0, 59), CHI) == z(2026, 11, 1, 5, 59)
    assert timezones.to_utc(datetime(2026, 11, 1, 2, 0), CHI) == z(2026, 11, 1, 8, 0)


def test_to_utc_dublin_spring_forward_gap_maps_to_end_of_gap():
    # 01:00..01:59 on 2026-03-29 does not exist in Dublin; all map to 02:00 IST.
    assert timezones.to_utc(datetime(2026, 3, 29, 1, 30), DUB) == z(2026, 3, 29, 1, 0)
    assert timezones.to_utc(datetime(2026, 3, 29, 1, 0), DUB) == z(2026, 3, 29, 1, 0)
    assert timezones.to_utc(datetime(2026, 3, 29, 0, 59), DUB) == z(2026, 3, 29, 0, 59)  # GMT
    assert timezones.to_utc(datetime(2026, 3, 29, 2, 0), DUB) == z(2026, 3, 29, 1, 0)  # IST


def test_to_utc_dublin_fall_back_fold_takes_first_occurrence():
    # 01:00..01:59 on 2026-10-25 happens twice; the first (IST, UTC+1) is taken.
    assert timezones.to_utc(datetime(2026, 10, 25, 1, 30), DUB) == z(2026, 10, 25, 0, 30)
    assert timezones.to_utc(datetime(2026, 10, 25, 1, 0), DUB) == z(2026, 10, 25, 0, 0)
    assert timezones.to_utc(datetime(2026, 10, 25, 2, 0), DUB) == z(2026, 10, 25, 2, 0)  # GMT


def test_to_utc_rejects_aware_input():
    with pytest.raises(ValueError):
        timezones.to_utc(z(2026, 3, 8, 2, 30), CHI)


def test_dst_changes_lists_the_2026_transitions_of_each_zone():
    year = (z(2026, 1, 1), z(2027, 1, 1))
    assert timezones.dst_changes(*year, CHI) == [z(2026, 3, 8, 8), z(2026, 11, 1, 7)]
    assert timezones.dst_changes(*year, DUB) == [z(2026, 3, 29, 1), z(2026, 10, 25, 1)]
    assert timezones.dst_changes(*year, SGP) == []


# -- Chicago: shifts across each transition -----------------------------------------------


def test_chicago_shift_spanning_spring_forward_is_one_hour_shorter():
    rot = rotation("amer", CHI, "00:00-08:00")
    # 00:00 CST (UTC-6) .. 08:00 CDT (UTC-5): 7 hours.
    assert bounds(rot, date(2026, 3, 8)) == (z(2026, 3, 8, 6), z(2026, 3, 8, 13))
    # The day before and after: 8 hours.
    assert bounds(rot, date(2026, 3, 7)) == (z(2026, 3, 7, 6), z(2026, 3, 7, 14))
    assert bounds(rot, date(2026, 3, 9)) == (z(2026, 3, 9, 5), z(2026, 3, 9, 13))


def test_chicago_shift_spanning_fall_back_is_one_hour_longer():
    rot = rotation("amer", CHI, "00:00-08:00")
    # 00:00 CDT (UTC-5) .. 08:00 CST (UTC-6): 9 hours.
    assert bounds(rot, date(2026, 11, 1)) == (z(2026, 11, 1, 5), z(2026, 11, 1, 14))
    assert bounds(rot, date(2026, 10, 31)) == (z(2026, 10, 31, 5), z(2026, 10, 31, 13))
    assert bounds(rot, date(2026, 11, 2)) == (z(2026, 11, 2, 6), z(2026, 11, 2, 14))


def test_chicago_shift_starting_in_spring_forward_gap_begins_at_end_of_gap():
    rot = rotation("amer", CHI, "02:30-10:30")
    # 02:30 does not exist -> 03:00 CDT = 08:00 UTC; ends 10:30 CDT = 15:30 UTC (7.5 h).
    assert bounds(rot, date(2026, 3, 8)) == (z(2026, 3, 8, 8, 0), z(2026, 3, 8, 15, 30))
    roster = Roster(team(rot))
    assert who(roster.on_call(z(2026, 3, 8, 8, 0))) == [("amer", "A")]
    assert roster.on_call(z(2026, 3, 8, 8, 0) - US) == []


def test_chicago_shift_starting_in_fall_back_fold_takes_first_occurrence():
    rot = rotation("amer", CHI, "01:30-09:30")
    # 01:30 CDT (first occurrence) = 06:30 UTC; 09:30 CST = 15:30 UTC (9 hours).
    assert bounds(rot, date(2026, 11, 1)) == (z(2026, 11, 1, 6, 30), z(2026, 11, 1, 15, 30))
    roster = Roster(team(rot))
    assert who(roster.on_call(z(2026, 11, 1, 6, 30))) == [("amer", "A")]
    assert roster.on_call(z(2026, 11, 1, 6, 30) - US) == []


def test_chicago_shift_ending_in_spring_forward_gap_ends_at_end_of_gap():
    rot = rotation("amer", CHI, "20:00-02:30")
    # 20:00 CST Sat 03-07 = 02:00 UTC 03-08; 02:30 (non-existent) -> 03:00 CDT = 08:00 UTC.
    assert bounds(rot, date(2026, 3, 7)) == (z(2026, 3, 8, 2), z(2026, 3, 8, 8))


def test_chicago_shift_ending_in_fall_back_fold_ends_at_first_occurrence():
    rot = rotation("amer", CHI, "18:00-01:30")
    # 18:00 CDT Sat 10-31 = 23:00 UTC; 01:30 CDT (first) 11-01 = 06:30 UTC 11-01.
    assert bounds(rot, date(2026, 10, 31)) == (z(2026, 10, 31, 23), z(2026, 11, 1, 6, 30))


def test_chicago_shift_entirely_inside_spring_forward_gap_does_not_exist():
    rot = rotation("amer", CHI, "02:10-02:50")
    # Both ends map to 03:00 CDT: an empty window, so no shift that day.
    assert slot_on(rot, date(2026, 3, 8)) is None
    assert bounds(rot, date(2026, 3, 9)) == (z(2026, 3, 9, 7, 10), z(2026, 3, 9, 7, 50))
    assert list(slots_between(rot, z(2026, 3, 8), z(2026, 3, 9))) == []


# -- Dublin: shifts across each transition ------------------------------------------------


def test_dublin_shift_spanning_spring_forward_is_one_hour_shorter():
    rot = rotation("emea", DUB, "00:00-08:00")
    # 00:00 GMT .. 08:00 IST (07:00 UTC): 7 hours.
    assert bounds(rot, date(2026, 3, 29)) == (z(2026, 3, 29, 0), z(2026, 3, 29, 7))
    assert bounds(rot, date(2026, 3, 28)) == (z(2026, 3, 28, 0), z(2026, 3, 28, 8))
    assert bounds(rot, date(2026, 3, 30)) == (z(2026, 3, 29, 23), z(2026, 3, 30, 7))


def test_dublin_shift_spanning_fall_back_is_one_hour_longer():
    rot = rotation("emea", DUB, "00:00-08:00")
    # 00:00 IST (23:00 UTC the day before) .. 08:00 GMT: 9 hours.
    assert bounds(rot, date(2026, 10, 25)) == (z(2026, 10, 24, 23), z(2026, 10, 25, 8))
    assert bounds(rot, date(2026, 10, 26)) == (z(2026, 10, 26, 0), z(2026, 10, 26, 8))


def test_dublin_shift_starting_in_spring_forward_gap_begins_at_end_of_gap():
    rot = rotation("emea", DUB, "01:30-09:30")
    # 01:30 does not exist -> 02:00 IST = 01:00 UTC; 09:30 IST = 08:30 UTC (7.5 h).
    assert bounds(rot, date(2026, 3, 29)) == (z(2026, 3, 29, 1, 0), z(2026, 3, 29, 8, 30))


def test_dublin_shift_starting_in_fall_back_fold_takes_first_occurrence():
    rot = rotation("emea", DUB, "01:30-09:30")
    # 01:30 IST (first) = 00:30 UTC; 09:30 GMT = 09:30 UTC (9 hours).
    assert bounds(rot, date(2026, 10, 25)) == (z(2026, 10, 25, 0, 30), z(2026, 10, 25, 9, 30))


# -- Singapore: no DST ----------------------------------------------------------------------


@pytest.mark.parametrize("day", [
    date(2026, 1, 15), date(2026, 3, 8), date(2026, 3, 29), date(2026, 7, 15),
    date(2026, 10, 25), date(2026, 11, 1), date(2026, 12, 31),
])
def test_singapore_shift_has_same_utc_times_all_year(day):
    rot = rotation("apac", SGP, "09:00-17:00")
    # 09:00-17:00 SGT (UTC+8) is always 01:00-09:00 UTC.
    start, end = bounds(rot, day)
    assert (start, end) == (z(day.year, day.month, day.day, 1), z(day.year, day.month, day.day, 9))


def test_singapore_night_shift_has_same_utc_times_all_year():
    rot = rotation("apac", SGP, "22:00-06:00")
    # 22:00 SGT = 14:00 UTC; 06:00 SGT next day = 22:00 UTC: always 8 hours.
    for day in (date(2026, 3, 7), date(2026, 3, 28), date(2026, 10, 24), date(2026, 10, 31)):
        start, end = bounds(rot, day)
        assert start == datetime.combine(day, time(14), UTC)
        assert end - start == 8 * H


# -- Night shifts crossing midnight and a DST change ----------------------------------------


def test_chicago_night_shift_over_spring_forward_lasts_7_hours():
    rot = rotation("amer", CHI, "22:00-06:00")
    # 22:00 CST Sat 03-07 = 04:00 UTC 03-08 .. 06:00 CDT Sun 03-08 = 11:00 UTC.
    assert bounds(rot, date(2026, 3, 7)) == (z(2026, 3, 8, 4), z(2026, 3, 8, 11))
    # The next night is back to 8 hours: 22:00 CDT = 03:00 UTC .. 06:00 CDT = 11:00 UTC.
    assert bounds(rot, date(2026, 3, 8)) == (z(2026, 3, 9, 3), z(2026, 3, 9, 11))
    # A lookup late in the short night finds the shift that started the day before.
    slot = slot_at(rot, z(2026, 3, 8, 10, 59))
    assert slot is not None and slot.day == date(2026, 3, 7)
    assert slot_at(rot, z(2026, 3, 8, 11)) is None


def test_chicago_night_shift_over_fall_back_lasts_9_hours():
    rot = rotation("amer", CHI, "22:00-06:00")
    # 22:00 CDT Sat 10-31 = 03:00 UTC 11-01 .. 06:00 CST Sun 11-01 = 12:00 UTC.
    assert bounds(rot, date(2026, 10, 31)) == (z(2026, 11, 1, 3), z(2026, 11, 1, 12))
    slot = slot_at(rot, z(2026, 11, 1, 11, 59))
    assert slot is not None and slot.day == date(2026, 10, 31)
    # Inside the repeated hour (01:30 CST, the second occurrence = 07:30 UTC) too.
    assert slot_at(rot, z(2026, 11, 1, 7, 30)).day == date(2026, 10, 31)


def test_dublin_night_shift_over_spring_forward_lasts_7_hours():
    rot = rotation("emea", DUB, "22:00-06:00")
    # 22:00 GMT Sat 03-28 = 22:00 UTC .. 06:00 IST Sun 03-29 = 05:00 UTC.
    assert bounds(rot, date(2026, 3, 28)) == (z(2026, 3, 28, 22), z(2026, 3, 29, 5))


def test_dublin_night_shift_over_fall_back_lasts_9_hours():
    rot = rotation("emea", DUB, "22:00-06:00")
    # 22:00 IST Sat 10-24 = 21:00 UTC .. 06:00 GMT Sun 10-25 = 06:00 UTC.
    assert bounds(rot, date(2026, 10, 24)) == (z(2026, 10, 24, 21), z(2026, 10, 25, 6))


def test_night_shift_spans_agree_with_roster_assignments():
    rot = rotation("amer", CHI, "22:00-06:00", members=("A", "B"))
    roster = Roster(team(rot))
    got = roster.assignments(z(2026, 10, 31, 12), z(2026, 11, 2, 12))
    assert [(a.start, a.end, a.user) for a in got] == [
        # Sat 10-31 22:00 CDT .. Sun 06:00 CST; Sun 11-01 22:00 CST .. Mon 06:00 CST.
        (z(2026, 11, 1, 3), z(2026, 11, 1, 12), "B"),   # period 299 (odd) -> B
        (z(2026, 11, 2, 4), z(2026, 11, 2, 12), "A"),
    ]


# -- US/EU mismatch weeks ---------------------------------------------------------------------


def follow_the_sun_day() -> Roster:
    emea = rotation("emea", DUB, "08:00-16:00", members=("D",))
    amer = rotation("amer", CHI, "09:00-17:00", members=("C",))
    return Roster(team(emea, amer))


def test_dublin_chicago_handoff_in_normal_winter_week():
    roster = follow_the_sun_day()
    # Tue 2026-02-10: Dublin 08:00-16:00 GMT = 08:00-16:00 UTC;
    # Chicago 09:00-17:00 CST = 15:00-23:00 UTC. One hour of overlap.
    assert bounds(roster.team.rotation("emea"), date(2026, 2, 10)) == (
        z(2026, 2, 10, 8), z(2026, 2, 10, 16))
    assert bounds(roster.team.rotation("amer"), date(2026, 2, 10)) == (
        z(2026, 2, 10, 15), z(2026, 2, 10, 23))
    assert who(roster.on_call(z(2026, 2, 10, 14, 59))) == [("emea", "D")]
    assert who(roster.on_call(z(2026, 2, 10, 15))) == [("amer", "C"), ("emea", "D")]
    assert who(roster.on_call(z(2026, 2, 10, 16))) == [("amer", "C")]
    gaps = roster.coverage_gaps(z(2026, 2, 10), z(2026, 2, 11))
    assert gaps["en"] == [(z(2026, 2, 10, 0), z(2026, 2, 10, 8)),
                          (z(2026, 2, 10, 23), z(2026, 2, 11, 0))]


def test_dublin_chicago_handoff_in_normal_summer_week():
    roster = follow_the_sun_day()
    # Tue 2026-07-14: Dublin 08:00-16:00 IST = 07:00-15:00 UTC;
    # Chicago 09:00-17:00 CDT = 14:00-22:00 UTC. One hour of overlap.
    assert who(roster.on_call(z(2026, 7, 14, 13, 59))) == [("emea", "D")]
    assert who(roster.on_call(z(2026, 7, 14, 14))) == [("amer", "C"), ("emea", "D")]
    assert who(roster.on_call(z(2026, 7, 14, 15))) == [("amer", "C")]
    gaps = roster.coverage_gaps(z(2026, 7, 14), z(2026, 7, 15))
    assert gaps["en"] == [(z(2026, 7, 14, 0), z(2026, 7, 14, 7)),
                          (z(2026, 7, 14, 22), z(2026, 7, 15, 0))]


@pytest.mark.parametrize("day", [date(2026, 3, 10), date(2026, 3, 27),
                                 date(2026, 10, 27), date(2026, 10, 30)])
def test_dublin_chicago_handoff_in_mismatch_weeks_overlap_two_hours(day):
    roster = follow_the_sun_day()
    # 2026-03-08..03-29 and 2026-10-25..11-01: Chicago on CDT, Dublin on GMT.
    # Dublin 08:00-16:00 GMT = 08:00-16:00 UTC; Chicago 09:00-17:00 CDT = 14:00-22:00 UTC.
    def at(h: int) -> datetime:
        return datetime.combine(day, time(h), UTC)

    assert bounds(roster.team.rotation("emea"), day) == (at(8), at(16))
    assert bounds(roster.team.rotation("amer"), day) == (at(14), at(22))
    assert who(roster.on_call(at(14) - US)) == [("emea", "D")]
    assert who(roster.on_call(at(14))) == [("amer", "C"), ("emea", "D")]
    assert who(roster.on_call(at(16))) == [("amer", "C")]
    # The uncovered evening starts an hour earlier than in winter (22:00, not 23:00 UTC).
    gaps = roster.coverage_gaps(at(0), at(0) + 24 * H)
    assert gaps["en"] == [(at(0), at(8)), (at(22), at(0) + 24 * H)]


def chicago_to_dublin() -> Roster:
    # Chicago nights hand straight to Dublin mornings when both zones are on
    # standard time (and again when both are on summer time).
    amer = rotation("amer", CHI, "18:00-02:00", members=("C",))
    emea = rotation("emea", DUB, "08:00-16:00", members=("D",))
    return Roster(team(amer, emea))


def test_chicago_to_dublin_handoff_is_seamless_in_normal_weeks():
    roster = chicago_to_dublin()
    # Winter: Chicago Mon 02-09 18:00 CST = 00:00 UTC .. 02:00 CST = 08:00 UTC;
    # Dublin 08:00 GMT = 08:00 UTC.
    assert roster.coverage_gaps(z(2026, 2, 10, 0), z(2026, 2, 10, 16))["en"] == []
    assert who(roster.on_call(z(2026, 2, 10, 8) - US)) == [("amer", "C")]
    assert who(roster.on_call(z(2026, 2, 10, 8))) == [("emea", "D")]
    # Summer: Chicago 18:00 CDT = 23:00 UTC .. 02:00 CDT = 07:00 UTC; Dublin 08:00 IST = 07:00.
    assert roster.coverage_gaps(z(2026, 7, 13, 23), z(2026, 7, 14, 15))["en"] == []
    assert who(roster.on_call(z(2026, 7, 14, 7))) == [("emea", "D")]


@pytest.mark.parametrize("day", [date(2026, 3, 10), date(2026, 3, 27),
                                 date(2026, 10, 27), date(2026, 10, 30)])
def test_chicago_to_dublin_handoff_leaves_one_hour_gap_in_mismatch_weeks(day):
    roster = chicago_to_dublin()
    # Chicago night ends 02:00 CDT = 07:00 UTC; Dublin starts 08:00 GMT = 08:00 UTC.
    start = datetime.combine(day, time(0), UTC)
    gaps = roster.coverage_gaps(start, start + 16 * H)
    assert gaps["en"] == [(start + 7 * H, start + 8 * H)]
    assert roster.on_call(start + 7 * H) == []
    assert roster.on_call_for("en", start + 8 * H - US) == []


def test_chicago_to_dublin_on_each_transition_weekend():
    roster = chicago_to_dublin()
    # Sat 03-07 night: 18:00 CST = 00:00 UTC 03-08 .. 02:00 Sun, which does not exist
    # -> 03:00 CDT = 08:00 UTC. Dublin Sun 03-08 still GMT: 08:00 UTC. Seamless.
    assert roster.coverage_gaps(z(2026, 3, 8, 0), z(2026, 3, 8, 16))["en"] == []
    # Sat 03-28 night: 18:00 CDT = 23:00 UTC .. 02:00 CDT = 07:00 UTC 03-29; Dublin Sun 03-29
    # 08:00 IST = 07:00 UTC. Seamless again: the mismatch ended.
    assert roster.coverage_gaps(z(2026, 3, 28, 23), z(2026, 3, 29, 15))["en"] == []
    # Sat 10-24 night: Chicago ends 02:00 CDT = 07:00 UTC 10-25; Dublin Sun 10-25 08:00 GMT.
    assert roster.coverage_gaps(z(2026, 10, 24, 23), z(2026, 10, 25, 16))["en"] == [
        (z(2026, 10, 25, 7), z(2026, 10, 25, 8))]
    # Sat 10-31 night: 18:00 CDT = 23:00 UTC .. 02:00 CST = 08:00 UTC 11-01 (9 hours).
    assert roster.coverage_gaps(z(2026, 10, 31, 23), z(2026, 11, 1, 16))["en"] == []


# -- Half-open boundaries -------------------------------------------------------------------------


def test_handoff_instant_belongs_to_incoming_member():
    # 24-hour shifts handed off daily at 09:00 Chicago time.
    rot = rotation("amer", CHI, "09:00-09:00", members=("A", "B"), start=date(2026, 2, 2))
    roster = Roster(team(rot))
    handoff = z(2026, 2, 3, 15)  # Tue 09:00 CST
    assert who(roster.on_call(handoff)) == [("amer", "B")]
    assert who(roster.on_call_for("en", handoff)) == [("amer", "B")]
    assert who(roster.on_call_direct(handoff)) == [("amer", "B")]
    before = handoff - US
    assert who(roster.on_call(before)) == [("amer", "A")]
    assert who(roster.on_call_for("en", before)) == [("amer", "A")]
    assert who(roster.on_call_direct(before)) == [("amer", "A")]
    assert slot_at(rot, handoff).day == date(2026, 2, 3)
    assert slot_at(rot, before).day == date(2026, 2, 2)


def test_shift_end_instant_is_not_inside_the_shift():
    rot = rotation("emea", DUB, "08:00-16:00")
    roster = Roster(team(rot))
    end = z(2026, 2, 10, 16)  # 16:00 GMT
    (a,) = roster.assignments(z(2026, 2, 10), z(2026, 2, 11))
    assert a.end == end and not a.contains(end) and a.contains(end - US)
    assert a.contains(a.start)
    assert slot_at(rot, end) is None
    assert roster.on_call(end) == [] and list(roster.on_call_direct(end)) == []
    assert roster.on_call_for("en", end) == []
    assert who(roster.on_call(end - US)) == [("emea", "A")]
    # An assignments window that ends at the shift start does not include it.
    assert roster.assignments(z(2026, 2, 10), z(2026, 2, 10, 8)) == []


def test_handoff_at_spring_forward_is_half_open():
    rot = rotation("amer", CHI, "09:00-09:00", members=("A", "B"), start=date(2026, 3, 2))
    roster = Roster(team(rot))
    # Sat 03-07 09:00 CST = 15:00 UTC .. Sun 03-08 09:00 CDT = 14:00 UTC: a 23-hour shift.
    sat = slot_on(rot, date(2026, 3, 7))
    assert (sat.start, sat.end) == (z(2026, 3, 7, 15), z(2026, 3, 8, 14))
    assert sat.member_index == 1  # period 5 -> B
    handoff = z(2026, 3, 8, 14)
    assert who(roster.on_call(handoff)) == [("amer", "A")]
    assert who(roster.on_call(handoff - US)) == [("amer", "B")]
    assert who(roster.on_call_direct(handoff - US)) == [("amer", "B")]


def test_handoff_at_utc_midnight_is_half_open():
    # Singapore 08:00 SGT = 00:00 UTC: handoffs fall on the lookup index's day boundary.
    rot = rotation("apac", SGP, "08:00-08:00", members=("A", "B"), start=date(2026, 2, 2))
    roster = Roster(team(rot))
    handoff = z(2026, 2, 3, 0)
    assert who(roster.on_call(handoff)) == [("apac", "B")]
    assert who(roster.on_call(handoff - US)) == [("apac", "A")]
    assert who(roster.on_call_direct(handoff)) == [("apac", "B")]
    assert who(roster.on_call_direct(handoff - US)) == [("apac", "A")]


# -- pytz stays inside bot/core/timezones.py ----------------------------------------------------


def test_only_timezones_module_imports_pytz():
    core = Path(__file__).resolve().parents[2] / "bot" / "core"
    users = []
    for path in sorted(core.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            if any(n == "pytz" or n.startswith("pytz.") for n in names):
                users.append(path.relative_to(core).as_posix())
    assert sorted(set(users)) == ["timezones.py"]
