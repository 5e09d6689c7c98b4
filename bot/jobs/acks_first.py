"""Acknowledgements first: when answers to Slack fall behind, this process's
background work waits its turn (a little).

Slack gives an `/emergency` 3 seconds for its acknowledgement. Every thread of the
process shares one interpreter lock, so the router (routing received requests) and the
post pool (cards, thread lines) take CPU from the threads answering Slack. In a surge
that turned into acknowledgements queued behind routing. So the threads answering
Slack mark themselves (`answering`), and the background work asks for its `turn`
before each piece. It goes at once unless an answer has been under way for longer
than `behind` (an answer normally takes milliseconds: one that has waited this long is
starved of the lock); then it waits until the answers are done, or `max_wait` at the
latest, so that a stream of slow answers slows the background work but never stops it.
Waiting on every answer in flight would halve the routing rate at a steady 30
requests a second, where answers are quick and nothing needs to give way.

Requests read whole that no request thread has taken yet count too (`watch_queue`: the
HTTP server's queue). They are not under way yet, so without them a surge looked calm:
each answer, once a thread had it, was quick, while hundreds waited behind routing.
While they wait, background work waits up to `MAX_WAIT` (half a second) before each
piece, so answers that fell behind catch up; it goes as soon as the queue is empty at
an answer's end, which in a surge the answers keep up with is often. Measured at a 200
requests/s surge on PostgreSQL (one serving process, 2 cores, a noisy machine; 6,000
requests): without the queue counted, 2,086-3,650 acknowledgements over 3 s in four
runs; with it and a 50 ms wait, 0, 0, 3,195 and 4,364; with it and half a second, 0
and 0 (ack p99 889 and 182 ms), the steady phases' page DMs still within target.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

MAX_WAIT = 0.5  # seconds a piece of background work waits at most for the answers
BEHIND = 0.25  # an answer under way this long is falling behind (seconds)


class AcksFirst:
    def __init__(self, max_wait: float = MAX_WAIT, behind: float = BEHIND,
                 clock: Callable[[], float] = time.monotonic):
        self.max_wait = max_wait
        self.behind = behind
        self._clock = clock
        self._cond = threading.Condition()
        self._started: dict[int, float] = {}  # answers under way: token -> start
        self._next = 0
        self._waiting: Callable[[], int] = lambda: 0  # requests no thread has taken yet

    @contextmanager
    def answering(self) -> Iterator[None]:
        """Around answering one request from Slack."""
        with self._cond:
            token = self._next
            self._next += 1
            self._started[token] = self._clock()
        try:
            yield
        finally:
            with self._cond:
                del self._started[token]
                self._cond.notify_all()

    def busy(self) -> bool:
        with self._cond:
            return bool(self._started)

    def watch_queue(self, waiting: Callable[[], int]) -> None:
        """`waiting()`: how many requests no request thread has taken yet (the HTTP
        server's queue, known once the server is made). Any at all is falling behind:
        at a steady rate a request sits there for a moment only."""
        self._waiting = waiting

    def _falling_behind(self) -> bool:
        if self._waiting():
            return True
        return bool(self._started) and (
            self._clock() - min(self._started.values()) >= self.behind)

    def turn(self) -> None:
        """Wait while an answer to Slack is falling behind, `max_wait` at most."""
        with self._cond:
            if self.max_wait > 0 and self._falling_behind():
                self._cond.wait_for(lambda: not self._falling_behind(), self.max_wait)
