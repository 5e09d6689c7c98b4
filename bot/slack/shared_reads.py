"""Look-ups of one conversation that arrive together share one read of it.

A message whose last attempt may have reached Slack is looked up before it is sent
again (`SlackSender._look_up`). When a process dies, the survivor takes over all its
rows at once: a dozen cards of one intake channel meant a dozen reads of the same
`conversations.history` (Tier 3, about 50 a minute), one after another on the sending
threads, and the dead process's work was delivered seconds late.

A read can answer a look-up only if it began after the look-up was asked for: a message
posted before then is in it; an older read may miss one (a message an earlier attempt
posted after that read began). So the reads of one conversation go one at a time, and a
look-up that waited for one in progress takes the next, which began after it asked:
however many arrive together, two reads answer them all.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

Key = tuple[str, str | None]  # (channel, thread ts or None)
KEEP = 60.0  # seconds a finished read is kept, for look-ups that waited for it


@dataclass(frozen=True)
class _Read:
    began: float  # time.monotonic() when the read was started
    oldest: float  # its `oldest` (epoch seconds): messages before it are not in it
    messages: list


class SharedReads:
    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self._clock = clock
        self._guard = threading.Lock()
        self._locks: dict[Key, threading.Lock] = {}
        self._last: dict[Key, _Read] = {}

    def messages(self, key: Key, oldest: float, read: Callable[[], list]) -> list:
        """The messages of `key` since `oldest`: a read that began after this call, by
        this thread (`read()`) or by another one asking for the same conversation."""
        asked = self._clock()
        with self._lock_for(key):
            last = self._last.get(key)
            if last is not None and last.began >= asked and last.oldest <= oldest:
                return last.messages
            began = self._clock()
            messages = read()
            with self._guard:
                self._last[key] = _Read(began, oldest, messages)
            return messages

    def _lock_for(self, key: Key) -> threading.Lock:
        with self._guard:
            if len(self._locks) > 1000:  # forget conversations not read for a while
                now = self._clock()
                self._last = {k: r for k, r in self._last.items() if now - r.began < KEEP}
                self._locks = {k: lock for k, lock in self._locks.items()
                               if k in self._last or lock.locked()}
            return self._locks.setdefault(key, threading.Lock())
