"""Slack's per-channel posting rate in a surge: page DMs go out at once, the intake
channel's cards and thread lines are combined (a digest card, updated in place, and one
thread post per thread per pass), and every request is listed there within a minute.

Signed /emergency requests to the running app; the Slack stand-in with Slack's limits on
(`RateLimits`: chat.postMessage one a second per channel after a burst of 4, the other
methods' per-minute tiers), on the injected clock, which is also the clock the outbox
holds a turned-away channel by. Page DM times are real: the stand-in's arrival times.

The desk: 20 English readers, each on a 24-hour rotation of their own, so 50 requests
spread over them (fewest recent pages first, at most 3 open each): no one's DM channel
takes more than its burst.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select

from bot.demo.slack_standin import RateLimits
from bot.slack import ids
from bot.store.paging_tables import OutboxRow, RequestRow
from tests.slack_harness import INTAKE, ToolHarness, page_deliveries, page_id_of, utc
from tests.waits import until

PEOPLE = [f"U0SG{i:05d}" for i in range(1, 21)]
BURST = 50
# Seconds from a request sent to its page DM at the stand-in: the contract. It is held
# only while the machine is not oversubscribed: on the shared 2-core machine this was
# written on (load average 9 to 20) the worst of 50 was 1.8 to 13 s with Slack's limits
# on and 3.6 s (load 9) without them, the time going to the filing path's CPU, not to
# Slack's limit. What this test always holds is the part Slack's limit could break:
# no page DM is turned away, and all arrive while the injected clock stands still.
TICKET = re.compile(r"\bT-(\d+)\b")
SECRET_TEXT = "Live video of a gunshot victim is being shared in a group right now"


def surge_desk(folder) -> object:
    folder.mkdir(parents=True, exist_ok=True)
    people = "\n".join(f"  - {{id: {u}, name: Reader {i}, timezone: Europe/London, "
                       f"languages: [en]}}" for i, u in enumerate(PEOPLE, 1))
    rotations = "\n".join(f"  - {{name: en-{i}, timezone: Europe/London, shift: \"00:00-00:00\", "
                          f"handoff: weekly, start: 2026-01-05, tier: primary, members: [{u}]}}"
                          for i, u in enumerate(PEOPLE, 1))
    (folder / "surge-desk.yaml").write_text(f"""team: surge-desk
languages: [en]
intake_channel: {INTAKE}
escalation_channel: C0ESCAL01
managers: [U0MGR0001]
specialists:
{people}
rotations:
{rotations}
escalation:
  default_severity: sev1
  policies:
    sev1:
      steps:
        - {{notify: language_oncall, wait: 5m}}
        - {{notify: managers, wait: 5m}}
      repeat: 0
""", encoding="utf-8")
    return folder


class LimitedHarness(ToolHarness):
    slack_limits = RateLimits()


@pytest.fixture
def slack(tmp_path, db_url):
    h = LimitedHarness(tmp_path, utc(2026, 7, 1, 12, 0), database_url=db_url,
                       schedules=surge_desk(tmp_path / "teams"))
    yield h
    h.quiet_close()


def file_one(h: ToolHarness, i: int) -> tuple[str, float]:
    """File request `i` as its own requester; (ticket, wall clock when it was sent)."""
    sent = time.time()
    r = h.command("/emergency", f"sev1 lang:en Someone says they will hurt themselves "
                  f"tonight, report number {i}", user=f"U0RQ{i:05d}")
    assert r.status == 200, r.text
    return f"T-{TICKET.search(r.text).group(1)}", sent


def tickets_in(text: str | None) -> set[str]:
    """The tickets a text names, whole ("T-1" is not in "T-12")."""
    return {f"T-{n}" for n in TICKET.findall(text or "")}


def page_of(h: ToolHarness, ticket: str):
    """The page DM of `ticket` (the call that posted it)."""
    return next(c for c in h.page_posts() if ticket in tickets_in(c.params.get("text")))


def listed_in_intake(h: ToolHarness) -> set[str]:
    """Tickets a top-level message of the intake channel shows (a card or a digest)."""
    found: set[str] = set()
    for m in h.standin.messages_to(INTAKE):
        if not m.get("thread_ts"):
            found |= tickets_in(m.get("text"))
    return found


def step_until(h: ToolHarness, done, seconds: int = 60) -> bool:
    """Move the injected clock a second at a time (a reconciler pass each) until `done()`,
    for at most `seconds`."""
    for _ in range(seconds):
        if done():
            return True
        h.advance(1)
        h.runtime.dispatch.wait_idle()
    return done()


def deliveries(h: ToolHarness, **labels) -> float:
    """oncall_deliveries_total of this process, summed over the other labels."""
    return sum(sample.value for family in h.runtime.metrics.registry.collect()
               if family.name == "oncall_deliveries" for sample in family.samples
               if sample.name.endswith("_total")
               and all(sample.labels.get(k) == v for k, v in labels.items()))


def rate_limit_logs(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING
            and re.search(r"429|rate.?limit|turned away", r.getMessage(), re.I)]


def test_a_burst_pages_at_once_and_lists_every_request_within_a_minute(slack, caplog):
    caplog.set_level(logging.INFO)
    with ThreadPoolExecutor(8) as pool:
        filed = dict(pool.map(lambda i: file_one(slack, i), range(1, BURST + 1)))
    assert len(filed) == BURST

    # Every page DM reaches Slack while the injected clock stands still (none waits on
    # a channel's hold); how long each took in real time is printed.
    pages = slack.standin.wait_for(
        lambda c: c.ok and c.method == "chat.postMessage"
        and "page_ack" in str(c.params.get("blocks")), count=BURST, timeout=60)
    late = {}
    for c in pages:
        ticket = f"T-{TICKET.search(c.params.get('text') or '').group(1)}"
        late[ticket] = c.received - filed[ticket]
    assert set(late) == set(filed)
    worst = max(late.values())
    print(f"\npage DMs: {BURST} requests, filed-to-page-DM worst {worst * 1000:.0f} ms, "
          f"median {sorted(late.values())[BURST // 2] * 1000:.0f} ms")
    # What makes this meaningful: the injected clock stands still here, so a page DM
    # held back by Slack's limit would not arrive at all until the test moved it.
    assert not [c for c in slack.standin.rate_limited()
                if c.params.get("channel") in PEOPLE], "a page DM was turned away"
    # The real-time figure is printed, not bounded: a timed assertion belongs in bench/
    # (bench.paging_latency measures POST -> page DM), not in the suite, where a busy
    # machine would fail it for reasons that are not the bot's.

    # The intake channel: Slack turns it away after its burst; the rest is combined.
    seconds = 0
    while listed_in_intake(slack) != set(filed) and seconds < 60:
        slack.advance(1)
        slack.runtime.dispatch.wait_idle()
        seconds += 1
    missing = set(filed) - listed_in_intake(slack)
    assert not missing, f"not in the intake channel after {seconds} s: {sorted(missing)}"
    posts_then = len(slack.posts(INTAKE))
    print(f"intake: every request listed after {seconds} s (injected clock); "
          f"{posts_then} posts to the channel, {len(slack.standin.rate_limited())} 429s")

    # Let the thread lines through (each thread gets one post per pass), then check
    # that nothing was lost or doubled.
    for _ in range(30):
        slack.advance(1)
        slack.runtime.dispatch.wait_idle()
    with slack.runtime.sessions() as s:
        states = Counter(o.state for o in s.scalars(select(OutboxRow)))
        digested = s.scalar(select(RequestRow.id).where(RequestRow.card_digest.is_(True))
                            .limit(1))
        uncarded = s.scalars(select(RequestRow.id).where(RequestRow.card_ts.is_(None))).all()
    assert set(states) == {"sent"}, states
    assert digested is not None and not uncarded
    assert max(page_deliveries(slack.standin.calls).values()) == 1
    top = [m for m in slack.standin.messages_to(INTAKE) if not m.get("thread_ts")]
    print(f"intake: {len(top)} top-level messages ({len(top) - 1 if top else 0} beyond the "
          f"first), {len(slack.posts(INTAKE))} posts in all, "
          f"{len(slack.standin.rate_limited())} 429s answered, states {dict(states)}")
    assert len(top) <= 10  # cards before the surge, then digests: bounded
    # Every request's thread lines are in the channel, each once.
    thread_rows = Counter(r for m in slack.standin.messages_to(INTAKE) if m.get("thread_ts")
                          for r in str(((m.get("metadata") or {}).get("event_payload") or {})
                                       .get("rows", "")).split(",") if r)
    assert thread_rows and max(thread_rows.values()) == 1
    # The digest's thread names each line's ticket (it holds several requests' lines).
    digest = next(m for m in slack.standin.messages_to(INTAKE)
                  if "new emergency request" in (m.get("text") or ""))
    in_thread = [m for m in slack.standin.messages_to(INTAKE)
                 if m.get("thread_ts") == digest["ts"]]
    assert in_thread and all(TICKET.search(m["text"]) for m in in_thread)
    # A 429 is Slack's pace, not an error: counted, logged below WARNING.
    assert deliveries(slack, result="rate_limited") >= 1
    assert deliveries(slack, kind="digest", result="sent") >= 1
    assert rate_limit_logs(caplog) == []


def test_without_a_surge_each_request_gets_its_own_card(slack):
    """A desk at its usual pace (a request every 5 s: a card and a few thread posts each,
    within the channel's burst) never meets the limit, and nothing is combined."""
    tickets = []
    for i in range(3):
        tickets.append(file_one(slack, i)[0])
        slack.advance(5)
        slack.runtime.dispatch.wait_idle()
    slack.advance(5)
    assert slack.standin.rate_limited() == []
    cards = [m for m in slack.standin.messages_to(INTAKE) if not m.get("thread_ts")]
    assert [TICKET.search(m["text"]).group(0) for m in cards] == tickets
    assert all("new emergency request" not in m["text"] for m in cards)
    with slack.runtime.sessions() as s:
        assert s.scalars(select(RequestRow).where(RequestRow.card_digest.is_(True))).all() == []


def test_a_digest_takes_later_requests_in_place_and_follows_their_state(slack):
    """Requests filed while the channel is still in a surge are added to the open digest
    (chat.update, not a new post); a listed request's acknowledgement re-renders it."""
    with ThreadPoolExecutor(8) as pool:
        first = dict(pool.map(lambda i: file_one(slack, i), range(1, 13)))
    assert step_until(slack, lambda: listed_in_intake(slack) == set(first))
    digests = [m for m in slack.standin.messages_to(INTAKE)
               if "new emergency request" in (m.get("text") or "")]
    assert len(digests) == 1
    ts = digests[0]["ts"]

    later = [file_one(slack, i)[0] for i in range(13, 15)]
    graphic = slack.command("/emergency", f"graphic sev1 lang:en {SECRET_TEXT}",
                            user="U0RQ09999")
    later.append(f"T-{TICKET.search(graphic.text).group(1)}")
    assert step_until(slack, lambda: set(later) <= listed_in_intake(slack))
    digests = [m for m in slack.standin.messages_to(INTAKE)
               if "new emergency request" in (m.get("text") or "")]
    assert [m["ts"] for m in digests] == [ts]  # no new post: the digest was updated
    assert all(t in digests[0]["text"] for t in later)
    assert slack.updates(ts), "the digest was not updated in place"
    # A sensitive request is listed without its text, on the card and in its thread.
    everything = json.dumps(slack.standin.messages_to(INTAKE), ensure_ascii=False)
    assert "hidden here" in json.dumps(digests[0]["blocks"], ensure_ascii=False)
    assert "gunshot" not in everything

    # Acknowledging a listed request re-renders the digest: it says who has it.
    listed = TICKET.findall(digests[0]["text"])
    ticket = f"T-{listed[0]}"
    with slack.runtime.sessions() as s:
        req = s.get(RequestRow, int(listed[0]))
        assert req.card_digest and req.card_ts == ts
    page = page_of(slack, ticket)
    person = page.params["channel"]
    assert slack.click(ids.ACK, page_id_of(page.params), person).status == 200

    def shown() -> str:
        return json.dumps(slack.standin.message(ts)["blocks"], ensure_ascii=False)
    # Seconds of the injected clock, a pass each: the update waits for the channel's
    # combined pass; a busy machine can leave a pass's sends for the next second.
    assert step_until(slack, lambda: f"*{ticket}* · Acknowledged" in shown(), seconds=30), [
        (c.method, c.status, c.params.get("ts"), "Acknowledged" in json.dumps(c.params))
        for c in slack.standin.calls if c.method == "chat.update"][-8:]
    shown = shown()
    assert f"<@{person}> has it" in shown
    assert all(f"*T-{n}*" in shown for n in listed)  # the others are still listed


def test_a_digest_edit_landing_after_an_acknowledgement_is_followed_by_a_fresh_one(slack):
    """The pass that adds a request to the open digest renders it before it goes out; a
    listed request acknowledged meanwhile has its own edit of the digest land first, and
    then the pass's edit, rendered before the acknowledgement, lands over it. Slack keeps
    the last: the digest showed the request unanswered again, for good (the race behind
    this file's intermittent failure). Once settled, an edit that no longer matches its
    requests is followed by one that does."""
    with ThreadPoolExecutor(8) as pool:
        first = dict(pool.map(lambda i: file_one(slack, i), range(1, 13)))
    assert step_until(slack, lambda: listed_in_intake(slack) == set(first))
    digest = next(m for m in slack.standin.messages_to(INTAKE)
                  if "new emergency request" in (m.get("text") or ""))
    ts, listed = digest["ts"], [f"T-{n}" for n in TICKET.findall(digest["text"])]

    def shows_ack(ticket: str, blocks) -> bool:
        blocks = json.loads(blocks) if isinstance(blocks, str) else blocks
        return f"*{ticket}* · Acknowledged" in json.dumps(blocks, ensure_ascii=False)

    def raced(n: int, ticket: str) -> bool:
        """File request `n` while the digest's next edit is held on its way to Slack,
        acknowledge `ticket` meanwhile, release the edit: did it land over the
        acknowledgement's own edit? (Not when the acknowledgement's edit waited for
        the held pass: its thread line was in it.)"""
        arrived, gate = threading.Event(), threading.Event()

        def hold(method: str, params: dict) -> None:
            if method == "chat.update" and params.get("ts") == ts and not arrived.is_set():
                arrived.set()
                gate.wait(8)  # within the client's 10 s: the edit lands, answered

        slack.standin.before_call = hold
        later = file_one(slack, n)[0]
        stepper = threading.Thread(target=step_until, args=(slack, arrived.is_set, 30))
        stepper.start()
        try:
            assert arrived.wait(30), "the pass adding the new request did not edit the digest"
            page = page_of(slack, ticket)
            click = slack.click(ids.ACK, page_id_of(page.params), page.params["channel"])
            assert click.status == 200
            until(lambda: shows_ack(ticket, slack.standin.message(ts)["blocks"]), timeout=4)
        finally:
            gate.set()
            slack.standin.before_call = None
            stepper.join(30)
        edits = [(later in tickets_in(c.params.get("text")),
                  shows_ack(ticket, c.params.get("blocks")))
                 for c in slack.standin.calls if c.method == "chat.update" and c.ok
                 and c.params.get("ts") == ts]
        return (False, True) in edits and (True, False) in edits[edits.index((False, True)):]

    for n, ticket in zip(range(13, 16), listed, strict=False):
        if raced(n, ticket):
            break
    else:
        pytest.fail("the held edit never landed over an acknowledgement's own edit")
    # The stale edit is followed by a fresh one: the request shows acknowledged again.
    assert step_until(slack, lambda: shows_ack(ticket, slack.standin.message(ts)["blocks"]),
                      seconds=30)


def test_with_the_post_pool_backed_up_the_rest_waits_in_the_database(tmp_path, db_url,
                                                                       monkeypatch):
    """When the sending threads are backed up, a filed request's card, thread line and
    notes go back to pending in the database (not held in memory, claimed) once its
    page DM went; they still go out, each once."""
    import bot.jobs.dispatch as dispatch

    monkeypatch.setattr(dispatch, "REST_BACKLOG", 0)  # always backed up
    h = ToolHarness(tmp_path, utc(2026, 7, 1, 12, 0), database_url=db_url,
                    schedules=surge_desk(tmp_path / "teams"))
    released = []

    def seen(_conn, _cursor, statement, _params, _context, _many) -> None:
        # What putting claimed rows back to pending writes (the store's
        # `release_outbox_rows`); a calm filing never writes it.
        if statement.startswith("UPDATE outbox SET state") and "attempts" in statement:
            released.append(statement)

    from sqlalchemy import event

    event.listen(h.runtime.engine, "before_cursor_execute", seen)
    try:
        tickets = [file_one(h, i)[0] for i in range(1, 6)]
        pages = h.standin.wait_for(
            lambda c: c.ok and c.method == "chat.postMessage"
            and "page_ack" in str(c.params.get("blocks")), count=5, timeout=30)
        assert len(pages) == 5
        h.settle()
        assert listed_in_intake(h) == set(tickets)
        with h.runtime.sessions() as s:
            states = Counter(o.state for o in s.scalars(select(OutboxRow)))
        assert set(states) == {"sent"}, states
        assert max(page_deliveries(h.standin.calls).values()) == 1
        cards = [m for m in h.standin.messages_to(INTAKE) if not m.get("thread_ts")]
        assert len(cards) == 5  # one card each, none posted twice
        threads = {m["thread_ts"] for m in h.standin.messages_to(INTAKE) if m.get("thread_ts")}
        assert len(threads) == 5  # each card has its timeline
        assert released  # the rest did wait in the database
    finally:
        h.quiet_close()
