"""bench.web_scaling without servers: what counts as sustained, the ladder's order and
stopping rule, the verdict over runs, and bad options."""

from __future__ import annotations

import pytest

from bench.paging.server import cpu_delta, machine_cpu_seconds, postgres_cpu_seconds
from bench.web_scaling import Step, climb, highest, main, more_wins


def step(**kw) -> Step:
    base = dict(web=1, rate=20, sent=160, acks_late=0, page_p50=0.02, page_p99=0.4,
                pages_missing=0, cpu_per_request=0.01, pg_per_request=0.003,
                bench_per_request=0.003, machine_per_request=0.016)
    return Step(**{**base, **kw})


def test_a_rate_is_sustained_only_with_every_ack_in_time_and_pages_within_the_bound():
    assert step().sustained(1.0)
    assert not step(acks_late=1).sustained(1.0)
    assert not step(pages_missing=1).sustained(1.0)
    assert not step(page_p99=1.2).sustained(1.0)
    assert step(page_p99=1.2).sustained(2.0)


def machine(limits: dict[int, float]):
    """Steps as a machine where `web` processes sustain up to `limits[web]` requests/s
    would give them (page DM p99 past the bound above it), and the order they ran in."""
    ran: list[tuple[int, float]] = []

    def run(web: int, rate: float) -> Step:
        ran.append((web, rate))
        return step(web=web, rate=rate, page_p99=0.1 if rate <= limits[web] else 2.0)

    return run, ran


def test_the_counts_take_turns_at_each_rate_and_each_stops_at_its_first_miss():
    run, ran = machine({1: 100, 2: 120})
    steps = climb([90, 100, 110, 120, 130], [1, 2], 1.0, run)
    assert ran == [(1, 90), (2, 90), (1, 100), (2, 100), (1, 110), (2, 110), (2, 120),
                   (2, 130)]
    assert [(s.web, s.rate) for s in steps] == ran
    assert highest(steps, 1, 1.0) == 100 and highest(steps, 2, 1.0) == 120


def test_the_ladder_ends_once_no_count_is_climbing():
    run, ran = machine({1: 0, 2: 0})
    steps = climb([90, 100, 110], [1, 2], 1.0, run)
    assert ran == [(1, 90), (2, 90)]
    assert highest(steps, 1, 1.0) is None and highest(steps, 2, 1.0) is None


def test_two_processes_pass_in_more_than_half_of_the_runs():
    def one_run(limits):
        return climb([100, 110, 120], [1, 2], 1.0, machine(limits)[0])

    better, same, none = one_run({1: 100, 2: 110}), one_run({1: 110, 2: 110}), \
        one_run({1: 0, 2: 0})
    assert more_wins([better], 1, 2, 1.0) == (1, True)
    assert more_wins([same], 1, 2, 1.0) == (0, False)
    assert more_wins([none], 1, 2, 1.0) == (0, False)
    assert more_wins([better, same, better], 1, 2, 1.0) == (2, True)
    assert more_wins([better, same], 1, 2, 1.0) == (1, False)  # half is not more
    only_two = one_run({1: 0, 2: 100})  # one process sustained not even the lowest
    assert more_wins([only_two], 1, 2, 1.0) == (1, True)


@pytest.mark.parametrize("argv", [["--rates", "fast"], ["--web", "0"], ["--rates", "0"],
                                  ["--web", ""], ["--rates", "120,100"],
                                  ["--repeat", "0"]])
def test_bad_options_are_refused_before_anything_starts(argv, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    assert "--rates" in capsys.readouterr().err


def test_postgres_cpu_counts_backends_opened_between_readings_from_zero():
    before = {10: 5.0, 11: 1.0, 12: 2.0}  # 12 exits before the second reading
    after = {10: 5.5, 11: 1.25, 13: 0.5}  # 13 opened in between
    assert cpu_delta(before, after) == pytest.approx(0.5 + 0.25 + 0.5)


def test_the_cpu_readings_come_from_this_machine():
    busy = machine_cpu_seconds()
    assert busy > 0 and machine_cpu_seconds() >= busy
    assert all(seconds >= 0 for seconds in postgres_cpu_seconds().values())
