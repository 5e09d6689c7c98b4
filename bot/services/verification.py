"""Two-person verification (issue 11): the assignee asks a second specialist holding the
category's skills to verify, that person clicks "Verified", and only then may the
request be resolved as disclosed.

A mixin of `EscalationService`, like `alert_actions` (kept apart so escalation.py stays
under the module size): it uses the service's session factory, roster cache and clock,
and `bot.services.escalation`'s public helpers (imported lazily: that module defines
the class this one is mixed into). Each use case is one transaction; every step is an
audit entry and a timeline line; texts are transport-neutral.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from bot.core import refs
from bot.core import verification as v
from bot.core.messages import CARD_UPDATE, DIRECT, PAGE_UPDATE, VERIFY_ASK
from bot.core.model import OTHER, OUTCOMES, Category, category_from_json
from bot.services.errors import ServiceError
from bot.services.requests import locked_request, ticket
from bot.services.schedules import RosterCache
from bot.store import paging as q
from bot.store.paging_tables import RequestRow
from bot.store.paging_writes import RequestWrites

ASKED = "verification_asked"  # the audit action of an ask (detail: user, group)
NOBODY = "verification_unavailable"  # asked, and nobody could be asked
VERIFIED = "verified"


class OutcomeRefused(ServiceError):
    """The outcome picked cannot be used (shown under the outcome select)."""


def category_of(row: RequestRow) -> Category:
    """The category the request was filed in, as it was then."""
    info = row.category_info or {}
    return category_from_json(info) if info else OTHER


def verified_for(row: RequestRow) -> str | None:
    """Who verified the request, when that still counts: a verification by the person
    who has it now (it was handed to them afterwards) is no second person's."""
    if row.verified_by and row.verified_by != row.assignee:
        return row.verified_by
    return None


def check_resolution(row: RequestRow, user: str, resolution: str | None) -> str | None:
    """The outcome code to store when `user` resolves `row` as `resolution`, or
    OutcomeRefused saying why not and what to do. A two-person request needs one, and
    `disclosed` only once a second person verified it."""
    category = category_of(row)
    if not resolution:
        if category.two_person:
            raise OutcomeRefused("Pick the outcome: " + ", ".join(v.OUTCOME_WORDS.values())
                                 + ".")
        return None
    if resolution not in OUTCOMES:
        raise OutcomeRefused("Pick one of the outcomes in the list: "
                             + ", ".join(v.OUTCOME_WORDS.values()) + ".")
    if resolution == v.DISCLOSED and category.two_person:
        skills = v.skill_words(category.skills)
        if not verified_for(row):
            raise OutcomeRefused(f"Ask for verification first: a second person holding "
                                 f"{skills} must click Verified before you disclose. "
                                 "Nothing was resolved.")
        if row.verified_by == user:
            raise OutcomeRefused(f"You verified it, so someone else must disclose: hand it "
                                 f"to the assignee or ask another person holding {skills}.")
    return resolution


class Verification:
    """Mixed into `EscalationService`, which sets these."""

    _sf: Callable[[], Session]
    rosters: RosterCache
    clock: object

    def ask_verification(self, request_id: int, user: str):
        """The assignee of a two-person request asks for its second person: a DM with
        the request, the checklist and "Verified" goes to the next specialist holding
        the category's skills on call (then skilled off-shift backups; never the
        assignee, never anyone away); asked again, the next one. With nobody to ask,
        the answer says who to ask instead. Audited either way."""
        from bot.services.escalation import Outcome, record

        now = self.clock.now()
        with self._sf() as session, session.begin():
            row, category = self._two_person(session, request_id)
            name = ticket(row)
            if row.status == "resolved":
                return Outcome(f"{name} is already resolved.", row.id, changed=False)
            if row.status != "acknowledged" or row.assignee != user:
                raise ServiceError(f"only the person who has {name} can ask for its "
                                   "verification" + ("" if row.assignee else
                                                     "; acknowledge it first"))
            if verified_for(row):
                return Outcome(f"{name} is already verified by {refs.person(row.verified_by)};"
                               " you can resolve it as Disclosed.", row.id, changed=False)
            roster = self.rosters.get(row.team)
            skills = v.skill_words(category.skills)
            asked = tuple(a.detail.get("user") for a in q.audit_entries(session, row.id)
                          if a.action == ASKED)
            candidates = v.verifiers(roster, category.skills, row.language, now, {user})
            pick = v.next_verifier(candidates, asked)
            w = RequestWrites(session, row, now)
            if pick is None:
                others = [s.id for s in roster.team.specialists
                          if s.id != user and s.holds(category.skills)
                          and not roster.is_away(s.id, now)][:3]
                managers = [m for m in roster.team.managers if m != user]
                instead = []
                if others:
                    instead.append(f"someone off shift who holds it ({refs.people(others)})")
                if managers:
                    instead.append(f"a manager ({refs.people(managers)})")
                hint = (" or ".join(instead) if instead else "your team lead")
                record(w, user, NOBODY, f"{refs.person(user)} asked for verification; nobody "
                       f"else holding {skills} is on call or an off-shift backup",
                       {"skills": list(category.skills)})
                w.flush()
                return Outcome(f"Nobody else holding {skills} is on call or an off-shift "
                               f"backup now, so nobody was asked to verify {name}. Ask "
                               f"{hint} to verify it.", row.id)
            again = " again" if pick.user in asked else ""
            w.outbox(VERIFY_ASK, pick.user, {"asked_by": user})
            record(w, user, ASKED, f"{refs.person(user)} asked {refs.person(pick.user)}"
                   f"{again} to verify ({pick.group}, holds {skills})",
                   {"user": pick.user, "group": pick.group})
            w.flush()
            return Outcome(f"Asked {refs.person(pick.user)}{again} ({pick.group}, holds "
                           f"{skills}) to verify {name}: they have the request, the checklist "
                           "and a Verified button. Click Ask for verification again to ask "
                           "the next person.", row.id)

    def verify(self, request_id: int, user: str):
        """`user`, a second specialist holding the category's skills and not the
        assignee, confirms the checklist: recorded (who, when), audited, on the
        timeline, the card and the pages. A second click changes nothing."""
        from bot.services.escalation import Outcome, record

        now = self.clock.now()
        with self._sf() as session, session.begin():
            row, category = self._two_person(session, request_id)
            name = ticket(row)
            skills = v.skill_words(category.skills)
            done = verified_for(row)
            if done:
                who = "You" if done == user else refs.person(done)
                return Outcome(f"{who} already verified {name} at {refs.moment(row.verified_utc)};"
                               " nothing changed.", row.id, changed=False)
            if row.status == "resolved":
                return Outcome(f"{name} is already resolved.", row.id, changed=False)
            if user == row.assignee:
                raise ServiceError(f"you have {name} yourself, and the second person must be "
                                   f"someone else holding {skills}. Nothing was recorded; use "
                                   "Ask for verification on your page.")
            roster = self.rosters.get(row.team)
            spec = roster.specialist(user)
            if spec is None or not spec.holds(category.skills):
                whose = ("you are not a specialist of team " + row.team if spec is None
                         else f"your profile in team {row.team} does not list {skills}")
                raise ServiceError(f"verifying {name} needs a specialist holding {skills}, "
                                   f"and {whose}. Nothing was recorded.")
            w = RequestWrites(session, row, now)
            row.verified_by, row.verified_utc = user, now
            record(w, user, VERIFIED, f"{refs.person(user)} verified it as the second person "
                   "(officer's identity checked by the agency's listed number; imminent "
                   "danger of death or serious injury)",
                   {"assignee": row.assignee, "skills": list(category.skills)})
            for p in q.pages_of(session, row.id):
                if p.state in ("pending", "acknowledged"):
                    w.outbox(PAGE_UPDATE, p.user, page_id=p.id)
            w.outbox(CARD_UPDATE, row.card_channel)
            if row.assignee:
                w.outbox(DIRECT, row.assignee, {"text": (
                    f"{refs.person(user)} verified {name}: you can resolve it as Disclosed "
                    "now, from your page.")})
            w.flush()
            who = (f"{refs.person(row.assignee)} can resolve it as Disclosed now"
                   if row.assignee else "whoever takes it can resolve it as Disclosed")
            return Outcome(f"You verified {name}; {who}.", row.id)

    @staticmethod
    def _two_person(session: Session, request_id: int) -> tuple[RequestRow, Category]:
        row = locked_request(session, request_id)
        category = category_of(row)
        if not category.two_person:
            raise ServiceError(f"{ticket(row)} ({category.label}) needs no second person's "
                               "verification; resolve it as usual")
        return row, category
