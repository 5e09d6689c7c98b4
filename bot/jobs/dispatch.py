"""Sending runs on its own threads: never on a thread that answers Slack, never on the
reconciler's.

Two bounded pools. The page pool sends page DMs only (what a person is waiting for),
so a page never queues behind a card, a thread line or a manager post, however slow
Slack is with those. The post pool sends everything else. Work is handed over per
request and side (`pages` / `rest`); a request already queued for a side is not queued
twice (the task, once it runs, sends everything due for that side anyway).

Nothing here decides what is due: the outbox does, from the database, so a restart or
another process finds the same work. A failed task is logged and leaves its rows to
their lease and the next sweep.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor

from bot.jobs.acks_first import AcksFirst
from bot.services.outbox import PAGES, REST, Claimed, Outbox, Sender

log = logging.getLogger(__name__)
# Sending threads wait on Slack, not on the CPU: with Slack answering in 300 ms, 20
# escalation steps a second (an update and a ping each) keep about 12 page threads
# busy. Each thread keeps one connection to Slack open.
PAGE_THREADS, POST_THREADS = 24, 12
# Post pool tasks waiting beyond which a filed request's card, thread and notes wait in
# the database rather than in memory, claimed (a 30 s surge at 200 requests/s held
# 6,000, about 14 KB each, and the serving process passed its 150 MB). Not sooner:
# putting them back and reading them again costs two more transactions per request,
# CPU the acknowledgements need in a surge.
REST_BACKLOG = 1000


class Dispatcher:
    def __init__(self, outbox: Outbox, sender: Sender, page_threads: int = PAGE_THREADS,
                 post_threads: int = POST_THREADS, executor: Executor | None = None,
                 acks_first: AcksFirst | None = None):
        """`executor`: runs every task instead of the two pools (a profile passes one
        that runs each task at once, on the caller's thread). `acks_first`: the post
        pool's tasks wait their turn behind the acknowledgements being answered (page
        DMs never do)."""
        self._acks_first = acks_first or AcksFirst(max_wait=0)
        self._outbox = outbox
        self._sender = sender
        self._pools = {
            PAGES: executor or ThreadPoolExecutor(page_threads, "send-pages"),
            REST: executor or ThreadPoolExecutor(post_threads, "send-posts"),
        }
        self._queued: set[tuple[str, int | None]] = set()
        self._running = 0
        self._rest_waiting = 0  # post pool tasks queued, not started
        self._cond = threading.Condition()

    # -- handing work over ---------------------------------------------------------------

    def filed(self, claimed: Claimed) -> None:
        """A request just filed, its messages written already claimed: the pages on the
        page pool, the rest (card, thread, notes) then on the post pool; when the post
        pool is backed up, the rest waits in the database (pending) and only the
        request's id waits here, so a surge's backlog costs no memory per message."""
        rid = claimed.request.id

        def send() -> None:
            if self._outbox.deliver_claimed(
                    self._sender, claimed, later=lambda task: self._submit(REST, task),
                    defer_rest=lambda: self._rest_waiting >= REST_BACKLOG):
                self._queue(REST, rid)

        self._submit(PAGES, send)

    def request(self, request_id: int | None) -> None:
        """Whatever is due for one request (None: rows of no request, such as swap asks)."""
        if request_id is not None:
            self._queue(PAGES, request_id)
        self._queue(REST, request_id)

    def task(self, name: str, work: Callable[[], object]) -> None:
        """Other Slack work the background job found due (on-call group updates), on
        the post pool; queued once per `name` until it starts."""
        key = (f"task:{name}", None)
        with self._cond:
            if key in self._queued:
                return
            self._queued.add(key)

        def run() -> None:
            with self._cond:
                self._queued.discard(key)
            work()

        self._submit(REST, run, key)

    def sweep(self) -> int:
        """Queue every request with messages due: a read, no Slack call. Returns how
        many requests were queued or already waiting."""
        due = self._outbox.due()
        for request_id, has_pages in due:
            if has_pages and request_id is not None:
                self._queue(PAGES, request_id)
            self._queue(REST, request_id)
        return len(due)

    def _queue(self, side: str, request_id: int | None) -> None:
        key = (side, request_id)
        with self._cond:
            if key in self._queued:
                return  # its task has not started: it will send this too
            self._queued.add(key)
        send = self._outbox.deliver_pages if side == PAGES else self._outbox.deliver_rest

        def task() -> None:
            with self._cond:
                self._queued.discard(key)
            send(self._sender, request_id)

        self._submit(side, task, key)

    def _submit(self, side: str, task: Callable[[], object],
                key: tuple[str, int | None] | None = None) -> None:
        def run() -> None:
            try:
                if side == REST:
                    with self._cond:
                        self._rest_waiting -= 1
                    self._acks_first.turn()
                task()
            except Exception:  # the rows keep their lease or stay pending: swept again
                log.exception("sending %s failed", key or side)
            finally:
                with self._cond:
                    self._running -= 1
                    self._cond.notify_all()

        with self._cond:
            self._running += 1
            if side == REST:
                self._rest_waiting += 1
        try:
            self._pools[side].submit(run)
        except RuntimeError:  # shutting down: the next process's sweep sends it
            with self._cond:
                self._running -= 1
                if side == REST:
                    self._rest_waiting -= 1
                if key is not None:
                    self._queued.discard(key)
                self._cond.notify_all()

    # -- waiting and stopping ------------------------------------------------------------

    def idle(self) -> bool:
        with self._cond:
            return self._running == 0

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Wait until no send is queued or running (tests, the demo, shutdown)."""
        until = time.monotonic() + timeout
        with self._cond:
            while self._running:
                left = until - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
        return True

    def close(self) -> None:
        for pool in {id(p): p for p in self._pools.values()}.values():
            pool.shutdown(wait=True)
