"""End to end, flow 1 (intake): signed requests to /slack/events of the running app, the
Web API answered by the local Slack stand-in, a manual clock.

Team: schedules/example/safety-escalations.yaml. At 2026-07-01 12:00 UTC (summer, a Wednesday)
Omar (U0EU00009) is the one on-call reader of Arabic and French and João (U0EU00005) the
one on-call reader of Spanish and Portuguese.
"""

from __future__ import annotations

import re
import threading

import pytest

from bot.slack import ids
from bot.store.paging_tables import OutboxRow, RequestRow
from tests.slack_harness import (
    INTAKE,
    ToolHarness,
    blocks_text,
    emergency_values,
    has_action,
    utc,
)

OMAR = "U0EU00009"  # ar, en, fr: emea-ar-fr
JOAO = "U0EU00005"  # pt, es, en: emea-es-pt
REQUESTER = "U0REQ0001"
START = utc(2026, 7, 1, 12, 0)


@pytest.fixture
def slack(tmp_path):
    h = ToolHarness(tmp_path, START)
    yield h
    h.quiet_close()


def test_emergency_command_files_at_once(slack):
    text = "بث مباشر لشخص يهدد بالانتحار الآن"
    r = slack.command("/emergency", f"sev1 lang:ar {text}", user=REQUESTER)

    assert r.status == 200, r.text
    reply = r.json()
    assert reply["response_type"] == "ephemeral"
    assert "T-1" in reply["text"] and "Arabic" in reply["text"]
    assert f"<#{INTAKE}>" in reply["text"]  # where the updates are

    [page] = slack.wait_for_page(OMAR)
    shown = blocks_text(page)
    # The title says the language; the field says how it was chosen.
    assert text in shown and "SEV1 · T-1 · Arabic" in shown and "set by requester" in shown
    assert f"<@{REQUESTER}>" in shown
    assert has_action(page["blocks"], ids.ACK) and has_action(page["blocks"], ids.DECLINE)

    slack.wait_posted(INTAKE, "T-1")
    card = slack.card("T-1")
    assert "Open" in card["text"] and "SEV1" in card["text"]
    assert f"<@{OMAR}>" in blocks_text(card)  # "Paging <@Omar>"
    slack.settle()
    lines = [m["text"] for m in slack.thread(card["ts"])]
    assert any("Filed with /emergency" in line for line in lines), lines
    assert any(f"Paged <@{OMAR}>" in line for line in lines), lines

    [req] = slack.requests()
    assert (req.ticket, req.severity, req.language, req.language_source, req.via) == (
        "T-1", "sev1", "ar", "explicit", "command")
    assert req.text == text and req.requester == REQUESTER
    assert req.origin_channel == "C0SAFETY1"
    assert slack.paged_users() == [OMAR]


@pytest.mark.parametrize(("text", "language", "name", "reader"), [
    ("Hay un hombre transmitiendo en vivo que amenaza con matarse, por favor ayuden rápido",
     "es", "Spanish", JOAO),
    ("شخص يهدد بإيذاء نفسه في بث مباشر الآن، الرجاء المساعدة بسرعة", "ar", "Arabic", OMAR),
    ("Tem um rapaz fazendo uma transmissão ao vivo ameaçando se matar, precisamos de ajuda",
     "pt", "Portuguese", JOAO),
    ("Un homme menace de se suicider en direct, il faut intervenir tout de suite s'il vous "
     "plaît", "fr", "French", OMAR),
], ids=["es", "ar", "pt", "fr"])
def test_language_is_detected_without_lang(slack, text, language, name, reader):
    r = slack.command("/emergency", f"sev2 {text}")
    assert r.status == 200, r.text
    assert re.search(rf"{name}, detected \d+%", r.json()["text"]), r.json()["text"]

    [page] = slack.wait_for_page(reader)
    # The title names the language; the Language field says how it was chosen.
    assert f"· {name}" in blocks_text(page)
    assert re.search(r"detected \d+%", blocks_text(page))
    slack.wait_posted(INTAKE, "T-1")
    card = blocks_text(slack.card("T-1"))
    assert f"· {name}" in card and re.search(r"detected \d+%", card)

    [req] = slack.requests()
    assert (req.language, req.language_source, req.severity) == (language, "detected", "sev2")
    assert req.confidence is not None and req.confidence >= 0.9


def test_emergency_without_text_opens_the_modal_and_submitting_files(slack):
    r = slack.command("/emergency", "", user="U0REQ0002", trigger_id="77.7777.modaltrigger")
    assert r.status == 200 and r.body == b"", r.text  # a plain ack; the modal does the rest

    [opened] = slack.wait_view_opened(ids.EMERGENCY_MODAL)
    assert opened.params["trigger_id"] == "77.7777.modaltrigger"
    view = opened.response["view"]
    blocks = {b.get("block_id"): b for b in view["blocks"]}
    assert {ids.TEXT_BLOCK, ids.LANGUAGE_BLOCK, ids.SEVERITY_BLOCK, ids.LINK_BLOCK} <= set(
        blocks)
    language = blocks[ids.LANGUAGE_BLOCK]["element"]
    assert language["initial_option"]["value"] == ids.DETECT
    assert {o["value"] for o in language["options"]} == {ids.DETECT, "en", "es", "ar", "pt",
                                                         "fr"}
    assert slack.requests() == []  # nothing is filed until the form is submitted

    text = "Alguien publica la dirección de una menor y amenaza con ir a buscarla esta noche"
    r = slack.submit_view(ids.EMERGENCY_MODAL,
                          emergency_values(text, ids.DETECT, "sev1",
                                           "https://social.example/p/123"),
                          user="U0REQ0002", private_metadata=view["private_metadata"],
                          view_id=view["id"])
    assert r.status == 200 and r.body == b"", r.text  # closes the modal

    [req] = slack.requests()
    assert (req.via, req.severity, req.language, req.language_source) == (
        "modal", "sev1", "es", "detected")
    assert req.link == "https://social.example/p/123" and req.requester == "U0REQ0002"
    assert req.origin_channel == "C0SAFETY1"  # carried in private_metadata
    slack.wait_for_page(JOAO)
    [note] = slack.wait_posted("U0REQ0002", "is filed")
    assert "T-1" in note.params["text"]

    # The same submission arriving again (a double click on Submit) files nothing new.
    r = slack.submit_view(ids.EMERGENCY_MODAL, emergency_values(text), user="U0REQ0002",
                          private_metadata=view["private_metadata"], view_id=view["id"])
    assert r.status == 200
    slack.settle()
    assert len(slack.requests()) == 1 and len(slack.page_posts()) == 1


def test_modal_language_choice_overrides_detection(slack):
    text = "Hay un hombre transmitiendo en vivo que amenaza con matarse"
    r = slack.submit_view(ids.EMERGENCY_MODAL, emergency_values(text, "fr", "sev3"),
                          user="U0REQ0002", view_id="V0OVERRIDE1")
    assert r.status == 200, r.text
    [req] = slack.requests()
    assert (req.language, req.language_source, req.severity) == ("fr", "explicit", "sev3")
    slack.wait_for_page(OMAR)  # the French reader, not the Spanish one


def test_modal_with_empty_text_gets_a_field_error(slack):
    r = slack.submit_view(ids.EMERGENCY_MODAL, emergency_values("   \n "), user="U0REQ0002")
    assert r.status == 200
    answer = r.json()
    assert answer["response_action"] == "errors"
    assert set(answer["errors"]) == {ids.TEXT_BLOCK} and answer["errors"][ids.TEXT_BLOCK]
    assert slack.requests() == []
    assert slack.count_rows(OutboxRow) == 0 and slack.posts() == []


def test_message_shortcut_opens_the_form_and_files_once_on_submit(slack):
    """Issue 11: the shortcut no longer files at once; it opens the form with the
    message's text and a link to it, and files when the form is sent (its key is the
    message, so escalating the same message again points at the first request)."""
    text = "Alguien amenaza con hacer daño a su familia en un directo ahora mismo"
    ts = slack.post_as_someone("C0GENERAL1", text)
    r = slack.message_shortcut("U0REQ0003", "C0GENERAL1", ts, text)
    assert r.status == 200 and r.body == b"", r.text

    [opened] = slack.wait_view_opened(ids.EMERGENCY_MODAL)
    [lookup] = slack.standin.calls_to("chat.getPermalink")
    assert lookup.ok
    assert (lookup.params["channel"], lookup.params["message_ts"]) == ("C0GENERAL1", ts)
    permalink = lookup.response["permalink"]
    view = opened.response["view"]
    by_block = {b.get("block_id"): b for b in view["blocks"]}
    assert by_block[ids.TEXT_BLOCK]["element"]["initial_value"] == text
    assert by_block[ids.LINK_BLOCK]["element"]["initial_value"] == permalink
    slack.settle()
    assert slack.requests() == [] and slack.posts("U0REQ0003") == []  # nothing filed yet

    r = slack.submit_view(ids.EMERGENCY_MODAL, emergency_values(text, link=permalink),
                          "U0REQ0003", private_metadata=view["private_metadata"],
                          view_id=view["id"])
    assert r.status == 200 and r.body == b"", r.text
    slack.wait_for_page(JOAO)
    [req] = slack.requests()
    assert (req.via, req.link, req.text, req.language) == ("shortcut", permalink, text, "es")
    assert req.origin_channel == "C0GENERAL1" and req.requester == "U0REQ0003"
    assert permalink in blocks_text(slack.pages_to(JOAO)[0])  # the page links back
    slack.wait_posted("U0REQ0003", "is filed")

    # Escalating the same message again, by anyone, points at the first request, and
    # opens no second form.
    r = slack.message_shortcut("U0REQ0004", "C0GENERAL1", ts, text)
    assert r.status == 200
    [dup] = slack.wait_posted("U0REQ0004", "already escalated")
    assert "T-1" in dup.params["text"]
    slack.settle()
    assert len(slack.views_opened()) == 1
    assert len(slack.requests()) == 1
    assert len(slack.page_posts()) == 1 and len(slack.cards()) == 1


def test_same_slash_command_posted_twice_files_one_request(slack):
    body = slack.command_body("/emergency", "sev1 lang:ar تهديد بتفجير مدرسة",
                              trigger_id="55.5555.sametrigger")
    first = slack.post(body, "application/x-www-form-urlencoded")
    slack.wait_for_page(OMAR)
    second = slack.post(body, "application/x-www-form-urlencoded")

    assert first.status == second.status == 200
    assert "T-1" in first.json()["text"] and "T-1" in second.json()["text"]
    slack.settle()
    assert len(slack.requests()) == 1
    assert len(slack.page_posts()) == 1 and len(slack.cards()) == 1
    assert slack.audit_actions(1).count("filed") == 1


def test_same_slash_command_arriving_twice_at_once_files_one_request(slack):
    body = slack.command_body("/emergency", "sev1 lang:ar تهديد بتفجير مدرسة",
                              trigger_id="56.5656.racetrigger")
    answers: list = []
    posts = [threading.Thread(target=lambda: answers.append(
        slack.post(body, "application/x-www-form-urlencoded"))) for _ in range(2)]
    for t in posts:
        t.start()
    for t in posts:
        t.join()
    assert [a.status for a in answers] == [200, 200]
    assert all("T-1" in a.json()["text"] for a in answers)
    slack.wait_for_page(OMAR)
    slack.settle()
    assert len(slack.requests()) == 1 and len(slack.page_posts()) == 1


@pytest.mark.parametrize(("text", "complaint"), [
    ("sev1 lang:xyz someone is threatening a school", "'lang:xyz' is not a language"),
    ("sev9 lang:es amenaza de bomba", "'sev9' is not a severity"),
    ("lang:a1 amenaza", "'lang:a1' is not a language"),
    ("sev1 lang:ar", "say what is happening"),
], ids=["lang-xyz", "sev9", "lang-a1", "no-text"])
def test_bad_input_gets_an_ephemeral_error_with_an_example(slack, text, complaint):
    r = slack.command("/emergency", text)
    assert r.status == 200, r.text
    reply = r.json()
    assert reply["response_type"] == "ephemeral"
    assert complaint in reply["text"]
    assert "`/emergency sev1 " in reply["text"]  # a correct example to copy
    assert slack.requests() == []
    assert slack.count_rows(RequestRow) == 0 and slack.count_rows(OutboxRow) == 0
    assert slack.posts() == []


def test_mentions_and_escaped_text_are_stored_decoded(slack):
    # As Slack sends it with should_escape: true.
    raw = ("sev2 lang:es <@U0BAD0001|bob> publicó &lt;b&gt;amenazas&lt;/b&gt; &amp; fotos en "
           "<#C0LEAKS01|filtraciones>: <https://social.example/p?id=1&amp;x=2|este post>")
    r = slack.command("/emergency", raw)
    assert r.status == 200, r.text

    [req] = slack.requests()
    assert req.text == ("@bob publicó <b>amenazas</b> & fotos en #filtraciones: "
                        "este post (https://social.example/p?id=1&x=2)")
    assert req.link == "https://social.example/p?id=1&x=2"

    [page] = slack.wait_for_page(JOAO)
    shown = blocks_text(page)
    # Shown as text: escaped once for mrkdwn, no live mention, no markup.
    assert "&lt;b&gt;amenazas&lt;/b&gt; &amp; fotos" in shown
    assert "<@U0BAD0001" not in shown and "<b>" not in shown
    assert "<https://social.example/p?id=1&amp;x=2|" in shown  # a working link


# --- a language the team does not serve (issue 12) ------------------------------------------

GERMAN = ("Mein Sohn ist seit gestern verschwunden und der Typ droht im Livestream, "
          "ihn umzubringen, bitte helft schnell")


def test_a_german_request_is_named_german_not_english(slack):
    r = slack.command("/emergency", f"sev1 {GERMAN}", user=REQUESTER)
    assert r.status == 200, r.text
    reply = r.json()["text"]
    assert "German" in reply and "not served by this team" in reply, reply
    assert "English, detected" not in reply

    slack.settle()
    [req] = slack.requests()
    # Stored honestly: the language it is written in, which the team does not serve;
    # routing sends it to the readers of its fallback languages (English here).
    assert (req.detected, req.language_source, req.language) == ("de", "unserved", "de")
    assert req.confidence is not None and req.confidence >= 0.9

    paged = slack.paged_users()
    assert paged
    for user in set(paged):
        for page in slack.pages_to(user):
            shown = blocks_text(page)
            assert "German" in shown and "NEEDS TRANSLATION" in shown, shown
            assert "written in German" in shown and "nobody on this team reads" in shown
            assert "chosen as an English reader" in shown  # why them: its fallback
            assert "· English" not in shown
    card = blocks_text(slack.card("T-1"))
    assert "German" in card and "not served by this team" in card, card
    assert "NEEDS TRANSLATION" in card
    lines = [m["text"] for m in slack.thread(slack.card("T-1")["ts"])]
    filed = next(line for line in lines if "Filed with /emergency" in line)
    assert "written in German" in filed and "not served by this team" in filed
    assert "English readers" in filed
    assert "SEV1, English" not in filed


def test_lang_of_a_language_the_team_does_not_serve_is_accepted_and_named(slack):
    r = slack.command("/emergency", "sev2 lang:tr okulda bomba tehdidi var, canlı yayında",
                      user=REQUESTER)
    assert r.status == 200, r.text
    reply = r.json()["text"]
    assert "Turkish" in reply and "set by requester" in reply, reply
    slack.settle()
    [req] = slack.requests()
    assert (req.detected, req.language_source, req.language) == ("tr", "unserved", "tr")
    assert req.confidence is None
    for user in set(slack.paged_users()):
        for page in slack.pages_to(user):
            assert "Turkish" in blocks_text(page) and "NEEDS TRANSLATION" in blocks_text(page)


def test_a_code_that_is_not_iso_639_1_is_refused(slack):
    r = slack.command("/emergency", "sev1 lang:xx someone is threatening a school")
    reply = r.json()
    assert reply["response_type"] == "ephemeral"
    assert "'lang:xx' is not a language" in reply["text"]
    assert "`/emergency sev1 " in reply["text"]
    assert slack.requests() == []


def test_gibberish_is_not_recognised_and_needs_translation(slack):
    r = slack.command("/emergency", "sev2 qwerty uiop asdf zxcv hjkl", user=REQUESTER)
    assert r.status == 200, r.text
    slack.settle()
    [req] = slack.requests()
    assert (req.language_source, req.language) == ("unknown", "und")
    card = blocks_text(slack.card("T-1"))
    assert "language not recognised" in card.lower() and "NEEDS TRANSLATION" in card
    for user in set(slack.paged_users()):
        for page in slack.pages_to(user):
            assert "NEEDS TRANSLATION" in blocks_text(page)
