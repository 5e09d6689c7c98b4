"""Block Kit renderers: buttons per state, escaping, limits, date tokens, modals.

Views are built by hand; every block list goes through `check_blocks` (types, limits,
ids, and the only `<...>` tokens allowed in mrkdwn) and through slack_sdk's own models.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.core.messages import PageView, RequestView, TimelineEntry
from bot.slack import ids, render

FILED = datetime(2026, 12, 24, 8, 0, tzinfo=UTC)
FILED_TS = int(FILED.timestamp())
REQUESTER = "U0REQ0001"
ME = "U0AR00001"
OTHER = "U0AR00002"
INTAKE = "C0INTAKE01"


def make_request(**changes: Any) -> RequestView:
    base = RequestView(
        id=42,
        ticket="T-42",
        team="safety-escalations",
        requester=REQUESTER,
        text="حريق في المبنى، الناس محاصرون",
        link="https://example.com/post/1?a=1&b=2",
        severity="sev1",
        language="ar",
        language_source="detected",
        detected="ar",
        confidence=0.934,
        status="open",
        assignee=None,
        outcome=None,
        created=FILED,
        acknowledged=None,
        resolved=None,
        paged=(ME,),
        needs_translation=False,
        escalation="paging the next Arabic reader on call",
        exhausted=False,
        origin_channel="C0ORIGIN1",
        via="command",
    )
    return replace(base, **changes)


def make_page(state: str = "pending", *, needs_translation: bool = False,
              user: str = ME, source: str = "on_call", **request: Any) -> PageView:
    return PageView(id=7, user=user, state=state, source=source,
                    needs_translation=needs_translation, request=make_request(**request))


# --- a small structural checker -----------------------------------------------------

TOKEN = re.compile(r"<([^<>]*)>")
ALLOWED_TOKEN = re.compile(
    r"@[UW][A-Z0-9]+|#[CGD][A-Z0-9]+|!subteam\^S[A-Z0-9]+"
    r"|!date\^\d+\^\{date_short_pretty\} \{time\}\|[^|]+"
    r"|https?://[^\s|]+\|[^|]+"
)
ENTITY = re.compile(r"&(?!(amp|lt|gt);)")


def units(text: str) -> int:
    """Length as Slack counts it: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def check_text(obj: dict[str, Any], limit: int, where: str) -> None:
    assert obj["type"] in ("plain_text", "mrkdwn"), where
    text = obj["text"]
    assert isinstance(text, str) and text.strip(), f"{where}: empty text"
    assert units(text) <= limit, f"{where}: {units(text)} > {limit}"
    if obj["type"] == "mrkdwn":
        check_mrkdwn(text, where)


def check_mrkdwn(text: str, where: str) -> None:
    """Every `<...>` is a token we mean to send; every `&` starts an entity."""
    for m in TOKEN.finditer(text):
        assert ALLOWED_TOKEN.fullmatch(m.group(1)), f"{where}: unexpected token {m.group(0)!r}"
    stripped = TOKEN.sub("", text)
    assert "<" not in stripped and ">" not in stripped.replace("\n> ", "\n").removeprefix(
        "> "), f"{where}: bare angle bracket in {text[:80]!r}"
    # URLs inside tokens escape & too
    assert not ENTITY.search(text), f"{where}: bare & in {text[:80]!r}"


def check_option(opt: dict[str, Any], where: str) -> None:
    check_text(opt["text"], 75, where + ".text")
    assert opt["text"]["type"] == "plain_text" or where.startswith("radio")
    assert 1 <= len(opt["value"]) <= 150, where
    if "description" in opt:
        check_text(opt["description"], 75, where + ".description")


def check_element(el: dict[str, Any], where: str) -> None:
    kind = el["type"]
    assert kind in ("button", "plain_text_input", "static_select", "radio_buttons",
                    "url_text_input", "checkboxes", "external_select"), where
    assert 1 <= len(el["action_id"]) <= 255, where
    if kind == "button":
        check_text(el["text"], 75, where + ".text")
        assert el["text"]["type"] == "plain_text"
        assert len(el["value"]) <= 2000
        assert el.get("style") in (None, "primary", "danger")
        if "confirm" in el:
            c = el["confirm"]
            check_text(c["title"], 100, where + ".confirm.title")
            check_text(c["text"], 300, where + ".confirm.text")
            check_text(c["confirm"], 30, where + ".confirm.confirm")
            check_text(c["deny"], 30, where + ".confirm.deny")
    if kind in ("static_select", "radio_buttons"):
        groups = el.get("option_groups")
        assert (groups is None) != ("options" not in el), f"{where}: options or groups"
        if groups is not None:
            for g in groups:
                check_text(g["label"], 75, where + ".option_groups.label")
        opts = el["options"] if groups is None else [o for g in groups for o in g["options"]]
        assert 1 <= len(opts) <= (100 if kind == "static_select" else 10), where
        for i, opt in enumerate(opts):
            check_option(opt, f"{'radio' if kind == 'radio_buttons' else 'select'}[{i}]")
        values = [o["value"] for o in opts]
        assert len(values) == len(set(values)), f"{where}: duplicate option values"
        if "initial_option" in el:
            assert el["initial_option"] in opts, f"{where}: initial option not among options"
    if kind == "external_select":  # its options come from the app (block_suggestion)
        assert "options" not in el and "option_groups" not in el, where
        assert isinstance(el.get("min_query_length", 0), int), where
        if "initial_option" in el:
            check_option(el["initial_option"], where + ".initial_option")
    if kind == "checkboxes":
        assert 1 <= len(el["options"]) <= 10, where
        for i, opt in enumerate(el["options"]):
            check_option(opt, f"checkbox[{i}]")
        assert all(o in el["options"] for o in el.get("initial_options", [])), where
    if "placeholder" in el:
        check_text(el["placeholder"], 150, where + ".placeholder")
    if kind == "plain_text_input" and "max_length" in el:
        assert el["max_length"] <= 3000


def check_blocks(blocks: list[dict[str, Any]], limit: int = 50) -> None:
    assert isinstance(blocks, list) and 1 <= len(blocks) <= limit
    block_ids = [b["block_id"] for b in blocks if "block_id" in b]
    assert len(block_ids) == len(set(block_ids)), "duplicate block_id"
    for i, b in enumerate(blocks):
        where = f"blocks[{i}]({b['type']})"
        assert len(b.get("block_id", "")) <= 255
        kind = b["type"]
        if kind == "header":
            check_text(b["text"], 150, where)
            assert b["text"]["type"] == "plain_text"
        elif kind == "section":
            assert "text" in b or "fields" in b, where
            if "text" in b:
                check_text(b["text"], 3000, where)
            fields = b.get("fields", [])
            assert len(fields) <= 10, where
            for j, f in enumerate(fields):
                check_text(f, 2000, f"{where}.fields[{j}]")
        elif kind == "context":
            assert 1 <= len(b["elements"]) <= 10, where
            for j, e in enumerate(b["elements"]):
                check_text(e, 3000, f"{where}.elements[{j}]")
        elif kind == "actions":
            els = b["elements"]
            assert 1 <= len(els) <= 25, where
            action_ids = [e["action_id"] for e in els]
            assert len(action_ids) == len(set(action_ids)), f"{where}: duplicate action_id"
            for j, e in enumerate(els):
                check_element(e, f"{where}.elements[{j}]")
        elif kind == "input":
            check_text(b["label"], 2000, where + ".label")
            assert b["label"]["type"] == "plain_text"
            if "hint" in b:
                check_text(b["hint"], 2000, where + ".hint")
            check_element(b["element"], where + ".element")
        else:
            pytest.fail(f"{where}: unexpected block type")
        Block.parse(b).validate_json()  # slack_sdk's own limits too


def check_message(result: tuple[str, list[dict[str, Any]]]) -> tuple[str, list[dict[str, Any]]]:
    text, blocks = result
    assert isinstance(text, str) and text.strip(), "the fallback text must say something"
    assert units(text) <= 3000
    check_mrkdwn(text, "text")
    check_blocks(blocks)
    return text, blocks


def check_view(view: dict[str, Any]) -> dict[str, Any]:
    assert view["type"] == "modal"
    assert view["callback_id"]
    check_text(view["title"], 24, "title")
    check_text(view["close"], 24, "close")
    if "submit" in view:
        check_text(view["submit"], 24, "submit")
    assert len(view.get("private_metadata", "")) <= 3000
    check_blocks(view["blocks"], limit=100)
    has_input = any(b["type"] == "input" for b in view["blocks"])
    assert has_input == ("submit" in view), "a modal with inputs needs a submit button"
    View(**view).validate_json()
    return view


def dump(blocks: Any) -> str:
    return json.dumps(blocks, ensure_ascii=False)


def actions(blocks: list[dict[str, Any]]) -> list[tuple[str, str, str | None]]:
    """The buttons (not the "Set language" select every unresolved request has, nor the
    graphic-content buttons every request has: tests/slack/test_render_sensitive.py)."""
    return [(e["action_id"], e["value"], e.get("style"))
            for b in blocks if b["type"] == "actions" for e in b["elements"]
            if e["type"] == "button" and not b.get("block_id", "").startswith(
                ids.SENSITIVE_BLOCK)]


def contexts(blocks: list[dict[str, Any]]) -> str:
    return "\n".join(e["text"] for b in blocks if b["type"] == "context" for e in b["elements"])


# --- the page DM --------------------------------------------------------------------


def test_pending_page_offers_acknowledge_and_decline_with_confirm() -> None:
    text, blocks = check_message(render.page_message(make_page("pending")))
    assert actions(blocks) == [(ids.ACK, "7", "primary"), (ids.DECLINE, "7", None)]
    decline = [e for b in blocks if b["type"] == "actions" for e in b["elements"]
               if e["type"] == "button"][1]
    assert decline["confirm"]["confirm"]["text"] == "Decline"
    header = blocks[0]
    assert header["type"] == "header"
    assert "SEV1 · T-42 · Arabic" in header["text"]["text"]
    assert "SEV1" in text and "T-42" in text and "Arabic" in text
    assert f"<@{REQUESTER}>" in dump(blocks)
    assert "detected 93%" in dump(blocks)
    assert "<https://example.com/post/1?a=1&amp;b=2|" in dump(blocks)


def test_acknowledged_by_this_user_offers_resolve_and_hand_over() -> None:
    page = make_page("acknowledged", status="acknowledged", assignee=ME, paged=(),
                     acknowledged=FILED + timedelta(minutes=1))
    _, blocks = check_message(render.page_message(page))
    assert actions(blocks) == [(ids.RESOLVE, "42", "primary"), (ids.HANDOVER, "42", None)]


@pytest.mark.parametrize(
    ("state", "changes", "expected"),
    [
        ("pending", {"status": "acknowledged", "assignee": OTHER}, f"Acknowledged by <@{OTHER}>"),
        ("closed", {"status": "acknowledged", "assignee": OTHER}, f"Acknowledged by <@{OTHER}>"),
        ("declined", {"status": "open"}, "You declined"),
        ("declined", {"status": "acknowledged", "assignee": OTHER}, "You declined"),
        ("closed", {"status": "open"}, "No longer waiting for you"),
        ("acknowledged", {"status": "acknowledged", "assignee": OTHER}, f"now with <@{OTHER}>"),
        ("acknowledged", {"status": "open", "assignee": None}, "You handed this over"),
        ("closed", {"status": "resolved", "assignee": OTHER, "outcome": "Reported to police"},
         f"Resolved by <@{OTHER}>: Reported to police"),
        ("acknowledged", {"status": "resolved", "assignee": ME, "outcome": "done"},
         f"Resolved by <@{ME}>: done"),
        ("weird", {"status": "open"}, "weird"),
    ],
)
def test_finished_pages_say_what_happened_without_buttons(state, changes, expected) -> None:
    text, blocks = check_message(render.page_message(make_page(state, **changes)))
    assert actions(blocks) == []
    assert expected in contexts(blocks)


@pytest.mark.parametrize("state", ["pending", "acknowledged", "declined", "closed", ""])
@pytest.mark.parametrize("status", ["open", "acknowledged", "resolved", "???"])
@pytest.mark.parametrize("assignee", [None, ME, OTHER])
def test_every_state_renders_valid_blocks(state, status, assignee) -> None:
    page = make_page(state, status=status, assignee=assignee)
    _, blocks = check_message(render.page_message(page))
    buttons = {a for a, _, _ in actions(blocks)}
    assert buttons in (set(), {ids.ACK, ids.DECLINE}, {ids.RESOLVE, ids.HANDOVER})
    if buttons == {ids.ACK, ids.DECLINE}:
        assert state == "pending" and status == "open"
    if buttons == {ids.RESOLVE, ids.HANDOVER}:
        assert assignee == ME and status == "acknowledged"


def test_translation_warning_is_visible_only_when_needed() -> None:
    text, blocks = check_message(render.page_message(
        make_page(needs_translation=True, source="translation")))
    sections = [b["text"]["text"] for b in blocks if b["type"] == "section" and "text" in b]
    assert any("NEEDS TRANSLATION" in s for s in sections[:1])  # right under the header
    assert "NEEDS TRANSLATION" in text
    _, plain = check_message(render.page_message(make_page()))
    assert "NEEDS TRANSLATION" not in dump(plain)


@pytest.mark.parametrize(
    ("source", "confidence", "detected", "expected"),
    [
        ("detected", 0.934, "ar", "Arabic (detected 93%)"),
        ("detected", None, "ar", "Arabic (detected)"),
        ("explicit", None, None, "Arabic (set by requester)"),
        ("fallback", None, None, "Arabic (fallback)"),
        ("fallback", 0.41, "es", "Arabic (fallback; best guess Spanish 41%)"),
    ],
)
def test_language_says_how_it_was_chosen(source, confidence, detected, expected) -> None:
    page = make_page(language_source=source, confidence=confidence, detected=detected)
    _, blocks = check_message(render.page_message(page))
    # The title names the language; the field says only how it was chosen.
    how = expected.removeprefix("Arabic (").removesuffix(")")
    assert f"*Language*\n{how}" in [f["text"] for b in blocks for f in b.get("fields", [])]


HOSTILE = "<script>alert('x')</script> & <!channel> <@U0AR00002|x> <https://evil|ok>"


def test_request_text_is_escaped_for_mrkdwn() -> None:
    page = make_page(text=HOSTILE, outcome="a <b> & c", status="resolved", assignee=OTHER)
    text, blocks = check_message(render.page_message(page))
    out = dump(blocks)
    assert "&lt;script&gt;alert('x')&lt;/script&gt; &amp; &lt;!channel&gt;" in out
    assert "<script>" not in out and "<!channel>" not in out and "<!channel>" not in text
    assert "<https://evil" not in out
    assert "a &lt;b&gt; &amp; c" in out
    for fn in (render.ticket_card, render.manager_alert):
        check_message(fn(page.request))
        assert "<script>" not in dump(fn(page.request))
    for kind in render.NOTE_KINDS:
        t, b = check_message(render.requester_note(page.request, kind))
        assert "<script>" not in dump(b) + t


def test_quoted_text_keeps_its_lines() -> None:
    _, blocks = check_message(render.page_message(make_page(text="one\r\ntwo\n\nthree")))
    assert "> one\n> two\n> \n> three" in dump(blocks).replace("\\n", "\n")


@pytest.mark.parametrize("unit", ["a", "<", "&", "ش", "🚨", "a\n"])
def test_huge_text_is_truncated_within_limits(unit: str) -> None:
    huge = unit * 10_000
    page = make_page(text=huge, outcome=huge, needs_translation=True)
    text, blocks = check_message(render.page_message(page))
    quoted = [b["text"]["text"] for b in blocks
              if b["type"] == "section" and b.get("text", {}).get("text", "").startswith(">")]
    assert quoted and all(units(q) <= 2500 for q in quoted)
    assert quoted[0].endswith("…")
    assert units(text) <= 400
    for req in (page.request, replace(page.request, status="resolved", assignee=OTHER)):
        check_message(render.ticket_card(req))
        check_message(render.manager_alert(req))
        check_message(render.channel_alert(req, "S0MGRGRP1"))
        for kind in render.NOTE_KINDS:
            check_message(render.requester_note(req, kind, INTAKE))
        check_view(render.resolve_modal(req))
        check_view(render.handover_modal(req, [(OTHER, "x" * 500)]))
    check_message(render.timeline_line(TimelineEntry(FILED, "bot", "paged", huge)))


def test_odd_input_never_crashes() -> None:
    odd = make_request(
        ticket="", requester="", text="", link="", severity="", language="",
        language_source="", detected=None, confidence=float("nan"), status="",
        assignee=None, outcome=None, created=None, paged=(), escalation="",
        origin_channel=None, via="",
    )
    page = PageView(id=0, user="", state="", source="", needs_translation=False, request=odd)
    check_message(render.page_message(page))
    check_message(render.ticket_card(odd))
    check_message(render.manager_alert(odd))
    check_message(render.channel_alert(odd, None))
    check_message(render.channel_alert(odd, "not a group <!here>"))
    for kind in (*render.NOTE_KINDS, "unknown"):
        check_message(render.requester_note(odd, kind))
    check_message(render.timeline_line(TimelineEntry(FILED, "", "", "")))
    assert render.ephemeral_confirmation(odd)
    check_view(render.resolve_modal(odd))
    check_view(render.handover_modal(odd, []))
    check_view(render.emergency_modal([], "nonsense"))


def test_links_that_are_not_http_are_not_clickable() -> None:
    _, blocks = check_message(render.page_message(make_page(link="javascript:alert(1)|x>")))
    assert "javascript:alert(1)|x&gt;" in dump(blocks)
    assert "<javascript" not in dump(blocks)


# --- times ----------------------------------------------------------------------------

DATE_TOKEN = re.compile(r"<!date\^(\d+)\^\{date_short_pretty\} \{time\}\|([^>]+)>")


def test_times_are_slack_date_tokens_with_a_utc_fallback() -> None:
    _, blocks = check_message(render.page_message(make_page()))
    tokens = DATE_TOKEN.findall(dump(blocks))
    assert tokens == [(str(FILED_TS), "2026-12-24 08:00 UTC")]


def test_naive_and_non_utc_times_are_the_same_instant() -> None:
    naive = datetime(2026, 12, 24, 8, 0)
    dubai = FILED.astimezone(timezone(timedelta(hours=4)))
    assert render.slack_date(naive) == render.slack_date(dubai) == render.slack_date(FILED)
    assert render.slack_date(None) == "—"


def test_ticket_card_shows_filed_acknowledged_and_resolved_times() -> None:
    req = make_request(status="resolved", assignee=OTHER, outcome="Handled",
                       acknowledged=FILED + timedelta(minutes=2),
                       resolved=FILED + timedelta(hours=1), paged=())
    text, blocks = check_message(render.ticket_card(req))
    stamps = [int(ts) for ts, _ in DATE_TOKEN.findall(dump(blocks))]
    assert stamps == [FILED_TS, FILED_TS + 120, FILED_TS + 3600]
    assert ":white_check_mark:" in blocks[0]["text"]["text"]
    assert f"Resolved by <@{OTHER}>: Handled" in dump(blocks)
    assert "Resolved" in text


# --- the ticket card ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "emoji"),
    [("open", ":rotating_light:"), ("acknowledged", ":eyes:"),
     ("resolved", ":white_check_mark:")],
)
def test_ticket_card_status_emoji(status: str, emoji: str) -> None:
    text, blocks = check_message(render.ticket_card(make_request(status=status)))
    assert blocks[0]["text"]["text"].startswith(emoji)
    assert text.startswith(emoji)
    # The status is in the title; no field repeats it.
    assert f"{emoji} T-42 · {status.capitalize()}" in blocks[0]["text"]["text"]
    assert "*Status*" not in dump(blocks)


def test_ticket_card_names_who_is_paged_and_the_escalation() -> None:
    many = tuple(f"U0SP{i:05d}" for i in range(30))
    text, blocks = check_message(render.ticket_card(
        make_request(paged=many, needs_translation=True)))
    out = dump(blocks)
    assert "*Paging*" in out and "<@U0SP00000>" in out and "and 20 more" in out
    assert "paging the next Arabic reader on call" in out
    assert "NEEDS TRANSLATION" in out
    assert "detected 93%" in out
    assert "paging <@U0SP00000>" in text

    _, acked = check_message(render.ticket_card(
        make_request(status="acknowledged", assignee=OTHER, paged=())))
    assert f"*Assignee*\\n<@{OTHER}>" in dump(acked)


def test_exhausted_card_says_managers_were_alerted() -> None:
    _, blocks = check_message(render.ticket_card(make_request(exhausted=True, paged=())))
    assert "managers have been alerted" in dump(blocks)


# --- timeline, notes, alerts --------------------------------------------------------


def test_timeline_line_has_time_actor_and_text() -> None:
    entry = TimelineEntry(at=FILED, actor=ME, action="acknowledged", text="acknowledged <it>")
    text, blocks = check_message(render.timeline_line(entry))
    line = blocks[0]["elements"][0]["text"]
    assert DATE_TOKEN.search(line)
    assert f"<@{ME}>" in line and "acknowledged &lt;it&gt;" in line
    assert text.startswith("2026-12-24 08:00 UTC")
    bot_text, bot_blocks = check_message(render.timeline_line(
        TimelineEntry(at=FILED, actor="bot", action="paged", text=f"paged {OTHER} (on call)")))
    assert "*bot*" in bot_blocks[0]["elements"][0]["text"]
    assert f"paged <@{OTHER}> (on call)" in bot_text


def test_requester_notes() -> None:
    filed_text, filed = check_message(render.requester_note(make_request(), "filed", INTAKE))
    assert "T-42" in filed_text and f"<@{ME}>" in filed_text and f"<#{INTAKE}>" in filed_text

    acked = make_request(status="acknowledged", assignee=OTHER, paged=(),
                         acknowledged=FILED + timedelta(minutes=1))
    text, _ = check_message(render.requester_note(acked, "acknowledged"))
    assert f"<@{OTHER}> acknowledged *T-42*" in text

    done = replace(acked, status="resolved", outcome="Account secured", resolved=FILED)
    text, blocks = check_message(render.requester_note(done, "resolved"))
    assert "resolved by" in text and "Account secured" in text
    assert "> Account secured" in dump(blocks)

    text, _ = check_message(render.requester_note(make_request(exhausted=True), "exhausted"))
    assert "Nobody has acknowledged" in text and "managers" in text


def test_manager_and_channel_alerts() -> None:
    req = make_request(exhausted=True)
    text, blocks = check_message(render.manager_alert(req))
    assert "T-42" in text and "not been acknowledged" in dump(blocks)
    text, blocks = check_message(render.channel_alert(req, "S0MGRGRP1"))
    assert text.startswith("<!subteam^S0MGRGRP1>")
    assert "<!subteam^S0MGRGRP1>" in blocks[0]["text"]["text"]
    text, blocks = check_message(render.channel_alert(req, None))
    assert "subteam" not in text + dump(blocks)


def test_ephemeral_confirmation() -> None:
    line = render.ephemeral_confirmation(make_request(), INTAKE)
    assert line == (f"Filed T-42 (sev1, Arabic, detected 93%) — paging <@{ME}>. "
                    f"Updates in <#{INTAKE}>.")
    explicit = render.ephemeral_confirmation(
        make_request(language="es", language_source="explicit", needs_translation=True))
    assert "(sev1, Spanish, set by requester, needs translation)" in explicit
    assert "\n" not in explicit


def test_language_names() -> None:
    for code, name in {"en": "English", "es": "Spanish", "ar": "Arabic", "pt": "Portuguese",
                       "fr": "French", "de": "German", "zh": "Chinese"}.items():
        assert render.language_name(code) == name
    assert render.language_name("pt-BR") == "Portuguese (BR)"
    assert render.language_name("xx") == "xx"
    assert render.language_name(None) == "unknown"


# --- modals -------------------------------------------------------------------------


def _input(view: dict[str, Any], block_id: str) -> dict[str, Any]:
    [block] = [b for b in view["blocks"] if b.get("block_id") == block_id]
    assert block["type"] == "input"
    return block


def test_emergency_modal() -> None:
    view = check_view(render.emergency_modal(["en", "es", "ar", "pt", "fr"], "sev2", "C1|U1"))
    assert view["callback_id"] == ids.EMERGENCY_MODAL
    assert view["private_metadata"] == "C1|U1"

    text = _input(view, ids.TEXT_BLOCK)
    assert text["element"]["type"] == "plain_text_input"
    assert text["element"]["action_id"] == ids.TEXT_ACTION
    assert text["element"]["multiline"] is True
    assert not text.get("optional", False)

    lang = _input(view, ids.LANGUAGE_BLOCK)["element"]
    assert lang["type"] == "static_select" and lang["action_id"] == ids.LANGUAGE_ACTION
    assert lang["initial_option"]["value"] == ids.DETECT == "detect"
    assert [(o["value"], o["text"]["text"]) for o in lang["options"]] == [
        ("detect", "Detect automatically"), ("en", "English"), ("es", "Spanish"),
        ("ar", "Arabic"), ("pt", "Portuguese"), ("fr", "French")]

    sev = _input(view, ids.SEVERITY_BLOCK)["element"]
    assert sev["action_id"] == ids.SEVERITY_ACTION
    assert [o["value"] for o in sev["options"]] == ["sev1", "sev2", "sev3"]
    assert sev["initial_option"]["value"] == "sev2"

    link = _input(view, ids.LINK_BLOCK)
    assert link["optional"] is True
    assert link["element"]["type"] == "url_text_input"
    assert link["element"]["action_id"] == ids.LINK_ACTION


def test_emergency_modal_with_many_or_odd_languages() -> None:
    codes = ["en", "en", "", "ar"] + [f"x{i}" for i in range(200)]
    view = check_view(render.emergency_modal(codes, "SEV1"))
    options = _input(view, ids.LANGUAGE_BLOCK)["element"]["options"]
    assert len(options) == 100
    assert [o["value"] for o in options[:3]] == ["detect", "en", "ar"]
    sev = _input(view, ids.SEVERITY_BLOCK)["element"]
    assert sev["initial_option"]["value"] == "sev1"


def test_resolve_modal() -> None:
    req = make_request(status="acknowledged", assignee=ME)
    view = check_view(render.resolve_modal(req))
    assert view["callback_id"] == ids.RESOLVE_MODAL
    assert view["private_metadata"] == "42"
    outcome = _input(view, ids.OUTCOME_BLOCK)
    assert outcome["optional"] is False
    assert outcome["element"]["action_id"] == ids.OUTCOME_ACTION
    assert "T-42" in view["title"]["text"]


def test_handover_modal() -> None:
    req = make_request(status="acknowledged", assignee=ME)
    view = check_view(render.handover_modal(req, [(OTHER, "Omar (Dublin) · ar, en"),
                                                  (OTHER, "duplicate"), ("U0AR00003", "")]))
    assert view["callback_id"] == ids.HANDOVER_MODAL
    assert view["private_metadata"] == "42"
    target = _input(view, ids.HANDOVER_TARGET_BLOCK)["element"]
    assert target["type"] == "static_select"
    assert target["action_id"] == ids.HANDOVER_TARGET_ACTION
    assert [(o["value"], o["text"]["text"]) for o in target["options"]] == [
        (OTHER, "Omar (Dublin) · ar, en"), ("U0AR00003", "U0AR00003")]
    assert "submit" in view


def test_handover_modal_with_nobody_to_hand_over_to() -> None:
    view = check_view(render.handover_modal(make_request(), []))
    assert "submit" not in view
    assert "Nobody else is on call for Arabic" in dump(view["blocks"])


def test_ids_are_distinct() -> None:
    names = [n for n in dir(ids) if n.isupper() and isinstance(getattr(ids, n), str)]
    values = [getattr(ids, n) for n in names]
    assert len(values) == len(set(values)), "every id is distinct"
    assert (ids.ACK, ids.DECLINE, ids.RESOLVE, ids.HANDOVER) == (
        "page_ack", "page_decline", "request_resolve", "request_handover")
    assert (ids.EMERGENCY_MODAL, ids.RESOLVE_MODAL, ids.HANDOVER_MODAL, ids.SHORTCUT) == (
        "emergency_modal", "resolve_modal", "handover_modal", "escalate_message")
