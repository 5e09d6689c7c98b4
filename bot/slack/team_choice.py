"""When several teams take requests and a request's channel is none of theirs, the
requester picks the team: the /emergency form opens with a team select at the top and
what they typed already in it (text, severity, language, link).

A guess (the first team) would page the wrong desk in the wrong languages; asking
costs one click. Whatever the requester picks is the one team the request is filed
for, routed to and confirmed with (`IntakeService.team_for(channel, team)`).
"""

from __future__ import annotations

import json
from typing import Any

from bot.core.roster import Roster
from bot.services.errors import ServiceError
from bot.services.intake import IntakeService, parse_emergency_text
from bot.slack import ids, render
from bot.slack.render import blocks as kit
from bot.slack.render import mrkdwn as md
from bot.slack.text import first_link, to_plain

HINT = ("This channel belongs to no team, and several teams take requests here. The team "
        "you pick pages its on-call readers and posts the ticket in its intake channel.")


class FormProblem(ServiceError):
    """A choice in the form that cannot be filed; shown under `block`."""

    def __init__(self, block: str, message: str):
        super().__init__(message)
        self.block = block


def team_form(rosters: list[Roster], channel: str | None, typed: str = "",
              link: str | None = None) -> dict[str, Any]:
    """The /emergency form with a team select first. `typed`: the command's text
    (its sev/lang tokens become the form's choices, the rest its text); `link`: a link
    to keep (the message shortcut's permalink)."""
    languages: list[str] = []
    for r in rosters:
        languages += [code for code in r.team.languages if code not in languages]
    try:
        severity, language, text, _ = parse_emergency_text(typed, tuple(languages))
    except ServiceError:  # a token that does not read: keep every word as text
        severity, language, text = None, None, typed
    default = severity or rosters[0].team.default_severity
    view = render.emergency_modal(languages, default, json.dumps({"channel": channel}))
    blocks = view["blocks"]
    blocks.insert(0, {
        "type": "input",
        "block_id": ids.TEAM_BLOCK,
        "label": kit.plain_text("Which team handles it?", 2000),
        "element": {
            "type": "static_select",
            "action_id": ids.TEAM_ACTION,
            "placeholder": kit.plain_text("Pick a team", 150),
            "options": [kit.option(r.team.name, r.team.name, _languages(r))
                        for r in rosters if len(r.team.name) <= kit.OPTION_VALUE_MAX
                        ][:kit.SELECT_OPTIONS_MAX],
        },
        "hint": kit.plain_text(HINT, 2000),
    })
    for block in blocks:
        element = block.get("element", {})
        if block.get("block_id") == ids.TEXT_BLOCK and text.strip():
            element["initial_value"] = to_plain(text).strip()[:3000]
        elif block.get("block_id") == ids.LANGUAGE_BLOCK and language:
            for opt in element.get("options", []):
                if opt["value"] == language:
                    element["initial_option"] = opt
        elif block.get("block_id") == ids.LINK_BLOCK and (link or first_link(text)):
            element["initial_value"] = link or first_link(text)
    return view


def _languages(roster: Roster) -> str:
    return ", ".join(md.language_name(code) for code in roster.team.languages)[:75]


def chosen_team(intake: IntakeService, values: dict, channel: str | None,
                language: str | None) -> Roster | None:
    """The team picked in the form (None when the form had no team select: the channel
    decides at filing). Raises FormProblem for a team that does not exist, or one that
    does not read the language picked."""
    picked = values.get(ids.TEAM_BLOCK, {}).get(ids.TEAM_ACTION, {}).get("selected_option")
    if not picked:
        if ids.TEAM_BLOCK in values:
            raise FormProblem(ids.TEAM_BLOCK, "Pick the team that handles it")
        return None
    try:
        roster = intake.team_for(channel, str(picked.get("value") or ""))
    except ServiceError as err:
        raise FormProblem(ids.TEAM_BLOCK, str(err)) from None
    if language and language not in roster.team.languages:
        served = ", ".join(md.language_name(c) for c in roster.team.languages)
        raise FormProblem(ids.LANGUAGE_BLOCK,
                          f"{roster.team.name} does not read {md.language_name(language)}; "
                          f"pick one of {served}, or Detect automatically")
    return roster
