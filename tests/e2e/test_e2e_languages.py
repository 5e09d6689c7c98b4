"""End to end, requests in languages the team does not serve, and "Set language" (issue
12): signed requests to /slack/events of the running app, the Web API answered by the
local Slack stand-in, a manual clock.

The example team (schedules/example/safety-escalations.yaml) serves en, es, ar, pt, fr
and sends Italian to Spanish then Portuguese readers, anything else ("*") to English
readers. On 2026-07-01 12:00 UTC two people are on call: Omar (U0EU00009: ar, en, fr)
and João (U0EU00005: pt, es, en).
"""

from __future__ import annotations

import json

import pytest

from bot.services.intake import Intake
from bot.slack import ids
from bot.store.paging_tables import AuditRow
from tests.slack_harness import INTAKE, ToolHarness, blocks_text, has_action, page_id_of, utc

OMAR, JOAO = "U0EU00009", "U0EU00005"
REQUESTER = "U0REQ0001"
STRANGER = "U0NOBODY1"
ITALIAN = "sev1 lang:it Un uomo minaccia di uccidersi in diretta adesso, aiutateci"


@pytest.fixture
def h(tmp_path):
    harness = ToolHarness(tmp_path, utc(2026, 7, 1, 12, 0))
    yield harness
    harness.quiet_close()


def file(h, text: str = ITALIAN) -> None:
    r = h.command("/emergency", text, user=REQUESTER)
    assert r.status == 200 and "T-1" in r.json()["text"], r.text


def latest_page(h, user: str) -> dict:
    """The page DM `user` holds now (as the stand-in keeps it, updates applied)."""
    pages = [m for m in h.dms(user) if "Why you" in json.dumps(m.get("blocks") or [])]
    assert pages, f"no page DM to {user}"
    return pages[-1]


def language_select(message: dict) -> tuple[str, dict]:
    """(block_id, select) of the "Set language" select of a message."""
    for b in message.get("blocks") or []:
        for e in b.get("elements") or []:
            if b["type"] == "actions" and e.get("action_id") == ids.SET_LANGUAGE:
                return b["block_id"], e
    raise AssertionError(f"no Set language select in {blocks_text(message)!r}")


def offered(answer: dict) -> list[str]:
    """The language codes of a "Set language" options answer, in order."""
    groups = answer.get("option_groups") or [{"options": answer.get("options", [])}]
    return [o["value"] for g in groups for o in g["options"]]


def set_language(h, message: dict, code: str, user: str, channel: str | None = None):
    block_id, select = language_select(message)
    assert select["type"] == "external_select"
    # As a person picks it: open the menu (Slack asks the app what it lists), then pick.
    r = h.options(ids.SET_LANGUAGE, block_id, "", user, channel=channel)
    assert r.status == 200 and code in offered(r.json()), r.text
    r = h.select(ids.SET_LANGUAGE, block_id, code, user, channel=channel,
                 message_ts=message.get("ts", "1767225600.000100"), kind="external_select")
    assert r.status == 200 and r.body == b"", r.text


def test_an_italian_request_pages_a_spanish_reader_with_the_translation_banner(h):
    file(h)
    h.wait_for_page(JOAO)
    h.settle()
    page = latest_page(h, JOAO)
    text = blocks_text(page)
    assert "Italian (not served by this team)" in text
    assert "NEEDS TRANSLATION" in text
    assert "Written in Italian; you were chosen as a Spanish reader" in text
    # What comes next, in words that fit a language the team does not serve.
    assert "or every reader on call the team sends Italian to is paged" in text
    assert h.paged_users() == [JOAO]  # Omar reads no Spanish
    card = h.card("T-1")
    card_text = blocks_text(card)
    assert "Italian (not served by this team)" in card_text
    assert "nobody on this team reads" in card_text
    thread = " ".join(m.get("text") or "" for m in h.thread(card["ts"]))
    assert "Spanish reader on call (written in Italian; needs translation)" in thread
    # "Set language" shows Italian as chosen; what it lists: the menu's own test.
    _, select = language_select(card)
    assert select["initial_option"]["value"] == "it"
    [(user, _, _, source, state, needs)] = h.db_pages(1)
    assert (user, source, state, needs) == (JOAO, "on_call", "pending", True)


def test_an_unknown_language_goes_to_the_star_fallback_flagged(h):
    # Intake marks a text whose language it could not recognise with the code "und";
    # the slash command has no way to say so, so it is filed through the service.
    filed = h.runtime.intake.file(Intake(key="und-1", requester=REQUESTER, text="??? !!!",
                                         via="demo", severity="sev1", language="und"))
    h.runtime.deliver(filed.request.id)
    h.wait_for_page(OMAR)  # "*": [en]; Omar reads English before João does
    h.settle()
    text = blocks_text(latest_page(h, OMAR))
    assert "Unknown language" in text and "NEEDS TRANSLATION" in text
    assert "Its language was not recognised; you were chosen as an English reader" in text
    assert h.paged_users() == [OMAR]


def test_set_language_from_the_card_reroutes_to_a_reader_and_updates_both_pages(h):
    file(h)
    h.wait_for_page(JOAO)
    h.settle()
    card = h.card("T-1")
    responses = h.capture_responses()
    set_language(h, card, "ar", REQUESTER, channel=INTAKE)
    answer = h.wait_response("T-1 is now marked as Arabic")
    assert answer["response_type"] == "ephemeral"
    assert "Now paging" in answer["text"] and f"<@{OMAR}>" in answer["text"]
    h.wait_for_page(OMAR)
    h.settle()
    # João's page no longer waits for him and says who has it now.
    joao = blocks_text(latest_page(h, JOAO))
    assert "No longer waiting for you" in joao and f"<@{OMAR}>" in joao
    assert not has_action(latest_page(h, JOAO).get("blocks"), ids.ACK)
    omar = blocks_text(latest_page(h, OMAR))
    assert "Arabic" in omar and "NEEDS TRANSLATION" not in omar
    card_text = blocks_text(h.card("T-1"))
    assert "not served" not in card_text and "Arabic" in card_text
    assert "corrected by hand" in card_text
    thread = " ".join(m.get("text") or "" for m in h.thread(card["ts"]))
    assert f"Language corrected to Arabic by <@{REQUESTER}> (was Italian)" in thread
    assert "language_set" in h.audit_actions(1)
    assert [(u, s) for u, _, _, _, s, _ in h.db_pages(1)] == [(JOAO, "closed"),
                                                             (OMAR, "pending")]
    assert len(responses) == 1


def test_the_menu_lists_the_team_first_and_reaches_every_language_by_typing(h):
    """Opened on the card, "Set language" lists the team's languages, then the
    request's own (Italian), then the rest; typing narrows it to any language the bot
    knows, including ones a 100-option menu could not hold (Faroese), and picking one
    re-routes the request like any other."""
    file(h)
    h.wait_for_page(JOAO)
    h.settle()
    card = h.card("T-1")
    block_id, select = language_select(card)
    assert select["initial_option"] == {
        "text": {"type": "plain_text", "text": "Italian", "emoji": True}, "value": "it"}
    r = h.options(ids.SET_LANGUAGE, block_id, "", REQUESTER, channel=INTAKE)
    content_type = {k.lower(): v for k, v in r.headers.items()}["content-type"]
    assert r.status == 200 and content_type.startswith("application/json")
    answer = r.json()
    [team, others] = answer["option_groups"]
    assert team["label"]["text"] == "This team's languages"
    assert [o["value"] for o in team["options"]] == ["en", "es", "ar", "pt", "fr"]
    assert others["options"][0]["value"] == "it"
    codes = offered(answer)
    assert len(codes) == 100 and len(set(codes)) == 100
    assert all(1 <= len(o["text"]["text"]) <= 75 for g in answer["option_groups"]
               for o in g["options"])
    # Typing: a word of the name or the code; the code typed leads.
    assert offered(h.options(ids.SET_LANGUAGE, block_id, "ar", REQUESTER).json())[:3] == [
        "ar", "hy", "an"]  # Arabic, then Armenian and Aragonese (not Amharic)
    assert offered(h.options(ids.SET_LANGUAGE, block_id, "faro", REQUESTER).json()) == [
        "fo"]
    assert offered(h.options(ids.SET_LANGUAGE, block_id, "qqq", REQUESTER).json()) == []
    h.capture_responses()
    h.select(ids.SET_LANGUAGE, block_id, "fo", REQUESTER, channel=INTAKE,
             message_ts=card["ts"], kind="external_select")
    h.wait_response("T-1 is now marked as Faroese")
    h.settle()
    assert h.requests()[0].language == "fo"
    assert "Faroese (not served by this team)" in blocks_text(h.card("T-1"))


def test_the_menu_of_an_unknown_request_still_lists_every_language(h):
    """An options request for a card this app did not send (or a request since gone):
    every language, none of them a team's, and nothing stored changes."""
    before = h.count_rows(AuditRow)
    for block in ("request_language:999", "request_language:nope", ""):
        r = h.options(ids.SET_LANGUAGE, block, "", REQUESTER)
        assert r.status == 200, r.text
        assert "option_groups" not in r.json() and len(offered(r.json())) == 100
    assert h.count_rows(AuditRow) == before and h.requests() == []


def test_set_language_after_an_acknowledgement_repages_a_reader_of_it(h):
    file(h, "sev1 lang:ar بث مباشر لشخص يهدد بالانتحار الآن")
    h.wait_for_page(OMAR)
    assert h.click(ids.ACK, page_id_of(latest_page(h, OMAR)), OMAR).status == 200
    h.wait_updated(h.card("T-1")["ts"], "Acknowledged")
    h.settle()
    h.capture_responses()
    set_language(h, latest_page(h, OMAR), "es", OMAR)
    h.wait_response("does not read it, so it was paged again")
    h.wait_for_page(JOAO)
    h.settle()
    omar = blocks_text(latest_page(h, OMAR))
    assert "No longer waiting for you" in omar and f"<@{JOAO}>" in omar
    assert h.requests()[0].status == "open" and h.requests()[0].assignee is None
    assert "Spanish" in blocks_text(latest_page(h, JOAO))


def test_someone_not_handling_the_request_is_refused_privately_and_nothing_changes(h):
    file(h)
    h.wait_for_page(JOAO)
    h.settle()
    before = h.count_rows(AuditRow)
    h.capture_responses()
    set_language(h, h.card("T-1"), "ar", STRANGER, channel=INTAKE)
    refusal = h.wait_response("can change its language")
    assert refusal["response_type"] == "ephemeral"
    assert "only the people paged for T-1, its assignee, its requester or a manager" \
        in refusal["text"]
    h.settle()
    assert h.requests()[0].language == "it"
    assert h.count_rows(AuditRow) == before
    assert h.paged_users() == [JOAO]


def test_a_forged_language_or_block_is_refused_without_a_crash(h):
    file(h)
    h.wait_for_page(JOAO)
    h.settle()
    h.capture_responses()
    r = h.select(ids.SET_LANGUAGE, "request_language:1", "klingon", REQUESTER)
    assert r.status == 200
    h.wait_response("is not a language")
    r = h.select(ids.SET_LANGUAGE, "request_language:nope", "ar", REQUESTER)
    assert r.status == 200
    h.wait_response("not one this app sent")
    assert h.requests()[0].language == "it"


def test_detected_italian_and_russian_go_to_their_fallback_readers_named(h):
    """Detected, not typed: an Italian text is Italian (never "Spanish 92%") and goes
    to the Spanish readers (`it: [es, pt]`); a Russian one has no entry of its own and
    goes to the `"*"` fallback (English), flagged."""
    file(h, "sev1 Un uomo minaccia di uccidersi in diretta adesso, aiutateci per favore")
    h.wait_for_page(JOAO)
    r = h.command("/emergency", "sev1 Человек угрожает убить себя в прямом эфире прямо "
                  "сейчас, помогите", user=REQUESTER)
    assert r.status == 200 and "T-2" in r.json()["text"], r.text
    h.wait_for_page(OMAR)
    h.settle()
    first, second = sorted(h.requests(), key=lambda q: q.id)
    assert (first.language, first.language_source) == ("it", "unserved")
    assert (second.language, second.language_source) == ("ru", "unserved")
    italian = blocks_text(latest_page(h, JOAO))
    assert "Written in Italian; you were chosen as a Spanish reader" in italian
    russian = blocks_text(latest_page(h, OMAR))
    assert "Russian (not served by this team)" in russian and "NEEDS TRANSLATION" in russian
    assert "Written in Russian; you were chosen as an English reader" in russian
