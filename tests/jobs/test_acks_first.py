"""bot.jobs.acks_first: background work waits its turn behind answers to Slack that
fall behind, never for good, and not behind quick ones."""

from __future__ import annotations

import threading

from bot.jobs.acks_first import AcksFirst


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def turned(gate: AcksFirst, timeout: float = 5) -> threading.Event:
    done = threading.Event()
    threading.Thread(target=lambda: (gate.turn(), done.set()), daemon=True).start()
    assert done.wait(timeout)
    return done


def test_turn_is_at_once_when_nobody_is_answered():
    turned(AcksFirst(max_wait=30))


def test_quick_answers_under_way_hold_nothing_up():
    clock = Clock()
    gate = AcksFirst(max_wait=30, behind=0.25, clock=clock)
    with gate.answering():
        clock.t += 0.1  # under way, not behind
        turned(gate)


def test_turn_waits_while_an_answer_falls_behind_until_it_is_done():
    clock = Clock()
    gate = AcksFirst(max_wait=30, behind=0.25, clock=clock, calm=0)
    order: list[str] = []
    with gate.answering(), gate.answering():
        clock.t += 0.3  # both under way for 300 ms: falling behind
        waiter = threading.Thread(target=lambda: (gate.turn(), order.append("turn")))
        waiter.start()
        waiter.join(0.2)  # had it not waited, it would have gone by now
        order.append("answered")
    waiter.join(5)
    assert order == ["answered", "turn"]
    assert not gate.busy()


def test_falling_behind_slows_background_work_but_never_stops_it():
    clock = Clock()
    gate = AcksFirst(max_wait=0.01, behind=0.25, clock=clock)
    with gate.answering():
        clock.t += 1
        turned(gate)
        assert gate.busy()  # it went while the slow answer was still under way


def test_an_answer_that_fails_still_ends():
    gate = AcksFirst()
    try:
        with gate.answering():
            raise RuntimeError("listener blew up")
    except RuntimeError:
        pass
    assert not gate.busy()


def test_after_answers_fell_behind_background_work_waits_for_a_calm_spell():
    # A surge: one piece of background work per `max_wait` until the answers have
    # kept up for `calm`, not a piece each time the answers happen to be done.
    clock = Clock()
    gate = AcksFirst(max_wait=30, behind=0.25, clock=clock, calm=1.0)
    with gate.answering():
        clock.t += 0.3  # behind
        assert gate._behind()
    clock.t += 0.5  # answered; calm for half a second only
    done = threading.Event()
    threading.Thread(target=lambda: (gate.turn(), done.set()), daemon=True).start()
    assert not done.wait(0.3)
    clock.t += 0.6  # a calm second has passed
    assert done.wait(5)  # woken when the calm would be over, not after `max_wait`


def test_requests_waiting_for_a_thread_keep_filings_off_the_answering_threads_for_a_calm_spell():
    clock, waiting = Clock(), [0]
    gate = AcksFirst(max_wait=30, behind=0.25, clock=clock, calm=1.0)
    gate.watch_queue(lambda: waiting[0])
    with gate.answering():
        clock.t += 5  # an answer merely slow: a filing may still wait for its slot
        assert not gate.requests_waiting()
    waiting[0] = 3
    assert gate.requests_waiting()
    waiting[0] = 0
    clock.t += 0.5
    assert gate.requests_waiting()  # the queue emptied half a second ago
    clock.t += 0.6
    assert not gate.requests_waiting()
