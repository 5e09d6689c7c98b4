"""Acknowledged but not resolved (a policy's `ack_timeout`, PRODUCT.md "Delivery that
reaches a person"): the reminder, the re-open and "Snooze 30m".

Each is a deadline row (reason `ack_remind` or `ack_reopen`, with the request's escalation
token), written in the transaction that acknowledged or snoozed, and claimed by the
reconciler like an escalation step: a restart loses none, none fires twice, and two
workers never both fire one (the claim locks it). What a deadline does given the
request's state is `core.ack_timeout`'s; this module loads, decides and writes.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from bot.core import ack_timeout as at
from bot.core import escalation, refs
from bot.core import escalation_words as words
from bot.core.languages import TRANSLATED_SOURCES
from bot.core.messages import ACK_REMIND
from bot.services.errors import NotFound, ServiceError
from bot.services.page_dms import add_pages
from bot.services.requests import ticket
from bot.store import paging as q
from bot.store.paging_tables import DeadlineRow, RequestRow
from bot.store.paging_writes import RequestWrites

REOPENED = "reopened"  # PageRow.source of the former assignee's page at a re-open


def watched(row: RequestRow) -> at.Watched:
    return at.Watched(row.status, row.assignee, row.acknowledged_utc, row.esc_token)


def arm(w: RequestWrites) -> None:
    """After an acknowledgement (its token already moved on): the first reminder, when
    the request's frozen policy has a timeout."""
    row = w.request
    if at.without_reopen(row.busy_note) != row.busy_note:
        row.busy_note = None
    due = at.first_reminder(w.now, escalation.policy_from_json(row.policy).ack_timeout)
    if due is not None:
        w.deadline(due, at.REMIND, row.esc_token)


def fire(session: Session, due: DeadlineRow, now: datetime, rosters) -> int | None:
    """Fire a claimed `ack_remind` or `ack_reopen` deadline in the caller's transaction.
    The request's id when it did something; None (nothing written) for a stale one."""
    row = q.lock_request(session, due.request_id)
    if row is None:
        return None
    what = at.action(due.reason, due.token, watched(row))
    timeout = escalation.policy_from_json(row.policy).ack_timeout
    if what == at.NOTHING or timeout is None:
        return None
    w = RequestWrites(session, row, now)
    if what == at.REMIND:
        _remind(w, timeout)
    else:
        try:
            roster = rosters.get(row.team)
        except NotFound:
            return None  # the team is gone: nobody to page
        _reopen(w, roster)
    w.flush()
    return row.id


def _remind(w: RequestWrites, timeout) -> None:
    from bot.services.escalation import record

    row, now, req = w.request, w.now, watched(w.request)
    own = [p for p in q.pages_of(w.session, row.id)
           if p.user == row.assignee and p.state == "acknowledged"]
    # In the thread of their page DM when they have one (a "Take it" from an alert may
    # leave them none: then a DM of its own).
    w.outbox(ACK_REMIND, row.assignee,
             {"text": at.reminder_text(ticket(row), req, now), "request": row.id},
             page_id=own[-1].id if own else None)
    record(w, "bot", "ack_reminded", at.reminded_line(req, now), {"user": row.assignee})
    w.deadline(at.reopen_at(now, timeout), at.REOPEN, row.esc_token)


def _reopen(w: RequestWrites, roster) -> None:
    from bot.services.escalation import apply_decision, plan, record

    row, now, req = w.request, w.now, watched(w.request)
    former, line = row.assignee, at.reopened_line(req, now)
    pages = q.pages_of(w.session, row.id)
    row.status, row.assignee, row.acknowledged_utc = "open", None, None
    # The policy starts over from its first step; who declined or could not be reached
    # stays out of it (the pages are kept and read by `plan`).
    row.esc_round = row.esc_step = None
    row.exhausted = False
    row.esc_token += 1
    record(w, "bot", "reopened", line,
           {"user": former, "acknowledged": req.acknowledged.isoformat()})
    w.session.flush()  # the load `plan` reads sees the request open and nobody's
    total, decision = plan(w, roster, escalation.START, pages)
    apply_decision(w, total, decision, pages)
    if former not in {p.user for p in w.pages}:
        # The former assignee has the page DM already: it is updated and pinged (paged
        # again), not sent a second time.
        [(page, _)] = add_pages(w, [{
            "user": former, "round": row.esc_round or 0, "step": row.esc_step or 0,
            "source": REOPENED,
            "needs_translation": row.language_source in TRANSLATED_SOURCES}], pages)
        record(w, "bot", "paged",
               "Paged again " + words.who_was_paged(former, REOPENED, row.language),
               {"user": former, "source": REOPENED, "page": page.id})
    # The card says it while the request is open (with what the step found, if busy).
    row.busy_note = "; ".join(n for n in (line, row.busy_note) if n)


class AckTimeout:
    """"Snooze 30m", mixed into the escalation service (its session factory, rosters
    and clock)."""

    def snooze(self, request_id: int, user: str):
        """The assignee (or a manager) is still on it: the pending reminder and re-open
        are dropped (the token moves on) and the next reminder comes `SNOOZE` from now,
        with its re-open a timeout after it. Audited, and on the timeline."""
        from bot.services.escalation import Outcome, record

        found, roster = self._request_and_roster(request_id)  # read outside the lock
        now = self.clock.now()
        with self._sf() as session, session.begin():
            row = q.lock_request(session, found.id)
            name = ticket(row)
            if row.status != "acknowledged" or row.assignee is None:
                return Outcome(f"{name} is not acknowledged by anyone now: nothing to "
                               "snooze.", row.id, changed=False)
            if escalation.policy_from_json(row.policy).ack_timeout is None:
                return Outcome(f"{name} has no reminder to snooze.", row.id, changed=False)
            if user != row.assignee and user not in roster.team.managers:
                raise ServiceError(f"only the assignee ({refs.person(row.assignee)}) or a "
                                   f"manager may snooze {name}")
            w = RequestWrites(session, row, now)
            row.esc_token += 1  # the pending reminder and re-open are stale now
            until = now + at.SNOOZE
            w.deadline(until, at.REMIND, row.esc_token)
            record(w, user, "ack_snoozed", at.snoozed_line(user, watched(row)),
                   {"until": until.isoformat(), "assignee": row.assignee})
            w.flush()
            snooze = at.minutes(at.SNOOZE.total_seconds())
            return Outcome(f"Snoozed {name}: the next reminder comes in {snooze} min. "
                           "Resolve it when you are done.", row.id)
