"""When several teams take requests and a request's channel is none of theirs, the
requester picks the team: the /emergency form opens with a team select at the top and
what they typed already in it (text, severity, language, link).

A guess (the first team) would page the wrong desk in the wrong languages; asking
costs one click. Whatever the requester picks is the one team the request is filed
for, routed to and confirmed with (`IntakeService.team_for(channel, team)`).
"""

from __future__ import annotations

from typing import Any

from bot.core.roster import Roster
from bot.services.errors import ServiceError
from bot.services.intake import IntakeService, parse_emergency_text
from bot.slack import ids, intake_form
from bot.slack.render import mrkdwn as md
from bot.slack.text import first_link, to_plain


class FormProblem(ServiceError):
    """A choice in the form that cannot be filed; shown under `block`."""

    def __init__(self, block: str, message: str):
        super().__init__(message)
        self.block = block


def team_form(rosters: list[Roster], channel: str | None, typed: str = "",
              link: str | None = None, meta: dict | None = None) -> dict[str, Any]:
    """The /emergency form with a team select first. `typed`: the command's text
    (its sev/lang/cat tokens become the form's choices, the rest its text); `link`: a
    link to keep (the message shortcut's permalink); `meta`: more private_metadata."""
    languages: list[str] = []
    for r in rosters:
        languages += [code for code in r.team.languages if code not in languages]
    try:
        severity, language, text, category, graphic = parse_emergency_text(
            typed, tuple(languages))
    except ServiceError:  # a token that does not read: keep every word as text
        severity, language, text, category, graphic = None, None, typed, None, False
    return intake_form.form(
        rosters, None,
        intake_form.Typed(text=to_plain(text).strip()[:3000], language=language,
                          severity=severity, link=link or first_link(text),
                          category=category, sensitive=graphic),
        {"channel": channel, **(meta or {})}, ask_team=True)


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
