"""Block Kit builders: plain text, header, section, fields, context, button, option,
modal; each enforces Slack's limits (section 3000, field 2000, header 150, button and
option text 75, modal title 24, 50 blocks a message, 100 a modal)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.slack.render.mrkdwn import as_text, clip, clip_mrkdwn

Blocks = list[dict[str, Any]]

# Block Kit limits.
SECTION_TEXT_MAX = 3000
FIELD_TEXT_MAX = 2000
HEADER_TEXT_MAX = 150
BUTTON_TEXT_MAX = 75
OPTION_TEXT_MAX = 75
OPTION_VALUE_MAX = 150
MODAL_TITLE_MAX = 24
MESSAGE_BLOCKS_MAX = 50
MODAL_BLOCKS_MAX = 100
SELECT_OPTIONS_MAX = 100
FIELDS_MAX = 10
CONTEXT_ELEMENTS_MAX = 10


def plain_text(text: str, limit: int) -> dict[str, Any]:
    return {"type": "plain_text", "text": clip(text.strip() or "—", limit), "emoji": True}


def confirm(title: str, text: str, yes: str, no: str) -> dict[str, Any]:
    """A button's "are you sure?" dialog."""
    return {"title": {"type": "plain_text", "text": title},
            "text": {"type": "plain_text", "text": text},
            "confirm": {"type": "plain_text", "text": yes},
            "deny": {"type": "plain_text", "text": no}}


def header(text: str) -> dict[str, Any]:
    return {"type": "header", "text": plain_text(text, HEADER_TEXT_MAX)}


def section(text: str, block_id: str | None = None) -> dict[str, Any]:
    block: dict[str, Any] = {
        "type": "section",
        "text": {"type": "mrkdwn", "text": clip_mrkdwn(text or "—", SECTION_TEXT_MAX)},
    }
    if block_id:
        block["block_id"] = block_id
    return block


def fields(pairs: Sequence[tuple[str, str]]) -> dict[str, Any]:
    items = [
        {"type": "mrkdwn", "text": clip_mrkdwn(f"*{name}*\n{value or '—'}", FIELD_TEXT_MAX)}
        for name, value in pairs[:FIELDS_MAX]
    ]
    return {"type": "section", "fields": items}


def context(*texts: str) -> dict[str, Any]:
    elements = [
        {"type": "mrkdwn", "text": clip_mrkdwn(t, FIELD_TEXT_MAX)} for t in texts if t
    ][:CONTEXT_ELEMENTS_MAX]
    return {"type": "context", "elements": elements or [{"type": "mrkdwn", "text": "—"}]}


def button(
    text: str,
    action_id: str,
    value: object,
    style: str | None = None,
    confirm: dict[str, Any] | None = None,
) -> dict[str, Any]:
    button: dict[str, Any] = {
        "type": "button",
        "text": plain_text(text, BUTTON_TEXT_MAX),
        "action_id": action_id,
        "value": clip(as_text(value), 2000),
    }
    if style:
        button["style"] = style
    if confirm:
        button["confirm"] = confirm
    return button


def option(text: str, value: str, description: str | None = None) -> dict[str, Any]:
    option: dict[str, Any] = {"text": plain_text(text, OPTION_TEXT_MAX), "value": value}
    if description:
        option["description"] = plain_text(description, OPTION_TEXT_MAX)
    return option


def cap(blocks: Blocks, limit: int = MESSAGE_BLOCKS_MAX) -> Blocks:
    return blocks[:limit]


def fallback(text: str) -> str:
    return clip_mrkdwn(text, 3000)


def modal(
    callback_id: str,
    title: str,
    blocks: Blocks,
    *,
    submit: str | None,
    close: str = "Cancel",
    private_metadata: str = "",
) -> dict[str, Any]:
    view: dict[str, Any] = {
        "type": "modal",
        "callback_id": callback_id,
        "title": plain_text(title, MODAL_TITLE_MAX),
        "close": plain_text(close, MODAL_TITLE_MAX),
        "private_metadata": private_metadata,
        "blocks": blocks[:MODAL_BLOCKS_MAX],
    }
    if submit:
        view["submit"] = plain_text(submit, MODAL_TITLE_MAX)
    return view

