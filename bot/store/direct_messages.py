"""Direct messages queued in the outbox (kind DIRECT, no request): shift changes,
handoff notes and reminders. The sender delivers them like every other outbox row."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from bot.core.messages import DIRECT
from bot.store.paging_tables import OutboxRow


def queue_direct(session: Session, target: str, text: str, priority: int,
                 now: datetime, extra: dict | None = None) -> None:
    """`target`: a user (a DM) or a channel; `text` as the service wrote it; `extra`:
    more of the payload, for the renderer (a trend digest's figures)."""
    session.add(OutboxRow(request_id=None, page_id=None, kind=DIRECT, target=target,
                          payload={"text": text, **(extra or {})}, priority=priority,
                          state="pending", attempts=0, created_utc=now, next_attempt_utc=now))
