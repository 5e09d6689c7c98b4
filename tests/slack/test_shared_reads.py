"""Look-ups of one conversation share a read: when a survivor takes over a dead
process's messages, each is looked up in Slack before it is sent again, and a dozen of
one channel made a dozen `conversations.history` reads. Against the stand-in over HTTP;
the freshness rule (a read answers only look-ups asked before it began) also alone."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from bot.core.messages import DIRECT
from bot.demo.slack_standin import SlackStandIn
from bot.services.outbox_items import Delivery, Found
from bot.slack.client import make_web_client
from bot.slack.sender import SlackSender, _metadata
from bot.slack.shared_reads import SharedReads

CHANNEL = "C0INTAKE01"


def unsure(row: int) -> Delivery:
    return Delivery(DIRECT, CHANNEL, {"text": f"message of row {row}"}, None, None, None,
                    None, ids=(row,), unsure=True)


def test_look_ups_asked_together_share_a_read_and_a_later_one_reads_again():
    standin = SlackStandIn(tokens=["xoxb-test"]).start()
    try:
        client = make_web_client("xoxb-test", standin.url, retries=False)
        sender = SlackSender(client, manager_group=lambda team: None)
        for row in range(1, 13):  # what a process posted before it died
            client.chat_postMessage(channel=CHANNEL, text=f"row {row}",
                                    metadata=_metadata([row]))
        # Slack's answers take a while, so the look-ups overlap: all twelve must ask
        # before the second read begins (one read's time after the first). At 0.3 s a
        # thread started late on a loaded 2-core CI machine made a third read.
        standin.latency = 1.0
        with ThreadPoolExecutor(12) as pool:
            found = list(pool.map(lambda row: sender.send(unsure(row)), range(1, 13)))
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

    first = threading.Thread(target=lambda: reads.messages(("C1", None), 0.0, slow_read))
    first.start()
    assert started.wait(5)
    # Asked while that read is under way: it waits for it, then reads again.
    later = threading.Thread(target=lambda: calls.append(
        reads.messages(("C1", None), 0.0, lambda: calls.append("again") or ["after"])))
    later.start()
    release.set()
    first.join(5)
    later.join(5)
    assert calls == ["slow", "again", ["after"]]
    # Asked after that read finished: a read that began earlier still does not count.
    assert reads.messages(("C1", None), 0.0, lambda: ["fresh"]) == ["fresh"]
