"""The lease keeper's cadence (bot/jobs/leases.py), on a hand-moved clock: its take-over
look is timed by the leases it saw, not a fixed poll. No thread, no wait."""

from __future__ import annotations

from bot.jobs.leases import AT_LEAST, PAST_END, TAKE_OVER_EVERY, LeaseKeeper


class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def keeper(answers: list, clock: Clock) -> tuple[LeaseKeeper, list[float], list[int]]:
    """A keeper whose take-over answers `answers` in turn; the times it looked, and
    what it handed on as taken."""
    looked: list[float] = []
    handed: list[int] = []

    def take_over():
        looked.append(clock.t)
        return answers.pop(0)

    k = LeaseKeeper(lambda: 0, take_over, handed.append, renew_every=2.0, lease=6.0,
                    monotonic=clock)
    return k, looked, handed


def test_the_next_look_follows_the_earliest_foreign_lease():
    clock = Clock()
    # another holder's lease ends in 2.5 s; then nothing held elsewhere; then rows
    # taken over whose holder stopped
    k, looked, handed = keeper([(0, 2.5), (0, None), (3, 1.0)], clock)
    k.keep()  # the first look
    clock.t += 2.5
    k.keep()  # the lease has not ended yet (the look goes just after its end)
    clock.t += PAST_END
    k.keep()
    assert looked == [100.0, 102.5 + PAST_END]
    # nobody else sending: a row claimed after this read cannot run out for a lease
    clock.t += 5.9
    k.keep()
    assert len(looked) == 2
    clock.t += 0.1
    assert k.keep() == 3 and handed == [3]
    assert len(looked) == 3


def test_a_lease_about_to_end_is_not_chased_in_a_loop():
    clock = Clock()
    k, looked, _ = keeper([(0, 0.0), (0, -1.0), (0, None)], clock)
    k.keep()
    clock.t += AT_LEAST - 0.01
    k.keep()
    assert len(looked) == 1
    clock.t += 0.01
    k.keep()
    assert len(looked) == 2


def test_a_take_over_that_says_only_how_many_keeps_the_fixed_period():
    clock = Clock()
    k, looked, _ = keeper([0, 0], clock)
    k.keep()
    clock.t += TAKE_OVER_EVERY - 0.01
    k.keep()
    clock.t += 0.01
    k.keep()
    assert looked == [100.0, 100.0 + TAKE_OVER_EVERY]
