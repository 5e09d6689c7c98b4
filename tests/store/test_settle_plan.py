"""A settle finds its rows by primary key, however long the history (PostgreSQL).

The settle joins each table to rows read from a JSON array, which the planner takes
for 100 rows whatever it holds; against that it scanned the whole outbox on every
settle, a cost that grew with the history (2.3 ms at 11,000 rows). The ids are also
bound as an array, which the primary key answers."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from bot.store.db import make_engine, migrate
from bot.store.paging import _SETTLED, settle_sent

pytestmark = pytest.mark.postgres

HISTORY = 20_000  # delivered outbox rows: a few weeks of a busy desk


@pytest.fixture
def engine(pg_url_own: str):
    engine = make_engine(pg_url_own)
    migrate(engine)
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO outbox (kind, payload, state, attempts, created_utc, "
            "next_attempt_utc, sent_utc, priority, unsure) "
            "SELECT 'post', '{}'::json, 'sent', 1, now(), now(), now(), 5, false "
            "FROM generate_series(1, :n)"), {"n": HISTORY})
        conn.execute(text("INSERT INTO outbox (kind, payload, state, attempts, created_utc, "
                          "next_attempt_utc, priority, unsure) VALUES ('post', '{}'::json, "
                          "'sending', 1, now(), now(), 5, false)"))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE outbox"))
    try:
        yield engine
    finally:
        engine.dispose()


def test_a_settle_looks_its_rows_up_by_primary_key(engine):
    with engine.connect() as conn:
        row = conn.execute(text("SELECT max(id) FROM outbox")).scalar_one()
        params = {"now": datetime(2026, 12, 4, tzinfo=UTC), "param_1": "sent",
                  "param_2": None, "param_3": False, "param_4": 0, "param_5": 1,
                  "sent": f'[{{"id": {row}, "channel": "C0INTAKE01", "ts": "1.2"}}]',
                  "cards": "[]", "pages": "[]", "sent_ids": [row], "cards_ids": [],
                  "pages_ids": []}
        compiled = _SETTLED.compile(dialect=conn.dialect)
        plan = "\n".join(r[0] for r in conn.exec_driver_sql(
            "EXPLAIN " + str(compiled), {**compiled.params, **params}))
        assert "Seq Scan on outbox" not in plan, plan
        assert "pk_outbox" in plan, plan


def test_the_settle_still_settles_the_row(engine):
    from sqlalchemy.orm import Session

    with Session(engine) as session, session.begin():
        row = session.execute(text("SELECT id FROM outbox WHERE state = 'sending'")).scalar_one()
        settle_sent(session, {row: ("C0INTAKE01", "1.2")}, {}, {},
                    datetime(2026, 12, 4, tzinfo=UTC))
    with engine.connect() as conn:
        state, channel, ts = conn.execute(text(
            "SELECT state, posted_channel, posted_ts FROM outbox WHERE id = :id"),
            {"id": row}).one()
    assert (state, channel, ts) == ("sent", "C0INTAKE01", "1.2")
