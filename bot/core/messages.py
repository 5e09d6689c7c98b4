"""Transport-neutral views of what the bot tells people. The Slack adapter renders
them as Block Kit; the demo prints them. No Slack types here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

# Outbox message kinds (what to deliver; the adapter renders from current state).
PAGE = "page"  # DM the page to its user
PAGE_UPDATE = "page_update"  # re-render a page DM in place (buttons change)
CARD = "card"  # post the ticket card in the intake channel
CARD_UPDATE = "card_update"  # re-render the ticket card in place
TIMELINE = "timeline"  # a line in the card's thread
REQUESTER_NOTE = "requester_note"  # a private note to the requester (DM)
MANAGER_ALERT = "manager_alert"  # DM a manager about an unacknowledged request
CHANNEL_ALERT = "channel_alert"  # post in the escalation channel, managers' group mentioned
DIRECT = "direct"  # a plain DM (handoffs, reminders, notices)

KINDS = (PAGE, PAGE_UPDATE, CARD, CARD_UPDATE, TIMELINE, REQUESTER_NOTE, MANAGER_ALERT,
         CHANNEL_ALERT, DIRECT)


@dataclass(frozen=True)
class RequestView:
    id: int
    ticket: str  # "T-42"
    team: str
    requester: str  # Slack user ID
    text: str
    link: str | None
    severity: str
    language: str
    language_source: str  # detected | explicit | fallback
    detected: str | None
    confidence: float | None
    status: str  # open | acknowledged | resolved
    assignee: str | None
    outcome: str | None
    created: datetime
    acknowledged: datetime | None
    resolved: datetime | None
    paged: tuple[str, ...]  # users with a page still waiting for an answer
    needs_translation: bool
    escalation: str  # "step 2 of 5, round 1 of 2 (language_oncall_all)" or "finished"
    exhausted: bool
    origin_channel: str | None
    via: str


@dataclass(frozen=True)
class PageView:
    id: int
    user: str
    state: str  # pending | acknowledged | declined | closed | undeliverable
    source: str  # on_call | backup | translation | handover
    needs_translation: bool
    request: RequestView


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    actor: str  # a user ID or "bot"
    action: str
    text: str
