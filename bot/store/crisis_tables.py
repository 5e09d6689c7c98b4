"""Tables of crisis mode (PRODUCT.md "Crisis mode"; docs/design.md "Crisis mode").

- `crises`: one row per crisis a manager started. `channel` and `card_ts` are filled
  in by the background sender once Slack created the channel and posted the status
  card (the row is committed first, so a crash loses none of it). `remind_due_utc` is
  the crisis's durable deadline: when no update was posted by then, the worker claims
  the row with a compare-and-set on that column (two workers: one reminder) and moves
  it on by `crisis.update_every`. `summary` is kept when the crisis ends.
  The status card is kept current by a "dirty" mark: `card_version` is bumped in the
  transaction of every change it shows (a request linked, acknowledged, resolved...;
  an update posted) and `card_shown` is the version the card showed when last edited;
  `card_hash` is the digest of that text (no edit when the text is the same) and
  `card_edited_utc` when it was edited (edits of one card are spaced out).
- `crisis_requests`: the requests linked to a crisis; a request joins every crisis it
  matches, once (UNIQUE pair).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.store.db import UTCDateTime
from bot.store.tables import CODE, NAME, SLACK_ID, Base

# `card_shown` of an ended crisis whose card says it ended (it is edited no more).
CARD_FINAL = -1


class CrisisRow(Base):
    __tablename__ = "crises"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team: Mapped[str] = mapped_column(NAME)
    name: Mapped[str] = mapped_column(String(80))
    channel: Mapped[str | None] = mapped_column(SLACK_ID)  # set once Slack created it
    languages: Mapped[list] = mapped_column(JSON, default=list)  # [] = every language
    severity: Mapped[str] = mapped_column(CODE)
    match_words: Mapped[list] = mapped_column(JSON, default=list)  # [] = every request
    status: Mapped[str] = mapped_column(CODE)  # active | ended
    started_by: Mapped[str] = mapped_column(SLACK_ID)
    started_utc: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    ended_by: Mapped[str | None] = mapped_column(SLACK_ID)
    ended_utc: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_update_utc: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    remind_due_utc: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    card_ts: Mapped[str | None] = mapped_column(String(32))
    summary: Mapped[dict | None] = mapped_column(JSON(none_as_null=True))
    card_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    card_shown: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    card_hash: Mapped[str | None] = mapped_column(String(64))
    card_edited_utc: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (Index(None, "team", "status"), Index(None, "status", "remind_due_utc"))


class CrisisRequestRow(Base):
    __tablename__ = "crisis_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    crisis_id: Mapped[int] = mapped_column(ForeignKey("crises.id", ondelete="CASCADE"))
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id", ondelete="CASCADE"))
    linked_utc: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("crisis_id", "request_id"), Index(None, "request_id"))
