"""Two-person verification of a request (PRODUCT.md "Categories", `verification:
two_person`): the checklist the people read, how a request may end, and who can be
asked to be the second person. Pure: no I/O, `now` is an argument.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.core.roster import Roster

# What both people check before anything is disclosed (shown on the page and the ask).
CHECKLIST = (
    "Identity of the requesting officer confirmed by calling the agency's publicly "
    "listed number, not the number in the request.",
    "The emergency standard is met: imminent danger of death or serious physical "
    "injury.",
)

# How a request can end, as people read it (the codes are core.model.OUTCOMES).
OUTCOME_WORDS = {
    "disclosed": "Disclosed",
    "declined": "Declined",
    "not_emergency": "Not an emergency",
    "duplicate": "Duplicate",
    "referred": "Referred",
}
DISCLOSED = "disclosed"

# Where an asked person was found.
ON_CALL, BACKUP = "on call", "off-shift backup"


def outcome_words(code: str | None) -> str:
    """'Not an emergency' for `not_emergency`; '' for None or a code we do not know."""
    return OUTCOME_WORDS.get(code or "", "")


def skill_words(skills: tuple[str, ...]) -> str:
    """'le_requests', 'le_requests and child_safety': the skills as the team file names
    them (the words people use for them on the desk)."""
    if not skills:
        return "the skills of this kind of request"
    if len(skills) == 1:
        return skills[0]
    return ", ".join(skills[:-1]) + " and " + skills[-1]


@dataclass(frozen=True)
class Verifier:
    user: str
    group: str  # ON_CALL | BACKUP


def verifiers(roster: Roster, skills: tuple[str, ...], lang: str, now: datetime,
              exclude: frozenset[str] | set[str] = frozenset()) -> list[Verifier]:
    """Who can be asked to verify, best first: specialists on call now who hold every
    one of `skills` (readers of `lang` first, strongest first), then off-shift
    specialists who opted in as backups and hold them (backups for `lang` first);
    never anyone away, never anyone in `exclude` (the assignee)."""
    seen = set(exclude)
    found: list[Verifier] = []

    def add(user: str | None, group: str) -> None:
        spec = roster.specialist(user or "")
        if spec is None or spec.id in seen or not spec.holds(skills):
            return
        if roster.is_away(spec.id, now):
            return
        seen.add(spec.id)
        found.append(Verifier(spec.id, group))

    on_now = roster.on_call(now)
    for a in roster.on_call_for(lang, now):
        add(a.user, ON_CALL)
    for a in on_now:
        add(a.user, ON_CALL)
    on_ids = {a.user for a in on_now}
    off = [s for s in roster.team.specialists if s.backup and s.id not in on_ids]
    off.sort(key=lambda s: (lang not in s.backup, s.rank(lang), s.id))
    for s in off:
        add(s.id, BACKUP)
    return found


def next_verifier(candidates: list[Verifier], asked: tuple[str, ...]) -> Verifier | None:
    """The first candidate not asked yet; when all were, the one whose last ask is the
    oldest. `asked`: who was asked, in the order of the asks."""
    for c in candidates:
        if c.user not in asked:
            return c
    last = {user: i for i, user in enumerate(asked)}  # when each was asked last
    return min(candidates, key=lambda c: last[c.user], default=None)
