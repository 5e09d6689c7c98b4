"""End to end, issue 10 ("What a person reads at 3 a.m."): alerts that can be acted on,
hand over to readers only, the requester's note, and the Home tab's order. Signed
requests to /slack/events of the running app, Slack answered by the stand-in, a manual
clock moved with `advance` (one reconciler tick each).

Team: schedules/safety-escalations.yaml at 2026-03-10 14:05 UTC: Karim (U0AM00011) and
Omar (U0EU00009) read Arabic on call, Rami (U0AM00010) is the off-shift Arabic backup;
the sev1 policy pages Karim, then both (2 min), then Rami (2 min), then DMs the
managers (3 min), then posts in the escalation channel (3 min).
"""

from __future__ import annotations

import json
import urllib.parse

import pytest

from bot.demo import simulate
from bot.schedules.reader import load_schedules
from bot.slack import ids
from tests.slack_harness import (
    ESCALATION,
    INTAKE,
    SCHEDULES,
    ToolHarness,
    blocks_text,
    has_action,
    list_first,
    page_id_of,
    utc,
)

OMAR, KARIM, RAMI = "U0EU00009", "U0AM00011", "U0AM00010"
MGR = "U0MGR0001"
REQUESTER = "U0REQ0001"
ARABIC = "sev1 lang:ar بث مباشر لشخص يهدد بالانتحار الآن"


@pytest.fixture
def h(tmp_path):
    harness = ToolHarness(tmp_path, utc(2026, 3, 10, 14, 5))
    list_first(harness)  # Karim, then Omar: the order the team lists them
    yield harness
    harness.quiet_close()


def file(h) -> None:
    r = h.command("/emergency", ARABIC)
    assert r.status == 200 and "T-1" in r.json()["text"], r.text
    h.wait_for_page(KARIM)
    h.settle()


def to_managers(h) -> None:
    """Let the sev1 steps run until the managers' DMs are sent."""
    for seconds in (120, 120, 180):
        h.advance(seconds)
    h.wait_posted(MGR, "T-1")


def to_channel(h) -> None:
    to_managers(h)
    h.advance(180)
    h.wait_posted(ESCALATION, "T-1")


def buttons(message: dict) -> list[tuple[str, str]]:
    return [(e["action_id"], e["value"]) for b in message.get("blocks") or []
            if b.get("type") == "actions" for e in b["elements"]]


def click(h, action: str, value: str, user: str, channel: str | None = None) -> None:
    r = h.click(action, value, user, channel=channel)
    assert r.status == 200 and r.body == b"", r.text


def wait_home(h, user: str, contains: str) -> dict:
    """The Home tab published to `user` once it shows `contains`."""
    h.standin.wait_for(lambda c: c.method == "views.publish" and c.ok
                       and c.params.get("user_id") == user
                       and contains in json.dumps(c.params.get("view"), ensure_ascii=False),
                       description=f"a Home tab for {user} with {contains!r}")
    return h.standin.home_view(user)


def open_home(h, user: str, event_id: str) -> dict:
    before = len(h.standin.calls_to("views.publish"))
    r = h.event({"type": "app_home_opened", "user": user, "channel": f"D{user}",
                 "tab": "home"}, event_id)
    assert r.status == 200, r.text
    h.standin.wait_for_calls("views.publish", count=before + 1)
    return h.standin.home_view(user)


def card_ts(h) -> str:
    h.wait_posted(INTAKE, " T-1 ")
    return h.card("T-1")["ts"]


# -- Take it -------------------------------------------------------------------------------


def test_both_alerts_carry_take_it_and_page_someone(h):
    file(h)
    to_channel(h)
    [dm] = h.dms(MGR)
    [post] = h.standin.messages_to(ESCALATION)
    for message in (dm, post):
        assert buttons(message) == [(ids.TAKE, "1"), (ids.PAGE_SOMEONE, "1")]


def test_take_it_from_the_channel_post(h):
    file(h)
    card = card_ts(h)
    to_channel(h)
    karim_first = h.page_posts(KARIM)[0].response["ts"]

    h.capture_responses()
    click(h, ids.TAKE, "1", OMAR, channel=ESCALATION)
    assert h.wait_response("You have T-1")["response_type"] == "ephemeral"
    # The requester hears who has it and when, in their own time.
    [note] = h.wait_posted(REQUESTER, "acknowledged")
    assert f"<@{OMAR}> acknowledged *T-1* at <!date^" in note.params["text"]
    assert "your time" in note.params["text"]
    assert not has_action(note.params.get("blocks"), ids.TAKE)
    assert not any(b.get("type") == "actions" for b in note.params.get("blocks") or [])
    # The card names him; Karim's page stops and says who has it.
    h.wait_updated(card, f"<@{OMAR}>")
    h.wait_updated(karim_first, f"<@{OMAR}>")
    [req] = h.requests()
    assert (req.status, req.assignee, req.paged) == ("acknowledged", OMAR, ())
    # The timeline says he took it.
    h.settle()
    assert any("took it from the alert" in blocks_text(m) and f"<@{OMAR}>" in blocks_text(m)
               for m in h.thread(card))
    # His Home tab lists it as his, with Resolve.
    home = wait_home(h, OMAR, f"{ids.HOME_REQUEST_BLOCK}:1")
    rows = [b for b in home["blocks"] if b["type"] == "actions"]
    assert [(e["action_id"], e["value"]) for e in rows[0]["elements"]] == [
        (ids.RESOLVE, "1"), (ids.HANDOVER, "1")]
    # Nothing escalates any more.
    posts = len(h.posts())
    h.advance(1800)
    assert [c for c in h.posts()[posts:] if has_action(c.params.get("blocks"), ids.ACK)] == []


def test_take_it_from_a_manager_dm_then_a_second_take_changes_nothing(h):
    file(h)
    card = card_ts(h)
    to_managers(h)
    # Before anyone takes it, the manager's Home tab offers it with Take it.
    home = open_home(h, MGR, "Ev0ALERT001")
    assert (f"{ids.HOME_ALERT_BLOCK}:1" in json.dumps(home)
            and has_action(home["blocks"], ids.TAKE))

    click(h, ids.TAKE, "1", MGR)
    h.wait_posted(REQUESTER, "acknowledged")
    h.wait_updated(card, f"<@{MGR}>")
    [req] = h.requests()
    assert (req.status, req.assignee) == ("acknowledged", MGR)
    home = wait_home(h, MGR, f"{ids.HOME_REQUEST_BLOCK}:1")
    assert not has_action(home["blocks"], ids.TAKE)
    h.settle()

    # The other manager clicks Take it on their DM too late: told who, nothing changes.
    responses = h.capture_responses()
    calls = len(h.standin.calls)
    click(h, ids.TAKE, "1", "U0MGR0002")
    answer = h.wait_response("already has T-1")
    assert f"<@{MGR}> already has T-1" in answer["text"]
    assert answer["response_type"] == "ephemeral"
    h.settle()
    [req] = h.requests()
    assert (req.status, req.assignee) == ("acknowledged", MGR)
    # Only the private answer: no post, no update.
    assert [c.method for c in h.standin.calls[calls:]
            if not c.method.startswith("/response/")] == []
    assert len(responses) == 1


def test_take_it_by_someone_off_the_team_is_refused(h):
    file(h)
    to_managers(h)
    h.capture_responses()
    click(h, ids.TAKE, "1", "U0STRANGE1")
    assert "only the specialists and managers" in h.wait_response("only")["text"]
    [req] = h.requests()
    assert (req.status, req.assignee) == ("open", None)


# -- Page someone --------------------------------------------------------------------------


def test_page_someone_from_a_manager_dm_pages_the_picked_specialist(h):
    file(h)
    card = card_ts(h)
    to_managers(h)
    click(h, ids.PAGE_SOMEONE, "1", MGR)
    [opened] = h.wait_view_opened(ids.PAGE_SOMEONE_MODAL)
    view = opened.response["view"]
    assert view["private_metadata"] == "1"
    [field] = [b for b in view["blocks"] if b.get("block_id") == ids.PAGE_SOMEONE_TARGET_BLOCK]
    groups = field["element"]["option_groups"]
    assert [g["label"]["text"] for g in groups] == ["Read Arabic", "Do not read Arabic"]
    readers = {o["value"]: o["text"]["text"] for o in groups[0]["options"]}
    assert " · on call · " in readers[KARIM] and "Arabic" in readers[KARIM]
    assert " · off shift · " in readers[RAMI] and "Arabic" in readers[RAMI]
    assert all("Arabic" not in o["text"]["text"] for o in groups[1]["options"])
    assert list(readers).index(KARIM) < list(readers).index(RAMI)  # on call first

    values = {ids.PAGE_SOMEONE_TARGET_BLOCK: {ids.PAGE_SOMEONE_TARGET_ACTION: {
        "type": "static_select", "selected_option": {
            "text": {"type": "plain_text", "text": "Hana"}, "value": "U0SG00013"}}}}
    r = h.submit_view(ids.PAGE_SOMEONE_MODAL, values, MGR, "1", view["id"])
    assert r.status == 200 and r.body == b"", r.text
    [page] = h.wait_for_page("U0SG00013")
    assert "T-1" in page["text"] and "Picked from an alert" in blocks_text(page)
    h.settle()
    assert any(f"<@{MGR}> paged <@U0SG00013>" in blocks_text(m) for m in h.thread(card))
    assert ("U0SG00013", "picked", "pending") in [(u, s, st) for u, _, _, s, st, _
                                                  in h.db_pages(1)]

    # The page works like any other: Hana acknowledges it.
    click(h, ids.ACK, page_id_of(page), "U0SG00013")
    h.wait_updated(card, "<@U0SG00013>")
    [req] = h.requests()
    assert req.assignee == "U0SG00013"

    # Picking someone once it is taken pages nobody and says who has it.
    r = h.submit_view(ids.PAGE_SOMEONE_MODAL, values, MGR, "1", view["id"])
    assert r.status == 200 and "already has T-1" in r.json()["errors"][
        ids.PAGE_SOMEONE_TARGET_BLOCK]


def test_page_someone_form_refuses_bad_input_without_changing_anything(h):
    file(h)
    to_managers(h)
    pages = h.db_pages(1)
    r = h.submit_view(ids.PAGE_SOMEONE_MODAL, {}, MGR, "1")
    assert r.json()["errors"][ids.PAGE_SOMEONE_TARGET_BLOCK] == "Pick who to page"
    values = {ids.PAGE_SOMEONE_TARGET_BLOCK: {ids.PAGE_SOMEONE_TARGET_ACTION: {
        "type": "static_select", "selected_option": {
            "text": {"type": "plain_text", "text": "x"}, "value": "U0NOBODY1"}}}}
    r = h.submit_view(ids.PAGE_SOMEONE_MODAL, values, MGR, "1")
    assert "not a specialist" in r.json()["errors"][ids.PAGE_SOMEONE_TARGET_BLOCK]
    r = h.submit_view(ids.PAGE_SOMEONE_MODAL, values, MGR, "x1")
    assert "not one this app sent" in r.json()["errors"][ids.PAGE_SOMEONE_TARGET_BLOCK]
    assert h.db_pages(1) == pages


# -- hand over -----------------------------------------------------------------------------


def test_hand_over_offers_readers_on_call_first_and_non_readers_only_as_needing_translation(h):
    file(h)
    click(h, ids.ACK, page_id_of(h.pages_to(KARIM)[0]), KARIM)
    h.wait_posted(REQUESTER, "acknowledged")
    click(h, ids.HANDOVER, "1", KARIM)
    [opened] = h.wait_view_opened(ids.HANDOVER_MODAL)
    [field] = [b for b in opened.response["view"]["blocks"]
               if b.get("block_id") == ids.HANDOVER_TARGET_BLOCK]
    groups = field["element"]["option_groups"]
    assert [g["label"]["text"] for g in groups] == ["Reads Arabic", "Needs translation"]
    readers = [(o["value"], o["text"]["text"]) for o in groups[0]["options"]]
    assert readers == [(OMAR, "Omar Farouk · on call"),
                       (RAMI, "Rami Khoury · off-shift backup")]
    # Everyone else offered is on call, does not read Arabic, and says so.
    [team] = load_schedules(SCHEDULES)
    others = groups[1]["options"]
    assert others
    for option in others:
        spec = team.specialist(option["value"])
        assert "ar" not in spec.languages
        assert option["text"]["text"].endswith("· needs translation")
    offered = [v for v, _ in readers] + [o["value"] for o in others]
    assert KARIM not in offered and len(offered) == len(set(offered))


# -- the Home tab --------------------------------------------------------------------------


def home_click(h, action: str, value: str, user: str) -> None:
    """A button clicked on the Home tab, as Slack sends it: the view as container, and
    no response_url."""
    raw = h.sim.click_body(action, value, user)
    payload = json.loads(urllib.parse.parse_qs(raw.decode())["payload"][0])
    for key in ("response_url", "message", "channel"):
        payload.pop(key)
    payload["container"] = {"type": "view", "view_id": "V0HOME0001"}
    payload["view"] = {"id": "V0HOME0001", "type": "home", "blocks": [],
                       "state": {"values": {}}, "hash": "1.home"}
    payload["actions"][0]["block_id"] = "home"
    r = h.post(simulate.interactive_body(payload), simulate.FORM)
    assert r.status == 200 and r.body == b"", r.text


def test_home_tab_lists_pages_with_their_buttons_and_they_work_there(h):
    file(h)
    home = open_home(h, KARIM, "Ev0ALERT002")
    page = page_id_of(h.pages_to(KARIM)[0])
    rows = [b for b in home["blocks"] if b["type"] == "actions"]
    assert rows[0]["block_id"] == f"{ids.HOME_PAGE_BLOCK}:{page}"
    assert [(e["action_id"], e["value"]) for e in rows[0]["elements"]] == [
        (ids.ACK, page), (ids.DECLINE, page)]
    shown = blocks_text(home)
    assert shown.index("What needs you now") < shown.index("You're on call now") \
        < shown.index("Your next shifts")

    home_click(h, ids.ACK, page, KARIM)
    h.wait_posted(REQUESTER, "acknowledged")
    home = wait_home(h, KARIM, f"{ids.HOME_REQUEST_BLOCK}:1")
    assert not has_action(home["blocks"], ids.ACK)


def test_take_it_on_the_home_tab(h):
    file(h)
    to_managers(h)
    open_home(h, MGR, "Ev0ALERT003")
    home_click(h, ids.TAKE, "1", MGR)
    h.wait_posted(REQUESTER, "acknowledged")
    home = wait_home(h, MGR, f"{ids.HOME_REQUEST_BLOCK}:1")
    assert not has_action(home["blocks"], ids.TAKE)
    # Too late on the Home tab: a DM says who has it (the tab has no ephemeral replies).
    home_click(h, ids.TAKE, "1", "U0MGR0002")
    [told] = h.wait_posted("U0MGR0002", "already has T-1")
    assert f"<@{MGR}> already has T-1" in told.params["text"]
    [req] = h.requests()
    assert req.assignee == MGR
