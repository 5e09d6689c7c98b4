"""Transport-neutral views of what the bot tells people. The Slack adapter renders
them as Block Kit; the demo prints them. No Slack types here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

# Outbox message kinds (what to deliver; the adapter renders from current state).
PAGE = "page"  # DM the page to its user
PAGE_UPDATE = "page_update"  # re-render a page DM in place (buttons change)
# A later step or round pages someone whose page DM for the request is already there:
# that DM is re-rendered in place for the new page, and a short ping goes in its thread.
PAGE_AGAIN = "page_again"
CARD = "card"  # post the ticket card in the intake channel
CARD_UPDATE = "card_update"  # re-render the ticket card in place
TIMELINE = "timeline"  # a line in the card's thread
REQUESTER_NOTE = "requester_note"  # a private note to the requester (DM)
MANAGER_ALERT = "manager_alert"  # DM a manager about an unacknowledged request
CHANNEL_ALERT = "channel_alert"  # post in the escalation channel, managers' group mentioned
DIRECT = "direct"  # a plain DM (handoffs, reminders, notices)
# Ask a second specialist to verify a two-person request: the request, the checklist and
# a "Verified" button (payload: {"asked_by": the assignee who asked}).
VERIFY_ASK = "verify_ask"
# Edit a message the bot posted for a request (a thread post, a manager DM, a channel
# alert, a requester note, a verify ask) to its current rendering, in place: when the
# request is marked sensitive or its text is purged. Target: the message's channel;
# payload: {"kind": the message's kind, "ts": its ts, and the original payload}.
RESTATE = "restate"
# Acknowledged but not resolved (a policy's ack_timeout): the reminder to the assignee,
# in their page DM's thread (page_id) or as a DM, with "Snooze 30m"
# (payload: {"text": neutral text, "request": request id}).
ACK_REMIND = "ack_remind"
# Not a row kind: the one send that lists several requests' cards in an intake channel
# in a surge (bot.core.surge), posted, or updated in place as more are added.
DIGEST = "digest"
# A page reaching its person outside Slack, beside the page DM (a step's `via`): target
# the phone number (E.164) or the email address; page_id set; payload {}.
SMS, VOICE, EMAIL = "sms", "voice", "email"
CONTACT_KINDS = (SMS, VOICE, EMAIL)

KINDS = (PAGE, PAGE_AGAIN, PAGE_UPDATE, CARD, CARD_UPDATE, TIMELINE, REQUESTER_NOTE, MANAGER_ALERT,
         CHANNEL_ALERT, DIRECT, VERIFY_ASK, RESTATE, ACK_REMIND, *CONTACT_KINDS)
# The kinds of posted message RESTATE edits (cards and page DMs have their own updates;
# a PAGE_AGAIN's post is its ping in the page DM's thread).
RESTATABLE = (TIMELINE, REQUESTER_NOTE, MANAGER_ALERT, CHANNEL_ALERT, VERIFY_ASK, PAGE_AGAIN)
# Sent by the page pool, ahead of cards and thread lines; a refusal for good moves the
# page on (SMS, calls and email included: a wrong number reaches nobody).
PAGE_SIDE = (PAGE, PAGE_AGAIN, *CONTACT_KINDS)
# Sent by the page pool too, and not held behind the request's cards, thread lines and
# look-ups: the alerts an escalation step sends to the managers and the escalation
# channel (people are waiting for them as for a page; they need no card). Slack refusing
# one for good moves nothing on, and they retry as other posts do.
STEP_SIDE = (*PAGE_SIDE, MANAGER_ALERT, CHANNEL_ALERT)


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
    language_source: str  # detected | explicit | unserved | unknown (fallback: older rows)
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
    escalation: str  # "paging every Arabic reader on call (second round)" or "finished"
    exhausted: bool
    origin_channel: str | None
    via: str
    # The request's kind (core.model.Category, as it was when filed) and what it asks.
    category: str = "other"
    category_label: str = "Other"
    fields: tuple[tuple[str, str], ...] = ()  # (field name, value) in the category's order
    due: datetime | None = None  # the response target
    two_person: bool = False  # `disclosed` needs a second person's "Verified"
    verified_by: str | None = None
    verified: datetime | None = None
    resolution: str | None = None  # one of core.model.OUTCOMES, for a two-person request
    skills: tuple[str, ...] = ()  # what a person must hold to be paged for it
    sensitive: bool = False
    # Its category is sensitive (it cannot be unmarked); False for a request the
    # requester or a handler marked.
    sensitive_category: bool = False
    # While open: everyone who could take it was at capacity when the last person was
    # paged ("every Arabic reader on call is busy (3 open each); paged the least
    # loaded: ..."), as neutral text with references; "" otherwise. After a re-open
    # (ack_timeout) it leads with "Re-opened: acknowledged by ... and not resolved"
    # until a later step pages someone.
    busy: str = ""
    # False when the team does not serve the request's language (or it is unknown):
    # it went to readers of a fallback language, flagged "needs translation".
    served: bool = True
    # When the team's `retention` ran out and the text, link, field values and notes
    # were purged (None: still held). A purged request renders like a sensitive one,
    # without a "Show details".
    purged: datetime | None = None
    # The crises it joined when filed (their names, as the managers typed them).
    crises: tuple[str, ...] = ()

    @property
    def redacted(self) -> bool:
        """Shown without its text, link or field values (everywhere but the assignee's
        details modal, and there too once purged)."""
        return self.sensitive or self.purged is not None


@dataclass(frozen=True)
class PageView:
    id: int
    user: str
    state: str  # pending | acknowledged | declined | closed | undeliverable
    source: str  # on_call | backup | translation | handover
    needs_translation: bool
    request: RequestView
    # When the next step fires if nobody acknowledges (None: nothing more fires), and
    # what it does, in words ("every Arabic reader on call is paged, then the managers").
    deadline: datetime | None = None
    if_nobody: str = ""
    sent: datetime | None = None  # when this page went out (its wait starts then)
    # The fallback language this person was chosen as a reader of, for a request in a
    # language the team does not serve ("es" for an Italian request); None otherwise.
    read_as: str | None = None
    # A sensitive request paged to this person at or past their exposure limit because
    # nobody else who reads it was free: (their points, the limit, the window in
    # seconds), as routing saw them; None otherwise.
    over_limit: tuple[int, int, int] | None = None


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    actor: str  # a user ID or "bot"
    action: str
    text: str
