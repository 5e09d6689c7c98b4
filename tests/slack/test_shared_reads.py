"""Look-ups of one conversation share a read: when a survivor takes over a dead
process's messages, each is looked up in Slack before it is sent again, and a dozen of
one channel made a dozen `conversations.history` reads. Against the stand-in over HTTP;
the freshness rule (a read answers only look-ups asked before it began) also alone."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from bot.core.messages import DIRECT
from bot.demo.slack_standin import SlackStandIn
from bot.services.outbox_items import Delivery, Found
from bot.slack.client import make_web_client
from bot.slack.sender import SlackSender, _metadata
from bot.slack.shared_reads import SharedReads

CHANNEL = "C0INTAKE01"


def unsure(row: int, since: datetime | None = None) -> Delivery:
    return Delivery(DIRECT, CHANNEL, {"text": f"message of row {row}"}, None, None, None,
                    None, ids=(row,), unsure=True, since=since)


def test_look_ups_asked_together_share_a_read_and_a_later_one_reads_again():
    standin = SlackStandIn(tokens=["xoxb-test"]).start()
    try:
        client = make_web_client("xoxb-test", standin.url, retries=False)
        sender = SlackSender(client, manager_group=lambda team: None)
        for row in range(1, 13):  # what a process posted before it died
            client.chat_postMessage(channel=CHANNEL, text=f"row {row}",
                                    metadata=_metadata([row]))
        # Slack's answers take a while, so the look-ups overlap: all twelve must ask
        # before the second read begins (one read's time after the first). The rows were
        # written a second apart, the later rows first, so each look-up reaches back to a
        # different moment, the later-asked ones further.
        standin.latency = 1.0
        written = datetime.now(UTC)
        with ThreadPoolExecutor(12) as pool:
            found = list(pool.map(
                lambda row: sender.send(unsure(row, written - timedelta(seconds=row))),
                range(1, 13)))
        assert all(isinstance(f, Found) for f in found), found
        reads = [c for c in standin.calls if c.method == "conversations.history"]
        assert 1 <= len(reads) <= 2, len(reads)  # not 12
        assert len([c for c in standin.calls if c.method == "chat.postMessage"]) == 12

        # A message that landed after those reads began is found by the next look-up.
        client.chat_postMessage(channel=CHANNEL, text="row 13", metadata=_metadata([13]))
        assert isinstance(sender.send(unsure(13)), Found)
        assert len([c for c in standin.calls if c.method == "chat.postMessage"]) == 13
    finally:
        standin.stop()


def test_a_read_that_began_before_a_look_up_was_asked_never_answers_it():
    reads = SharedReads()
    started, release = threading.Event(), threading.Event()
    calls = []

    def slow_read() -> list:
        calls.append("slow")
        started.set()
        release.wait(5)
        return ["before"]

    first = threading.Thread(target=lambda: reads.messages(("C1", None), 0.0,
                                                           lambda since: slow_read()))
    first.start()
    assert started.wait(5)
    # Asked while that read is under way: it waits for it, then reads again.
    later = threading.Thread(target=lambda: calls.append(
        reads.messages(("C1", None), 0.0,
                       lambda since: calls.append("again") or ["after"])))
    later.start()
    release.set()
    first.join(5)
    later.join(5)
    assert calls == ["slow", "again", ["after"]]
    # Asked after that read finished: a read that began earlier still does not count.
    assert reads.messages(("C1", None), 0.0, lambda since: ["fresh"]) == ["fresh"]


def test_a_read_reaches_back_for_every_look_up_waiting_when_it_begins():
    """Look-ups reach back to different moments (each to shortly before its own rows
    were written). The read after the one under way answers all who waited for it, so it
    reaches back as far as the earliest of them, not only as far as its own reader."""
    reads = SharedReads()
    started, release = threading.Event(), threading.Event()
    since_of_reads: list[float] = []
    answers: dict[str, list] = {}

    def read(since: float) -> list:
        since_of_reads.append(since)
        if len(since_of_reads) == 1:
            started.set()
            release.wait(5)
        return [f"since {since}"]

    def ask(name: str, oldest: float) -> None:
        answers[name] = reads.messages(("C1", None), oldest, read)

    first = threading.Thread(target=ask, args=("first", 100.0))
    first.start()
    assert started.wait(5)
    waiters = [threading.Thread(target=ask, args=(name, oldest))
               for name, oldest in (("late rows", 200.0), ("early rows", 50.0),
                                    ("middle rows", 120.0))]
    for thread in waiters:
        thread.start()
    give_up = time.monotonic() + 5  # poll, bounded, until all three wait behind it
    while len(reads._waiting.get(("C1", None), [])) < 4 and time.monotonic() < give_up:
        time.sleep(0.001)
    release.set()
    for thread in [first, *waiters]:
        thread.join(5)
    # One read for the first, and one more for all three, reaching back to 50.
    assert since_of_reads == [100.0, 50.0]
    assert answers == {"first": ["since 100.0"], "late rows": ["since 50.0"],
                       "early rows": ["since 50.0"], "middle rows": ["since 50.0"]}
