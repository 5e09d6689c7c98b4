"""The /emergency form as a whole: built for a team (or, when the requester must pick
one, for every team), read back when submitted, and rebuilt when the requester picks a
category or a team.

Picking in a select whose input block has `dispatch_action` sends a `block_actions`
payload carrying the form as it is (`view.id`, `view.hash`, `view.state.values`,
`view.private_metadata`); the app answers with `views.update` on that view id and hash.
Slack keeps what a block shows across an update as long as its block id stays the same,
so the text, the link, the language and fields both categories ask keep what was typed;
the severity block gets a new id only when the form changes the preselected severity
itself (the requester had not picked one).

private_metadata (JSON): {"channel": where /emergency ran or the message is,
"sev": the severity the form preselected, "ask": true when the form asks the team,
"msg": [channel, ts] of the message the shortcut escalates}.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from bot.core import intake_fields
from bot.core.model import Category, Team
from bot.core.roster import Roster
from bot.slack import ids, render
from bot.slack.render import blocks as kit
from bot.slack.render import mrkdwn as md


@dataclass
class Typed:
    """What the requester has in the form (or typed after /emergency)."""

    text: str = ""
    language: str | None = None  # a code; None: detect
    severity: str | None = None  # what the severity block shows (None: nothing yet)
    link: str | None = None
    category: str | None = None
    fields: dict[str, str] = field(default_factory=dict)
    team: str | None = None  # picked in the team select
    sensitive: bool = False  # "Graphic content" ticked (or `graphic` typed)


def team_categories(team: Team) -> list[Category]:
    """The categories a requester can pick for `team`, in its order (none when the team
    lists none: the form then has no category select)."""
    if not team.categories:
        return []
    found = [team.category(name) for name in team.category_names]
    return [c for c in found if c is not None]


def _union_categories(rosters: list[Roster]) -> list[Category]:
    seen: dict[str, Category] = {}
    for r in rosters:
        for c in team_categories(r.team):
            seen.setdefault(c.name, c)
    return list(seen.values())


def _choices(rosters: list[Roster], chosen: Roster | None, category: str | None
             ) -> tuple[list[Category], Category | None, str]:
    """The categories offered, the one preselected (the typed `category`, else the
    team's default) and the severity the form preselects for it (the category's, else
    the team's default)."""
    if chosen is not None:
        categories = team_categories(chosen.team)
        default_category: str | None = chosen.team.default_category_name
        default_severity = chosen.team.default_severity
    else:
        categories = _union_categories(rosters)
        default_category = None
        default_severity = rosters[0].team.default_severity if rosters else "sev2"
    by_name = {c.name: c for c in categories}
    picked = by_name.get(category or "") or by_name.get(default_category or "")
    return categories, picked, (picked.severity if picked else None) or default_severity


def form(rosters: list[Roster], chosen: Roster | None, typed: Typed, meta: dict,
         ask_team: bool = False, severity_block: str = ids.SEVERITY_BLOCK
         ) -> dict[str, Any]:
    """The form: for `chosen` (its languages and categories), or with a team select
    over `rosters` when `ask_team` (then every team's languages, and the chosen team's
    categories once one is picked, every team's before). Preselects the typed category
    (else the team's default), and the typed severity (else the category's, else the
    team's default); `meta` is stored as private_metadata, with "sev" (the severity
    the form preselected) unless `meta` has it."""
    categories, category, preset = _choices(rosters, chosen, typed.category)
    severity = typed.severity or preset
    languages: list[str] = []
    for r in (rosters if ask_team or chosen is None else [chosen]):
        languages += [code for code in r.team.languages if code not in languages]
    values: dict[str, str] = {"text": typed.text, "link": typed.link or "",
                              "language": typed.language or ""}
    values.update({f"field:{k}": v for k, v in typed.fields.items()})
    category_block = ids.CATEGORY_BLOCK
    if ask_team and chosen is not None:
        category_block = f"{ids.CATEGORY_BLOCK}:{chosen.team.name}"[:255]
    meta = {"sev": severity, **meta}
    if ask_team:
        meta["ask"] = True
    view = render.emergency_modal(
        languages, severity, json.dumps(meta), categories=categories,
        category=category.name if category else None,
        fields=category.fields if category else (),
        values=values, severity_block=severity_block, category_block=category_block,
        graphic=typed.sensitive)
    if ask_team:
        view["blocks"].insert(0, _team_block(rosters, chosen))
    return view


HINT = ("This channel belongs to no team, and several teams take requests here. The team "
        "you pick pages its on-call readers and posts the ticket in its intake channel.")


def _team_block(rosters: list[Roster], chosen: Roster | None) -> dict[str, Any]:
    options = [kit.option(r.team.name, r.team.name, _languages(r))
               for r in rosters if len(r.team.name) <= kit.OPTION_VALUE_MAX
               ][:kit.SELECT_OPTIONS_MAX]
    select: dict[str, Any] = {
        "type": "static_select",
        "action_id": ids.TEAM_ACTION,
        "placeholder": kit.plain_text("Pick a team", 150),
        "options": options,
    }
    for opt in options:
        if chosen is not None and opt["value"] == chosen.team.name:
            select["initial_option"] = opt
    return {
        "type": "input",
        "block_id": ids.TEAM_BLOCK,
        "dispatch_action": True,
        "label": kit.plain_text("Which team handles it?", 2000),
        "element": select,
        "hint": kit.plain_text(HINT, 2000),
    }


def _languages(roster: Roster) -> str:
    return ", ".join(md.language_name(code) for code in roster.team.languages)[:75]


# -- reading the form back -------------------------------------------------------------


def block_of(values: dict, prefix: str) -> str | None:
    """The block id in `values` that is `prefix` or `prefix:<suffix>` (the form changes
    a block's id to reset it); None when the form has no such block."""
    if prefix in values:
        return prefix
    for key in values:
        if isinstance(key, str) and key.startswith(prefix + ":"):
            return key
    return None


def _value(values: dict, block: str | None, action: str) -> str | None:
    held = values.get(block) if block is not None else None
    el = held.get(action) if isinstance(held, dict) else None
    if not isinstance(el, dict):
        return None
    if el.get("type") in ("static_select", "radio_buttons") or "selected_option" in el:
        opt = el.get("selected_option")
        return opt.get("value") if isinstance(opt, dict) else None
    value = el.get("value")
    return value if isinstance(value, str) else None


def read(values: dict) -> Typed:
    """What the form holds (view.state.values), as Typed."""
    lang = _value(values, ids.LANGUAGE_BLOCK, ids.LANGUAGE_ACTION)
    fields = {}
    for key in values:
        if isinstance(key, str) and key.startswith(ids.FIELD_BLOCK + ":"):
            fields[key.split(":", 1)[1]] = _value(values, key, ids.FIELD_ACTION) or ""
    return Typed(
        text=_value(values, ids.TEXT_BLOCK, ids.TEXT_ACTION) or "",
        language=None if lang in (None, "", ids.DETECT) else lang,
        severity=_value(values, block_of(values, ids.SEVERITY_BLOCK), ids.SEVERITY_ACTION),
        link=_value(values, ids.LINK_BLOCK, ids.LINK_ACTION),
        category=_value(values, block_of(values, ids.CATEGORY_BLOCK), ids.CATEGORY_ACTION),
        fields=fields,
        team=_value(values, ids.TEAM_BLOCK, ids.TEAM_ACTION),
        sensitive=_ticked(values, ids.GRAPHIC_BLOCK, ids.GRAPHIC_ACTION, ids.GRAPHIC),
    )


def _ticked(values: dict, block: str, action: str, option: str) -> bool:
    """Whether a checkboxes element has `option` ticked (False for anything odd)."""
    held = values.get(block)
    el = held.get(action) if isinstance(held, dict) else None
    chosen = el.get("selected_options") if isinstance(el, dict) else None
    return isinstance(chosen, list) and any(
        isinstance(o, dict) and o.get("value") == option for o in chosen)


def field_errors(category: Category, typed: Typed) -> dict[str, str]:
    """Block id -> what is wrong, for the category's fields the form holds."""
    wrong = intake_fields.problems(category.fields, typed.fields)
    return {f"{ids.FIELD_BLOCK}:{name}": text[:150] for name, text in wrong.items()}


def updated(rosters: list[Roster], chosen: Roster | None, view: dict, ask_team: bool
            ) -> dict[str, Any]:
    """The form after the requester picked a category or a team in `view` (the
    block_actions payload's view): what was typed kept; the picked category's severity
    preselected unless the requester chose a severity themselves."""
    values = form_values(view)
    meta = meta_of(view)
    typed = read(values)
    block = block_of(values, ids.SEVERITY_BLOCK) or ids.SEVERITY_BLOCK
    if typed.severity is None or typed.severity == meta.get("sev"):
        # The requester left the severity as the form set it: the form sets it again,
        # from the category now picked; only a new block id shows a new choice.
        preset = _choices(rosters, chosen, typed.category)[2]
        if preset != typed.severity:
            block = f"{ids.SEVERITY_BLOCK}:{preset}"
        typed.severity = preset
        meta["sev"] = preset
    # else: the requester's choice stays, and "sev" stays what the form had set.
    return form(rosters, chosen, typed, meta, ask_team, severity_block=block)


def form_values(view: dict) -> dict:
    """view.state.values, or {} for anything else."""
    state = view.get("state")
    values = state.get("values") if isinstance(state, dict) else None
    return values if isinstance(values, dict) else {}


def meta_of(view: dict) -> dict:
    try:
        doc = json.loads(view.get("private_metadata") or "{}")
    except (TypeError, ValueError):
        return {}
    return doc if isinstance(doc, dict) else {}
