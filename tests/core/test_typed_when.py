"""`parsers.parse_when_typed`: dates and times as people type them, read in their zone at
an instant given to it (pure; plain values in, plain values out)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.core.parsers import ParseError, parse_when_typed

# Wed 2026-07-01 12:00 UTC is 15:00 in Cairo (EEST) and 07:00 in Chicago (CDT).
NOW = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("typed", "tz", "expected"),
    [
        ("today", "Africa/Cairo", date(2026, 7, 1)),
        ("Today", "Africa/Cairo", date(2026, 7, 1)),
        ("tomorrow", "Africa/Cairo", date(2026, 7, 2)),
        ("fri", "Africa/Cairo", date(2026, 7, 3)),
        ("friday", "Africa/Cairo", date(2026, 7, 3)),
        ("mon", "Africa/Cairo", date(2026, 7, 6)),
        ("wed", "Africa/Cairo", date(2026, 7, 8)),  # today's own name: a week ahead
        ("+2h", "Africa/Cairo", datetime(2026, 7, 1, 17, 0)),
        ("+30m", "America/Chicago", datetime(2026, 7, 1, 7, 30)),
        ("+3d", "America/Chicago", datetime(2026, 7, 4, 7, 0)),
        ("18:00", "Africa/Cairo", datetime(2026, 7, 1, 18, 0)),  # later today
        ("14:00", "Africa/Cairo", datetime(2026, 7, 2, 14, 0)),  # passed: tomorrow
        ("8:00", "America/Chicago", datetime(2026, 7, 1, 8, 0)),
        ("2026-12-24", "Africa/Cairo", date(2026, 12, 24)),
        ("2026-12-24T08:00", "Africa/Cairo", datetime(2026, 12, 24, 8, 0)),
    ],
)
def test_typed_forms(typed, tz, expected):
    got = parse_when_typed(typed, NOW, tz)
    assert got == expected and type(got) is type(expected)


def test_the_zone_decides_the_day():
    late = datetime(2026, 7, 1, 23, 30, tzinfo=UTC)  # Thu 02:30 in Cairo, Wed in Chicago
    assert parse_when_typed("today", late, "Africa/Cairo") == date(2026, 7, 2)
    assert parse_when_typed("today", late, "America/Chicago") == date(2026, 7, 1)


def test_plus_hours_counts_real_time_across_a_clock_change():
    # Dublin springs forward at 01:00 UTC on 2026-03-29: 00:30 GMT + 2h is 03:30 IST.
    before = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)
    assert parse_when_typed("+2h", before, "Europe/Dublin") == datetime(2026, 3, 29, 3, 30)


@pytest.mark.parametrize(
    ("typed", "kind"),
    [("soon", "form"), ("+0h", "zero"), ("25:00", "time_only"), ("2026-02-30", "invalid"),
     ("2026-12-24T08:00Z", "offset")],
)
def test_bad_forms_say_which_rule_failed(typed, kind):
    with pytest.raises(ParseError) as err:
        parse_when_typed(typed, NOW, "Africa/Cairo")
    assert err.value.kind == kind
    if kind == "form":
        assert "today, tomorrow" in err.value.message and "+2h" in err.value.message
