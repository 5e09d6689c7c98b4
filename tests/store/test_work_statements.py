"""Which statements create work (bot.store.wakeups.creates_work), on the statements
the store really runs: a commit that ran one notifies the other processes."""

from __future__ import annotations

import pytest
from sqlalchemy import insert
from sqlalchemy.dialects import postgresql

from bot.store.bulk import _insert_under, _json_inserts
from bot.store.paging import _SETTLED
from bot.store.paging_writes import AUDIT, DEADLINES, OUTBOX, PAGES, REQUESTS
from bot.store.wakeups import creates_work


def sql(stmt) -> str:
    return str(stmt.compile(dialect=postgresql.dialect()))


@pytest.mark.parametrize(("stmt", "work"), [
    (insert(OUTBOX), True),
    (insert(AUDIT), False),
    (_json_inserts(((OUTBOX, ("kind",)),), ()), True),
    (_json_inserts(((AUDIT, ("team",)),), ()), False),
    (_json_inserts(((AUDIT, ("team",)), (OUTBOX, ("kind",))), ("id",)), True),
    (_json_inserts(((AUDIT, ("team",)), (DEADLINES, ("reason",))), ()), True),
    (_insert_under(REQUESTS, ("key",), PAGES, ("user",), "request_id", ("id",)), True),
    (_SETTLED, False),
], ids=["outbox", "audit", "outbox rows", "audit rows", "audit and outbox",
        "audit and deadlines", "a request and its pages", "settling sends"])
def test_what_creates_work(stmt, work):
    assert creates_work(sql(stmt)) is work
