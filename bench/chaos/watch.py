"""What `bench.many_machines` reads of the bot's PostgreSQL database: the rows a process
holds when it is killed, whether the fleet has settled, the rows the ledger compares
with Slack, and the database's transaction counter for the idle figure."""

from __future__ import annotations

import dataclasses
import time
from collections import Counter
from datetime import UTC, datetime

from sqlalchemy import create_engine, func, select, text

from bench.chaos.ledger import Card, Deadline, Row
from bench.paging.server import HOST, PG_PORT
from bot.store.liveness import LIVE_HOLDERS
from bot.store.paging_tables import DeadlineRow, OutboxRow, PageRow, RequestRow

# The bot's processes alive now: the numbers whose liveness lock is held (bot.store.liveness).
_LIVE = text(f"SELECT objid::bigint FROM ({LIVE_HOLDERS}) AS live")


def _seconds(value: datetime | None) -> float | None:
    if value is None:
        return None
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()


@dataclasses.dataclass(frozen=True)
class Claims:
    """Outbox rows being sent (id -> lease end, UTC seconds) and requests received but
    not routed, at `at` (UTC seconds)."""

    at: float
    sending: dict[int, float]
    received: frozenset[int]
    holders: dict[int, int | None] = dataclasses.field(default_factory=dict)  # row -> process
    live: frozenset[int] = frozenset()  # process numbers holding their liveness lock


@dataclasses.dataclass
class Facts:
    """The rows read after the run."""

    keys: set[str]
    rows: list[Row]
    deadlines: list[Deadline]
    outbox_states: Counter[str]
    deadline_states: Counter[str]
    request_states: Counter[str]
    doubled_page_rows: int  # (request, round, step, user) with two page rows
    cards: dict[int, Card]  # request id -> where its card is (a digest card or its own)


class Database:
    def __init__(self, url: str):
        self.url = url
        self.engine = create_engine(url, pool_size=2)

    def close(self) -> None:
        self.engine.dispose()

    def claims(self) -> Claims:
        at = time.time()
        with self.engine.connect() as conn:
            rows = conn.execute(select(
                OutboxRow.id, OutboxRow.next_attempt_utc, OutboxRow.holder).where(
                    OutboxRow.state == "sending")).all()
            received = frozenset(conn.scalars(select(RequestRow.id).where(
                RequestRow.status == "received")))
            live = frozenset(conn.scalars(_LIVE))
        return Claims(at, {i: _seconds(lease) or 0.0 for i, lease, _ in rows}, received,
                      {i: holder for i, _, holder in rows}, live)

    def unsettled(self) -> int | None:
        """Work left: deadlines pending and due, outbox rows pending or sending, requests
        received and not routed (None: the database did not answer)."""
        now = datetime.now(UTC)
        try:
            with self.engine.connect() as conn:
                due = conn.scalar(select(func.count()).select_from(DeadlineRow).where(
                    DeadlineRow.state == "pending", DeadlineRow.due_utc <= now))
                out = conn.scalar(select(func.count()).select_from(OutboxRow).where(
                    OutboxRow.state.in_(("pending", "sending"))))
                rec = conn.scalar(select(func.count()).select_from(RequestRow).where(
                    RequestRow.status == "received"))
        except Exception:  # noqa: BLE001 - busy or away: look again
            return None
        return int(due or 0) + int(out or 0) + int(rec or 0)

    def pending_deadlines(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.scalar(select(func.count()).select_from(DeadlineRow).where(
                DeadlineRow.state == "pending")) or 0)

    def wait_settled(self, timeout: float) -> tuple[float, int | None]:
        """Until no deadline is pending (the last step has fired) and nothing is left to
        send or route, at most `timeout` s: (seconds waited, work left)."""
        t0 = time.monotonic()
        left: int | None = None
        while time.monotonic() - t0 < timeout:
            left = self.unsettled()
            if left == 0 and self.pending_deadlines() == 0:
                break
            time.sleep(0.5)
        return time.monotonic() - t0, left

    def facts(self) -> Facts:
        with self.engine.connect() as conn:
            keys = set(conn.scalars(select(RequestRow.key)))
            steps = {pid: (rnd, step) for pid, rnd, step in conn.execute(
                select(PageRow.id, PageRow.round, PageRow.step)).all()}
            rows = [Row(i, rid, kind, _seconds(created) or 0.0, _seconds(sent),
                        steps.get(page_id) if page_id else None)
                    for i, rid, kind, created, sent, page_id in conn.execute(select(
                        OutboxRow.id, OutboxRow.request_id, OutboxRow.kind,
                        OutboxRow.created_utc, OutboxRow.sent_utc, OutboxRow.page_id)).all()]
            deadlines = [Deadline(i, rid, _seconds(due) or 0.0,
                                  _seconds(fired) if state == "fired" else None)
                         for i, rid, due, fired, state in conn.execute(select(
                             DeadlineRow.id, DeadlineRow.request_id, DeadlineRow.due_utc,
                             DeadlineRow.fired_utc, DeadlineRow.state)).all()]

            def states(column):
                return Counter(dict(conn.execute(select(column, func.count()).group_by(
                    column)).all()))

            groups = select(PageRow.request_id).group_by(
                PageRow.request_id, PageRow.round, PageRow.step, PageRow.user).having(
                    func.count() > 1).subquery()
            doubled = conn.scalar(select(func.count()).select_from(groups))
            cards = {i: Card(channel, ts, bool(digest)) for i, channel, ts, digest in
                     conn.execute(select(RequestRow.id, RequestRow.card_channel,
                                         RequestRow.card_ts, RequestRow.card_digest)).all()}
            return Facts(keys, rows, deadlines, states(OutboxRow.state),
                         states(DeadlineRow.state), states(RequestRow.status),
                         int(doubled or 0), cards)


def transactions(dbname: str) -> int:
    """Transactions committed and rolled back in `dbname` so far (pg_stat_database),
    read over a connection to another database so that reading adds none."""
    import psycopg

    with psycopg.connect(host=HOST, port=PG_PORT, user="postgres", dbname="postgres",
                         autocommit=True, connect_timeout=5) as conn:
        row = conn.execute("SELECT xact_commit + xact_rollback FROM pg_stat_database "
                           "WHERE datname = %s", (dbname,)).fetchone()
    return int(row[0]) if row else 0


def idle_statements(dbname: str, seconds: float, every: float = 0.1) -> Counter[str]:
    """What the bot's connections ran over `seconds` (the idle window): each backend's
    last statement as pg_stat_activity shows it, counted once per change (its
    `state_change`), by its first words. Sampling misses statements run between two
    looks on one connection, so it is a sketch of what runs, not a count."""
    import psycopg

    seen: dict[tuple[int, object], str] = {}
    until = time.monotonic() + seconds
    with psycopg.connect(host=HOST, port=PG_PORT, user="postgres", dbname="postgres",
                         autocommit=True, connect_timeout=5) as conn:
        while time.monotonic() < until:
            for pid, changed, query in conn.execute(
                    "SELECT pid, state_change, query FROM pg_stat_activity "
                    "WHERE datname = %s AND query <> ''", (dbname,)).fetchall():
                seen.setdefault((pid, changed), " ".join(str(query).split()[:5])[:60])
            time.sleep(every)
    return Counter(seen.values())
