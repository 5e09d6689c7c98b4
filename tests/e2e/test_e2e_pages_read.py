"""What a person woken by a page reads, end to end: signed requests to the running app,
every Slack call answered and recorded by the stand-in, a manual clock.

- The page says, under its title, by when to acknowledge (in the reader's zone) and
  what happens if nobody does, in words taken from the request's frozen policy.
- One page DM per person per request: paged again (a wider step, a later round), the
  DM is updated in place (chat.update) and a short ping goes in its thread; no second
  full page.
- A page nobody needs any more loses its buttons and says who has the request.
- Decline answers, privately, where the request went next, by name.
- A request text cut for Block Kit says how much is left and opens whole in a modal.

Team: schedules/safety-escalations.yaml on 2026-03-10 at 14:05 UTC: Karim (Chicago,
CDT, UTC-5) and Omar (Dublin, GMT) read Arabic on call; Rami is the Arabic backup. The
sev1 policy: the next reader (2 min), every reader (2 min), the backup (3 min), the
managers (3 min), the escalation channel; twice more.
"""

from __future__ import annotations

import pytest

from bot.slack import ids
from tests.slack_harness import (
    INTAKE,
    ToolHarness,
    blocks_text,
    has_action,
    list_first,
    page_id_of,
    utc,
)

KARIM, OMAR, RAMI = "U0AM00011", "U0EU00009", "U0AM00010"
MANAGERS = ("U0MGR0001", "U0MGR0002")
ARABIC = "sev1 lang:ar بث مباشر لشخص يهدد بالانتحار الآن"
T0 = utc(2026, 3, 10, 14, 5)


@pytest.fixture
def overlap(tmp_path):
    h = ToolHarness(tmp_path, T0)
    list_first(h)  # Karim, then Omar: the order the team lists them
    yield h
    h.quiet_close()


def file(h, text: str = ARABIC) -> None:
    r = h.command("/emergency", text)
    assert r.status == 200 and "T-1" in r.json()["text"], r.text


def first_page(h, user: str):
    h.wait_for_page(user)
    [post] = h.page_posts(user)
    return post


def under_title(message: dict) -> str:
    """The text of the block right under the header."""
    blocks = message["blocks"]
    assert blocks[0]["type"] == "header"
    return blocks[1]["text"]["text"]


def test_the_page_says_by_when_in_the_readers_zone_and_what_happens_then(overlap):
    file(overlap)
    page = first_page(overlap, KARIM).params
    line = under_title(page)
    stamp = int(utc(2026, 3, 10, 14, 7).timestamp())
    # 14:07 UTC is 09:07 in Chicago (summer time began on 8 March); a date token, so
    # Slack shows each reader their own zone, and the fallback is Karim's roster zone.
    assert line == (f"*Acknowledge within 2 min* (by <!date^{stamp}^{{time}}|09:07> your "
                    "time), or every Arabic reader on call is paged, then the off-shift "
                    "Arabic backup.")
    # The request text comes before the details, and no field repeats the title.
    blocks = page["blocks"]
    text_at = next(i for i, b in enumerate(blocks)
                   if b["type"] == "section" and "بث مباشر" in b["text"]["text"])
    fields_at = next(i for i, b in enumerate(blocks) if "fields" in b)
    assert 1 < text_at < fields_at
    fields = [f["text"] for b in page["blocks"] for f in b.get("fields", [])]
    assert not any(f.startswith(("*Severity*", "*Status*")) for f in fields), fields


def test_paged_again_updates_the_page_in_place_and_pings(overlap):
    file(overlap)
    post = first_page(overlap, KARIM)
    dm, ts = post.response["channel"], post.response["ts"]
    first_id = page_id_of(post.params)
    overlap.settle()

    overlap.advance(120)  # every Arabic reader on call: Karim again, and Omar
    overlap.wait_for_page(OMAR)
    [ping] = overlap.standin.wait_for(
        lambda c: c.method == "chat.postMessage" and c.ok
        and c.params.get("thread_ts") == ts, description="the ping in Karim's page thread")
    overlap.settle()

    assert len(overlap.page_posts(KARIM)) == 1, "a second full page to Karim"
    assert ping.params["channel"] == dm and ping.params.get("reply_broadcast") in (True, "true",
                                                                                  "1")
    assert ping.params["text"].startswith(":rotating_light: Paged again: T-1")
    assert "Acknowledge within 2 min" in ping.params["text"]
    assert "the off-shift Arabic backup is paged, then the managers" in ping.params["text"]
    # The page in place carries the new page's buttons and its new deadline.
    updated = overlap.standin.message(ts)
    new_id = page_id_of(updated)
    assert new_id != first_id
    stamp = int(utc(2026, 3, 10, 14, 9).timestamp())
    assert f"(by <!date^{stamp}^{{time}}|09:09> your time)" in under_title(updated)

    # The old page's button (clicked before the update arrived) answers the new page.
    overlap.capture_responses()
    r = overlap.click(ids.ACK, first_id, KARIM)
    assert r.status == 200
    overlap.wait_posted("U0REQ0001", "acknowledged")
    [req] = overlap.requests()
    assert (req.status, req.assignee) == ("acknowledged", KARIM)
    overlap.wait_updated(ts, "Resolve")


def test_stale_pages_lose_their_buttons_and_name_who_has_it(overlap):
    file(overlap)
    karim = first_page(overlap, KARIM)
    overlap.settle()
    overlap.advance(120)
    omar = first_page(overlap, OMAR)
    overlap.settle()
    overlap.click(ids.ACK, page_id_of(omar.params), OMAR)
    overlap.wait_updated(karim.response["ts"], f"Acknowledged by <@{OMAR}>")
    overlap.settle()
    stale = overlap.standin.message(karim.response["ts"])
    assert not has_action(stale["blocks"], ids.ACK)
    assert not has_action(stale["blocks"], ids.DECLINE)
    assert "Acknowledge within" not in blocks_text(stale)


def test_decline_says_who_is_paged_next_by_name(overlap):
    file(overlap)
    karim = first_page(overlap, KARIM)
    overlap.settle()
    overlap.capture_responses()
    r = overlap.click(ids.DECLINE, page_id_of(karim.params), KARIM)
    assert r.status == 200
    reply = overlap.wait_response("Declined T-1")
    assert reply["text"] == f"Declined T-1; now paging <@{OMAR}>, Arabic reader on call."
    assert reply.get("response_type") == "ephemeral"
    overlap.wait_for_page(OMAR)
    overlap.settle()
    thread = [m["text"] for m in overlap.thread(overlap.card("T-1")["ts"])]
    assert any(f"<@{KARIM}> declined; now paging <@{OMAR}>, Arabic reader on call" in t
               for t in thread), thread


def test_decline_when_only_the_managers_are_left_names_them(tmp_path):
    h = ToolHarness(tmp_path, utc(2026, 7, 1, 12, 0))  # Omar alone reads Arabic on call
    try:
        h.command("/emergency", "sev1 lang:ar " + "x" * 20)  # one long word: not too short to page
        omar = first_page(h, OMAR)
        h.settle()
        h.capture_responses()
        h.click(ids.DECLINE, page_id_of(omar.params), OMAR)
        reply = h.wait_response("Declined T-1")
        # Nobody else reads Arabic on call: the backup step is next, by name.
        assert reply["text"] == f"Declined T-1; now paging <@{RAMI}>, an off-shift Arabic backup."
    finally:
        h.quiet_close()


def test_a_long_text_says_how_much_was_cut_and_opens_whole(overlap):
    words = " ".join(f"كلمة{i}" for i in range(700))  # about 5,400 characters
    file(overlap, f"sev1 lang:ar {words}")
    page = first_page(overlap, KARIM).params
    overlap.wait_posted(INTAKE, "T-1")
    card = overlap.card("T-1")
    for message in (page, card):
        shown = blocks_text(message)
        assert "more characters" in shown and has_action(message["blocks"], ids.SHOW_TEXT)
        notice = next(e["text"] for b in message["blocks"] if b["type"] == "context"
                      for e in b["elements"] if "more characters" in e["text"])
        left = int(notice.removeprefix("… ").split(" ")[0].replace(",", ""))
        assert 2000 < left < len(words)
        assert all(len(b.get("text", {}).get("text", "")) <= 3000 for b in message["blocks"])

    r = overlap.click(ids.SHOW_TEXT, "1", KARIM)
    assert r.status == 200
    [opened] = overlap.wait_view_opened(ids.FULL_TEXT_MODAL)
    view = opened.params["view"]
    whole = "".join(b["text"]["text"] for b in view["blocks"] if b["type"] == "section")
    assert whole == words
    assert all(len(b["text"]["text"]) <= 3000 for b in view["blocks"] if b["type"] == "section")


def test_a_show_full_text_click_for_no_such_request_is_answered_plainly(overlap):
    overlap.capture_responses()
    r = overlap.click(ids.SHOW_TEXT, "not-a-number", KARIM)
    assert r.status == 200
    reply = overlap.wait_response("not one this app sent")
    assert "Traceback" not in reply["text"]
    assert overlap.views_opened() == []
