"""bot.jobs.acks_first: background work waits its turn behind the answers to Slack,
never for good."""

from __future__ import annotations

import threading

from bot.jobs.acks_first import AcksFirst


def test_turn_is_at_once_when_nobody_is_answered():
    gate = AcksFirst(max_wait=30)
    done = threading.Event()
    threading.Thread(target=lambda: (gate.turn(), done.set()), daemon=True).start()
    assert done.wait(5)


def test_turn_waits_until_the_answers_are_done():
    gate = AcksFirst(max_wait=30)
    order: list[str] = []
    with gate.answering(), gate.answering():
        waiter = threading.Thread(target=lambda: (gate.turn(), order.append("turn")))
        waiter.start()
        waiter.join(0.2)  # had it not waited, it would have gone by now
        order.append("answered")
    waiter.join(5)
    assert order == ["answered", "turn"]
    assert not gate.busy()


def test_a_steady_stream_of_answers_slows_background_work_but_never_stops_it():
    gate = AcksFirst(max_wait=0.01)
    with gate.answering():
        done = threading.Event()
        threading.Thread(target=lambda: (gate.turn(), done.set()), daemon=True).start()
        assert done.wait(5)
        assert gate.busy()  # it went while an answer was still under way


def test_an_answer_that_fails_still_ends():
    gate = AcksFirst()
    try:
        with gate.answering():
            raise RuntimeError("listener blew up")
    except RuntimeError:
        pass
    assert not gate.busy()
