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
HTTP server's queue, once its oldest has waited longer than a hand-off takes:
bot.app.waitress_worker.HANDOFF). They are not under way yet, so without them a surge
looked calm: each answer, once a thread had it, was quick, while hundreds waited
behind routing.
While answers are behind, background work waits up to `MAX_WAIT` (half a second)
before each piece, and it keeps waiting so until the answers have kept up for `CALM`
(a second): in a surge the queue empties for a moment at many an answer's end, and
going at each such moment, the router still held a third of the interpreter lock.
Meanwhile waitress's event loop, which looks at every open connection on each turn,
grew with the connections waiting (a third of the lock too), and answers fell further
behind. Measured at a 200 requests/s surge on PostgreSQL (one serving process, 2 cores,
a noisy machine; 6,000 requests), acknowledgements over 3 s:

| background work waits | runs |
| --- | --- |
| while an answer is under way 250 ms, 50 ms at most | 2,086; 2,440; 2,895; 3,650 |
| and while requests are queued, 50 ms at most | 0; 0; 3,195; 4,364 |
| and while requests are queued, half a second at most | 0; 0; 955 |
| and until a calm second | 0; 0; 0 (ack p99 449, 569, 1,733 ms); 4,841 (full run) |
| and no inline filing while queued (bot.jobs.router) | 0; 0; 0 (ack p99 33-63 ms) (1) |

(1) The first two with no inline filing while any answer was behind; that also
deferred a filing that had only to wait a moment for its slot, so it was narrowed to
requests queued, which the third ran.

The steady phases (50 requests/s) are unchanged: every request filed inline, page DM
p99 within 50 ms. What the surge gives up: its page DMs wait for routing after it
(2,696-2,947 of 6,000 within a minute of the surge's end, against 3,100-3,700).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

MAX_WAIT = 0.5  # seconds a piece of background work waits at most for the answers
BEHIND = 0.25  # an answer under way this long is falling behind (seconds)
CALM = 1.0  # background work goes freely again this long after answers last fell behind


class AcksFirst:
    def __init__(self, max_wait: float = MAX_WAIT, behind: float = BEHIND,
                 clock: Callable[[], float] = time.monotonic, calm: float = CALM):
        self.max_wait = max_wait
        self.behind = behind
        self.calm = calm
        self._behind_spell = _Spell(calm)  # answers behind
        self._queued_spell = _Spell(calm)  # requests waiting for a thread
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

    def requests_waiting(self) -> bool:
        """Do requests wait for a request thread, or did they less than `calm` ago? A
        request is then only received, not filed inline (bot.jobs.router): a filing is
        several times a receipt's CPU. An answer merely slow (a filing held up a
        moment) does not count here: waiting for an inline slot then beats deferring."""
        with self._cond:
            return self._queued_spell.seen(self._clock(), bool(self._waiting()))

    def _behind(self) -> bool:
        """Answers are falling behind, or were less than `calm` ago."""
        now = self._clock()
        return self._behind_spell.seen(now, bool(
            self._waiting()
            or (self._started and now - min(self._started.values()) >= self.behind)))

    def turn(self) -> None:
        """Wait while answers to Slack are behind (or were, less than `calm` ago),
        `max_wait` at most."""
        if self.max_wait <= 0:
            return
        end = time.monotonic() + self.max_wait  # a real wait, whatever `clock` says
        with self._cond:
            while self._behind():
                left = end - time.monotonic()
                if left <= 0:
                    return
                # Woken when an answer ends, or when the calm would be over.
                calm_left = self._behind_spell.left(self._clock())
                self._cond.wait(min(left, calm_left) if calm_left > 0 else left)


class _Spell:
    """A condition true now, or less than `calm` seconds ago (the calm after it)."""

    def __init__(self, calm: float):
        self.calm = calm
        self._last: float | None = None  # when it was last seen true

    def seen(self, now: float, true_now: bool) -> bool:
        if true_now:
            self._last = now
            return True
        return self.left(now) > 0

    def left(self, now: float) -> float:
        """Seconds of the calm still to run (0 or less: over, or never began)."""
        return 0.0 if self._last is None else self._last + self.calm - now
