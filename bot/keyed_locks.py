"""One lock per key (a request and its side, a channel), kept only while in use."""

from __future__ import annotations

import threading
from collections.abc import Hashable, Iterator
from contextlib import contextmanager


class KeyedLocks:
    """`hold(key)` excludes every other holder of the same key, in this process.

    A key's lock exists while some thread holds it or waits for it, and is dropped when
    the last one lets go: the map stays as small as the work in flight, with no pruning
    pass. (Pruning a map of locks by `locked()` could drop a lock a thread had been
    handed but not yet taken, and give the next caller a second lock for the same key.)
    """

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._entries: dict[Hashable, list] = {}  # key -> [its lock, holders and waiters]

    @contextmanager
    def hold(self, key: Hashable) -> Iterator[None]:
        with self._guard:
            entry = self._entries.get(key)
            if entry is None:
                entry = self._entries[key] = [threading.Lock(), 0]
            entry[1] += 1
        try:
            with entry[0]:
                yield
        finally:
            with self._guard:
                entry[1] -= 1
                if not entry[1]:
                    del self._entries[key]

    def __len__(self) -> int:
        """Keys held or waited for now."""
        with self._guard:
            return len(self._entries)
