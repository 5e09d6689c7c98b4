"""Look-ups of one conversation that arrive together share one read of it.

A message whose last attempt may have reached Slack is looked up before it is sent
again (`SlackSender._look_up`). When a process dies, the survivor takes over all its
rows at once: a dozen cards of one intake channel meant a dozen reads of the same
`conversations.history` (Tier 3, about 50 a minute), one after another on the sending
threads, and the dead process's work was delivered seconds late.

A read can answer a look-up only if it began after the look-up was asked for: a message
posted before then is in it; an older read may miss one (a message an earlier attempt
posted after that read began). So the reads of one conversation go one at a time, and a
look-up that waited for one in progress takes the next, which began after it asked.

Each look-up reads back from its own `oldest` (shortly before its rows were written),
so a read must also reach back far enough for every look-up it answers: it reads from
the earliest `oldest` of the look-ups waiting when it begins. Without that, a look-up
that asked early but reached back further than the next reader needed a third read, one
the second could have answered. However many arrive together, two reads answer them all.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from bot.keyed_locks import KeyedLocks

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
        self._guard = threading.Lock()  # guards the two dicts, and `asked`/`began`
        self._reading = KeyedLocks()  # one read of a conversation at a time
        self._last: dict[Key, _Read] = {}
        self._waiting: dict[Key, list[float]] = {}  # the `oldest` of each look-up asked

    def messages(self, key: Key, oldest: float, read: Callable[[float], list]) -> list:
        """The messages of `key` since `oldest` (or a little earlier): a read that began
        after this call, by this thread (`read(since)`) or by another one asking for the
        same conversation."""
        with self._guard:
            asked = self._clock()
            self._waiting.setdefault(key, []).append(oldest)
        try:
            with self._reading.hold(key):
                last = self._last.get(key)
                if last is not None and last.began >= asked and last.oldest <= oldest:
                    return last.messages
                with self._guard:  # every look-up asked by now is in `waiting`
                    began = self._clock()
                    since = min(self._waiting[key])
                messages = read(since)
                with self._guard:
                    self._last[key] = _Read(began, since, messages)
                    if len(self._last) > 1000:  # forget conversations not read for a while
                        now = self._clock()
                        self._last = {k: r for k, r in self._last.items()
                                      if now - r.began < KEEP}
                return messages
        finally:
            with self._guard:
                waiting = self._waiting[key]
                waiting.remove(oldest)
                if not waiting:
                    del self._waiting[key]
