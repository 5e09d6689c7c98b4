"""bench.web_scaling without servers: what counts as sustained, and bad options."""

from __future__ import annotations

import pytest

from bench.web_scaling import Step, main


def step(**kw) -> Step:
    base = dict(web=1, rate=20, sent=160, acks_late=0, page_p50=0.02, page_p99=0.4,
                pages_missing=0, cpu_per_request=0.01)
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
