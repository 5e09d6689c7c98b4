"""The reconciler's thread: a pass at start, then asleep until the due time its pass
named, a wake-up or the safety sweep; a failing pass does not stop the next."""

from __future__ import annotations

import threading

from bot.jobs.scheduler import Jobs
from tests import waits


def until(check, timeout: float = 5.0) -> bool:
    return waits.until(check, timeout, every=0.005)


def test_asleep_until_woken_when_nothing_is_due():
    passes = []
    jobs = Jobs(lambda: passes.append(1), interval=60.0)  # None: nothing known to be due
    try:
        jobs.start()
        assert until(lambda: jobs.completed == 1)
        jobs.wake()
        assert until(lambda: jobs.completed == 2)
        assert jobs.passes == 2  # no pass came without the wake-up
    finally:
        jobs.stop()
    assert not jobs.running


def test_a_due_time_named_by_the_pass_brings_the_next_one_without_a_wake_up():
    jobs = Jobs(lambda: 0.05, interval=60.0)
    try:
        jobs.start()
        assert until(lambda: jobs.completed >= 3)
    finally:
        jobs.stop()


def test_wake_ups_during_a_pass_make_one_more_pass_and_a_failure_is_not_the_end():
    gate, calls = threading.Event(), []

    def tick():
        calls.append(1)
        if len(calls) == 1:
            gate.wait(5)
            raise RuntimeError("a bad pass")
        return None

    jobs = Jobs(tick, interval=60.0)
    try:
        jobs.start()
        assert until(lambda: jobs.passes == 1)
        for _ in range(5):  # several commits during the pass: one more pass
            jobs.wake()
        gate.set()
        assert until(lambda: jobs.completed == 2)
        assert jobs.passes == 2
    finally:
        jobs.stop()


def test_stop_during_a_pass_waits_for_it_and_no_pass_follows():
    """The pass under way ends by moving the job to its next run. APScheduler's own
    waiting shutdown holds the lock that move needs: a SIGTERM during a pass hung the
    process until it was killed. `stop` lets the pass finish and starts no other."""
    entered, gate, stopped = threading.Event(), threading.Event(), []

    def tick():
        entered.set()
        gate.wait(5)
        return 0.0  # more is due at once: without the stop, a pass would follow

    jobs = Jobs(tick, interval=60.0)
    jobs.start()
    try:
        assert entered.wait(5)
        stopper = threading.Thread(target=lambda: stopped.append(jobs.stop(timeout=10)))
        stopper.start()
        assert until(lambda: not jobs.running)  # the stop is under way, the pass too
        assert not stopped  # it waits for the pass
        gate.set()
        stopper.join(10)
        assert not stopper.is_alive(), "stop hung behind the pass it waited for"
    finally:
        gate.set()
        jobs.stop(timeout=1)
    assert stopped == [True]
    assert (jobs.passes, jobs.completed) == (1, 1)
    jobs.wake()  # a late commit's wake-up after the stop starts nothing
    assert jobs.passes == 1


def test_wake_ups_before_the_woken_pass_starts_move_the_job_once():
    """Under load every commit wakes the reconciler; once a pass is set for the wake-up
    gap, the next wake-ups change nothing (before, each moved APScheduler's job again)."""
    from apscheduler.events import EVENT_JOB_MODIFIED

    moved = []
    jobs = Jobs(lambda: None, interval=60.0, wake_gap=0.3)
    jobs.scheduler.add_listener(lambda _event: moved.append(1), EVENT_JOB_MODIFIED)
    try:
        jobs.start()
        # The first pass ends by moving the job to the sweep (once).
        assert until(lambda: jobs.completed == 1 and len(moved) == 1)
        moved.clear()
        for _ in range(20):
            jobs.wake()
        assert len(moved) == 1
        assert until(lambda: jobs.completed == 2)
        assert jobs.passes == 2
    finally:
        jobs.stop()
