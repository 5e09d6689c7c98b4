"""The pure numbers of grouped reports: percentiles, hour buckets in a person's own zone
(across the March DST change in America/Chicago), regions, on-call hours."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.core import report_numbers as rn


def _linear(values: list[float], q: float) -> float:
    """An independent percentile: linear interpolation between closest ranks."""
    data = sorted(values)
    pos = q * (len(data) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(data) - 1)
    return data[lo] + (data[hi] - data[lo]) * (pos - lo)


def test_percentiles_are_linear_between_closest_ranks():
    values = [float(v) for v in range(1, 11)]
    assert rn.percentile(values, 50) == pytest.approx(5.5)
    assert rn.percentile(values, 95) == pytest.approx(9.55)
    odd = [30.0, 600.0, 45.0, 120.0, 3600.0, 90.0, 61.0]
    p50, p95 = rn.p50_p95(odd)
    assert p50 == pytest.approx(_linear(odd, 0.5)) == 90.0
    assert p95 == pytest.approx(_linear(odd, 0.95))


def test_percentiles_of_one_value_and_of_none():
    assert rn.p50_p95([42.0]) == (42.0, 42.0)
    assert rn.p50_p95([]) == (None, None)


def _bucket_by_zoneinfo(instant: datetime, tz: str) -> str:
    local = instant.astimezone(ZoneInfo(tz))
    if local.weekday() >= 5:
        return "sleep"
    if 9 <= local.hour < 18:
        return "business"
    if 18 <= local.hour < 23:
        return "evening"
    return "sleep"


def test_the_same_utc_hour_changes_bucket_when_chicago_springs_forward():
    # 14:30 UTC is 08:30 CST on Friday 6 March (sleep hours) and 09:30 CDT on Monday 9.
    friday = datetime(2026, 3, 6, 14, 30, tzinfo=UTC)
    assert rn.hour_bucket(friday, "America/Chicago") == "sleep"
    assert rn.hour_bucket(friday + timedelta(days=3), "America/Chicago") == "business"


def test_hour_buckets_in_chicago_across_the_march_dst_change():
    tz = "America/Chicago"
    # DST starts Sunday 8 March 2026 at 02:00 local (08:00 UTC).
    assert rn.hour_bucket(datetime(2026, 3, 6, 23, 30, tzinfo=UTC), tz) == "business"  # 17:30 CST
    assert rn.hour_bucket(datetime(2026, 3, 9, 23, 30, tzinfo=UTC), tz) == "evening"  # 18:30 CDT
    assert rn.hour_bucket(datetime(2026, 3, 10, 4, 30, tzinfo=UTC), tz) == "sleep"  # 23:30 CDT
    assert rn.hour_bucket(datetime(2026, 3, 8, 15, 0, tzinfo=UTC), tz) == "sleep"  # Sunday
    # Every 15 minutes over the week around the change agrees with zoneinfo.
    t = datetime(2026, 3, 4, tzinfo=UTC)
    while t < datetime(2026, 3, 12, tzinfo=UTC):
        assert rn.hour_bucket(t, tz) == _bucket_by_zoneinfo(t, tz), t
        t += timedelta(minutes=15)


def test_regions_from_the_zone_area():
    assert rn.region_of("Europe/Dublin") == "Europe"
    assert rn.region_of("Asia/Singapore") == "Asia"
    assert rn.region_of("America/Chicago") == "Americas"
    assert rn.region_of("America/Argentina/Buenos_Aires") == "Americas"
    assert rn.region_of("Australia/Sydney") == "Oceania"
    assert rn.region_of("Africa/Lagos") == "Africa"
    assert rn.region_of("UTC") == "unknown"
    assert rn.region_of(None) == "unknown"


def test_merged_hours_count_overlaps_once_and_clip_to_the_period():
    d = datetime(2026, 3, 1, tzinfo=UTC)
    h = timedelta(hours=1)
    shifts = [(d, d + 8 * h), (d + 6 * h, d + 10 * h), (d - 5 * h, d + h), (d + 20 * h, d + 30 * h)]
    assert rn.merged_hours(shifts, d, d + 24 * h) == pytest.approx(10 + 4)
    assert rn.merged_hours([], d, d + h) == 0


def test_rate():
    assert rn.rate(1, 4) == 0.25
    assert rn.rate(0, 0) is None
