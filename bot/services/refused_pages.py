"""Pages Slack refused for good (a deactivated account, a channel the bot cannot post
in): the escalation moves on at once, and the managers are told, once an hour per
cause. Mixed into `EscalationService`."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from bot.core import escalation, refusals
from bot.core.messages import CARD_UPDATE, DIRECT
from bot.core.model import Team
from bot.services.errors import NotFound
from bot.services.requests import ticket
from bot.services.schedules import RosterCache
from bot.store import notices, team_audit
from bot.store import paging as q
from bot.store.paging_writes import RequestWrites


class RefusedPages:
    """Mixed into `EscalationService`, which sets these."""

    _sf: Callable[[], Session]
    rosters: RosterCache
    clock: object

    def page_undeliverable(self, page_id: int, cause: str):
        """Slack refused this page for good (`cause`: its error code). In one
        transaction: the page is marked undeliverable, the timeline says why, the
        escalation moves on at once (the step's next candidate, else the next step) and
        the managers are told, once an hour per cause. Nothing happens for a page
        already answered, closed or marked, or a request no longer open: a repeated
        call, or an acknowledgement that came first."""
        from bot.services.escalation import Outcome, apply_decision, plan, record

        now = self.clock.now()
        with self._sf() as session, session.begin():
            page = q.get_page(session, page_id)
            if page is None:
                raise NotFound(f"page {page_id} does not exist")
            row = q.lock_request(session, page.request_id)
            session.refresh(page)  # as it is now that the request is locked
            name = ticket(row)
            if page.state != "pending" or row.status != "open":
                return Outcome(f"The page of {name} needs nothing more ({page.state}).",
                               row.id, changed=False)
            roster = self.rosters.get(row.team)
            w = RequestWrites(session, row, now)
            page.state, page.answered_utc = refusals.UNDELIVERABLE, now
            last = (escalation.Position(row.esc_round, row.esc_step)
                    if row.esc_round is not None else None)
            total, decision = len(row.policy["steps"]), None
            # A page of an earlier step (its Slack call was retried while the
            # escalation moved on) changes nothing but itself.
            if last is not None and (page.round, page.step) == (last.round, last.step):
                total, decision = plan(w, roster, escalation.REFUSED,
                                       q.pages_of(session, row.id))
            text = refusals.timeline_text(
                page.user, cause, refusals.what_next(decision, last, row.language, total))
            record(w, "bot", "undeliverable", text,
                   {"page": page.id, "user": page.user, "cause": cause})
            if decision is not None:
                apply_decision(w, total, decision, q.pages_of(session, row.id), roster.team)
            else:
                w.outbox(CARD_UPDATE, row.card_channel)
            self._tell_managers(w, roster.team, page.user, cause, name)
            w.flush()
            return Outcome(text, row.id)

    @staticmethod
    def _tell_managers(w: RequestWrites, team: Team, user: str, cause: str,
                       name: str) -> None:
        """One message per cause an hour for the team: a burst of refusals (every
        request of a night paging the same deactivated account) must not bury the
        managers in DMs. The team's managers by DM, else its escalation channel."""
        if not notices.claim_periodic(w.session, team.name, refusals.notice_kind(cause),
                                      w.now, refusals.NOTICE_EVERY):
            return
        text = refusals.manager_text(user, cause, name)
        targets = team.managers or ((team.escalation_channel,)
                                    if team.escalation_channel else ())
        for target in targets:
            w.outbox(DIRECT, target, {"text": text})
        team_audit.add_entry(w.session, team.name, "bot", "refusal_notice",
                             {"text": text, "cause": cause, "user": user,
                              "to": list(targets)}, w.now)
