"""bench.web_scaling without servers: what counts as sustained, and bad options."""

from __future__ import annotations

import pytest

from bench.paging.server import cpu_delta, machine_cpu_seconds, postgres_cpu_seconds
from bench.web_scaling import Step, main


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


@pytest.mark.parametrize("argv", [["--rates", "fast"], ["--web", "0"], ["--rates", "0"],
                                  ["--web", ""]])
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
