"""Row writes of the paging side: a request, and what one use case writes for it.

A use case hands its writes to a `RequestWrites` and the store turns them into rows:
pages are inserted at once (their ids go into the outbox rows that deliver them);
outbox, audit and deadline rows are buffered and written by `flush`, one statement per
table, so a use case costs a few statements whatever it writes. Services describe what
to write with plain values; they never build ORM rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, update
from sqlalchemy.orm import Session

from bot.core.messages import (
    CARD,
    CARD_UPDATE,
    DIRECT,
    EMAIL,
    PAGE,
    PAGE_AGAIN,
    PAGE_UPDATE,
    REQUESTER_NOTE,
    SMS,
    VOICE,
)
from bot.store.bulk import insert_rows, insert_under
from bot.store.crises import cards_stale_for
from bot.store.paging import LEASE
from bot.store.paging_tables import AuditRow, DeadlineRow, OutboxRow, PageRow, RequestRow

# Core inserts on the tables: one statement for many rows whatever values are None (the
# ORM's bulk insert splits rows by the columns they set), and no ORM bookkeeping.
REQUESTS, PAGES, OUTBOX = RequestRow.__table__, PageRow.__table__, OutboxRow.__table__
AUDIT, DEADLINES = AuditRow.__table__, DeadlineRow.__table__

# Built once (keying a statement built anew cost more than running it on SQLite), and
# run on the session's connection (Session.execute adds autoflush and ORM events, about
# 50 us a statement; the request row is flushed explicitly by `request_id`).
_INSERT_REQUEST = insert(REQUESTS).returning(REQUESTS.c.id)
# Multi-row inserts go through `bulk.insert_rows` (one array per column on PostgreSQL).
_OUTBOX_RETURNED = ("id", "request_id", "page_id", "kind", "target", "payload", "priority")
_PAGES_RETURNED = ("id", "user", "round", "step", "source", "needs_translation", "read_as",
                   "over_limit")

# Delivery order inside a request's batch: what someone waits for goes first.
PRIORITY = {PAGE: 0, PAGE_AGAIN: 0, SMS: 0, VOICE: 0, EMAIL: 0, CARD: 1, PAGE_UPDATE: 2,
            REQUESTER_NOTE: 3, DIRECT: 4}
DEFAULT_PRIORITY = 5
PENDING, SENDING = "pending", "sending"


def add_request(session: Session, **fields) -> RequestRow:
    """A new request row, inserted (one Core statement, by `RequestWrites.request_id`)
    when its id is first needed. It stays out of the session: the ORM's unit of work
    cost twice the insert itself, and a new request is written once, complete."""
    fields = {"category": "other", "category_info": {}, "fields": {}, **fields}
    return RequestRow(exhausted=False, esc_token=0, card_digest=False, **fields)


def _request_values(row: RequestRow) -> dict:
    """Every column of a request row but its id, as the row holds them now."""
    return {c.key: getattr(row, c.key) for c in REQUESTS.columns if c.key != "id"}


@dataclass(frozen=True)
class NewPage:
    """A page as written: what views of the request need, without reading it back."""

    id: int
    user: str
    round: int
    step: int
    source: str
    needs_translation: bool
    read_as: str | None = None
    over_limit: list[int] | None = None
    state: str = "pending"
    sent_utc: datetime | None = None


@dataclass(frozen=True)
class OutboxEntry:
    """An outbox row as written (with its id when it was claimed on the way in)."""

    id: int
    request_id: int | None
    page_id: int | None
    kind: str
    target: str | None
    payload: dict
    priority: int


def outbox_values(request_id: int | None, kind: str, target: str | None, payload: dict,
                  now: datetime, page_id: int | None = None, state: str = PENDING) -> dict:
    return {"request_id": request_id, "page_id": page_id, "kind": kind, "target": target,
            "payload": payload, "priority": PRIORITY.get(kind, DEFAULT_PRIORITY),
            "state": state, "attempts": 1 if state == SENDING else 0, "created_utc": now,
            # A row written claimed holds a lease, as `claim_outbox_rows` gives one.
            "next_attempt_utc": now + LEASE if state == SENDING else now}


def insert_outbox(session: Session, values: list[dict], also=()) -> list[OutboxEntry]:
    """Outbox rows in one statement (with `also`'s rows: `bulk.insert_rows`); what was
    written, with the ids. The rows come back whole from RETURNING: asking for them in
    the order given would cost one statement per row on SQLite."""
    if not values:
        return []
    rows = insert_rows(session.connection(), OUTBOX, values, _OUTBOX_RETURNED, also)
    return sorted((OutboxEntry(*row) for row in rows), key=lambda e: e.id)


class RequestWrites:
    """What one use case writes for one request, inside the caller's transaction."""

    def __init__(self, session: Session, request: RequestRow, now: datetime):
        self.session = session
        self.request = request
        self.now = now
        self.pages: list[NewPage] = []  # written by this use case, in order
        self._outbox: list[dict] = []
        self._audit: list[dict] = []
        self._deadlines: list[dict] = []
        # A new request (from `add_request`): its columns as this writer inserted them,
        # to write what changed afterwards. None for a row the session loaded (the ORM
        # writes its changes).
        self._inserted: dict | None = None

    def request_id(self) -> int:
        if self.request.id is None:  # a new request goes in now: its id keys the others
            values = _request_values(self.request)
            self.request.id = self.session.connection().execute(
                _INSERT_REQUEST, values).scalar_one()
            self._inserted = values
        return self.request.id

    def _write_request_changes(self) -> None:
        """What a use case changed on a new request after inserting it (rare: the
        filing sets the row up before the first page needs its id)."""
        if self._inserted is None:
            return
        now = _request_values(self.request)
        changed = {k: v for k, v in now.items() if v != self._inserted[k]}
        if changed:
            self.session.connection().execute(
                update(REQUESTS).where(REQUESTS.c.id == self.request.id).values(**changed))
            self._inserted = now

    def add_pages(self, pages: list[dict]) -> list[NewPage]:
        """Pages ({user, round, step, source, needs_translation}, optionally the
        dm_channel and dm_ts of a page DM they take over), inserted now."""
        if not pages:
            return []
        # One statement for all: every row names the same columns.
        values = [{"dm_channel": None, "dm_ts": None, "read_as": None, "over_limit": None,
                   **p, "state": "pending", "sent_utc": self.now} for p in pages]
        conn = self.session.connection()
        if self.request.id is None:  # the new request goes in with them (bulk.insert_under)
            request = _request_values(self.request)
            self.request.id, rows = insert_under(conn, REQUESTS, request, "request_id",
                                                 PAGES, values, _PAGES_RETURNED)
            self._inserted = request
        else:
            rows = insert_rows(conn, PAGES, [{**v, "request_id": self.request.id}
                                             for v in values], _PAGES_RETURNED)
        written = sorted((NewPage(*row, sent_utc=self.now) for row in rows),
                         key=lambda p: p.id)
        self.pages.extend(written)
        return written

    def outbox(self, kind: str, target: str | None, payload: dict | None = None,
               page_id: int | None = None) -> None:
        self._outbox.append({"kind": kind, "target": target, "payload": payload or {},
                             "page_id": page_id})

    def audit(self, actor: str, action: str, detail: dict, at: datetime | None = None
              ) -> None:
        self._audit.append({"team": self.request.team, "actor": actor, "action": action,
                            "detail": detail, "at_utc": at or self.now})

    def deadline(self, due: datetime, reason: str, token: int) -> None:
        self._deadlines.append({"due_utc": due, "reason": reason, "token": token,
                                "state": "pending"})

    def flush(self, claim: tuple[str, ...] = ()) -> list[OutboxEntry]:
        """Write the buffered rows. Outbox rows of the kinds in `claim` are written
        already claimed (`sending`) for the caller to deliver: no second transaction
        to claim them; what this returns is those rows."""
        self._write_request_changes()
        if not (self._outbox or self._audit or self._deadlines):
            return []
        rid = self.request_id()
        session = self.session
        conn = session.connection()
        if self.request.crisis_names and any(o["kind"] == CARD_UPDATE for o in self._outbox):
            # What a request's card shows changed: so did the status card of each
            # crisis it is part of (counts by status and language). A request joins
            # crises only when filed (`crisis_link.match`, which names them on the row),
            # so one that names none is part of none: no statement.
            cards_stale_for(session, rid)
        # Audit, deadlines and outbox rows in one statement (bulk.insert_rows' `also`).
        also = ((AUDIT, [{**a, "request_id": rid} for a in self._audit]),
                (DEADLINES, [{**d, "request_id": rid} for d in self._deadlines]))
        values = [outbox_values(rid, o["kind"], o["target"], o["payload"], self.now,
                                o["page_id"], SENDING if o["kind"] in claim else PENDING)
                  for o in self._outbox]
        claimed: list[OutboxEntry] = []
        if claim and values:
            claimed = [e for e in insert_outbox(session, values, also) if e.kind in claim]
        else:
            insert_rows(conn, OUTBOX, values, also=also)
        self._outbox, self._audit, self._deadlines = [], [], []
        return claimed
