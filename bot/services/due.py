"""A request's response target (its category's `due`): when it passes, the ticket card
is re-rendered (it then says "overdue") and the thread says so, once.

The target is a deadline row (reason `DUE`) written with the request, so it survives a
restart and the reconciler fires it once, like an escalation step. It does not move the
escalation: the policy's own steps decide who is paged. A request resolved before its
target is left alone (the row is cancelled).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from bot.core import refs
from bot.core.messages import CARD_UPDATE, TIMELINE
from bot.store import paging as q
from bot.store.paging_tables import DeadlineRow
from bot.store.paging_writes import RequestWrites

DUE = "due"  # DeadlineRow.reason of a response target


def target_passed(session: Session, due: DeadlineRow, now: datetime) -> bool:
    """Fire a claimed `DUE` deadline in the caller's transaction: the card update and
    the thread line. False (nothing written) for a request resolved or gone."""
    row = q.lock_request(session, due.request_id)
    if row is None or row.status == "resolved" or row.due_utc is None:
        return False
    minutes = max(round((row.due_utc - row.created_utc).total_seconds() / 60), 1)
    if row.status == "acknowledged" and row.assignee:
        state = f"{refs.person(row.assignee)} has it; it is not resolved yet"
    else:
        state = "nobody has acknowledged it yet"
    text = (f"Overdue: the response target ({minutes} min after filing) has passed and "
            f"{state}")
    w = RequestWrites(session, row, now)
    w.audit("bot", "overdue", {"text": text, "due": row.due_utc.isoformat()})
    w.outbox(TIMELINE, row.card_channel,
             {"actor": "bot", "action": "overdue", "text": text, "at": now.isoformat()})
    w.outbox(CARD_UPDATE, row.card_channel)
    w.flush()
    return True
