"""Two-person verification as people read it (issue 11): the request's details and the
checklist on the page, the "Ask for verification" button, the DM that asks a second
specialist to verify (with "Verified"), the outcome select of the resolve form, and the
verified and outcome lines of the card.

Only requests whose category says `verification: two_person` show any of it.
"""

from __future__ import annotations

from typing import Any

from bot.core import intake_fields
from bot.core import verification as v
from bot.core.messages import RequestView
from bot.slack import ids
from bot.slack.render import blocks as kit
from bot.slack.render import content, pages
from bot.slack.render import mrkdwn as md


def _ticket(req: RequestView) -> str:
    return md.as_text(req.ticket).strip() or f"#{req.id}"


def _skills(req: RequestView) -> str:
    return md.escape(v.skill_words(tuple(req.skills)))


def details_blocks(req: RequestView) -> kit.Blocks:
    """The request's details (agency, officer, callback number, case reference), with
    a reminder that the callback number is not how to verify."""
    pairs = [(md.escape(intake_fields.label(md.as_text(name).strip())),
              md.escape_clip(value, 300, one_line=True))
             for name, value in req.fields if md.as_text(value).strip()]
    if not pairs:
        return []
    out: kit.Blocks = [kit.section("*Details from the request*"), kit.fields(pairs)]
    if any(name == "callback_number" for name, _ in req.fields):
        out.append(kit.context("Do not verify by calling the callback number: call the "
                               "agency's publicly listed number."))
    return out


def verified_line(req: RequestView) -> str:
    """'Verified by @x at <date>' once a second person verified it; '' before."""
    if not req.verified_by:
        return ""
    when = f" at {md.slack_date(req.verified)}" if req.verified else ""
    return f":ballot_box_with_check: Verified by {md.user_mention(req.verified_by)}{when}"


def checklist_blocks(req: RequestView) -> kit.Blocks:
    """What both people check before anything is disclosed, and where the check stands."""
    items = "\n".join(f"• {md.escape(item)}" for item in v.CHECKLIST)
    blocks = [kit.section(f"*Two-person check before disclosing anything*\n{items}")]
    done = verified_line(req) if req.verified_by != req.assignee else ""
    if done:
        blocks.append(kit.context(done))
    elif md.as_text(req.status) != "resolved":
        blocks.append(kit.context(
            f"Not verified yet: *Disclosed* needs a second specialist holding {_skills(req)}, "
            "not whoever has it, to click *Verified*."))
    return blocks


def page_blocks(req: RequestView) -> kit.Blocks:
    """Under the request text of a two-person request's page: details, then checklist."""
    if not req.two_person:
        return []
    return details_blocks(req) + checklist_blocks(req)


def ask_button(req: RequestView) -> list[dict[str, Any]]:
    """"Ask for verification" for whoever has a two-person request not verified yet."""
    if not req.two_person or (req.verified_by and req.verified_by != req.assignee):
        return []
    return [kit.button("Ask for verification", ids.ASK_VERIFY, req.id)]


def verify_ask(req: RequestView, asked_by: str | None) -> tuple[str, kit.Blocks]:
    """The DM asking a second specialist to verify: the request, its details, the
    checklist and "Verified" (gone once verified or resolved). A sensitive request's
    text and details open with "Show details", like on a page."""
    req = content.shown(req)
    ticket = _ticket(req)
    who = md.user_mention(asked_by or req.assignee)
    label = md.escape(md.as_text(req.category_label).strip() or "Request")
    lead = (f":mag: {who} asks you to verify *{md.escape(ticket)}* ({label}, "
            f"{md.severity_mrkdwn(req.severity)}, {md.escape(md.request_language(req))}) "
            f"as the second person holding {_skills(req)}.")
    blocks: kit.Blocks = [kit.section(lead), *pages.text_blocks(req, page=True),
                          *content.sensitive_block(req, page=True), *details_blocks(req),
                          *checklist_blocks(req)]
    resolved = md.as_text(req.status) == "resolved"
    done = req.verified_by and req.verified_by != req.assignee
    if not resolved and not done:
        blocks.append({"type": "actions", "block_id": ids.VERIFY_ACTIONS_BLOCK, "elements": [
            kit.button("Verified", ids.VERIFY, req.id, style="primary",
                       confirm=_VERIFY_CONFIRM)]})
        blocks.append(kit.context("Click *Verified* only once you have checked both points "
                                  "yourself. It lets the request be resolved as Disclosed."))
    elif resolved:
        blocks.append(kit.context(f"{md.escape(ticket)} is resolved; nothing more to do."))
    text = kit.fallback(f"{who} asks you to verify {md.escape(ticket)} ({label}) as the "
                        "second person")
    return text, kit.cap(blocks)


_VERIFY_CONFIRM = kit.confirm(
    "Both points checked?",
    "You called the agency's publicly listed number to confirm the officer, and the "
    "danger is imminent: death or serious physical injury.",
    "Verified", "Not yet")


def resolution_input(req: RequestView) -> kit.Blocks:
    """The outcome select of the resolve form (two-person requests only), and where the
    verification stands."""
    if not req.two_person:
        return []
    options = [kit.option(words, code) for code, words in v.OUTCOME_WORDS.items()]
    done = verified_line(req) if req.verified_by != req.assignee else ""
    status = (f"{done}: *Disclosed* is allowed." if done else
              "Not verified yet: *Disclosed* needs a second person's *Verified* first "
              "(*Ask for verification* on your page).")
    return [{
        "type": "input",
        "block_id": ids.RESOLUTION_BLOCK,
        "label": kit.plain_text("How did it end?", 2000),
        "element": {"type": "static_select", "action_id": ids.RESOLUTION_ACTION,
                    "placeholder": kit.plain_text("Pick the outcome", 150),
                    "options": options},
    }, kit.context(status)]


def resolution_words(req: RequestView) -> str:
    """'Disclosed' for a request resolved as disclosed; '' otherwise."""
    return v.outcome_words(md.as_text(req.resolution).strip() or None)
