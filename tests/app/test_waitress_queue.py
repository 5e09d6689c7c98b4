"""Requests waiting for a free request thread: said once a minute at most, not once per
request as waitress's own warning did, and counted by the background work, which gives
way while any wait."""

from __future__ import annotations

import logging
import threading
import time
import urllib.request

from bot.app.waitress_worker import QueueWatch, waiting_requests
from bot.jobs.acks_first import AcksFirst


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_deepest_queue_is_said_once_a_minute_and_waitress_warns_no_more(caplog):
    clock, waiting = Clock(), [0]
    watch = QueueWatch(lambda: waiting[0], threads=16, every=60.0, clock=clock)
    with caplog.at_level(logging.WARNING):
        for second, depth in enumerate([0, 3, 41, 7, 0] + [0] * 60):
            clock.now, waiting[0] = float(second + 1), depth
            watch.look()
            # A surge writes waitress's warning per request: none of them reaches the log.
            logging.getLogger("waitress.queue").warning("Task queue depth is %d", depth)
    said = [r.getMessage() for r in caplog.records]
    assert said == [
        "Requests waited for a free request thread: up to 41 at once in the last 60 s "
        "(16 threads). Slack's acknowledgements wait with them; if this keeps happening, "
        "add a web process."]


def test_a_quiet_minute_says_nothing(caplog):
    clock = Clock()
    watch = QueueWatch(lambda: 0, threads=16, every=60.0, clock=clock)
    with caplog.at_level(logging.WARNING):
        for second in range(1, 200):
            clock.now = float(second)
            watch.look()
    assert caplog.records == []


def _serve(app, threads: int):
    from waitress.server import create_server

    server = create_server(app, host="127.0.0.1", port=0, threads=threads)
    threading.Thread(target=server.run, daemon=True).start()
    return server, f"http://127.0.0.1:{server.effective_port}/"


def _until(check, seconds: float = 5.0) -> bool:
    end = time.monotonic() + seconds
    while not check():
        if time.monotonic() > end:
            return False
        time.sleep(0.005)
    return True


def test_background_work_gives_way_while_requests_wait_for_a_thread():
    # One request thread, held by a first request; a second waits for it in waitress's
    # queue. Nothing under way is slow yet (`behind` an hour), so only the queue can
    # make the router and the post pool give way (bot.jobs.acks_first).
    release = threading.Event()
    gate = AcksFirst(max_wait=30, behind=3600)

    def app(environ, start_response):
        with gate.answering():
            release.wait(10)
            start_response("200 OK", [("Content-Length", "2")])
            return [b"ok"]

    server, url = _serve(app, threads=1)
    try:
        waiting = waiting_requests(server)
        gate.watch_queue(waiting)
        answers: list[int] = []
        clients = [threading.Thread(target=lambda: answers.append(
            urllib.request.urlopen(url, timeout=10).status)) for _ in range(2)]
        for client in clients:
            client.start()
        assert _until(lambda: waiting() == 1)

        turned = threading.Event()
        threading.Thread(target=lambda: (gate.turn(), turned.set()), daemon=True).start()
        assert not turned.wait(0.3)  # had the queue not counted, it would have gone at once
        release.set()
        assert turned.wait(5)
        for client in clients:
            client.join(10)
        assert answers == [200, 200] and waiting() == 0
    finally:
        release.set()
        server.close()


def test_a_request_only_handed_over_to_a_thread_is_not_waiting():
    # Every request passes through waitress's queue on its way to a thread; only one
    # that has sat there longer than a hand-off takes (`handoff`) is waiting for one.
    release = threading.Event()

    def app(environ, start_response):
        release.wait(10)
        start_response("200 OK", [("Content-Length", "2")])
        return [b"ok"]

    server, url = _serve(app, threads=1)
    try:
        queued = waiting_requests(server, handoff=0.0)
        clients = [threading.Thread(target=lambda: urllib.request.urlopen(url, timeout=10))
                   for _ in range(2)]
        for client in clients:
            client.start()
        assert _until(lambda: queued() == 1)  # the second waits behind the first
        assert waiting_requests(server, handoff=3600.0)() == 0  # not for an hour yet
        oldest = server.task_dispatcher.queue[0].last_activity
        assert waiting_requests(server, clock=lambda: oldest + 0.01)() == 0
        assert waiting_requests(server, clock=lambda: oldest + 0.2)() == 1
        release.set()
        for client in clients:
            client.join(10)
        assert queued() == 0
    finally:
        release.set()
        server.close()
