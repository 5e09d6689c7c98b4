"""Tables of the paging side: requests, pages, deadlines, the outbox, the audit trail.

Deadlines and outgoing messages are rows, so a restart loses nothing: the reconciler
claims due deadline rows in a transaction, and the sender claims outbox rows one by
one before delivering them.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, Text, false
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Mapped, mapped_column

from bot.store.db import UTCDateTime
from bot.store.tables import CODE, NAME, SLACK_ID, Base

STATE = String(16)


class RequestRow(Base):
    __tablename__ = "requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Idempotency: one request per Slack interaction (trigger, view, event id).
    key: Mapped[str] = mapped_column(String(200), unique=True)
    team: Mapped[str] = mapped_column(NAME)
    requester: Mapped[str] = mapped_column(SLACK_ID)
    origin_channel: Mapped[str | None] = mapped_column(SLACK_ID)
    via: Mapped[str] = mapped_column(CODE)  # command | modal | shortcut | demo | cli
    text: Mapped[str] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(Text)
    severity: Mapped[str] = mapped_column(CODE)
    language: Mapped[str] = mapped_column(CODE)
    # detected | explicit | unserved | unknown (older rows: fallback)
    language_source: Mapped[str] = mapped_column(CODE)
    detected: Mapped[str | None] = mapped_column(CODE)
    confidence: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str] = mapped_column(STATE)  # open | acknowledged | resolved
    assignee: Mapped[str | None] = mapped_column(SLACK_ID)
    outcome: Mapped[str | None] = mapped_column(Text)
    # The category's name, the category as it was when the request was filed (frozen
    # like the policy: core.model.category_to_json), and what its fields were filled with.
    category: Mapped[str] = mapped_column(String(64), default="other", server_default="other")
    category_info: Mapped[dict] = mapped_column(JSON, default=dict, nullable=False,
                                                server_default=sql_text("'{}'"))
    fields: Mapped[dict] = mapped_column(JSON, default=dict, nullable=False,
                                         server_default=sql_text("'{}'"))
    due_utc: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)  # response target
    # Two-person verification: who verified (not the assignee), and when.
    verified_by: Mapped[str | None] = mapped_column(SLACK_ID)
    verified_utc: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Everyone who could be paged was at capacity when the last person was paged: in
    # words, for the card (None: someone free was paged). A re-open (ack_timeout) puts
    # its line here too, for the card, until a later step pages someone.
    busy_note: Mapped[str | None] = mapped_column(Text)
    # False while the request's language is one the team does not serve (or unknown):
    # it goes to readers of the team's `language_fallbacks`. None: served (older rows).
    language_served: Mapped[bool | None] = mapped_column(Boolean)
    resolution: Mapped[str | None] = mapped_column(CODE)  # core.model.OUTCOMES
    # Graphic content: its category is sensitive, the requester said so (`graphic`, the
    # form's checkbox) or a handler marked it. Its text and link then appear only in the
    # assignee's "Show details" modal.
    sensitive: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False,
                                            server_default=false())
    # When text, link, field values and resolve notes were purged after the team's
    # `retention` (None: still held).
    purged_utc: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # The names of the crises the request joined when it was filed (it joins none
    # later, and a crisis keeps its name): its card and page DM name them without a read.
    crisis_names: Mapped[list | None] = mapped_column(JSON(none_as_null=True))
    policy: Mapped[dict] = mapped_column(JSON)  # frozen when the request starts
    esc_round: Mapped[int | None] = mapped_column(Integer)  # the step that fired last
    esc_step: Mapped[int | None] = mapped_column(Integer)
    exhausted: Mapped[bool] = mapped_column(Boolean, default=False)
    # Bumped by every escalation decision, acknowledgement and handover: a deadline
    # carrying an older token is stale and is dropped when it comes due.
    esc_token: Mapped[int] = mapped_column(Integer, default=0)
    card_channel: Mapped[str | None] = mapped_column(SLACK_ID)
    card_ts: Mapped[str | None] = mapped_column(String(32))
    # The card is a digest shared with other requests (an intake channel in a surge:
    # bot.core.surge): updates re-render the digest, thread lines name the ticket.
    card_digest: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False,
                                              server_default=false())
    created_utc: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    acknowledged_utc: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    resolved_utc: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    # The requests someone has now (routing's open load, `load_reads`): partial, so it
    # holds only those, not everyone's history of acknowledged requests.
    __table_args__ = (Index(None, "status"), Index(None, "assignee"),
                      Index("ix_requests_acknowledged_assignee", "assignee",
                            postgresql_where=sql_text("status = 'acknowledged'"),
                            sqlite_where=sql_text("status = 'acknowledged'")))


class PageRow(Base):
    __tablename__ = "pages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id", ondelete="CASCADE"))
    user: Mapped[str] = mapped_column(SLACK_ID)
    round: Mapped[int] = mapped_column(Integer)
    step: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(CODE)  # on_call | backup | translation | handover
    needs_translation: Mapped[bool] = mapped_column(Boolean, default=False)
    # For a request in a language the team does not serve: the fallback language the
    # person was chosen as a reader of ("es" for an Italian request); None otherwise.
    read_as: Mapped[str | None] = mapped_column(CODE)
    # Paged past their exposure limit (nobody else who reads the language was free):
    # [points, limit, window seconds], which the page DM says for as long as it shows.
    over_limit: Mapped[list[int] | None] = mapped_column(JSON(none_as_null=True))
    # pending | acknowledged | declined | closed | undeliverable (Slack refused it for good)
    # "pending" only while its request is open: whatever takes a request out of "open"
    # closes its pending pages in the same transaction, and pages are added only to an
    # open request. Routing's open load counts on it (`load_reads`).
    state: Mapped[str] = mapped_column(STATE)
    sent_utc: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    answered_utc: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    dm_channel: Mapped[str | None] = mapped_column(SLACK_ID)
    dm_ts: Mapped[str | None] = mapped_column(String(32))

    # The pages still waiting for an answer, by person: routing's open load reads them
    # (`load_reads`). Partial, so it holds only those, however long the history.
    __table_args__ = (Index(None, "request_id"), Index(None, "user", "sent_utc"),
                      Index("ix_pages_pending_user", "user", "request_id",
                            postgresql_where=sql_text("state = 'pending'"),
                            sqlite_where=sql_text("state = 'pending'")))


class DeadlineRow(Base):
    __tablename__ = "deadlines"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id", ondelete="CASCADE"))
    due_utc: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(CODE)  # deadline | decline
    token: Mapped[int] = mapped_column(Integer)  # the request's esc_token when set
    state: Mapped[str] = mapped_column(STATE)  # pending | fired | cancelled
    fired_utc: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (Index(None, "state", "due_utc"), Index(None, "request_id"))


class OutboxRow(Base):
    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int | None] = mapped_column(ForeignKey("requests.id", ondelete="CASCADE"))
    page_id: Mapped[int | None] = mapped_column(ForeignKey("pages.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    # A Slack ID, or a phone number or email address (SMS, VOICE, EMAIL).
    target: Mapped[str | None] = mapped_column(String(254))
    payload: Mapped[dict] = mapped_column(JSON)
    priority: Mapped[int] = mapped_column(Integer, default=5)  # pages first
    state: Mapped[str] = mapped_column(STATE)  # pending | sending | sent | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_utc: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    next_attempt_utc: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    sent_utc: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    error: Mapped[str | None] = mapped_column(Text)
    # The last attempt may have reached Slack (its holder died, or Slack's answer was
    # lost): look the message up by its metadata before sending it again.
    unsure: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Where the message this row went out in was posted (channel, ts), so it can be
    # edited later: to the redacted form when a request is marked sensitive or purged.
    posted_channel: Mapped[str | None] = mapped_column(SLACK_ID)
    posted_ts: Mapped[str | None] = mapped_column(String(64))  # a ts, or a Twilio SID
    # The process that claimed the row (bot.store.liveness; PostgreSQL only): while its
    # lock is held it is alive. Its default there is the writing connection's process
    # (migration 0020), so the model declares none.
    holder: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (Index(None, "state", "next_attempt_utc"), Index(None, "request_id"))


class AuditRow(Base):
    __tablename__ = "audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team: Mapped[str] = mapped_column(NAME)
    request_id: Mapped[int | None] = mapped_column(ForeignKey("requests.id", ondelete="CASCADE"))
    actor: Mapped[str] = mapped_column(SLACK_ID)  # a user ID, or "bot"
    action: Mapped[str] = mapped_column(String(48))
    detail: Mapped[dict] = mapped_column(JSON)
    at_utc: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index(None, "request_id"), Index(None, "team", "at_utc"))


class SeenEventRow(Base):
    """Slack event ids already handled: Slack retries events it thinks failed."""

    __tablename__ = "seen_events"

    event_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    at_utc: Mapped[dt.datetime] = mapped_column(UTCDateTime)
