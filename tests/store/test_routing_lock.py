"""Routing a request takes its team's routing turn: two requests routed at once cannot
both read the same load and both page the one free person. SQLite's writers already
take turns; on PostgreSQL a transaction-scoped advisory lock per team does it."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.store import paging as q


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_a_team_is_routed_one_transaction_at_a_time_on_postgres(db_engine):
    def try_turn(session: Session, team: str) -> bool:
        key = q.routing_lock_key(team)
        return session.scalar(select(func.pg_try_advisory_xact_lock(key)))

    with Session(db_engine) as first, Session(db_engine) as second:
        with first.begin():
            q.serialize_routing(first, "safety")
            with second.begin():
                assert try_turn(second, "safety") is False  # wait for the first
                assert try_turn(second, "other-team") is True  # other teams do not
        # The first committed: its turn ended with it.
        with second.begin():
            assert try_turn(second, "safety") is True

