"""Queries of the paging side. Sessions and transactions belong to the caller."""

from __future__ import annotations

import zlib
from datetime import UTC, datetime, timedelta

from sqlalchemy import (
    Integer,
    String,
    bindparam,
    case,
    delete,
    func,
    insert,
    literal,
    null,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session

from bot import json_text
from bot.core.messages import CARD, CARD_UPDATE, PAGE, TIMELINE
from bot.store.bulk import PerDialect, in_list, json_records
from bot.store.liveness import DEAD_HOLDER, HOLDER
from bot.store.paging_tables import (
    AuditRow,
    DeadlineRow,
    OutboxRow,
    PageRow,
    RequestRow,
    SeenEventRow,
)
from bot.store.tables import TeamRow
from bot.store.wakeups import work_created

NEEDS_CARD = (CARD_UPDATE, TIMELINE)  # delivered in the card's thread / in place
# How long a claim on an outbox row holds unless its holder renews it (every
# LEASE / 3); a dead holder's rows are taken over once it runs out.
LEASE = timedelta(seconds=6)

# Core tables for the writes of every delivery: no ORM unit of work to set up for
# statements that touch no loaded object (the ORM path cost more CPU than SQLite did).
# The statements of every request run on the session's connection: Session.execute
# adds about 50 us a statement (autoflush, ORM event dispatch) and they need neither.
OUTBOX, REQUESTS, PAGES = OutboxRow.__table__, RequestRow.__table__, PageRow.__table__
# Statements of every request built once: SQLAlchemy's compiled cache still has to key
# a statement built anew on each call, which cost more than running it on SQLite.
# Where a card / page DM was posted, by primary key, as one executemany each.
_CARD_POSTED = (update(REQUESTS).where(REQUESTS.c.id == bindparam("key_id"))
                .values(card_channel=bindparam("channel"), card_ts=bindparam("ts")))
_SENT = (update(OUTBOX).where(OUTBOX.c.id == bindparam("key_id"))
         .values(state="sent", sent_utc=bindparam("now"), error=None, unsure=False,
                 posted_channel=bindparam("channel"), posted_ts=bindparam("ts")))
# On PostgreSQL only rows still claimed under this process's number (bot.store.liveness)
# are renewed: a row taken over and claimed again by another process is not this one's.
# The ids as one array on PostgreSQL (bulk.in_list): one statement text however many
# rows are held, converted and prepared once.
#
# On PostgreSQL the renewal never waits for a row lock: the rows are picked `FOR UPDATE
# SKIP LOCKED`, and which are still this process's is read from the statement's
# snapshot. A plain multi-row UPDATE locked the held rows in index order while a
# settle (`settle_sent`) locked the rows of its batch in its join's order: under load
# the two deadlocked, and PostgreSQL saw it only after `deadlock_timeout` (1 s), with
# every settle behind them held that long (seen at 100 filings/s as a second-long
# stall of page DMs). A row skipped is being settled or taken over at this moment; it
# is renewed at the next pass if it is still held then.
def _renew_statement(postgres: bool):
    mine = (in_list(OUTBOX.c.id, "ids", postgres), OUTBOX.c.state == "sending",
            *((or_(OUTBOX.c.holder.is_(None), OUTBOX.c.holder == HOLDER),)
              if postgres else ()))
    renew = update(OUTBOX).values(next_attempt_utc=bindparam("until"))
    if not postgres:  # one writer at a time: no row locks to wait for
        return renew.where(*mine).returning(OUTBOX.c.id)
    picked = select(OUTBOX.c.id).where(*mine).with_for_update(skip_locked=True)
    renewed = renew.where(OUTBOX.c.id.in_(picked.scalar_subquery())).cte("renewed")
    return select(OUTBOX.c.id).where(*mine).add_cte(renewed)


_RENEW = PerDialect(_renew_statement)
_DM_POSTED = (update(PAGES).where(PAGES.c.id == bindparam("key_id"))
              .values(dm_channel=bindparam("channel"), dm_ts=bindparam("ts")))


def _skip_locked(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def get_request(session: Session, request_id: int) -> RequestRow | None:
    return session.get(RequestRow, request_id)


def get_page(session: Session, page_id: int) -> PageRow | None:
    return session.get(PageRow, page_id)


def lock_request(session: Session, request_id: int) -> RequestRow | None:
    return session.get(RequestRow, request_id, with_for_update=True, populate_existing=True)


_ID_BY_KEY = select(REQUESTS.c.id).where(REQUESTS.c.key == bindparam("key"))


def request_by_key(session: Session, key: str) -> RequestRow | None:
    """The request filed with this idempotency key. Every new request asks, and the
    answer is almost always "none": a Core query answers that without the ORM's
    loading machinery; only a duplicate loads its row."""
    found = session.connection().execute(_ID_BY_KEY, {"key": key}).scalar()
    return None if found is None else session.get(RequestRow, found)


def pages_of(session: Session, request_id: int) -> list[PageRow]:
    return list(session.scalars(
        select(PageRow).where(PageRow.request_id == request_id).order_by(PageRow.id)))


def pages_reached_at(session: Session, address: str, kinds: tuple[str, ...],
                     request_id: int | None = None) -> list[PageRow]:
    """The pending pages of open requests that an outbox row of `kinds` (SMS, calls)
    went out for to `address`, newest first; only `request_id`'s when given."""
    reached = select(OutboxRow.page_id).where(OutboxRow.target == address,
                                              OutboxRow.kind.in_(kinds))
    query = (select(PageRow).join(RequestRow, RequestRow.id == PageRow.request_id)
             .where(PageRow.id.in_(reached), PageRow.state == "pending",
                    RequestRow.status == "open")
             .order_by(PageRow.id.desc()))
    if request_id is not None:
        query = query.where(PageRow.request_id == request_id)
    return list(session.scalars(query))


def pages_of_requests(session: Session, request_ids: list[int]) -> dict[int, list[PageRow]]:
    """The pages of several requests in one query, by request id."""
    found: dict[int, list[PageRow]] = {}
    if request_ids:
        for page in session.scalars(select(PageRow).where(PageRow.request_id.in_(request_ids))
                                    .order_by(PageRow.id)):
            found.setdefault(page.request_id, []).append(page)
    return found


_RECENT_PAGES = (select(PAGES.c.user, func.count()).where(PAGES.c.sent_utc >= bindparam("since"))
                 .group_by(PAGES.c.user))


def recent_page_counts(session: Session, since: datetime) -> dict[str, int]:
    return {user: n for user, n in session.connection().execute(_RECENT_PAGES,
                                                                {"since": since})}


def serialize_routing(session: Session, team: str) -> None:
    """Take the team's routing turn until this transaction ends, so two requests routed
    at once cannot both read the same load and both page the one free person (which
    would put them over capacity). SQLite needs nothing: its writers already take turns
    (BEGIN IMMEDIATE). On PostgreSQL, a transaction-scoped advisory lock on the team."""
    if session.get_bind().dialect.name != "postgresql":
        return
    # Taken once per transaction: a batch of requests routed together asks for each.
    held = session.info.setdefault(_HELD, {})
    transaction = session.get_transaction()
    if held.get(team) is transaction:
        return
    session.connection().execute(_ROUTING_LOCK, {"key": routing_lock_key(team)})
    held[team] = transaction


_HELD = "oncall_routing_locks"  # session.info: team -> the transaction holding its lock


def routing_lock_key(team: str) -> int:
    """The team's advisory lock key (a signed 32-bit number)."""
    return zlib.crc32(f"routing:{team}".encode()) - 2 ** 31


_ROUTING_LOCK = select(func.pg_advisory_xact_lock(bindparam("key", type_=Integer)))


def utc_from_db(at: datetime) -> datetime:
    # SQLite hands back naive datetimes from an aggregate (no column type to convert).
    if isinstance(at, str):
        at = datetime.fromisoformat(at)
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def claim_due_deadline(session: Session, now: datetime) -> DeadlineRow | None:
    """The earliest due pending deadline, locked for this transaction (others skip it)."""
    stmt = (select(DeadlineRow)
            .where(DeadlineRow.state == "pending", DeadlineRow.due_utc <= now)
            .order_by(DeadlineRow.due_utc, DeadlineRow.id).limit(1))
    if _skip_locked(session):
        stmt = stmt.with_for_update(skip_locked=True)
    return session.scalars(stmt).one_or_none()



def claim_next_received(session: Session) -> tuple[RequestRow, int | None] | None:
    """The `received` request to route next (the most severe, then the oldest), locked
    for this transaction where the database can (other routers skip it; SQLite's
    writers take turns anyway), with its team's stored revision (None: the team is
    gone). One statement where routing read the next id, the team's revision and the
    row locked, each in its own round trip."""
    found = claim_received(session, 1)
    return found[0] if found else None


def claim_received(session: Session, limit: int, received_by: datetime | None = None
                   ) -> list[tuple[RequestRow, int | None]]:
    """Up to `limit` `received` requests to route next, most severe then oldest, each
    with its team's stored revision, locked as `claim_next_received` locks one: one
    statement for a batch the router routes in one transaction. `received_by`: only
    requests filed by then."""
    stmt = (select(RequestRow, TeamRow.revision)
            .outerjoin(TeamRow, TeamRow.name == RequestRow.team)
            .where(RequestRow.status == "received",
                   *([RequestRow.created_utc <= received_by] if received_by else []))
            .order_by(RequestRow.severity, RequestRow.id).limit(limit))
    if _skip_locked(session):
        stmt = stmt.with_for_update(of=RequestRow.__table__, skip_locked=True)
    return [(row, revision) for row, revision in session.execute(stmt)]


def received_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(RequestRow)
                          .where(RequestRow.status == "received")) or 0


def audit_entries(session: Session, request_id: int) -> list[AuditRow]:
    return list(session.scalars(
        select(AuditRow).where(AuditRow.request_id == request_id).order_by(AuditRow.id)))


def open_requests(session: Session, team: str | None = None,
                  assignee: str | None = None) -> list[RequestRow]:
    stmt = select(RequestRow).where(RequestRow.status != "resolved")
    if team is not None:
        stmt = stmt.where(RequestRow.team == team)
    if assignee is not None:
        stmt = stmt.where(RequestRow.assignee == assignee)
    return list(session.scalars(stmt.order_by(RequestRow.id)))


# -- the outbox ----------------------------------------------------------------------------

ANY_REQUEST = object()  # outbox_candidates over every request (a sweep)


def outbox_candidates(session: Session, now: datetime, request_id,
                      limit: int) -> list[OutboxRow]:
    """Due pending rows, pages first: of one request, of none (request_id None: rows
    such as swap asks), or of any (ANY_REQUEST)."""
    stmt = (select(OutboxRow)
            .where(OutboxRow.state == "pending", OutboxRow.next_attempt_utc <= now)
            .order_by(OutboxRow.priority, OutboxRow.id).limit(limit))
    if request_id is None:
        stmt = stmt.where(OutboxRow.request_id.is_(None))
    elif request_id is not ANY_REQUEST:
        stmt = stmt.where(OutboxRow.request_id == request_id)
    return list(session.scalars(stmt))


def card_unsettled(session: Session, request_id: int) -> bool:
    """Is the request's card still waiting to be posted (so thread lines must wait)?"""
    return session.scalar(
        select(func.count()).select_from(OutboxRow).where(
            OutboxRow.request_id == request_id, OutboxRow.kind == CARD,
            OutboxRow.state.in_(("pending", "sending")))) > 0


def page_unsettled(session: Session, page_id: int) -> bool:
    """Is the page DM itself still waiting to be sent (so updates to it must wait)?"""
    return session.scalar(
        select(func.count()).select_from(OutboxRow).where(
            OutboxRow.page_id == page_id, OutboxRow.kind == PAGE,
            OutboxRow.state.in_(("pending", "sending")))) > 0


def claim_outbox_rows(session: Session, row_ids: list[int], now: datetime) -> set[int]:
    """Mark rows as being sent, under a lease, in one statement; returns the ids this
    caller got (rows another worker claimed first are left out)."""
    if not row_ids:
        return set()
    result = session.execute(
        update(OutboxRow).where(OutboxRow.id.in_(row_ids), OutboxRow.state == "pending")
        .values(state="sending", attempts=OutboxRow.attempts + 1,
                next_attempt_utc=now + LEASE, **_holder(session))
        .returning(OutboxRow.id))
    return {row_id for (row_id,) in result}


def _holder(session: Session) -> dict:
    """A claim's holder column: the claiming process (PostgreSQL; bot.store.liveness)."""
    return {"holder": HOLDER} if _skip_locked(session) else {}


def _gone(session: Session, now: datetime):
    """Rows being sent whose holder is taken for dead: its lease ran out, or (PostgreSQL)
    its process no longer holds its liveness lock."""
    expired = OutboxRow.next_attempt_utc < now
    return or_(expired, DEAD_HOLDER) if _skip_locked(session) else expired


def renew_leases(session: Session, row_ids: list[int], now: datetime) -> set[int]:
    """The holder of these rows is alive and still sending them. Returns the ids still
    being sent: one left out was taken over (its lease ran out before this renewal) or
    settled meanwhile. On PostgreSQL a row locked at this moment (its settle under
    way) is not waited for: it counts as still being sent, its lease left as it was."""
    if not row_ids:
        return set()
    conn = session.connection()
    result = conn.execute(_RENEW.on(conn), {"ids": row_ids, "until": now + LEASE})
    return {row_id for (row_id,) in result}


def foreign_leases(session: Session, now: datetime, keep: list[int] = ()
                   ) -> tuple[int, datetime | None]:
    """Rows other holders are sending (not `keep`): how many have a lease that ran out,
    and when the earliest lease still running ends (None: none). One read."""
    mine = (OutboxRow.id.not_in(keep),) if keep else ()
    lease = OutboxRow.next_attempt_utc
    expired, ends = session.execute(
        select(func.coalesce(func.sum(case((_gone(session, now), 1), else_=0)), 0),
               func.min(case((lease >= now, lease), else_=null())))
        .where(OutboxRow.state == "sending", *mine)).one()
    return int(expired or 0), utc_from_db(ends) if ends is not None else None


def take_over_expired(session: Session, now: datetime, keep: list[int] = ()) -> int:
    """Rows whose holder stopped renewing their lease (it died, or its send outlived
    it) go back to `pending`, marked unsure: their message may be in Slack already.
    `keep`: rows the caller itself is sending (never its own to take over).

    On PostgreSQL the rows are picked `FOR UPDATE SKIP LOCKED`: a row a live holder is
    renewing at this moment is skipped (its lease is fresh again a moment later), and
    a statement that never waits for a lock cannot join a deadlock with the renewals
    of several processes (seen under load with the plain multi-row UPDATE)."""
    expired = (OutboxRow.state == "sending", _gone(session, now),
               *((OutboxRow.id.not_in(keep),) if keep else ()))
    stmt = update(OutboxRow).where(*expired)
    if _skip_locked(session):
        picked = (select(OutboxRow.id).where(*expired)
                  .with_for_update(skip_locked=True).scalar_subquery())
        stmt = update(OutboxRow).where(OutboxRow.id.in_(picked), *expired)
    result = session.execute(
        stmt.values(state="pending", unsure=True, next_attempt_utc=now),
        execution_options={"synchronize_session": False})
    return result.rowcount


def settle_sent(session: Session, sent: dict[int, tuple[str, str] | None],
                cards: dict[int, tuple[str, str]], pages: dict[int, tuple[str, str]],
                now: datetime) -> None:
    """Outbox rows delivered, with where their message was posted (None: nothing
    posted, e.g. an update in place); and where cards and page DMs were posted
    ((channel, ts) by request id / page id), so updates and thread lines can find them.
    One statement on PostgreSQL, one per table on SQLite."""
    if not (sent or cards or pages):
        return
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        conn.execute(_SETTLED, {"now": now, "sent": _posted_json(sent),
                                "cards": _posted_json(cards), "pages": _posted_json(pages),
                                "sent_ids": list(sent), "cards_ids": list(cards),
                                "pages_ids": list(pages)})
        return
    for stmt, rows in ((_SENT, sent), (_CARD_POSTED, cards), (_DM_POSTED, pages)):
        if rows:
            conn.execute(stmt, [{"key_id": i, "now": now, "channel": at[0] if at else None,
                                 "ts": at[1] if at else None} for i, at in rows.items()])


def _posted_json(posted: dict[int, tuple[str, str] | None]) -> str:
    return json_text.dumps([{"id": i, "channel": at[0] if at else None,
                        "ts": at[1] if at else None} for i, at in posted.items()])


def _settled_statement():
    """The three UPDATEs of `settle_sent` as data-modifying CTEs of one statement,
    each joined to its rows (`json_records`): PostgreSQL runs each once, read or not.

    Each also names its ids as an array (`<name>_ids`): the planner takes a row set
    from a function for 100 rows, so against that it scanned the whole outbox, requests
    and pages tables on every settle (2.3 ms with 11,000 outbox rows, and growing with
    the history); with the ids it looks them up by primary key (0.3 ms)."""
    def posted(name: str):
        return json_records(name, [("id", Integer), ("channel", String), ("ts", String)],
                            alias=f"{name}_at")

    def ids(table, name: str):
        return in_list(table.c.id, f"{name}_ids", postgres=True)

    sent, cards, dms = posted("sent"), posted("cards"), posted("pages")
    card_rows = (update(REQUESTS).where(REQUESTS.c.id == cards.c.id, ids(REQUESTS, "cards"))
                 .values(card_channel=cards.c.channel, card_ts=cards.c.ts)
                 .returning(REQUESTS.c.id).cte("card_rows"))
    # PostgreSQL runs data-modifying CTEs in no set order. An acknowledgement locks the
    # request, then its pages; a settle that locked a page first and then waited for
    # its request deadlocked with it (seen in CI: the click failed). The pages' update
    # waits for the requests' (a one-time filter reading it), so the order is the same.
    requests_first = select(func.count()).select_from(card_rows).scalar_subquery() >= 0
    ctes = (
        update(OUTBOX).where(OUTBOX.c.id == sent.c.id, ids(OUTBOX, "sent"))
        .values(state="sent", sent_utc=bindparam("now", type_=OUTBOX.c.sent_utc.type),
                error=None, unsure=False, posted_channel=sent.c.channel,
                posted_ts=sent.c.ts).cte("sent_rows"),
        card_rows,
        update(PAGES).where(PAGES.c.id == dms.c.id, ids(PAGES, "pages"), requests_first)
        .values(dm_channel=dms.c.channel, dm_ts=dms.c.ts).cte("dm_rows"),
    )
    return select(literal(1)).add_cte(*ctes)


_SETTLED = _settled_statement()


def insert_outbox_rows(session: Session, values: list[dict]) -> None:
    if values:
        session.execute(insert(OutboxRow.__table__), values)


def release_outbox_rows(session: Session, row_ids: list[int],
                        until: datetime | None = None) -> None:
    """Claimed rows that were not attempted (or that Slack turned away, as with a 429)
    go back to pending, the attempt uncounted; not before `until` when given."""
    work_created(session)  # the reconcilers learn the new due time
    for row in _outbox_rows(session, row_ids):
        row.state, row.attempts = "pending", max(row.attempts - 1, 0)
        if until is not None:
            row.next_attempt_utc = until


def retry_or_fail_outbox_rows(session: Session, row_ids: list[int], error: str,
                              now: datetime, max_attempts: int, permanent: bool,
                              unsure: bool = False, max_delay: timedelta | None = None
                              ) -> list[OutboxRow]:
    """Rows whose send failed: back to pending with a growing delay, or failed for good
    (permanent errors, too many attempts); returns the rows given up. `unsure`: the
    send may have reached Slack, so the next attempt looks it up first. `max_delay`:
    the longest wait before the next attempt (pages: someone's life may be waiting)."""
    given_up = []
    work_created(session)  # the reconcilers learn when to try again
    for row in _outbox_rows(session, row_ids):
        row.error = error[:2000]
        row.unsure = row.unsure or unsure
        if permanent or row.attempts >= max_attempts:
            row.state = "failed"
            given_up.append(row)
        else:
            delay = retry_delay(row.attempts)
            row.state = "pending"
            row.next_attempt_utc = now + (min(delay, max_delay) if max_delay else delay)
    return given_up


def _outbox_rows(session: Session, row_ids: list[int]) -> list[OutboxRow]:
    if not row_ids:
        return []
    return list(session.scalars(select(OutboxRow).where(OutboxRow.id.in_(row_ids))
                                .order_by(OutboxRow.id)))


def sending_outbox_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(OutboxRow)
                          .where(OutboxRow.state == "sending"))


def pending_outbox_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(OutboxRow)
                          .where(OutboxRow.state.in_(("pending", "sending"))))


def retry_delay(attempts: int) -> timedelta:
    return timedelta(seconds=min(2 ** attempts, 300))


def forget_seen_before(session: Session, before: datetime) -> int:
    """Event ids and signed-request keys older than any retry or replay Slack allows."""
    return session.execute(delete(SeenEventRow).where(SeenEventRow.at_utc < before)).rowcount
