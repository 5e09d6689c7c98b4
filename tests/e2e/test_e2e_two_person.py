"""End to end, issue 11: two-person verification of law-enforcement emergency requests.
Signed requests to /slack/events of the running app, Slack answered by the stand-in, a
manual clock.

Team (built here): category `le-emergency` (skills [le_requests], verification
two_person, fields agency, officer, callback_number, case_reference) and `le-solo`
(skills only Ana holds). At 2026-06-10 12:00 UTC Ana, Ben and Cal are on call for
English (Ana first: primary tier); Ana and Ben hold le_requests, Cal holds nothing;
off shift, Dee (away) and Eve are English backups holding le_requests.
"""

from __future__ import annotations

import dataclasses
import json
import time

import pytest

from bot.core.model import Category
from bot.services.intake import Intake
from bot.slack import ids
from bot.store import teams as team_store
from tests.slack_harness import (
    INTAKE,
    REQUESTER,
    ToolHarness,
    blocks_text,
    has_action,
    resolve_values,
    utc,
)

ANA, BEN, CAL, DEE, EVE = (f"U0LE0000{i}" for i in range(1, 6))
MGR = "U0MGR0001"
TEAM = f"""
team: le-desk
languages: [en, es]
intake_channel: {INTAKE}
escalation_channel: C0ESCAL01
managers: [{MGR}]
specialists:
  - {{id: {ANA}, name: Ana Assignee, timezone: Europe/Dublin, languages: [en]}}
  - {{id: {BEN}, name: Ben Second, timezone: Europe/Dublin, languages: [en]}}
  - {{id: {CAL}, name: Cal Unskilled, timezone: Europe/Dublin, languages: [en]}}
  - {{id: {DEE}, name: Dee Away, timezone: America/Chicago, languages: [en], backup: [en]}}
  - {{id: {EVE}, name: Eve Backup, timezone: America/Chicago, languages: [en], backup: [en]}}
rotations:
  - {{name: ana, timezone: UTC, shift: "00:00-00:00", handoff: weekly, start: 2026-01-05,
     tier: primary, members: [{ANA}]}}
  - {{name: ben, timezone: UTC, shift: "00:00-00:00", handoff: weekly, start: 2026-01-05,
     tier: secondary, members: [{BEN}]}}
  - {{name: cal, timezone: UTC, shift: "00:00-00:00", handoff: weekly, start: 2026-01-05,
     tier: secondary, members: [{CAL}]}}
time_off:
  - {{user: {DEE}, from: 2026-06-01, to: 2026-06-30}}
escalation:
  default_severity: sev2
  policies:
    sev1: {{steps: [{{notify: language_oncall, wait: 2m}}, {{notify: managers, wait: 3m}},
                   {{notify: channel}}], repeat: 0}}
    sev2: {{steps: [{{notify: language_oncall, wait: 5m}}, {{notify: channel}}], repeat: 0}}
"""
FIELDS = ("agency", "officer", "callback_number", "case_reference")
LE = Category("le-emergency", "Law-enforcement emergency request", severity="sev1",
              skills=("le_requests",), verification="two_person", fields=FIELDS)
SOLO = Category("le-solo", "Solo-skill request", severity="sev1", skills=("le_solo",),
                verification="two_person")
SKILLS = {ANA: ("le_requests", "le_solo"), BEN: ("le_requests",), DEE: ("le_requests",),
          EVE: ("le_requests",)}
TEXT = "Police say a missing 15-year-old is being held; they ask for subscriber data now"


@pytest.fixture
def h(tmp_path):
    folder = tmp_path / "schedules"
    folder.mkdir()
    (folder / "le-desk.yaml").write_text(TEAM, encoding="utf-8")
    harness = ToolHarness(tmp_path, utc(2026, 6, 10, 12, 0), schedules=folder)
    # Categories and skills, as the team file will carry them: stored on the team.
    with harness.runtime.sessions() as session, session.begin():
        team = team_store.load_team(session, "le-desk")
        team = dataclasses.replace(
            team, categories=(LE, SOLO),
            specialists=tuple(dataclasses.replace(s, skills=SKILLS.get(s.id, ()))
                              for s in team.specialists))
        team_store.save_team(session, team)
    yield harness
    harness.quiet_close()


def file(h, category: str = "le-emergency") -> None:
    r = h.command("/emergency", f"cat:{category} lang:en {TEXT}", channel=INTAKE)
    assert r.status == 200 and "T-1" in r.json()["text"], r.text
    h.wait_for_page(ANA)
    h.settle()


def click(h, action: str, user: str, value: str = "1") -> None:
    r = h.click(action, value, user)
    assert r.status == 200 and r.body == b"", r.text


def page_ts(h) -> str:
    return h.page_posts(ANA)[0].response["ts"]


def acknowledge(h) -> None:
    [page] = h.pages_to(ANA)
    ack = next(e["value"] for b in page["blocks"] for e in b.get("elements", [])
               if e.get("action_id") == ids.ACK)
    click(h, ids.ACK, ANA, ack)
    h.wait_updated(page_ts(h), "Ask for verification")
    h.settle()


def resolve(h, user: str, note: str, resolution: str | None):
    values = resolve_values(note)
    if resolution is not None:
        values[ids.RESOLUTION_BLOCK] = {ids.RESOLUTION_ACTION: {
            "type": "static_select",
            "selected_option": {"text": {"type": "plain_text", "text": resolution},
                                "value": resolution}}}
    return h.submit_view(ids.RESOLVE_MODAL, values, user, private_metadata="1",
                         view_id=f"V{user}{resolution}")


def wait_until(found, timeout: float = 5.0):
    """What `found()` returns once it is not empty (the answers after an ack are sent
    on another thread)."""
    deadline = time.monotonic() + timeout
    while not (result := found()):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)
    return result


def request(h):
    [req] = h.requests()
    return req


def asks_to(h, user: str) -> list:
    return [c for c in h.posts(user) if has_action(c.params.get("blocks"), ids.VERIFY)]


def test_disclosed_needs_a_second_skilled_person(h):
    file(h)
    card = h.card("T-1")["ts"]
    [page] = h.pages_to(ANA)
    seen = blocks_text(page)
    # The page carries the checklist; Ask for verification comes with acknowledging.
    assert "agency&#39;s publicly listed number" in seen or "agency's publicly listed" in seen
    assert "not the number in the request" in seen
    assert "imminent danger of death or serious physical injury" in seen
    assert not has_action(page["blocks"], ids.ASK_VERIFY)
    acknowledge(h)

    # The resolve form asks how it ended, in words.
    click(h, ids.RESOLVE, ANA)
    [opened] = h.wait_view_opened(ids.RESOLVE_MODAL)
    view = opened.params["view"]
    [select] = [b for b in view["blocks"] if b.get("block_id") == ids.RESOLUTION_BLOCK]
    assert [o["text"]["text"] for o in select["element"]["options"]] == [
        "Disclosed", "Declined", "Not an emergency", "Duplicate", "Referred"]
    assert "Not verified yet" in json.dumps(view)

    # Alone, Ana cannot disclose: the form says why and what to do; nothing is stored.
    r = resolve(h, ANA, "Subscriber data sent to the agency", "disclosed")
    assert r.status == 200, r.text
    answer = r.json()
    assert answer["response_action"] == "errors"
    assert answer["errors"][ids.RESOLUTION_BLOCK].startswith(
        "Ask for verification first: a second person holding le_requests must")
    assert len(answer["errors"][ids.RESOLUTION_BLOCK]) <= 150
    req = request(h)
    assert (req.status, req.resolution, req.outcome, req.verified_by) == (
        "acknowledged", None, None, None)
    assert "resolved" not in h.audit_actions(1)

    # She asks for verification: Ben (on call, holds le_requests) is DMed.
    responses = h.capture_responses()
    click(h, ids.ASK_VERIFY, ANA)
    assert f"Asked <@{BEN}>" in h.wait_response("Asked")["text"]
    [ask] = h.wait_posted(BEN, "asks you to verify")
    ask_text = blocks_text(ask.params)
    assert "T-1" in ask_text and "not the number in the request" in ask_text
    assert "imminent danger of death" in ask_text and TEXT in ask_text
    assert has_action(ask.params["blocks"], ids.VERIFY)
    assert not asks_to(h, CAL) and not asks_to(h, ANA)

    # Cal (no le_requests) and Ana (the assignee) are refused, privately, saying why.
    click(h, ids.VERIFY, CAL)
    refusal = h.wait_response("does not list le_requests")
    assert refusal["response_type"] == "ephemeral" and "Nothing was recorded" in refusal["text"]
    click(h, ids.VERIFY, ANA)
    assert "someone else holding le_requests" in h.wait_response("yourself")["text"]
    assert request(h).verified_by is None
    assert "verified" not in h.audit_actions(1)

    # Ben verifies: recorded, audited, on the timeline, the card and Ana's page.
    h.clock.advance(240)
    click(h, ids.VERIFY, BEN)
    assert f"<@{ANA}> can resolve it as Disclosed" in h.wait_response("You verified")["text"]
    req = request(h)
    assert (req.verified_by, req.verified) == (BEN, utc(2026, 6, 10, 12, 4))
    # The DM Ben clicked in shows it verified, without the button.
    [shown] = wait_until(lambda: [r for r in responses if r.get("replace_original")])
    assert f"Verified by <@{BEN}>" in json.dumps(shown["blocks"])
    assert not has_action(shown["blocks"], ids.VERIFY)
    h.wait_updated(card, f"Verified by <@{BEN}>")
    h.wait_updated(page_ts(h), f"Verified by <@{BEN}>")
    assert not has_action(h.updates(page_ts(h))[-1].params["blocks"], ids.ASK_VERIFY)
    h.wait_posted(ANA, "you can resolve it as Disclosed")
    h.settle()
    assert any(f"<@{BEN}> verified it as the second person" in blocks_text(m)
               for m in h.thread(card))

    # A second click is harmless.
    click(h, ids.VERIFY, BEN)
    assert "nothing changed" in h.wait_response("already verified")["text"]
    assert h.audit_actions(1).count("verified") == 1
    assert request(h).verified == utc(2026, 6, 10, 12, 4)

    # Now Disclosed is accepted, and shows on the card, the timeline and the note.
    r = resolve(h, ANA, "Subscriber data sent to the agency", "disclosed")
    assert r.status == 200 and r.body == b"", r.text
    req = request(h)
    assert (req.status, req.resolution, req.outcome) == (
        "resolved", "disclosed", "Subscriber data sent to the agency")
    h.wait_updated(card, "as *Disclosed*")
    [note] = h.wait_posted(REQUESTER, "ended as *Disclosed*")
    assert "Subscriber data sent to the agency" in blocks_text(note.params)
    h.settle()
    assert any("resolved as Disclosed" in blocks_text(m) for m in h.thread(card))
    actions = h.audit_actions(1)
    assert actions.index("verification_asked") < actions.index("verified") < actions.index(
        "resolved")
    assert len(responses) >= 5


def test_asking_again_asks_the_next_skilled_person(h):
    file(h)
    acknowledge(h)
    h.capture_responses()
    click(h, ids.ASK_VERIFY, ANA)
    h.wait_posted(BEN, "asks you to verify")
    # Next: not Cal (no le_requests), not Dee (away): Eve, an off-shift backup.
    click(h, ids.ASK_VERIFY, ANA)
    assert f"Asked <@{EVE}> (off-shift backup" in h.wait_response(f"<@{EVE}>")["text"]
    h.wait_posted(EVE, "asks you to verify")
    # Everyone was asked: the one asked longest ago, again.
    click(h, ids.ASK_VERIFY, ANA)
    h.wait_response(f"Asked <@{BEN}> again")
    h.wait_posted(BEN, "asks you to verify", count=2)
    h.settle()
    assert not asks_to(h, CAL) and not asks_to(h, DEE) and not asks_to(h, ANA)
    assert h.audit_actions(1).count("verification_asked") == 3
    # Only the assignee asks.
    click(h, ids.ASK_VERIFY, BEN)
    assert "only the person who has T-1" in h.wait_response("only the person")["text"]
    assert h.audit_actions(1).count("verification_asked") == 3


def test_nobody_skilled_to_ask_says_who_to_ask_instead(h):
    file(h, "le-solo")
    acknowledge(h)
    h.capture_responses()
    click(h, ids.ASK_VERIFY, ANA)
    text = h.wait_response("Nobody else holding le_solo")["text"]
    assert f"a manager (<@{MGR}>)" in text
    h.settle()
    assert not any(asks_to(h, u) for u in (BEN, CAL, DEE, EVE))
    assert "verification_unavailable" in h.audit_actions(1)
    # Still not disclosable; another outcome is fine.
    assert resolve(h, ANA, "Sent to the right desk", "disclosed").json()[
        "response_action"] == "errors"
    r = resolve(h, ANA, "Sent to the right desk", "referred")
    assert r.status == 200 and r.body == b"", r.text
    assert (request(h).status, request(h).resolution) == ("resolved", "referred")


def test_a_two_person_outcome_must_be_picked(h):
    file(h)
    acknowledge(h)
    r = resolve(h, ANA, "Done", None)
    assert r.json()["errors"][ids.RESOLUTION_BLOCK].startswith("Pick the outcome")
    r = resolve(h, ANA, "Done", "exfiltrated")
    assert "Pick one of the outcomes" in r.json()["errors"][ids.RESOLUTION_BLOCK]
    assert request(h).status == "acknowledged"


def test_other_requests_resolve_as_before(h):
    r = h.command("/emergency", f"sev1 lang:en {TEXT}", channel=INTAKE)
    assert r.status == 200 and "T-1" in r.json()["text"], r.text
    h.wait_for_page(ANA)
    [page] = h.pages_to(ANA)
    assert "publicly listed number" not in blocks_text(page)
    acknowledge_plain = next(e["value"] for b in page["blocks"] for e in b.get("elements", [])
                             if e.get("action_id") == ids.ACK)
    click(h, ids.ACK, ANA, acknowledge_plain)
    h.wait_updated(page_ts(h), "You acknowledged this")
    assert not has_action(h.updates(page_ts(h))[-1].params["blocks"], ids.ASK_VERIFY)
    click(h, ids.RESOLVE, ANA)
    [opened] = h.wait_view_opened(ids.RESOLVE_MODAL)
    assert ids.RESOLUTION_BLOCK not in json.dumps(opened.params["view"])
    h.capture_responses()
    click(h, ids.VERIFY, BEN)
    assert "needs no second person" in h.wait_response("needs no")["text"]
    r = h.submit_view(ids.RESOLVE_MODAL, resolve_values("Stream taken down"), ANA,
                      private_metadata="1")
    assert r.status == 200 and r.body == b"", r.text
    req = request(h)
    assert (req.status, req.resolution, req.outcome) == ("resolved", None, "Stream taken down")


def test_the_page_shows_the_request_details(h):
    # The category's fields, as the intake form fills them in.
    roster = h.runtime.rosters.get("le-desk")
    filed = h.runtime.intake.file(Intake(
        key="test:details", requester=REQUESTER, text=TEXT, via="modal", language="en",
        category="le-emergency", origin_channel=INTAKE,
        fields={"agency": "Springfield PD", "officer": "Sgt. Lee", "case_reference": "SPD-22",
                "callback_number": "+1 555 0100"}), roster)
    h.runtime.deliver_filed(filed)
    h.settle()
    [page] = h.wait_for_page(ANA)
    seen = blocks_text(page)
    for label, value in (("Requesting agency", "Springfield PD"),
                         ("Requesting officer", "Sgt. Lee"),
                         ("Callback number", "+1 555 0100"), ("Case reference", "SPD-22")):
        assert f"*{label}*\\n{value}" in seen, seen
    assert "Do not verify by calling the callback number" in seen
