"""A listener answers Slack the moment it acknowledges, and finishes on a thread of its own.

Slack waits at most 3 seconds for the answer to a command, a button or a form, and the
answer may only go once the listener committed what it does (it then calls `ack`).
Bolt's own way to answer before the listener ends (`process_before_response=False`)
runs the listener on its executor while the request thread looks for the
acknowledgement every 10 ms (`time.sleep(0.01)` in slack_bolt's ThreadListenerRunner).
That held each answer up to 10 ms after the acknowledgement, and under load every
request thread waiting woke a hundred times a second for the interpreter lock. With an
Event instead, at 50 requests/s on PostgreSQL the page DM's p99 stayed at 21-25 ms
where it had ranged from 19 to 203 ms (bench.paging_latency, three runs each).

So the app processes before responding (Bolt calls the listener on the request thread)
and every listener is registered through `detach`: it runs on the listener executor,
and the request thread waits on an Event that `ack` sets, or the listener's end. A
listener that fails before acknowledging raises on the request thread, so Bolt's error
handler (bot.slack.failures) answers Slack as before; one that fails after it is
logged like Bolt logged it. A listener without `ack` (events: Bolt acknowledges those
itself) is answered at once and runs meanwhile, as before.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Executor

log = logging.getLogger(__name__)
# Slack gives up after 3 s; Bolt waited this long for an acknowledgement too (a
# listener's `ack_timeout`), then answered nothing.
ACK_WAIT = 3.0


def detach(listener: Callable[..., None], executor: Executor,
           ack_wait: float = ACK_WAIT) -> Callable[..., None]:
    """`listener` run on `executor`, returning to Bolt once it acknowledged (its
    signature kept: Bolt passes arguments by their names, through `__wrapped__`)."""

    @functools.wraps(listener)
    def answer_when_acknowledged(**kwargs) -> None:
        ack = kwargs.get("ack")
        if ack is None:  # an event: Bolt acknowledges it when this returns
            executor.submit(_logged, listener, kwargs)
            return
        answered = threading.Event()
        failed: list[BaseException] = []  # before the answer: Bolt's to handle
        settled = threading.Lock()  # a failure is either handed over or logged, once

        def acknowledge(*args, **named):
            try:
                return ack(*args, **named)
            finally:
                answered.set()

        def run() -> None:
            try:
                listener(**{**kwargs, "ack": acknowledge})
            except BaseException as err:  # noqa: BLE001 - handed to Bolt, or logged
                with settled:
                    if answered.is_set():  # acknowledged, or Bolt stopped waiting
                        _failed_after_ack(listener, err)
                    else:
                        failed.append(err)
            finally:
                answered.set()

        executor.submit(run)
        answered.wait(ack_wait)
        with settled:
            answered.set()  # from now on a failure is logged, not handed over
            if failed:
                raise failed[0]  # Bolt's error handler answers Slack

    return answer_when_acknowledged


def _logged(listener: Callable[..., None], kwargs: dict) -> None:
    try:
        listener(**kwargs)
    except Exception as err:  # noqa: BLE001 - nothing waits for it: said in the log
        _failed_after_ack(listener, err)


def _failed_after_ack(listener: Callable[..., None], err: BaseException) -> None:
    log.error("a Slack listener failed after acknowledging (%s): %s: %s",
              getattr(listener, "__qualname__", listener), type(err).__name__, err,
              exc_info=err)
