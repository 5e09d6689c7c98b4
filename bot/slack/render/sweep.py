"""A sweep turn in Slack: the DM's two answers, and the "Found something" form. A DIRECT
outbox row whose payload names a `sweep` (bot/services/sweep_turns.py) is rendered with
these buttons; the button value is the turn's id."""

from __future__ import annotations

import json
from typing import Any

from bot.slack import ids
from bot.slack.render import blocks as kit
from bot.slack.render import mrkdwn as md
from bot.slack.render.modals import emergency_modal


def sweep_blocks(text: str, turn_id: object) -> kit.Blocks:
    """`text` is rendered mrkdwn already."""
    value = str(turn_id)
    return [kit.section(text),
            {"type": "actions", "block_id": "sweep_answers", "elements": [
                kit.button("Nothing found", ids.SWEEP_NOTHING, value, style="primary"),
                kit.button("Found something", ids.SWEEP_FOUND, value)]}]


def found_modal(turn_id: int, language: str, severity: str, crises: tuple[str, ...]
                ) -> dict[str, Any]:
    """The /emergency form's text, severity, link and "Graphic content", for the sweep's
    language (no language or category to pick: the request is filed in the sweep's
    language, with the team's default category)."""
    view = emergency_modal([language], severity, json.dumps({"turn": turn_id}))
    lang = md.language_name(language)
    joins = (" It joins the crisis " + " and ".join(f"*{md.escape(n)}*" for n in crises)
             + " and is raised to its severity.") if crises else ""
    intro = kit.section(f"What your {lang} sweep found is filed as a request in {lang}, "
                        f"and the on-call {lang} readers are paged.{joins}")
    blocks = [b for b in view["blocks"] if b.get("block_id") != ids.LANGUAGE_BLOCK]
    view.update(callback_id=ids.SWEEP_FOUND_MODAL, blocks=[intro, *blocks],
                title=kit.plain_text("Found in a sweep", kit.MODAL_TITLE_MAX),
                submit=kit.plain_text("File it", kit.MODAL_TITLE_MAX))
    return view


def turn_of(view: dict) -> int:
    """The turn id the form carries; ValueError when it is not one of ours."""
    try:
        doc = json.loads(view.get("private_metadata") or "{}")
    except (TypeError, ValueError):
        doc = {}
    return ids.record_id(str(doc.get("turn", "")) if isinstance(doc, dict) else "")
