"""Requests waiting for a free request thread are said once a minute at most, not once
per request as waitress's own warning did."""

from __future__ import annotations

import logging

from bot.app.waitress_worker import QueueWatch


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_deepest_queue_is_said_once_a_minute_and_waitress_warns_no_more(caplog):
    clock, waiting = Clock(), [0]
    watch = QueueWatch(lambda: waiting[0], threads=16, every=60.0, clock=clock)
    with caplog.at_level(logging.WARNING):
        for second, depth in enumerate([0, 3, 41, 7, 0] + [0] * 60):
            clock.now, waiting[0] = float(second + 1), depth
            watch.look()
            # A surge writes waitress's warning per request: none of them reaches the log.
            logging.getLogger("waitress.queue").warning("Task queue depth is %d", depth)
    said = [r.getMessage() for r in caplog.records]
    assert said == [
        "Requests waited for a free request thread: up to 41 at once in the last 60 s "
        "(16 threads). Slack's acknowledgements wait with them; if this keeps happening, "
        "add a web process."]


def test_a_quiet_minute_says_nothing(caplog):
    clock = Clock()
    watch = QueueWatch(lambda: 0, threads=16, every=60.0, clock=clock)
    with caplog.at_level(logging.WARNING):
        for second in range(1, 200):
            clock.now = float(second)
            watch.look()
    assert caplog.records == []
