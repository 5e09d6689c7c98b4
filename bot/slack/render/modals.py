"""The request modals: the /emergency form, resolve with an outcome, hand over."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from bot.core import intake_fields
from bot.core.messages import RequestView
from bot.core.model import SEVERITIES, Category
from bot.slack import ids
from bot.slack.render import blocks as kit
from bot.slack.render import content, verify
from bot.slack.render import mrkdwn as md

_SEVERITY_HELP = {
    "sev1": "Most urgent: the fastest escalation",
    "sev2": "Urgent",
    "sev3": "Needs a specialist, less urgent",
}


def emergency_modal(
    languages: list[str], default_severity: str, private_metadata: str = "",
    categories: Sequence[Category] = (), category: str | None = None,
    fields: Sequence[str] = (), values: dict[str, str] | None = None,
    severity_block: str = ids.SEVERITY_BLOCK, category_block: str = ids.CATEGORY_BLOCK,
    graphic: bool = False,
) -> dict[str, Any]:
    """The /emergency form: text, category (when the team lists categories; `category`
    preselected, picking another updates the form), the category's `fields`, language
    ("Detect automatically" preselected), severity (`default_severity` preselected),
    optional link, and "Graphic content" (ticked when `graphic`). `values`: what the
    requester typed so far (text, link, each field's value by name), kept in the form."""
    values = values or {}
    detect = kit.option("Detect automatically", ids.DETECT)
    options = [detect]
    seen = {ids.DETECT}
    for code in languages or ():
        value = md.as_text(code).strip()
        if not value or value in seen or len(value) > kit.OPTION_VALUE_MAX:
            continue
        seen.add(value)
        options.append(kit.option(md.language_name(value), value))
    options = options[:kit.SELECT_OPTIONS_MAX]

    sev_options = [kit.option(s.upper(), s, _SEVERITY_HELP.get(s)) for s in SEVERITIES]
    default = md.as_text(default_severity).strip().lower()
    severity: dict[str, Any] = {
        "type": "radio_buttons",
        "action_id": ids.SEVERITY_ACTION,
        "options": sev_options,
    }
    for opt in sev_options:
        if opt["value"] == default:
            severity["initial_option"] = opt

    text_element: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": ids.TEXT_ACTION,
        "multiline": True,
        "max_length": 3000,
        "placeholder": kit.plain_text(
            "Who is at risk, where, what you have seen. Any language.", 150),
    }
    if values.get("text"):
        text_element["initial_value"] = md.as_text(values["text"])[:3000]
    blocks: kit.Blocks = [{
        "type": "input",
        "block_id": ids.TEXT_BLOCK,
        "label": kit.plain_text("What is happening?", 2000),
        "element": text_element,
    }]
    blocks += _category_blocks(categories, category, fields, values, category_block)
    link_element: dict[str, Any] = {
        "type": "url_text_input",
        "action_id": ids.LINK_ACTION,
        "placeholder": kit.plain_text("https://…", 150),
    }
    if values.get("link"):
        link_element["initial_value"] = md.as_text(values["link"])[:3000]
    blocks += [
        {
            "type": "input",
            "block_id": ids.LANGUAGE_BLOCK,
            "label": kit.plain_text("Language", 2000),
            "element": {
                "type": "static_select",
                "action_id": ids.LANGUAGE_ACTION,
                "options": options,
                "initial_option": next((o for o in options
                                        if o["value"] == values.get("language")), detect),
            },
            "hint": kit.plain_text("Detected from the text unless you pick one.", 2000),
        },
        {
            "type": "input",
            "block_id": severity_block,
            "label": kit.plain_text("Severity", 2000),
            "element": severity,
        },
        {
            "type": "input",
            "block_id": ids.LINK_BLOCK,
            "optional": True,
            "label": kit.plain_text("Link", 2000),
            "element": link_element,
            "hint": kit.plain_text("The post, profile or message this is about (optional).", 2000),
        },
        graphic_block(graphic),
    ]
    return kit.modal(ids.EMERGENCY_MODAL, "Emergency request", blocks, submit="File and page",
                     private_metadata=md.as_text(private_metadata))


GRAPHIC_HINT = ("Tick it for violent, sexual or self-harm content: the card in the channel "
                "and the notifications then show no text or link, and the people paged open "
                "it only when they choose. Typing \"graphic\" after /emergency does the same.")


def graphic_block(ticked: bool = False) -> dict[str, Any]:
    """The "Graphic content" checkbox of the /emergency form."""
    option = kit.option("Graphic content (hide the text from the channel)", ids.GRAPHIC)
    element: dict[str, Any] = {"type": "checkboxes", "action_id": ids.GRAPHIC_ACTION,
                               "options": [option]}
    if ticked:
        element["initial_options"] = [option]
    return {"type": "input", "block_id": ids.GRAPHIC_BLOCK, "optional": True,
            "label": kit.plain_text("Graphic content", 2000), "element": element,
            "hint": kit.plain_text(GRAPHIC_HINT, 2000)}


def _category_blocks(categories: Sequence[Category], chosen: str | None,
                     fields: Sequence[str], values: dict[str, str],
                     block_id: str) -> kit.Blocks:
    """The category select (none without categories) and the chosen category's fields."""
    options = [kit.option(c.label or c.name, c.name, _category_help(c))
               for c in categories if 0 < len(c.name) <= kit.OPTION_VALUE_MAX
               ][:kit.SELECT_OPTIONS_MAX]
    if not options:
        return []
    select: dict[str, Any] = {
        "type": "static_select",
        "action_id": ids.CATEGORY_ACTION,
        "placeholder": kit.plain_text("Pick what kind of request it is", 150),
        "options": options,
    }
    for opt in options:
        if opt["value"] == chosen:
            select["initial_option"] = opt
    blocks: kit.Blocks = [{
        "type": "input",
        "block_id": block_id,
        "dispatch_action": True,
        "label": kit.plain_text("What kind of request is it?", 2000),
        "element": select,
        "hint": kit.plain_text("It decides who is paged, how fast an answer is due and "
                               "what the form asks below.", 2000),
    }]
    for name in fields:
        spec = intake_fields.spec(name)
        element: dict[str, Any] = {
            "type": "plain_text_input",
            "action_id": ids.FIELD_ACTION,
            "max_length": spec.max_length,
        }
        if spec.placeholder:
            element["placeholder"] = kit.plain_text(spec.placeholder, 150)
        typed = md.as_text(values.get(f"field:{name}")).strip()
        if typed:
            element["initial_value"] = typed[:spec.max_length]
        block: dict[str, Any] = {
            "type": "input",
            "block_id": f"{ids.FIELD_BLOCK}:{name}",
            "optional": True,
            "label": kit.plain_text(spec.label, 2000),
            "element": element,
        }
        if spec.hint:
            block["hint"] = kit.plain_text(spec.hint, 2000)
        blocks.append(block)
    return blocks


def _category_help(c: Category) -> str | None:
    """Under a category's option: its severity and response target ("SEV1, answer
    within 30 min")."""
    parts = []
    if c.severity:
        parts.append(c.severity.upper())
    if c.due is not None:
        parts.append("answer within " + _duration_words(c.due.total_seconds()))
    return ", ".join(parts) or None


def _duration_words(seconds: float) -> str:
    minutes = max(round(seconds / 60), 1)
    if minutes < 120:
        return f"{minutes} min"
    hours = seconds / 3600
    return f"{hours:.0f} h" if hours == int(hours) else f"{hours:.1f} h"


def _summary(req: RequestView, budget: int = 1200) -> str:
    req = content.shown(req)
    ticket = md.escape(md.as_text(req.ticket).strip() or f"#{req.id}")
    head = f"*{ticket}* · {md.severity_mrkdwn(req.severity)} · {md.escape(md.language_label(req))}"
    return head + "\n" + content.quoted(req, budget)


def resolve_modal(request: RequestView) -> dict[str, Any]:
    """Resolve with a required outcome note; private_metadata carries the request id."""
    ticket = md.as_text(request.ticket).strip() or f"#{request.id}"
    blocks: kit.Blocks = [
        kit.section(_summary(request)),
        *verify.resolution_input(request),  # two-person requests: how it ended
        {
            "type": "input",
            "block_id": ids.OUTCOME_BLOCK,
            "optional": False,
            "label": kit.plain_text("Outcome", 2000),
            "element": {
                "type": "plain_text_input",
                "action_id": ids.OUTCOME_ACTION,
                "multiline": True,
                "max_length": 3000,
                "placeholder": kit.plain_text(
                    "What was done, and what the requester should know.", 150),
            },
            "hint": kit.plain_text(
                "Marked as graphic content: this note is kept with the request and shown "
                "only in its details, not in the channel or to the requester."
                if request.sensitive else
                "The requester and the intake channel see this note.", 2000),
        },
    ]
    return kit.modal(ids.RESOLVE_MODAL, f"Resolve {ticket}", blocks, submit="Resolve",
                     private_metadata=str(request.id))


def handover_modal(request: RequestView, candidates: Sequence[Any]) -> dict[str, Any]:
    """Pick who takes the request over. `candidates`: `Pick`s (bot.services.alert_actions)
    in the service's order, shown in two option groups, "Reads <language>" (each labelled
    "on call" or "off-shift backup") and "Needs translation"; or plain (user id, label)
    pairs, shown as one list. With nobody to offer, a message that nobody else is on call
    for the language, and no submit button."""
    ticket = md.as_text(request.ticket).strip() or f"#{request.id}"
    lang = md.language_name(request.language)
    groups = _option_groups(candidates, f"Reads {lang}", "Needs translation", _handover_label)
    title = f"Hand over {ticket}"
    if not any(opts for _, opts in groups):
        blocks: kit.Blocks = [
            kit.section(_summary(request, 800)),
            kit.section(
                f"Nobody else{_trained(request)} is on call for {md.escape(lang)} right now, so "
                f"there is nobody to hand *{md.escape(ticket)}* over to. Keep it, or ask a "
                "manager to find cover."
            ),
        ]
        return kit.modal(ids.HANDOVER_MODAL, title, blocks, submit=None, close="Close",
                         private_metadata=str(request.id))
    blocks = [
        kit.section(_summary(request, 800)),
        {
            "type": "input",
            "block_id": ids.HANDOVER_TARGET_BLOCK,
            "label": kit.plain_text("Hand over to", 2000),
            "element": {
                "type": "static_select",
                "action_id": ids.HANDOVER_TARGET_ACTION,
                "placeholder": kit.plain_text(f"Someone who reads {lang}", 150),
                **_select_options(groups),
            },
            "hint": kit.plain_text("They get a page and must acknowledge it. Someone under "
                                   "'Needs translation' does not read "
                                   f"{lang}.", 2000),
        },
    ]
    return kit.modal(ids.HANDOVER_MODAL, title, blocks, submit="Hand over",
                     private_metadata=str(request.id))


# --- Page someone (from an alert; issue 10) ----------------------------------------------


def _trained(request: RequestView) -> str:
    """" trained for Child safety" when the request's category needs skills (the pickers
    offer only people holding them), else ""."""
    if not request.skills:
        return ""
    label = md.as_text(request.category_label).strip() or "this kind of request"
    return f" trained for {md.escape(label)}"


def page_someone_modal(request: RequestView, picks: Sequence[Any]) -> dict[str, Any]:
    """Pick any specialist of the team to page now: `Pick`s (bot.services.alert_actions),
    readers of the request's language first, each labelled with their languages and
    whether they are on call."""
    ticket = md.as_text(request.ticket).strip() or f"#{request.id}"
    lang = md.language_name(request.language)
    groups = _option_groups(picks, f"Read {lang}", f"Do not read {lang}", _page_label)
    title = f"Page for {ticket}"
    if not any(opts for _, opts in groups):
        blocks: kit.Blocks = [kit.section(_summary(request, 800)),
                              kit.section(f"This team lists nobody{_trained(request)} "
                                          "to page.")]
        return kit.modal(ids.PAGE_SOMEONE_MODAL, title, blocks, submit=None, close="Close",
                         private_metadata=str(request.id))
    blocks = [
        kit.section(_summary(request, 800)),
        {
            "type": "input",
            "block_id": ids.PAGE_SOMEONE_TARGET_BLOCK,
            "label": kit.plain_text("Page", 2000),
            "element": {
                "type": "static_select",
                "action_id": ids.PAGE_SOMEONE_TARGET_ACTION,
                "placeholder": kit.plain_text("Pick a specialist", 150),
                **_select_options(groups),
            },
            "hint": kit.plain_text("They are paged now and must acknowledge it; the "
                                   "escalation goes on until someone does.", 2000),
        },
    ]
    return kit.modal(ids.PAGE_SOMEONE_MODAL, title, blocks, submit="Page now",
                     private_metadata=str(request.id))


def _handover_label(pick: Any) -> str:
    if not pick.reads:
        return f"{pick.name} · on call · needs translation"
    return f"{pick.name} · {pick.group}"


def _page_label(pick: Any) -> str:
    langs = ", ".join(md.language_name(code) for code in pick.languages)
    return f"{pick.name} · {pick.group}" + (f" · {langs}" if langs else "")


def _option_groups(candidates: Sequence[Any], readers: str, others: str,
                   label: Callable[[Any], str]) -> list[tuple[str | None, list[dict[str, Any]]]]:
    """(group label, options): `Pick`s split into readers and the others; plain
    (user, label) pairs as one group without a label."""
    first: list[dict[str, Any]] = []
    second: list[dict[str, Any]] = []
    seen: set[str] = set()
    plain = False
    for item in candidates or ():
        if isinstance(item, tuple):
            plain = True
            user, text, reads = item[0], item[1], True
        else:
            user, text, reads = item.user, label(item), item.reads
        value = md.as_text(user).strip()
        if not value or value in seen or len(value) > kit.OPTION_VALUE_MAX:
            continue
        seen.add(value)
        (first if reads else second).append(kit.option(md.as_text(text).strip() or value,
                                                       value))
    if plain:
        return [(None, (first + second)[:kit.SELECT_OPTIONS_MAX])]
    second = second[:max(0, kit.SELECT_OPTIONS_MAX - len(first))]
    return [(readers, first[:kit.SELECT_OPTIONS_MAX]), (others, second)]


def _select_options(groups: list[tuple[str | None, list[dict[str, Any]]]]) -> dict[str, Any]:
    """A static_select's `options`, or `option_groups` (empty groups left out)."""
    if len(groups) == 1 and groups[0][0] is None:
        return {"options": groups[0][1]}
    return {"option_groups": [{"label": kit.plain_text(name or "", 75), "options": opts}
                              for name, opts in groups if opts]}
