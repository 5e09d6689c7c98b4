"""Acknowledgements first: while this process answers Slack, its background work
waits its turn (a little).

Slack gives an `/emergency` 3 seconds for its acknowledgement. Every thread of the
process shares one interpreter lock, so the router (routing received requests) and the
post pool (cards, thread lines) take CPU from the threads answering Slack, however few
milliseconds an answer needs. In a surge that turned into acknowledgements queued
behind routing. So the threads answering Slack mark themselves (`answering`), and the
background work asks for its `turn` before each piece: it goes at once when nobody is
being answered, else when the answers are done, or after `max_wait` at the latest, so
that a steady stream of requests slows the background work but never stops it.

Page DMs do not wait: a page reaching a person is what the acknowledgement promised.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

MAX_WAIT = 0.05  # seconds a piece of background work waits at most for the answers


class AcksFirst:
    def __init__(self, max_wait: float = MAX_WAIT):
        self.max_wait = max_wait
        self._cond = threading.Condition()
        self._answering = 0

    @contextmanager
    def answering(self) -> Iterator[None]:
        """Around answering one request from Slack."""
        with self._cond:
            self._answering += 1
        try:
            yield
        finally:
            with self._cond:
                self._answering -= 1
                if not self._answering:
                    self._cond.notify_all()

    def busy(self) -> bool:
        with self._cond:
            return self._answering > 0

    def turn(self) -> None:
        """Wait until no request from Slack is being answered, `max_wait` at most."""
        with self._cond:
            if self._answering:
                self._cond.wait_for(lambda: not self._answering, self.max_wait)
