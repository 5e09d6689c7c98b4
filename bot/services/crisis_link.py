"""A new request joins every active crisis it matches (PRODUCT.md "Crisis mode"):
linked, raised to the crisis severity, named in its timeline (the thread under its
card) and announced in the crisis channel. Runs inside the filing's transaction, with
one small read of the team's active crises (and one insert when something matched)."""

from __future__ import annotations

from bot.core import crisis as crisis_core
from bot.core import escalation_words
from bot.core import sweeps as sweep_rules
from bot.core.messages import DIRECT
from bot.services.escalation import record
from bot.store import crises as crisis_store
from bot.store.crises import ActiveCrisis
from bot.store.paging_writes import RequestWrites

__all__ = ["LINKED", "announce", "match"]

LINKED = "crisis_linked"  # the audit action of a link (detail: crisis id and name)
EXCERPT = 120  # characters of a request's text in the crisis channel line


def match(w: RequestWrites, active: list[ActiveCrisis] | None = None) -> list[ActiveCrisis]:
    """Link the request `w` writes for to the crises it matches and raise its severity;
    call once its language is known, before its policy is chosen. `active`: the team's
    active crises when this transaction read them already (`crisis_store.filing_reads`)."""
    row = w.request
    # What a sweep found joins its language's crises whatever words it uses: the person
    # was sweeping for them (docs/design.md "Sweeps").
    swept = row.via == sweep_rules.VIA
    if active is None:
        active = crisis_store.active_crises(w.session, row.team)
    found = [c for c in active
             if crisis_core.matches(c.languages, () if swept else c.match_words,
                                    row.language, row.text)]
    if not found:
        return []
    row.severity = crisis_core.raised(row.severity, [c.severity for c in found])
    row.crisis_names = [c.name for c in found]  # its card and page DM name them
    crisis_store.link_requests(w.session, [c.id for c in found], w.request_id(), w.now)
    return found


def announce(w: RequestWrites, found: list[ActiveCrisis]) -> None:
    """The timeline line naming each crisis, and a line in each crisis channel. A
    sensitive request's text never goes to the crisis channel."""
    row = w.request
    for c in found:
        record(w, "bot", LINKED, f"Part of the crisis *{c.name}* (raised to "
               f"{row.severity.upper()} while it runs)", {"crisis": c.id, "name": c.name})
        if c.channel:
            what = ("graphic content: the text is only in the request's details"
                    if row.sensitive else _excerpt(row.text))
            w.outbox(DIRECT, c.channel, {"text": (
                f"New request T-{row.id}, {row.severity.upper()}, "
                f"{escalation_words.language(row.language)}: {what}")})


def _excerpt(text: str) -> str:
    one_line = " ".join(text.split())
    return one_line if len(one_line) <= EXCERPT else one_line[:EXCERPT - 1] + "…"
