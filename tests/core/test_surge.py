"""The rules of an intake channel in a surge (bot.core.surge), pure."""

from datetime import UTC, datetime, timedelta

from bot.core import surge

T = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)


def test_a_surge_starts_with_a_429_and_ends_after_calm():
    assert not surge.in_surge(None, T)
    assert surge.in_surge(T, T)
    assert surge.in_surge(T, T + surge.CALM - timedelta(seconds=1))
    assert not surge.in_surge(T, T + surge.CALM)


def test_a_digest_takes_requests_while_young_and_not_full():
    assert surge.digest_takes(T, 0, T) == surge.DIGEST_MAX
    assert surge.digest_takes(T, surge.DIGEST_MAX - 3, T + timedelta(seconds=30)) == 3
    assert surge.digest_takes(T, surge.DIGEST_MAX, T) == 0
    assert surge.digest_takes(T, 1, T + surge.DIGEST_OPEN) == 0


def test_combined_passes_are_paced():
    assert surge.next_pass(None, T) is None
    assert surge.next_pass(T, T + timedelta(milliseconds=200)) == T + surge.PACE
    assert surge.next_pass(T, T + surge.PACE) is None
