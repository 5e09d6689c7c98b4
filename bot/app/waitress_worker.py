"""The gunicorn worker that serves: waitress inside gunicorn's process model.

Why not gunicorn's own gthread worker: it hands each accepted connection to a thread,
which then blocks reading the request. A client that sends headers with
`Content-Length: 100000` and holds back the body (or connects and sends nothing) keeps
a thread until it gives up; sixteen such connections held all sixteen threads, and
signed requests from Slack and /healthz timed out (docs/design.md has the figures).
waitress reads every connection on one event loop and gives a request to a thread only
once it has arrived whole, so a slow or silent client costs a socket, not a thread, and
is closed after `CHANNEL_TIMEOUT` seconds without a byte.

Why inside gunicorn rather than waitress alone: the master stays what the Procfile and
operators know (one process Slack talks to, `post_worker_init` starting the jobs,
`worker_exit` closing the runtime, the worker restarted if it dies, its heartbeat).
"""

from __future__ import annotations

import logging
import os
import resource
import signal
import threading
import time
from collections.abc import Callable

from gunicorn.workers.base import Worker

from bot.app.inbound import MAX_BODY

log = logging.getLogger(__name__)

# A connection that has sent nothing for this long is closed (waitress checks every
# `CLEANUP_INTERVAL` s); Slack sends a request in one go, so only stalled clients notice.
CHANNEL_TIMEOUT = 10
CLEANUP_INTERVAL = 1
# Open connections at once; above it new ones wait in the listen backlog. Each idle one
# costs a socket and a few kilobytes, so it can be generous.
CONNECTION_LIMIT = 1000
# waitress warns "Task queue depth is N" for every request that finds all threads busy:
# under load a warning per request, formatted and written by the one event-loop thread
# that accepts and reads every request (7% of the interpreter lock in a profile at 50
# requests/s on PostgreSQL). Instead the queue is looked at each second and said at
# most this often (QueueWatch).
QUEUE_SAID_EVERY = 60.0
# A request queued for a thread this long is waiting for one, not being handed over
# (a free thread wakes and takes the interpreter lock within a switch interval or a
# few: milliseconds). In a surge they wait hundreds of milliseconds and more.
HANDOFF = 0.05
logging.getLogger("waitress.queue").setLevel(logging.ERROR)


class WaitressWorker(Worker):
    def run(self) -> None:
        if getattr(self, "role", "web") == "jobs":
            # The jobs' worker (bot.app.http_server, `--jobs process`) serves nothing: it
            # never accepts from the shared listening socket, so every connection goes
            # to the web worker. The jobs run on their own threads; this one beats.
            self._heartbeat()
            return
        from waitress.server import create_server

        _raise_open_files_limit(CONNECTION_LIMIT + 200)
        server = create_server(
            self.wsgi, sockets=[s.sock for s in self.sockets], threads=self.cfg.threads,
            channel_timeout=CHANNEL_TIMEOUT, cleanup_interval=CLEANUP_INTERVAL,
            connection_limit=CONNECTION_LIMIT,
            # Bodies over the limit are refused before they are read (413), as in
            # bot.app.inbound, which also covers servers without this setting.
            max_request_body_size=MAX_BODY, max_request_header_size=64 * 1024,
            # select() cannot watch descriptors above 1024.
            asyncore_use_poll=True, ident="oncall-bot", expose_tracebacks=False)
        waiting = waiting_requests(server)
        # Background work gives way while requests wait for a thread (bot.jobs.acks_first).
        acks = getattr(getattr(self.app, "runtime", None), "acks_first", None)
        if acks is not None:
            acks.watch_queue(waiting)
        queue = QueueWatch(waiting, self.cfg.threads)
        threading.Thread(target=self._heartbeat, args=(queue.look,), name="heartbeat",
                         daemon=True).start()
        server.run()  # until SystemExit (handle_exit); then waits for requests in flight

    def _heartbeat(self, every_second: Callable[[], None] = lambda: None) -> None:
        """Tell the master this worker lives; stop when the master is gone."""
        while self.alive:
            self.notify()
            every_second()
            if self.ppid != os.getppid():
                self.log.info("Parent changed, shutting down: %s", self)
                os.kill(os.getpid(), signal.SIGTERM)
                return
            time.sleep(1.0)

    def handle_exit(self, sig, frame) -> None:
        # SIGTERM from the master: leave waitress's loop (it catches SystemExit and
        # lets the requests in flight finish) so gunicorn runs `worker_exit`. A second
        # one while stopping must not cut `worker_exit` (the runtime's clean stop) short.
        if not self.alive:
            return
        super().handle_exit(sig, frame)
        raise SystemExit(0)


def waiting_requests(server, handoff: float = HANDOFF,
                     clock: Callable[[], float] = time.time) -> Callable[[], int]:
    """How many requests waitress `server` has read whole that no request thread has
    taken yet: busy threads, or a free one that has not had the interpreter lock yet.
    Not less the idle threads (as waitress's own warning counts): in a surge on two
    cores the threads are rarely all busy, the requests wait for the lock, and counted
    that way background work never gave way (3,195 of 6,000 acknowledgements over 3 s,
    against none).

    None while the oldest has waited less than `handoff` seconds: every request passes
    through the queue on its way to a thread, and counted at once, such a moment held
    inline filing off for a calm second (bot.jobs.acks_first), each deferral sending
    the requests after it to the router. (A run at a steady 50 requests/s deferred 226
    requests in a row, page DM p99 1.9 s; whether a moment of hand-off began it, the
    run does not tell.)"""
    tasks = server.task_dispatcher.queue

    def waiting() -> int:
        try:
            oldest = tasks[0]
        except IndexError:  # empty (or emptied by a thread meanwhile)
            return 0
        # A queued channel's last activity is the read that completed its request.
        queued_at = getattr(oldest, "last_activity", 0.0)
        return len(tasks) if clock() - queued_at >= handoff else 0

    return waiting


def _raise_open_files_limit(wanted: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


class QueueWatch:
    """Requests waiting for a free request thread: `look` (once a second) reads how many
    wait, and says the deepest seen at most once every `every` seconds."""

    def __init__(self, waiting: Callable[[], int], threads: int,
                 every: float = QUEUE_SAID_EVERY, clock: Callable[[], float] = time.monotonic):
        self._waiting, self._threads, self._every, self._clock = waiting, threads, every, clock
        self._since = clock()
        self.deepest = 0  # since it was last said

    def look(self) -> None:
        self.deepest = max(self.deepest, self._waiting())
        now = self._clock()
        if now - self._since < self._every:
            return
        if self.deepest:
            log.warning(
                "Requests waited for a free request thread: up to %d at once in the last "
                "%.0f s (%d threads). Slack's acknowledgements wait with them; if this "
                "keeps happening, add a web process.", self.deepest, now - self._since,
                self._threads)
        self._since, self.deepest = now, 0
